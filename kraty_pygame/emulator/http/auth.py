"""API-key and player-secret authentication: ``authorization: Bearer <key>`` for every
call, and ``x-player-secret`` matching the path's ``{externalId}`` for a player's own
data (player A's secret never acts as player B)."""

from __future__ import annotations

import hmac
import sqlite3
from dataclasses import dataclass

from starlette.requests import Request

from kraty_pygame.emulator.config.models import ApiKeyConfig
from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.ids import hash_secret


@dataclass(frozen=True)
class PlayerRow:
    """The columns of a player that most routes need."""

    id: str
    external_id: str
    secret_hash: str | None
    banned_at: str | None
    display_name: str | None
    synthetic_name: str | None
    country: str | None

    @property
    def name(self) -> str | None:
        return self.display_name or self.synthetic_name


_PLAYER_COLUMNS = "id, external_id, secret_hash, banned_at, display_name, synthetic_name, country"


def find_player(conn: sqlite3.Connection, external_id: str) -> PlayerRow | None:
    """The player with this external id, or None."""
    row = conn.execute(
        f"SELECT {_PLAYER_COLUMNS} FROM players WHERE external_id = ?", (external_id,)
    ).fetchone()
    return PlayerRow(*row) if row is not None else None


def find_player_by_id(conn: sqlite3.Connection, player_id: str) -> PlayerRow | None:
    """The player with this internal id, or None."""
    row = conn.execute(
        f"SELECT {_PLAYER_COLUMNS} FROM players WHERE id = ?", (player_id,)
    ).fetchone()
    return PlayerRow(*row) if row is not None else None


def header_value(request: Request, name: bytes) -> str | None:
    """The first value of the (lowercase) header ``name``, or None; read from the raw
    header list, without building Starlette's header mapping for one lookup."""
    raw: list[tuple[bytes, bytes]] = request.scope["headers"]
    for key, value in raw:
        if key == name:
            return value.decode("latin-1")
    return None


def bearer_token(header: str | None) -> str | None:
    """The API key of an ``authorization`` value (``Bearer <key>``, scheme in any case,
    surrounding spaces ignored), or None when it is not a bearer credential."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def api_key(request: Request, keys: dict[str, ApiKeyConfig]) -> ApiKeyConfig:
    """The configured API key of this request.

    Raises:
        ApiError: 401 ``unauthenticated`` (no header) or ``session_invalid``.
    """
    header = header_value(request, b"authorization")
    if header is None or not header.strip():
        raise ApiError("unauthenticated", "missing authorization header")
    token = bearer_token(header)
    if token is None:
        raise ApiError("session_invalid", "authorization must be 'Bearer <api key>'")
    key = keys.get(token)
    if key is None:
        raise ApiError("session_invalid", "unknown or revoked API key")
    return key


def server_key(request: Request, keys: dict[str, ApiKeyConfig]) -> ApiKeyConfig:
    """Like :func:`api_key`, and the key must be a ``server_integration`` key (else 403)."""
    key = api_key(request, keys)
    if key.permission_set != "server_integration":
        raise ApiError("forbidden", "this route needs a server_integration API key")
    return key


def _secret_matches(request: Request, player: PlayerRow) -> bool:
    secret = header_value(request, b"x-player-secret")
    if not secret or player.secret_hash is None:
        return False
    return hmac.compare_digest(hash_secret(secret), player.secret_hash)


def player_for_write(conn: sqlite3.Connection, request: Request, external_id: str) -> PlayerRow:
    """The authenticated player of a secret-protected write.

    Raises:
        ApiError: 401 ``player_secret_invalid`` (no header, unknown player, mismatch);
            403 ``player_banned``.
    """
    player = find_player(conn, external_id)
    if player is None or not _secret_matches(request, player):
        raise ApiError("player_secret_invalid", "player secret missing or invalid")
    if player.banned_at is not None:
        raise ApiError("player_banned", "this player is banned")
    return player


def player_for_read(
    conn: sqlite3.Connection, request: Request, external_id: str
) -> PlayerRow | None:
    """The player of a secret-protected read; None for a never-registered id.

    Raises:
        ApiError: 401 ``player_secret_invalid`` when the player exists and the secret
            is missing or wrong.
    """
    player = find_player(conn, external_id)
    if player is None or player.secret_hash is None:
        return None
    if not _secret_matches(request, player):
        raise ApiError("player_secret_invalid", "player secret missing or invalid")
    return player
