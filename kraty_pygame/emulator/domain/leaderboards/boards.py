"""Event leaderboards: stored rows, the services boards need, and the write hooks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kraty_pygame.emulator.domain.leaderboards import bots as _bots
from kraty_pygame.emulator.domain.leaderboards.ranking import (
    BoardScope,
    RankedEntry,
    add_bots,
    diff_updates,
    evaluate_bots,
    iso,
    number,
    parse_iso,
    ranked_entries,
    set_participant_score,
)
from kraty_pygame.emulator.store import Transaction

__all__ = [
    "BoardScope",
    "BoardServices",
    "EventBoard",
    "Publisher",
    "RankedEntry",
    "Transaction",
    "diff_updates",
    "ensure_event_board",
    "evaluate_bots",
    "event_scope",
    "get_event_board",
    "iso",
    "number",
    "on_attempt_scored",
    "on_attempt_started",
    "parse_iso",
    "ranked_entries",
    "set_participant_score",
]


class Publisher(Protocol):
    """Where score updates go once their transaction has committed."""

    def publish(
        self, channel: str, kind: str, data: Mapping[str, Any], *, coalesce_key: str | None = None
    ) -> object: ...


def event_scope(leaderboard_id: str) -> BoardScope:
    """The ranked rows of one event board."""
    return BoardScope(
        table="eb_entries",
        where="leaderboard_id = ?",
        params=(leaderboard_id,),
        channel=leaderboard_id,
        key_columns=("leaderboard_id",),
    )


def _as_datetime(value: datetime | str) -> datetime:
    return parse_iso(value) if isinstance(value, str) else value


# ----------------------------------------------------------------- event boards


@dataclass(frozen=True)
class EventBoard:
    """The stored identity and lifecycle of an event board."""

    leaderboard_id: str
    event_key: str
    window_id: str
    lobby_id: str | None
    mode: str
    anchor_at: str
    ends_at: str | None
    finalized: bool
    finalized_reason: str | None
    finalized_at: str | None
    standings_json: str | None

    @property
    def anchor(self) -> datetime:
        return parse_iso(self.anchor_at)

    @property
    def end(self) -> datetime | None:
        return parse_iso(self.ends_at) if self.ends_at else None


_BOARD_COLUMNS = (
    "leaderboard_id, event_key, window_id, lobby_id, mode, anchor_at, ends_at, "
    "finalized, finalized_reason, finalized_at, standings_json"
)


def get_event_board(conn: sqlite3.Connection, leaderboard_id: str) -> EventBoard | None:
    """The board row, or None when no such board exists (yet)."""
    row = conn.execute(
        f"SELECT {_BOARD_COLUMNS} FROM eb_boards WHERE leaderboard_id = ?", (leaderboard_id,)
    ).fetchone()
    if row is None:
        return None
    return EventBoard(
        leaderboard_id=row[0],
        event_key=row[1],
        window_id=row[2],
        lobby_id=row[3],
        mode=row[4],
        anchor_at=row[5],
        ends_at=row[6],
        finalized=bool(row[7]),
        finalized_reason=row[8],
        finalized_at=row[9],
        standings_json=row[10],
    )


def ensure_event_board(
    conn: sqlite3.Connection,
    *,
    leaderboard_id: str,
    event_key: str,
    now: datetime,
    window_id: str = "",
    lobby_id: str | None = None,
    mode: str = "global",
    anchor: datetime | None = None,
    ends_at: datetime | None = None,
    bots: Sequence[_bots.BotSpec] = (),
) -> EventBoard:
    """Create the board row (and place its bots) on first use; return the stored row."""
    board = get_event_board(conn, leaderboard_id)
    if board is not None:
        return board
    start = anchor or now
    conn.execute(
        "INSERT INTO eb_boards (leaderboard_id, event_key, window_id, lobby_id, mode, "
        "anchor_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            leaderboard_id,
            event_key,
            window_id,
            lobby_id,
            mode,
            iso(start),
            iso(ends_at) if ends_at else None,
            iso(now),
        ),
    )
    if bots:
        add_bots(conn, event_scope(leaderboard_id), bots, anchor=start, now=now, ends_at=ends_at)
    created = get_event_board(conn, leaderboard_id)
    assert created is not None
    return created


BoardFactory = Callable[[sqlite3.Connection, str, str, datetime], "EventBoard | None"]
Contribution = Callable[..., None]


class GrantCreator(Protocol):
    """Creates one pending grant inside the caller's transaction (the emulator's grants)."""

    def __call__(
        self,
        tx: Transaction,
        *,
        player_id: str,
        kind: str,
        entries: Sequence[Mapping[str, Any]],
        source_kind: str,
        source_ref_id: str | None,
        now: datetime,
    ) -> Any: ...


@dataclass(frozen=True)
class BoardServices:
    """What the board writes call out to; the app builds one from its runtime.

    Attributes:
        publisher: the app's broadcaster; ``None`` publishes nothing.
        board_factory: builds a board row (window/lobby details, bots) the first time
            a write touches an unknown board id.
        contribution: feeds keyed boards from event scores.
        config: the current game config (reward policies and bundles at finalization).
        create_grant: the emulator's grant-creation function (rewards at finalization).
        event_id: maps an event key to its wire ``eventId``.
    """

    publisher: Publisher | None = None
    board_factory: BoardFactory | None = None
    contribution: Contribution | None = None
    config: Any = None
    create_grant: GrantCreator | None = None
    event_id: Callable[[str], str] | None = None


def board_for_write(
    tx: Transaction, services: BoardServices, leaderboard_id: str, event_key: str, now: datetime
) -> EventBoard:
    board = get_event_board(tx.conn, leaderboard_id)
    if board is not None:
        return board
    factory = services.board_factory
    if factory is not None:
        made = factory(tx.conn, leaderboard_id, event_key, now)
        if made is not None:
            return made
    return ensure_event_board(tx.conn, leaderboard_id=leaderboard_id, event_key=event_key, now=now)


def publish_after_commit(
    tx: Transaction,
    publisher: Publisher | None,
    channel: str,
    updates: Sequence[Mapping[str, Any]],
) -> None:
    """Publish ``score_update`` payloads on ``channel`` once ``tx`` has committed."""
    if not updates or publisher is None:
        return
    frozen = [dict(u) for u in updates]

    def _send() -> None:
        for payload in frozen:
            publisher.publish(
                channel, "score_update", payload, coalesce_key=str(payload["participantId"])
            )

    tx.after_commit(_send)


def _write_score(
    tx: Transaction,
    board: EventBoard,
    *,
    player_id: str,
    external_player_id: str | None,
    display_name: str | None,
    score: float | None,
    now: datetime,
) -> list[dict[str, Any]]:
    scope = event_scope(board.leaderboard_id)
    evaluate_bots(tx.conn, scope, anchor=board.anchor, now=now, ends_at=board.end)
    before = ranked_entries(tx.conn, scope)
    set_participant_score(
        tx.conn,
        scope,
        participant_id=player_id,
        external_player_id=external_player_id,
        name=display_name,
        score=score,
        now=now,
    )
    after = ranked_entries(tx.conn, scope)
    return diff_updates(board.leaderboard_id, before, after, first=(player_id,))


def on_attempt_started(
    tx: Transaction,
    services: BoardServices,
    *,
    leaderboard_id: str,
    player_id: str,
    external_player_id: str,
    display_name: str | None,
    event_key: str,
    now: datetime | str,
) -> None:
    """Put the player on the board at score 0 (an existing score is never reset)."""
    moment = _as_datetime(now)
    board = board_for_write(tx, services, leaderboard_id, event_key, moment)
    if board.finalized:
        return
    updates = _write_score(
        tx,
        board,
        player_id=player_id,
        external_player_id=external_player_id,
        display_name=display_name,
        score=None,
        now=moment,
    )
    publish_after_commit(tx, services.publisher, leaderboard_id, updates)


def on_attempt_scored(
    tx: Transaction,
    services: BoardServices,
    *,
    leaderboard_id: str,
    player_id: str,
    external_player_id: str,
    display_name: str | None,
    event_key: str,
    score: float,
    now: datetime | str,
    attempt_id: str | None = None,
) -> None:
    """Record an attempt's new score; the board keeps the player's best attempt in the
    window (or session). Gameplay calls this and :func:`on_attempt_started` inside its
    write transaction; the board is written in the same transaction.

    Publishes ``score_update`` after commit for every participant whose score or
    rank changed (nothing when neither did), and feeds keyed boards that list this
    event in ``contributes_from``.
    """
    moment = _as_datetime(now)
    board = board_for_write(tx, services, leaderboard_id, event_key, moment)
    if board.finalized:
        return
    ref = attempt_id or f"player:{player_id}"
    old_best_row = tx.conn.execute(
        "SELECT MAX(score) FROM eb_attempt_scores WHERE leaderboard_id = ? AND participant_id = ?",
        (leaderboard_id, player_id),
    ).fetchone()
    old_best = float(old_best_row[0]) if old_best_row and old_best_row[0] is not None else 0.0
    tx.conn.execute(
        "INSERT INTO eb_attempt_scores (leaderboard_id, attempt_ref, participant_id, score) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (leaderboard_id, attempt_ref) "
        "DO UPDATE SET score = excluded.score",
        (leaderboard_id, ref, player_id, float(score)),
    )
    best_row = tx.conn.execute(
        "SELECT MAX(score) FROM eb_attempt_scores WHERE leaderboard_id = ? AND participant_id = ?",
        (leaderboard_id, player_id),
    ).fetchone()
    best = float(best_row[0])
    updates = _write_score(
        tx,
        board,
        player_id=player_id,
        external_player_id=external_player_id,
        display_name=display_name,
        score=best,
        now=moment,
    )
    publish_after_commit(tx, services.publisher, leaderboard_id, updates)
    contribution = services.contribution
    if contribution is not None:
        contribution(
            tx,
            event_key=event_key,
            player_id=player_id,
            external_player_id=external_player_id,
            display_name=display_name,
            attempt_score=float(score),
            board_best=best,
            previous_best=old_best,
            now=moment,
        )
