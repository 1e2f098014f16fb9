"""Player identity and metadata, and the public identity other players see."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.config.models import DerivedFrom, GameConfig
from kraty_pygame.emulator.errors import validation_failed

MAX_NAME_LENGTH: Final = 32
MAX_AVATAR_LENGTH: Final = 512
MAX_PROGRESSION_KEYS: Final = 8

_COLUMNS: Final = (
    "display_name, display_avatar, country, synthetic_name, synthetic_avatar, external_id"
)


def _row(conn: sqlite3.Connection, player_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_COLUMNS} FROM players WHERE id = ?", (player_id,)
    ).fetchone()
    return row


def identities(conn: sqlite3.Connection, player_id: str) -> dict[str, Any]:
    """``{displayIdentity, anonymizedIdentity}`` of one player."""
    row = _row(conn, player_id)
    if row is None:
        return {"displayIdentity": None, "anonymizedIdentity": None}
    display = {"name": row[0], "avatar": row[1], "country": row[2]} if row[0] is not None else None
    anonymized = {"name": row[3], "avatar": row[4], "country": None} if row[3] is not None else None
    return {"displayIdentity": display, "anonymizedIdentity": anonymized}


def public_identity(conn: sqlite3.Connection, player_id: str) -> dict[str, Any] | None:
    """What other players see (friends, search, gifts): the display identity, else
    the anonymized one, so a list never shows a nameless row (an emulator decision).

    The display identity is what the player set with ``PUT …/identity`` (or what the
    config seeded), ``null`` until then; the anonymized identity is the synthetic-pool
    name minted at creation, never changed.
    """
    found = identities(conn, player_id)
    display: dict[str, Any] | None = found["displayIdentity"] or found["anonymizedIdentity"]
    return display


def player_ref(conn: sqlite3.Connection, player_id: str) -> dict[str, Any]:
    """``{externalPlayerId, displayIdentity}`` (friend requests, gifts)."""
    row = _row(conn, player_id)
    return {
        "externalPlayerId": row[5] if row is not None else "",
        "displayIdentity": public_identity(conn, player_id),
    }


def set_identity(
    conn: sqlite3.Connection,
    player_id: str,
    *,
    name: Any,
    avatar: Any,
    avatar_given: bool,
    now: datetime,
) -> None:
    """Set the display name (1-32 characters) and, when given, the avatar
    (``null`` clears it; an absent ``avatar`` keeps the current one).

    Raises:
        ApiError: 400 ``validation_failed`` for an empty, blank or over-long name.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise validation_failed(
            f"name must be 1-{MAX_NAME_LENGTH} characters",
            [{"path": "name", "message": "invalid display name"}],
        )
    if (
        avatar_given
        and avatar is not None
        and (not isinstance(avatar, str) or len(avatar) > MAX_AVATAR_LENGTH)
    ):
        raise validation_failed(
            "avatar must be a string or null",
            [{"path": "avatar", "message": "invalid avatar"}],
        )
    if avatar_given:
        conn.execute(
            "UPDATE players SET display_name = ?, display_avatar = ?, updated_at = ? WHERE id = ?",
            (name.strip(), avatar, iso(now), player_id),
        )
    else:
        conn.execute(
            "UPDATE players SET display_name = ?, updated_at = ? WHERE id = ?",
            (name.strip(), iso(now), player_id),
        )


def metadata_of(conn: sqlite3.Connection, player_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT metadata FROM players WHERE id = ?", (player_id,)).fetchone()
    value = json.loads(row[0]) if row is not None and row[0] else {}
    return value if isinstance(value, dict) else {}


def write_metadata(
    conn: sqlite3.Connection,
    player_id: str,
    body: dict[str, Any],
    *,
    merge: bool,
    now: datetime,
) -> dict[str, Any]:
    """Replace (PUT) or shallow-merge (PATCH) the metadata; returns the result.

    The body *is* the metadata object; the ``idempotencyKey`` member the SDK stamps
    into it is removed first.
    """
    patch = {k: v for k, v in body.items() if k != "idempotencyKey"}
    metadata = {**metadata_of(conn, player_id), **patch} if merge else patch
    conn.execute(
        "UPDATE players SET metadata = ?, updated_at = ? WHERE id = ?",
        (json.dumps(metadata, separators=(",", ":")), iso(now), player_id),
    )
    return metadata


def parse_progression(value: str | None) -> list[str]:
    """``progression=k1,k2`` (at most 8 economy keys, duplicates dropped).

    Raises:
        ApiError: 400 ``validation_failed`` for more than 8 keys.
    """
    if not value:
        return []
    keys = list(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    if len(keys) > MAX_PROGRESSION_KEYS:
        raise validation_failed(
            f"progression takes at most {MAX_PROGRESSION_KEYS} keys",
            [{"path": "progression", "message": "too many keys"}],
        )
    return keys


def progression(
    conn: sqlite3.Connection, player_id: str, keys: Sequence[str], cfg: GameConfig | None = None
) -> dict[str, int] | None:
    """``{economyKey: balance}`` for the requested keys (0 when untouched); None if none asked.

    With ``cfg``, a derived resource (``level``) is computed from its base economy, so
    it is right even before the player's first wallet progress wrote it.
    """
    if not keys:
        return None
    wanted = list(keys)
    derived: dict[str, DerivedFrom] = {}
    for key in keys:
        currency = cfg.currency(key) if cfg is not None else None
        if currency is not None and currency.derived_from is not None:
            derived[key] = currency.derived_from
            wanted.append(currency.derived_from.economy)
    marks = ", ".join("?" for _ in wanted)
    rows = conn.execute(
        f"SELECT economy_key, balance FROM wallet WHERE player_id = ? AND economy_key IN ({marks})",
        (player_id, *wanted),
    ).fetchall()
    found = {row[0]: int(row[1]) for row in rows}
    out: dict[str, int] = {}
    for key in keys:
        rule = derived.get(key)
        if rule is not None:
            base = found.get(rule.economy, 0)
            out[key] = sum(1 for threshold in rule.thresholds if threshold <= base)
        else:
            out[key] = found.get(key, 0)
    return out
