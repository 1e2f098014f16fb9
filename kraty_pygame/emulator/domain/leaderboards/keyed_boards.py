"""Keyed (cross-event) leaderboards: score submission, join and event contributions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kraty_pygame.emulator.config.models import LeaderboardConfig, SeedBot
from kraty_pygame.emulator.domain.leaderboards.keyed_periods import (
    NEVER_PERIOD,
    BoardError,
    PlayerRef,
    aggregate,
    board_id,
    keyed_scope,
    past_periods,
    period_bounds,
    resolve_period,
)
from kraty_pygame.emulator.domain.leaderboards.keyed_segments import (
    ensure_partition,
    member_segment,
    player_segment,
    progression_limits,
    remember_segment,
    segment_values,
    segmentation_kind,
    sync_progression,
)
from kraty_pygame.emulator.domain.leaderboards.ranking import ranked_entries, set_participant_score

__all__ = [
    "NEVER_PERIOD",
    "BoardError",
    "PlayerRef",
    "ScoreResult",
    "aggregate",
    "attempt_context",
    "board_id",
    "contribute",
    "join",
    "keyed_scope",
    "member_segment",
    "past_periods",
    "period_bounds",
    "progression_limits",
    "resolve_period",
    "segment_values",
    "segmentation_kind",
    "submit_score",
    "sync_progression",
]


# ---------------------------------------------------------------------- writes


@dataclass(frozen=True)
class ScoreResult:
    """A score submission's answer: the board score after aggregation and its rank (or None)."""

    leaderboard_id: str
    score: float
    rank: int | None

    def payload(self) -> dict[str, Any]:
        score: float | int = int(self.score) if self.score.is_integer() else self.score
        return {"leaderboardId": self.leaderboard_id, "score": score, "rank": self.rank}


def submit_score(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    player: PlayerRef,
    *,
    value: float,
    segment: str | None,
    now: datetime,
    seed_bots: Sequence[SeedBot],
    tz: str = "UTC",
    server: bool = False,
) -> ScoreResult:
    """Apply one score to the player's current-period entry.

    A keyed board is partitioned by period (:mod:`.keyed_periods`) and segment
    (:mod:`.keyed_segments`); ``score_aggregation`` ``best`` keeps the maximum,
    ``latest`` replaces, ``sum`` adds.
    """
    if not server and not board.client_scoring:
        raise BoardError(
            "client_scoring_disabled", f"board {board.key!r} only accepts scores from the server"
        )
    if segmentation_kind(board) == "progression":
        raise BoardError(
            "score_not_supported",
            f"board {board.key!r} ranks by a progression balance; "
            "change that balance instead of submitting scores",
        )
    seg = player_segment(conn, board, player.player_id, segment)
    period, _ = resolve_period(board.reset_cadence, None, now, tz)
    improved = _apply(
        conn,
        board=board,
        player=player,
        seg=seg,
        period=period,
        value=value,
        now=now,
        seed_bots=seed_bots,
    )
    entries = ranked_entries(conn, keyed_scope(board.key, period, seg))
    mine = next(e for e in entries if e.participant_id == player.player_id)
    rank = mine.rank if improved or board.score_aggregation != "best" else None
    return ScoreResult(board_id(board.key), mine.score, rank)


def _apply(
    conn: sqlite3.Connection,
    *,
    board: LeaderboardConfig,
    player: PlayerRef,
    seg: str,
    period: str,
    value: float,
    now: datetime,
    seed_bots: Sequence[SeedBot],
) -> bool:
    """Aggregate ``value`` into the entry; True when the stored score changed."""
    ensure_partition(conn, board=board, period=period, segment=seg, seed_bots=seed_bots, now=now)
    if segmentation_kind(board) != "none":
        remember_segment(conn, board.key, player.player_id, seg, period)
    scope = keyed_scope(board.key, period, seg)
    row = conn.execute(
        f"SELECT score FROM kb_entries WHERE {scope.where} AND participant_id = ?",
        (*scope.params, player.player_id),
    ).fetchone()
    current = None if row is None else float(row[0])
    new = aggregate(board.score_aggregation, current, value)
    set_participant_score(
        conn,
        scope,
        participant_id=player.player_id,
        external_player_id=player.external_id,
        name=player.name,
        score=new,
        now=now,
    )
    return current is None or new != current


def join(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    player: PlayerRef,
    *,
    segment: str | None,
    now: datetime,
    seed_bots: Sequence[SeedBot],
    tz: str = "UTC",
) -> tuple[str, str]:
    """Enrol at score 0 (never resets a score); returns (period, segment)."""
    period, _ = resolve_period(board.reset_cadence, None, now, tz)
    if segmentation_kind(board) == "progression":
        sync_progression(conn, board, period, now, tz=tz)
    seg = player_segment(conn, board, player.player_id, segment)
    ensure_partition(conn, board=board, period=period, segment=seg, seed_bots=seed_bots, now=now)
    if segmentation_kind(board) != "none":
        remember_segment(conn, board.key, player.player_id, seg, period)
    set_participant_score(
        conn,
        keyed_scope(board.key, period, seg),
        participant_id=player.player_id,
        external_player_id=player.external_id,
        name=player.name,
        score=None,
        now=now,
    )
    return period, seg


def contribute(
    conn: sqlite3.Connection,
    boards_cfg: Sequence[LeaderboardConfig],
    player: PlayerRef,
    *,
    event_key: str,
    attempt_score: float,
    board_best: float,
    previous_best: float,
    now: datetime,
    seed_bots: Sequence[SeedBot],
    context: dict[str, Any] | None = None,
    tz: str = "UTC",
) -> None:
    """Feed keyed boards that list ``event_key`` in ``contributes_from``.

    ``best`` takes the player's best score on the event board, ``latest`` the
    attempt's new score and ``sum`` the gain of the event-board best, so a sum
    board adds each event window's best once. Boards whose segment cannot be
    determined (a context board the player never chose a bucket on, with no
    matching ``playerContext``) are skipped; progression boards never take scores.
    """
    for board in boards_cfg:
        if event_key not in board.contributes_from:
            continue
        if segmentation_kind(board) == "progression":
            continue
        try:
            seg = player_segment(conn, board, player.player_id, None, context=context)
        except BoardError:
            continue
        if board.score_aggregation == "sum":
            value = board_best - previous_best
            if value == 0:
                continue
        elif board.score_aggregation == "best":
            value = board_best
        else:
            value = attempt_score
        period, _ = resolve_period(board.reset_cadence, None, now, tz)
        try:
            _apply(
                conn,
                board=board,
                player=player,
                seg=seg,
                period=period,
                value=value,
                now=now,
                seed_bots=seed_bots,
            )
        except BoardError:  # out of range: the event write still stands
            continue


def attempt_context(conn: sqlite3.Connection, player_id: str, event_key: str) -> dict[str, Any]:
    """The ``playerContext`` of the player's latest attempt at ``event_key`` ({} if none)."""
    try:
        row = conn.execute(
            "SELECT player_context FROM attempts WHERE player_id = ? AND event_key = ? "
            "ORDER BY started_at DESC LIMIT 1",
            (player_id, event_key),
        ).fetchone()
    except sqlite3.OperationalError:
        return {}
    if row is None or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
