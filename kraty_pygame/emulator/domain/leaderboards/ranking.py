"""Ranked boards in SQL: the ranking order, score updates, participants and lazy bots."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.domain.leaderboards import bots as _bots
from kraty_pygame.emulator.http.bounds import wire_number

__all__ = [
    "BoardScope",
    "RankedEntry",
    "add_bots",
    "diff_updates",
    "evaluate_bots",
    "iso",
    "number",
    "parse_iso",
    "rank_key",
    "ranked",
    "ranked_entries",
    "set_participant_score",
]


# ------------------------------------------------------------------------ ranking


@dataclass(frozen=True)
class RankedEntry:
    """One participant of a board with its ordinal rank."""

    participant_id: str
    kind: str
    name: str | None
    score: float
    rank: int
    reached_at: str
    external_player_id: str | None = None


def rank_key(score: float, reached_at: str, participant_id: str) -> tuple[float, str, str]:
    """Sort key of the ranking: higher score first, earlier reach first, then participant id."""
    return (-score, reached_at, participant_id)


def ranked(
    rows: Iterable[tuple[str, str, str | None, float, str, str | None]],
) -> list[RankedEntry]:
    """Rank ``(participant_id, kind, name, score, reached_at, external_id)`` rows;
    ranks are ordinal (1..N, unique)."""
    ordered = sorted(rows, key=lambda r: rank_key(r[3], r[4], r[0]))
    return [
        RankedEntry(
            participant_id=r[0],
            kind=r[1],
            name=r[2],
            score=r[3],
            rank=i,
            reached_at=r[4],
            external_player_id=r[5],
        )
        for i, r in enumerate(ordered, start=1)
    ]


@dataclass(frozen=True)
class BoardScope:
    """Rows of one ranked board inside a table (event board, or keyed board partition):
    the ranking code here serves both kinds.

    Attributes:
        table: ``eb_entries`` or ``kb_entries``.
        where: the SQL condition selecting the board's rows (``?`` placeholders).
        params: values for ``where``, also the values of ``key_columns`` on insert.
        channel: the broadcast channel of the board (event boards only).
        key_columns: the columns ``params`` fill when a participant is inserted.
    """

    table: str
    where: str
    params: tuple[str, ...]
    channel: str = ""
    key_columns: tuple[str, ...] = field(default=())


def ranked_entries(conn: sqlite3.Connection, scope: BoardScope) -> list[RankedEntry]:
    """Every participant of the board, ranked (the SQL order is the ranking order)."""
    cur = conn.execute(
        f"SELECT participant_id, kind, name, score, reached_at, external_player_id "
        f"FROM {scope.table} WHERE {scope.where} "
        f"ORDER BY score DESC, reached_at ASC, participant_id ASC",
        scope.params,
    )
    return [
        RankedEntry(
            participant_id=row[0],
            kind=row[1],
            name=row[2],
            score=float(row[3]),
            rank=i,
            reached_at=row[4],
            external_player_id=row[5],
        )
        for i, row in enumerate(cur.fetchall(), start=1)
    ]


def diff_updates(
    board_id: str,
    before: Sequence[RankedEntry],
    after: Sequence[RankedEntry],
    *,
    first: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """``score_update`` payloads for every participant whose score or rank changed.

    Participants named in ``first`` (the writer) come first; the rest follow in
    their new rank order.
    """
    old = {e.participant_id: e for e in before}
    changed: list[RankedEntry] = []
    for entry in after:
        prev = old.get(entry.participant_id)
        if prev is None or prev.score != entry.score or prev.rank != entry.rank:
            changed.append(entry)
    leading = list(first)
    order = {pid: i for i, pid in enumerate(leading)}
    changed.sort(key=lambda e: (order.get(e.participant_id, len(order)), e.rank))
    return [
        {
            "leaderboardId": board_id,
            "participantId": e.participant_id,
            "kind": e.kind,
            "name": e.name,
            "score": number(e.score),
            "rank": e.rank,
            "previousRank": old[e.participant_id].rank if e.participant_id in old else None,
        }
        for e in changed
    ]


def number(value: float) -> float | int:
    """Integral scores travel as JSON integers (``15`` rather than ``15.0``)."""
    return wire_number(value)


# ---------------------------------------------------------------------- bots


def evaluate_bots(
    conn: sqlite3.Connection,
    scope: BoardScope,
    *,
    anchor: datetime,
    now: datetime,
    ends_at: datetime | None,
) -> int:
    """Bring every bot of the board to its score at ``now``; returns how many moved."""
    rows = conn.execute(
        f"SELECT participant_id, name, score, bot_base, bot_rate FROM {scope.table} "
        f"WHERE {scope.where} AND kind = 'bot'",
        scope.params,
    ).fetchall()
    moved = 0
    for pid, name, score, base, rate in rows:
        spec = _bots.BotSpec(
            participant_id=pid,
            name=name or "",
            base_score=float(base or 0.0),
            rate_per_minute=float(rate or 0.0),
        )
        state = _bots.evaluate(spec, anchor=anchor, now=now, ends_at=ends_at)
        if state.score != float(score):
            conn.execute(
                f"UPDATE {scope.table} SET score = ?, reached_at = ? "
                f"WHERE {scope.where} AND participant_id = ?",
                (state.score, iso(state.reached_at), *scope.params, pid),
            )
            moved += 1
    return moved


def add_bots(
    conn: sqlite3.Connection,
    scope: BoardScope,
    specs: Sequence[_bots.BotSpec],
    *,
    anchor: datetime,
    now: datetime,
    ends_at: datetime | None,
) -> None:
    """Place bots on a board (idempotent: an existing participant id is kept)."""
    cols = ", ".join(scope.key_columns)
    marks = ", ".join("?" for _ in scope.key_columns)
    for spec in specs:
        state = _bots.evaluate(spec, anchor=anchor, now=now, ends_at=ends_at)
        conn.execute(
            f"INSERT OR IGNORE INTO {scope.table} ({cols}, participant_id, kind, "
            f"external_player_id, name, score, reached_at, joined_at, bot_base, bot_rate) "
            f"VALUES ({marks}, ?, 'bot', NULL, ?, ?, ?, ?, ?, ?)",
            (
                *scope.params,
                spec.participant_id,
                spec.name,
                state.score,
                iso(state.reached_at),
                iso(anchor),
                spec.base_score,
                spec.rate_per_minute,
            ),
        )


# --------------------------------------------------------------- participants


def set_participant_score(
    conn: sqlite3.Connection,
    scope: BoardScope,
    *,
    participant_id: str,
    external_player_id: str | None,
    name: str | None,
    score: float | None,
    now: datetime,
) -> None:
    """Insert the player (score 0 when ``score`` is None) or move it to ``score``.

    ``reached_at`` only changes when the score does, so re-sending the same score
    never costs a player its place in a tie.
    """
    stamp = iso(now)
    row = conn.execute(
        f"SELECT score FROM {scope.table} WHERE {scope.where} AND participant_id = ?",
        (*scope.params, participant_id),
    ).fetchone()
    if row is None:
        cols = ", ".join(scope.key_columns)
        marks = ", ".join("?" for _ in scope.key_columns)
        conn.execute(
            f"INSERT INTO {scope.table} ({cols}, participant_id, kind, external_player_id, "
            f"name, score, reached_at, joined_at) VALUES ({marks}, ?, 'player', ?, ?, ?, ?, ?)",
            (
                *scope.params,
                participant_id,
                external_player_id,
                name,
                float(score or 0.0),
                stamp,
                stamp,
            ),
        )
        return
    conn.execute(
        f"UPDATE {scope.table} SET name = COALESCE(?, name), "
        f"external_player_id = COALESCE(?, external_player_id) "
        f"WHERE {scope.where} AND participant_id = ?",
        (name, external_player_id, *scope.params, participant_id),
    )
    if score is not None and float(row[0]) != float(score):
        conn.execute(
            f"UPDATE {scope.table} SET score = ?, reached_at = ? "
            f"WHERE {scope.where} AND participant_id = ?",
            (float(score), stamp, *scope.params, participant_id),
        )
