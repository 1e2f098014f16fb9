"""Event windows from ``[events.schedule]``.

Windows are computed from the schedule and materialised in the ``windows`` table the
first time they are needed (which fixes their ``leaderboardId``). ``start_offset_s``
schedules are anchored at the emulator epoch. A window closed early by
``/_emulator/events/{key}/finalize`` keeps its shortened ``ends_at``; an ``always``
event then opens a fresh window at that moment.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import EventConfig
from kraty_pygame.emulator.ids import stable_id

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

#: End of an ``always`` window (it never closes unless finalized by hand).
FOREVER: Final = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
_ALWAYS_START: Final = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """One materialised window of an event."""

    event_key: str
    window_id: str
    starts_at: datetime
    ends_at: datetime
    leaderboard_id: str

    def metadata(self, event: EventConfig) -> dict[str, Any]:
        """Event metadata merged with the window's (window keys win)."""
        return {**event.metadata, **event.schedule.window_metadata}


def _schedule_start(rt: GameContext, event: EventConfig) -> datetime:
    schedule = event.schedule
    if schedule.start is not None:
        return schedule.start.astimezone(UTC)
    return rt.epoch + timedelta(seconds=schedule.start_offset_s or 0)


def _materialise(
    conn: sqlite3.Connection, event_key: str, starts: datetime, ends: datetime
) -> Window:
    start_text = iso(starts)
    window_id = stable_id("win", event_key, start_text)
    row = conn.execute(
        "SELECT starts_at, ends_at, leaderboard_id FROM windows "
        "WHERE event_key = ? AND window_id = ?",
        (event_key, window_id),
    ).fetchone()
    if row is None:
        leaderboard_id = stable_id("lb", event_key, window_id)
        conn.execute(
            "INSERT INTO windows (event_key, window_id, starts_at, ends_at, leaderboard_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (event_key, window_id, start_text, iso(ends), leaderboard_id),
        )
        return Window(event_key, window_id, starts, ends, leaderboard_id)
    return Window(event_key, window_id, parse_iso(row[0]), parse_iso(row[1]), row[2])


def _scheduled(
    rt: GameContext, event: EventConfig, now: datetime
) -> tuple[datetime, datetime] | None:
    """The bounds of the scheduled window containing ``now`` (before early closes)."""
    schedule = event.schedule
    if schedule.kind == "always":
        return _ALWAYS_START, FOREVER
    start = _schedule_start(rt, event)
    duration = timedelta(seconds=schedule.duration_s)
    if schedule.kind == "once":
        return (start, start + duration) if start <= now < start + duration else None
    every = timedelta(seconds=schedule.every_s)
    if now < start:
        return None
    index = (now - start) // every
    begin = start + every * index
    return (begin, begin + duration) if now < begin + duration else None


def active_window(
    conn: sqlite3.Connection, rt: GameContext, event: EventConfig, now: datetime
) -> Window | None:
    """The event's window open at ``now`` (materialised), or None between windows."""
    if event.schedule.kind == "always":
        row = conn.execute(
            "SELECT window_id, starts_at, ends_at, leaderboard_id FROM windows "
            "WHERE event_key = ? ORDER BY starts_at DESC LIMIT 1",
            (event.key,),
        ).fetchone()
        if row is None:
            return _materialise(conn, event.key, _ALWAYS_START, FOREVER)
        ends = parse_iso(row[2])
        if now < ends:
            return Window(event.key, row[0], parse_iso(row[1]), ends, row[3])
        return _materialise(conn, event.key, ends, FOREVER)
    bounds = _scheduled(rt, event, now)
    if bounds is None:
        return None
    window = _materialise(conn, event.key, *bounds)
    return window if now < window.ends_at else None


def window_by_id(conn: sqlite3.Connection, event_key: str, window_id: str) -> Window | None:
    row = conn.execute(
        "SELECT window_id, starts_at, ends_at, leaderboard_id FROM windows "
        "WHERE event_key = ? AND window_id = ?",
        (event_key, window_id),
    ).fetchone()
    if row is None:
        return None
    return Window(event_key, row[0], parse_iso(row[1]), parse_iso(row[2]), row[3])


def close_early(conn: sqlite3.Connection, window: Window, now: datetime) -> Window:
    """End a window at ``now`` (``/_emulator/events/{key}/finalize``)."""
    end = min(now, window.ends_at)
    conn.execute(
        "UPDATE windows SET ends_at = ? WHERE event_key = ? AND window_id = ?",
        (iso(end), window.event_key, window.window_id),
    )
    return Window(window.event_key, window.window_id, window.starts_at, end, window.leaderboard_id)


def ended_since(conn: sqlite3.Connection, since: str, now: datetime) -> list[Window]:
    """Materialised windows whose end lies in ``(since, now]`` (sweeps finalize them)."""
    rows = conn.execute(
        "SELECT event_key, window_id, starts_at, ends_at, leaderboard_id FROM windows "
        "WHERE ends_at > ? AND ends_at <= ? ORDER BY ends_at",
        (since, iso(now)),
    ).fetchall()
    return [Window(r[0], r[1], parse_iso(r[2]), parse_iso(r[3]), r[4]) for r in rows]


def window_metadata_json(event: EventConfig) -> str:
    return json.dumps({**event.metadata, **event.schedule.window_metadata})
