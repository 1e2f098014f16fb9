"""Presence heartbeats on the emulator clock.

A player is ``online`` while its last heartbeat is younger than
``[friends] presence_ttl_s`` (default 1.5 x the 30 s heartbeat interval, so one
missed beat ends the presence). ``status`` is the game's free-form activity string
(``"in_lobby"``, ``"playing"``…); a heartbeat without a ``status`` member keeps the
previous one, ``null`` clears it. An offline player reports ``status: null``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any, Final

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.errors import validation_failed

MAX_STATUS_LENGTH: Final = 64

_UNSET: Final = object()


def heartbeat(
    conn: sqlite3.Connection, player_id: str, *, status: Any = _UNSET, now: datetime
) -> None:
    """Record a heartbeat now (``status`` omitted = keep the previous one).

    Raises:
        ApiError: 400 ``validation_failed`` for a status that is not a short string.
    """
    if (
        status is not _UNSET
        and status is not None
        and (not isinstance(status, str) or len(status) > MAX_STATUS_LENGTH)
    ):
        raise validation_failed(
            f"status must be a string of at most {MAX_STATUS_LENGTH} characters, or null",
            [{"path": "status", "message": "invalid status"}],
        )
    if status is _UNSET:
        conn.execute(
            "INSERT INTO presence (player_id, last_active_at, status) VALUES (?, ?, NULL) "
            "ON CONFLICT(player_id) DO UPDATE SET last_active_at = excluded.last_active_at",
            (player_id, iso(now)),
        )
    else:
        conn.execute(
            "INSERT INTO presence (player_id, last_active_at, status) VALUES (?, ?, ?) "
            "ON CONFLICT(player_id) DO UPDATE SET last_active_at = excluded.last_active_at, "
            "status = excluded.status",
            (player_id, iso(now), status),
        )


def unset() -> Any:
    """The marker for "no ``status`` member in the body"."""
    return _UNSET


def presence_of(
    conn: sqlite3.Connection, player_id: str, *, now: datetime, ttl_s: float
) -> dict[str, Any]:
    """``PlayerPresence {online, lastActiveAt, status}``."""
    row = conn.execute(
        "SELECT last_active_at, status FROM presence WHERE player_id = ?", (player_id,)
    ).fetchone()
    if row is None:
        return {"online": False, "lastActiveAt": None, "status": None}
    online = now - parse_iso(row[0]) < timedelta(seconds=ttl_s)
    return {"online": online, "lastActiveAt": row[0], "status": row[1] if online else None}
