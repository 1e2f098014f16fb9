"""Identifier and secret minting.

Ids (``att_``, ``gr_``, ``lb_``, ``lob_`` + 12 hex) are derived from
the configured RNG seed and a counter stored in the database, so a scenario re-run on
a fresh database produces the same ids (and therefore the same crate rolls),
while ids stay unique across restarts of a persistent database.
Player secrets use the ``secrets`` module and are never derived from the seed.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import uuid
from typing import Final

SECRET_PREFIX: Final = "kps_"  # noqa: S105 - a prefix, not a secret


def _next_counter(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'id_counter' "
        "RETURNING value"
    ).fetchone()
    if row is None:
        conn.execute("INSERT INTO meta(key, value) VALUES ('id_counter', '1')")
        return 1
    return int(row[0])


def _digest(seed: int, counter: int, prefix: str) -> str:
    return hashlib.sha256(f"{seed}:{counter}:{prefix}".encode()).hexdigest()


def new_id(conn: sqlite3.Connection, prefix: str, seed: int) -> str:
    """A fresh ``<prefix>_<12 hex>`` id (must run inside a write transaction)."""
    return f"{prefix}_{_digest(seed, _next_counter(conn), prefix)[:12]}"


def new_uuid(conn: sqlite3.Connection, seed: int) -> str:
    """A fresh UUID-formatted id (internal player ids look like production UUIDs)."""
    return str(uuid.UUID(hex=_digest(seed, _next_counter(conn), "uuid")[:32], version=4))


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic ``<prefix>_<12 hex>`` id for config-derived things (events, windows)."""
    return f"{prefix}_{hashlib.sha256(':'.join(parts).encode()).hexdigest()[:12]}"


def event_id(event_key: str) -> str:
    """The wire ``eventId`` of an event key (``ev_`` + 12 hex, stable)."""
    return stable_id("ev", event_key)


def new_secret() -> str:
    """A player secret: ``kps_`` + 24 URL-safe random characters."""
    return SECRET_PREFIX + secrets.token_urlsafe(18)[:24]


def hash_secret(secret: str) -> str:
    """The stored form of a player secret (only the hash is kept)."""
    return hashlib.sha256(secret.encode()).hexdigest()
