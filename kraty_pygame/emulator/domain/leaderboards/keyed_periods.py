"""Keyed boards: identity, periods on the emulator clock, aggregation and errors.

Periods follow ``reset_cadence``: ``never`` (one period since 1970), ``weekly``
(Monday 00:00) or ``monthly`` (the 1st, 00:00), in the game's timezone. A period is
named by its start, formatted like every emulator timestamp.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from kraty_pygame.emulator.config.models import LeaderboardConfig
from kraty_pygame.emulator.domain.leaderboards.ranking import BoardScope, iso, parse_iso

__all__ = [
    "MAX_SCORE",
    "NEVER_PERIOD",
    "BoardError",
    "PlayerRef",
    "aggregate",
    "board_id",
    "keyed_scope",
    "past_periods",
    "period_bounds",
    "previous_period",
    "resolve_period",
]

#: The single period of a ``never``-resetting board.
NEVER_PERIOD: Final = datetime(1970, 1, 1, tzinfo=UTC)


class BoardError(Exception):
    """A client error on a board route (mapped to the error envelope by the routes)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class PlayerRef:
    """The player a keyed-board write is about."""

    player_id: str
    external_id: str
    name: str | None


def board_id(key: str) -> str:
    """The stable ``leaderboardId`` of a keyed board (``slb_<12 hex>``)."""
    return "slb_" + hashlib.sha256(f"keyed:{key}".encode()).hexdigest()[:12]


#: Largest board score magnitude; beyond it a sum would lose integer precision.
MAX_SCORE: Final = 1e15


def aggregate(kind: str, current: float | None, value: float) -> float:
    """Combine a board score with a new value: ``best`` / ``latest`` / ``sum``.

    Raises:
        BoardError: 400 ``validation_failed`` when the result leaves ±1e15.
    """
    if current is None:
        result = float(value)
    elif kind == "best":
        result = max(float(current), float(value))
    elif kind == "sum":
        result = float(current) + float(value)
    else:
        result = float(value)
    if not -MAX_SCORE <= result <= MAX_SCORE:
        raise BoardError(
            "validation_failed",
            f"score out of range (at most {MAX_SCORE:.0e} in magnitude)",
            {"errors": [{"path": "value", "message": "out of range"}]},
        )
    return result


# ------------------------------------------------------------------------ periods


def period_bounds(cadence: str, now: datetime, tz: str = "UTC") -> tuple[datetime, datetime | None]:
    """Start (inclusive) and end (exclusive; None for ``never``) of the period at ``now``."""
    if cadence == "never":
        return NEVER_PERIOD, None
    zone = zoneinfo.ZoneInfo(tz)
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if cadence == "weekly":
        start = midnight - timedelta(days=local.weekday())
        end = start + timedelta(days=7)
    else:  # monthly
        start = midnight.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # Re-resolve through the zone so DST changes inside the period are honoured.
    start = start.replace(tzinfo=None).replace(tzinfo=zone)
    end = end.replace(tzinfo=None).replace(tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def previous_period(cadence: str, start: datetime, tz: str = "UTC") -> tuple[datetime, datetime]:
    """The period just before the one starting at ``start``."""
    prev_start, prev_end = period_bounds(cadence, start - timedelta(seconds=1), tz)
    assert prev_end is not None
    return prev_start, prev_end


def resolve_period(
    cadence: str, requested: str | None, now: datetime, tz: str = "UTC"
) -> tuple[str, bool]:
    """Canonical period key for a ``period`` query value, and whether it is live.

    ``None`` / ``"current"`` mean the current period. Anything else must be an ISO
    timestamp; it is mapped onto the start of the period containing it.
    """
    current, _ = period_bounds(cadence, now, tz)
    if requested is None or requested in ("", "current"):
        return iso(current), True
    try:
        moment = parse_iso(requested)
        if not NEVER_PERIOD.year <= moment.year <= 9998:
            raise ValueError("period out of range")
        start, _ = period_bounds(cadence, moment, tz)
    except (ValueError, OverflowError):
        raise BoardError(
            "validation_failed",
            "period must be 'current' or an ISO timestamp",
            {"errors": [{"path": "period", "message": "not an ISO timestamp in range"}]},
        ) from None
    return iso(start), start == current


def past_periods(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    now: datetime,
    *,
    limit: int,
    tz: str = "UTC",
) -> list[dict[str, str]]:
    """Past periods that saw play, newest first."""
    if board.reset_cadence == "never":
        return []
    current, _ = period_bounds(board.reset_cadence, now, tz)
    rows = conn.execute(
        "SELECT DISTINCT period FROM kb_entries WHERE board_key = ? AND period < ? "
        "AND kind = 'player' ORDER BY period DESC LIMIT ?",
        (board.key, iso(current), limit),
    ).fetchall()
    result: list[dict[str, str]] = []
    for (period,) in rows:
        start = parse_iso(period)
        _, end = period_bounds(board.reset_cadence, start, tz)
        assert end is not None
        result.append({"periodStartedAt": iso(start), "periodEndedAt": iso(end)})
    return result


def keyed_scope(key: str, period: str, segment: str) -> BoardScope:
    """The ranked rows of one (board, period, segment) partition."""
    return BoardScope(
        table="kb_entries",
        where="board_key = ? AND period = ? AND segment = ?",
        params=(key, period, segment),
        channel=f"keyed:{key}:{period}:{segment}",
        key_columns=("board_key", "period", "segment"),
    )
