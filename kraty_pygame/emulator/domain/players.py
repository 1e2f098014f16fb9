"""Players: register / rotate, bans, seeded content."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.config.models import ApiKeyConfig, SeedGrant
from kraty_pygame.emulator.domain import economy, grants
from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http.auth import PlayerRow, find_player
from kraty_pygame.emulator.ids import hash_secret, new_secret, new_uuid
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

MAX_EXTERNAL_ID = 256
_DEFAULT_NAMES = ("Crazy Panda", "Lucky Llama", "Sly Otter", "Brave Badger", "Swift Heron")


def check_external_id(external_id: str) -> None:
    """400 ``validation_failed`` for an empty or over-long external id."""
    if not external_id or len(external_id) > MAX_EXTERNAL_ID or external_id.strip() != external_id:
        raise validation_failed(
            "externalPlayerId must be 1-256 characters without surrounding spaces",
            [{"path": "externalId", "message": "invalid player id"}],
        )


def synthetic_name(rt: GameContext, player_id: str) -> str:
    names = rt.config.new_player.synthetic_names or _DEFAULT_NAMES
    index = int(hashlib.sha256(f"{rt.rng_seed}:{player_id}".encode()).hexdigest()[:8], 16)
    return names[index % len(names)]


def _identity(name: str | None, avatar: str | None, country: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    return {"name": name, "avatar": avatar, "country": country}


def registration_dto(conn: sqlite3.Connection, player_id: str, secret: str) -> dict[str, Any]:
    """The ``PlayerRegistration`` payload (the only place the plaintext secret appears)."""
    row = conn.execute(
        "SELECT id, external_id, registered_at, country, display_name, display_avatar, "
        "synthetic_name, synthetic_avatar FROM players WHERE id = ?",
        (player_id,),
    ).fetchone()
    synthetic = _identity(row[6], row[7], None)
    return {
        "playerId": row[0],
        "externalPlayerId": row[1],
        "secret": secret,
        "secretPrefix": secret[:8],
        "registeredAt": row[2],
        "country": row[3],
        "syntheticIdentity": {"name": row[6], "avatar": row[7]} if row[6] else None,
        "displayIdentity": _identity(row[4], row[5], row[3]),
        "anonymizedIdentity": synthetic,
    }


def _apply_grants(
    conn: sqlite3.Connection,
    rt: GameContext,
    player_id: str,
    seeds: tuple[SeedGrant, ...],
    now: datetime,
) -> None:
    for seed in seeds:
        grants.create_pending_grant(
            conn,
            rt,
            player_id=player_id,
            kind=seed.kind,
            entries=seed.entries,
            source_kind=seed.source_kind,
            now=now,
            expires_at=now + timedelta(seconds=seed.expires_in_s) if seed.expires_in_s else None,
        )


def _create_player(
    conn: sqlite3.Connection,
    rt: GameContext,
    external_id: str,
    now: datetime,
    *,
    display_name: str | None = None,
    display_avatar: str | None = None,
    country: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    player_id = new_uuid(conn, rt.rng_seed)
    stamp = iso(now)
    conn.execute(
        "INSERT INTO players (id, external_id, country, display_name, display_avatar, "
        "synthetic_name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            player_id,
            external_id,
            country,
            display_name,
            display_avatar,
            synthetic_name(rt, player_id),
            json.dumps(metadata or {}),
            stamp,
            stamp,
        ),
    )
    return player_id


def _set_secret(conn: sqlite3.Connection, player_id: str, secret: str, now: str) -> None:
    conn.execute(
        "UPDATE players SET secret_hash = ?, secret_prefix = ?, "
        "registered_at = COALESCE(registered_at, ?), updated_at = ? WHERE id = ?",
        (hash_secret(secret), secret[:8], now, now, player_id),
    )


def _fund(
    conn: sqlite3.Connection,
    player_id: str,
    *,
    wallet: dict[str, int],
    inventory: dict[str, int],
    stamp: str,
    reason: str,
) -> None:
    for key, amount in wallet.items():
        economy.change_balance(
            conn,
            player_id=player_id,
            economy_key=key,
            delta=amount,
            now=stamp,
            reason=reason,
            origin="admin",
        )
    for key, amount in inventory.items():
        economy.change_quantity(
            conn,
            player_id=player_id,
            item_key=key,
            delta=amount,
            now=stamp,
            reason=reason,
            origin="admin",
        )


def register(
    tx: Transaction,
    rt: GameContext,
    *,
    external_id: str,
    force: bool,
    key: ApiKeyConfig,
    now: datetime,
) -> dict[str, Any]:
    """Create the player (applying ``[seed.new_player]``) or rotate with ``force``.

    Raises:
        ApiError: 403 ``forbidden`` (force with a live key), 403 ``player_banned``,
            409 ``player_already_registered``, 400 ``validation_failed``.
    """
    check_external_id(external_id)
    if force and key.environment == "live":
        raise ApiError("forbidden", "force is not allowed with live keys")
    conn = tx.conn
    stamp = iso(now)
    existing = find_player(conn, external_id)
    if existing is not None and existing.banned_at is not None:
        raise ApiError("player_banned", "banned players cannot register")
    secret = new_secret()
    if existing is not None:
        if existing.secret_hash is not None and not force:
            raise ApiError(
                "player_already_registered",
                f"player {external_id!r} is already registered",
            )
        first_time = existing.secret_hash is None and not any(
            seed.external_id == external_id for seed in rt.config.seed_players
        )
        _set_secret(conn, existing.id, secret, stamp)
        if first_time:  # created server-side and registering now: the starting kit
            fresh = rt.config.new_player
            _fund(
                conn,
                existing.id,
                wallet=fresh.wallet,
                inventory=fresh.inventory,
                stamp=stamp,
                reason="new_player",
            )
            _apply_grants(conn, rt, existing.id, fresh.pending_grants, now)
        return registration_dto(conn, existing.id, secret)
    player_id = _create_player(conn, rt, external_id, now)
    _set_secret(conn, player_id, secret, stamp)
    fresh = rt.config.new_player
    _fund(
        conn,
        player_id,
        wallet=fresh.wallet,
        inventory=fresh.inventory,
        stamp=stamp,
        reason="new_player",
    )
    _apply_grants(conn, rt, player_id, fresh.pending_grants, now)
    return registration_dto(conn, player_id, secret)


def rotate(tx: Transaction, player: PlayerRow, now: datetime) -> dict[str, Any]:
    """Mint a new secret; the old one stops working at once."""
    secret = new_secret()
    _set_secret(tx.conn, player.id, secret, iso(now))
    return {
        "externalPlayerId": player.external_id,
        "secret": secret,
        "secretPrefix": secret[:8],
        "rotatedAt": iso(now),
    }


def ban(tx: Transaction, player: PlayerRow, reason: str | None, now: datetime) -> dict[str, Any]:
    """Ban; ``applied`` is false when the player was already banned."""
    applied = player.banned_at is None
    banned_at = iso(now) if applied else player.banned_at
    if applied:
        tx.conn.execute(
            "UPDATE players SET banned_at = ?, ban_reason = ?, updated_at = ? WHERE id = ?",
            (banned_at, reason, iso(now), player.id),
        )
    else:
        row = tx.conn.execute(
            "SELECT ban_reason FROM players WHERE id = ?", (player.id,)
        ).fetchone()
        reason = row[0]
    return {
        "playerId": player.id,
        "externalPlayerId": player.external_id,
        "bannedAt": banned_at,
        "reason": reason,
        "applied": applied,
    }


def unban(tx: Transaction, player: PlayerRow, now: datetime) -> dict[str, Any]:
    """Unban; ``applied`` is false when the player was not banned."""
    applied = player.banned_at is not None
    if applied:
        tx.conn.execute(
            "UPDATE players SET banned_at = NULL, ban_reason = NULL, updated_at = ? WHERE id = ?",
            (iso(now), player.id),
        )
    return {
        "playerId": player.id,
        "externalPlayerId": player.external_id,
        "unbannedAt": iso(now),
        "applied": applied,
    }


def ensure_player(tx: Transaction, rt: GameContext, external_id: str, now: datetime) -> PlayerRow:
    """The player for a ``/server/v1`` write, created (unregistered) when unknown."""
    check_external_id(external_id)
    player = find_player(tx.conn, external_id)
    if player is None:
        _create_player(tx.conn, rt, external_id, now)
        player = find_player(tx.conn, external_id)
        assert player is not None
    return player


def server_view(conn: sqlite3.Connection, rt: GameContext, player: PlayerRow) -> dict[str, Any]:
    """The player with holdings and recent grants."""
    row = conn.execute(
        "SELECT created_at, updated_at FROM players WHERE id = ?", (player.id,)
    ).fetchone()
    return {
        "player": {
            "id": player.id,
            "externalPlayerId": player.external_id,
            "studioId": rt.config.game.studio_id,
            "gameId": rt.config.game.id,
            "createdAt": row[0],
            "updatedAt": row[1],
        },
        "inventory": economy.inventory_rows(conn, player.id),
        "wallet": economy.wallet_rows(conn, player.id),
        "recentGrants": grants.recent(conn, player.id),
    }


def seed_content(tx: Transaction, rt: GameContext, now: datetime) -> None:
    """Create ``[[seed.players]]`` with their secrets, holdings and pending grants."""
    stamp = iso(now)
    for seed in rt.config.seed_players:
        player_id = _create_player(
            tx.conn,
            rt,
            seed.external_id,
            now,
            display_name=seed.name,
            display_avatar=seed.avatar,
            country=seed.country,
            metadata=seed.metadata,
        )
        if seed.secret is not None:
            _set_secret(tx.conn, player_id, seed.secret, stamp)
        if seed.banned:
            tx.conn.execute("UPDATE players SET banned_at = ? WHERE id = ?", (stamp, player_id))
        _fund(
            tx.conn,
            player_id,
            wallet=seed.wallet,
            inventory=seed.inventory,
            stamp=stamp,
            reason="seed",
        )
        _apply_grants(tx.conn, rt, player_id, seed.pending_grants, now)
