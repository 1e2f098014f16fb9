"""Keyed boards: segments (context buckets, progression divisions) and seeded bots."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kraty_pygame.emulator.config.models import LeaderboardConfig, SeedBot
from kraty_pygame.emulator.domain.leaderboards import bots as _bots
from kraty_pygame.emulator.domain.leaderboards.keyed_periods import (
    BoardError,
    keyed_scope,
    previous_period,
)
from kraty_pygame.emulator.domain.leaderboards.ranking import (
    add_bots,
    iso,
    parse_iso,
    ranked_entries,
    set_participant_score,
)

__all__ = [
    "check_segment",
    "ensure_partition",
    "member_segment",
    "player_segment",
    "progression_limits",
    "read_segment",
    "remember_segment",
    "segment_values",
    "segmentation_kind",
    "standings_segments",
    "sync_progression",
]


def segmentation_kind(board: LeaderboardConfig) -> str:
    """``none``, ``context`` or ``progression``.

    * ``none``: one segment, stored as ``""`` and shown as ``null``;
    * ``context``: a bucket of ``segmentation.field`` (a region, say) chosen on submit
      or join, or taken from the attempt's ``playerContext`` for event contributions;
      an unknown bucket is a 400 whose message lists the valid ones;
    * ``progression``: divisions ranking players by their balance of
      ``segmentation.economy`` (raw scores get ``score_not_supported``); newcomers
      start in the first division, and at each new period the top
      ``promotion.places`` of a division move up one and the bottom
      ``relegation.places`` move down one.
    """
    return str(board.segmentation.get("kind", "none"))


def segment_values(board: LeaderboardConfig) -> list[str]:
    """Every segment of the board, in config order (``[""]`` when unsegmented)."""
    kind = segmentation_kind(board)
    if kind == "context":
        return [str(b) for b in board.segmentation.get("buckets", [])]
    if kind == "progression":
        return [str(d) for d in board.segmentation.get("divisions", [])]
    return [""]


def member_segment(conn: sqlite3.Connection, key: str, participant_id: str) -> str | None:
    row = conn.execute(
        "SELECT segment FROM kb_members WHERE board_key = ? AND participant_id = ?",
        (key, participant_id),
    ).fetchone()
    return None if row is None else str(row[0])


def check_segment(board: LeaderboardConfig, segment: str) -> str:
    """Validate a requested segment value (the message lists valid values)."""
    kind = segmentation_kind(board)
    if kind == "none":
        return ""
    valid = segment_values(board)
    if segment not in valid:
        what = "bucket" if kind == "context" else "division"
        raise BoardError(
            "validation_failed",
            f"unknown segment {segment!r}: valid {what}s are {', '.join(valid)}",
            {
                "errors": [{"path": "segment", "message": f"expected one of {valid}"}],
                "validSegments": valid,
            },
        )
    return segment


def player_segment(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    participant_id: str,
    requested: str | None,
    *,
    context: dict[str, Any] | None = None,
) -> str:
    """The segment a player writes to (request > membership > context > first division)."""
    kind = segmentation_kind(board)
    if kind == "none":
        return ""
    if requested:
        return check_segment(board, requested)
    stored = member_segment(conn, board.key, participant_id)
    if stored is not None:
        return stored
    if kind == "progression":
        return segment_values(board)[0]
    field = str(board.segmentation.get("field", ""))
    if context and field in context and str(context[field]) in segment_values(board):
        return str(context[field])
    raise BoardError(
        "validation_failed",
        f"segment is required on this board: valid buckets are {', '.join(segment_values(board))}",
        {
            "errors": [{"path": "segment", "message": "required"}],
            "validSegments": segment_values(board),
        },
    )


def remember_segment(
    conn: sqlite3.Connection, key: str, participant_id: str, segment: str, period: str
) -> None:
    conn.execute(
        "INSERT INTO kb_members (board_key, participant_id, segment, period) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (board_key, participant_id) DO UPDATE SET segment = excluded.segment",
        (key, participant_id, segment, period),
    )


# --------------------------------------------------------------------------- bots


def seed_bot_specs(board: LeaderboardConfig, seed_bots: Sequence[SeedBot]) -> list[_bots.BotSpec]:
    """The config's ``[[seed.bots]]`` placed on this board (static scores)."""
    return [
        _bots.BotSpec(
            participant_id=_bots.bot_participant_id(f"keyed:{board.key}", i),
            name=bot.name,
            base_score=float(bot.score),
        )
        for i, bot in enumerate(seed_bots)
        if board.key in bot.boards
    ]


def ensure_partition(
    conn: sqlite3.Connection,
    *,
    board: LeaderboardConfig,
    period: str,
    segment: str,
    seed_bots: Sequence[SeedBot],
    now: datetime,
) -> None:
    """Place the board's seeded bots in a partition the first time it is touched."""
    specs = seed_bot_specs(board, seed_bots)
    if not specs:
        return
    start = parse_iso(period)
    add_bots(
        conn, keyed_scope(board.key, period, segment), specs, anchor=start, now=now, ends_at=None
    )


# ------------------------------------------------------------------ progression


def sync_progression(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    period: str,
    now: datetime,
    *,
    tz: str = "UTC",
) -> None:
    """Progression boards: settle divisions for ``period`` and copy wallet balances in.

    Every player holding the board's economy is a participant in its division.
    """
    economy = str(board.segmentation.get("economy", ""))
    divisions = segment_values(board)
    if not economy or not divisions:
        return
    rows = conn.execute(
        "SELECT p.id, p.external_id, COALESCE(p.display_name, p.synthetic_name), w.balance "
        "FROM wallet w JOIN players p ON p.id = w.player_id WHERE w.economy_key = ?",
        (economy,),
    ).fetchall()
    for pid, external_id, name, balance in rows:
        division = _settle_division(
            conn, board=board, pid=pid, period=period, divisions=divisions, tz=tz
        )
        set_participant_score(
            conn,
            keyed_scope(board.key, period, division),
            participant_id=pid,
            external_player_id=external_id,
            name=name,
            score=float(balance),
            now=now,
        )


def _settle_division(
    conn: sqlite3.Connection,
    *,
    board: LeaderboardConfig,
    pid: str,
    period: str,
    divisions: list[str],
    tz: str,
) -> str:
    row = conn.execute(
        "SELECT segment, period FROM kb_members WHERE board_key = ? AND participant_id = ?",
        (board.key, pid),
    ).fetchone()
    if row is None:
        remember_segment(conn, board.key, pid, divisions[0], period)
        return divisions[0]
    segment, settled = str(row[0]), str(row[1])
    if settled == period or board.reset_cadence == "never" or segment not in divisions:
        return segment if segment in divisions else divisions[0]
    # New period: move by the previous period's final rank (one division at most).
    prev_start, _ = previous_period(board.reset_cadence, parse_iso(period), tz)
    prev = iso(prev_start)
    index = divisions.index(segment)
    if settled == prev:
        entries = ranked_entries(conn, keyed_scope(board.key, prev, segment))
        players = [e for e in entries if e.kind == "player"]
        rank = next((i for i, e in enumerate(players, 1) if e.participant_id == pid), None)
        promo = _places(board, "promotion")
        releg = _places(board, "relegation")
        if rank is not None and promo and rank <= promo and index + 1 < len(divisions):
            index += 1
        elif rank is not None and releg and rank > len(players) - releg and index > 0:
            index -= 1
    conn.execute(
        "UPDATE kb_members SET segment = ?, period = ? WHERE board_key = ? AND participant_id = ?",
        (divisions[index], period, board.key, pid),
    )
    return divisions[index]


def _places(board: LeaderboardConfig, which: str) -> int:
    limit = board.segmentation.get(which)
    if isinstance(limit, dict):
        return int(limit.get("places", 0) or 0)
    return 0


def progression_limits(board: LeaderboardConfig) -> dict[str, Any] | None:
    """``ProgressionLimits`` for progression boards (None otherwise)."""
    if segmentation_kind(board) != "progression":
        return None
    out: dict[str, Any] = {}
    for which in ("promotion", "relegation"):
        limit = board.segmentation.get(which)
        out[which] = (
            {"places": int(limit.get("places", 0)), "itemKey": str(limit.get("item_key", ""))}
            if isinstance(limit, dict)
            else None
        )
    return out


def read_segment(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    requested: str | None,
    self_id: str | None,
) -> str:
    """Which segment a read shows: the requested one, else the caller's, else the first.

    Raises:
        BoardError: 400 for an unknown segment, or a context board read with no
            segment and no caller bucket.
    """
    kind = segmentation_kind(board)
    if kind == "none":
        return ""
    if requested:
        return check_segment(board, requested)
    if self_id is not None:
        mine = member_segment(conn, board.key, self_id)
        if mine is not None:
            return mine
    if kind == "progression":
        return segment_values(board)[0]
    valid = segment_values(board)
    raise BoardError(
        "validation_failed",
        f"segment is required on this board: valid buckets are {', '.join(valid)}",
        {"errors": [{"path": "segment", "message": "required"}], "validSegments": valid},
    )


def standings_segments(
    conn: sqlite3.Connection,
    *,
    board: LeaderboardConfig,
    selection: str,
    segment: str | None,
    self_id: str | None,
    period: str,
) -> list[str]:
    """The segments a multi-segment read's ``scope`` selects.

    ``mine`` selects those where the caller has an entry.
    """
    kind = segmentation_kind(board)
    if selection == "all":
        return segment_values(board)
    if selection == "segment":
        if kind == "none":
            return [""]
        if not segment:
            raise BoardError(
                "validation_failed",
                "scope=segment needs segment",
                {"errors": [{"path": "segment", "message": "required"}]},
            )
        return [check_segment(board, segment)]
    if self_id is None:
        return []
    if selection == "mine":
        rows = conn.execute(
            "SELECT DISTINCT segment FROM kb_entries WHERE board_key = ? AND period = ? "
            "AND participant_id = ? ORDER BY segment",
            (board.key, period, self_id),
        ).fetchall()
        return [str(r[0]) for r in rows]
    if kind == "none":
        return [""]
    mine = member_segment(conn, board.key, self_id)
    return [mine] if mine is not None else []
