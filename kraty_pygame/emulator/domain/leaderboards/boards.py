"""Event leaderboards: stored rows, the per-app runtime seam and the write hooks.

The emulator engineer's event routes call :func:`on_attempt_started` and
:func:`on_attempt_scored` inside their write transaction; both write the board in
the same transaction and publish ``score_update`` events on the board's live
stream only after the transaction commits (``tx.after_commit``).

A participant's board score is its best attempt in the window (or session);
ranking rules live in :mod:`kraty_pygame.emulator.domain.leaderboards.ranking`.
"""

from __future__ import annotations

import sqlite3
import weakref
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

__all__ = [
    "BoardScope",
    "BoardsRuntime",
    "EventBoard",
    "Publisher",
    "RankedEntry",
    "Transaction",
    "bind_runtime",
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
    "runtime_for",
    "set_participant_score",
    "unbind_runtime",
]


class Transaction(Protocol):
    """What the store's write transaction offers (CONTRACTS "Emulator internal seam")."""

    @property
    def conn(self) -> sqlite3.Connection: ...

    def after_commit(self, callback: Callable[[], None]) -> None: ...


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


@dataclass
class BoardsRuntime:
    """Per-app collaborators of the write hooks (the app binds one per store connection).

    Attributes:
        publisher: the app's broadcaster; ``None`` publishes nothing.
        board_factory: builds a board row (window/lobby details, bots) the first time
            a write touches an unknown board id.
        contribution: feeds keyed boards from event scores (§8 Q30).
        config_source: returns the current game config (reward policies and bundles
            at finalization); a callable because a reset may reload the config.
        create_grant: the emulator's grant-creation function (rewards at finalization).
        event_id: maps an event key to its wire ``eventId``.
        conn: the store connection it is bound to (set by :func:`bind_runtime`).
    """

    publisher: Publisher | None = None
    board_factory: BoardFactory | None = None
    contribution: Contribution | None = None
    config_source: Callable[[], Any] | None = None
    create_grant: GrantCreator | None = None
    event_id: Callable[[str], str] | None = None
    conn: sqlite3.Connection | None = None

    @property
    def config(self) -> Any:
        """The current game config, or None."""
        return self.config_source() if self.config_source is not None else None


# The hooks only receive the transaction, so each app registers its runtime under
# the store's connection (the store owns exactly one). The registry holds the
# runtime weakly: the app keeps it alive (``rt.extensions``), and a runtime holds
# its connection, so a connection id cannot be reused while its entry is alive.
_RUNTIMES: dict[int, weakref.ref[BoardsRuntime]] = {}
_NO_RUNTIME = BoardsRuntime()


def bind_runtime(conn: sqlite3.Connection, runtime: BoardsRuntime) -> None:
    """Attach ``runtime`` to every transaction on ``conn`` (for as long as it lives)."""
    runtime.conn = conn
    key = id(conn)
    _RUNTIMES[key] = weakref.ref(runtime)
    weakref.finalize(runtime, _forget, key, _RUNTIMES[key])


def _forget(key: int, ref: weakref.ref[BoardsRuntime]) -> None:
    if _RUNTIMES.get(key) is ref:
        del _RUNTIMES[key]


def unbind_runtime(conn: sqlite3.Connection) -> None:
    """Forget the runtime of ``conn``."""
    _RUNTIMES.pop(id(conn), None)


def runtime_for(conn: sqlite3.Connection) -> BoardsRuntime:
    """The runtime bound to ``conn`` (an inert one when none is bound)."""
    ref = _RUNTIMES.get(id(conn))
    runtime = ref() if ref is not None else None
    if runtime is None or runtime.conn is not conn:
        return _NO_RUNTIME
    return runtime


def board_for_write(
    tx: Transaction, leaderboard_id: str, event_key: str, now: datetime
) -> EventBoard:
    board = get_event_board(tx.conn, leaderboard_id)
    if board is not None:
        return board
    factory = runtime_for(tx.conn).board_factory
    if factory is not None:
        made = factory(tx.conn, leaderboard_id, event_key, now)
        if made is not None:
            return made
    return ensure_event_board(tx.conn, leaderboard_id=leaderboard_id, event_key=event_key, now=now)


def publish_after_commit(
    tx: Transaction, channel: str, updates: Sequence[Mapping[str, Any]]
) -> None:
    """Publish ``score_update`` payloads on ``channel`` once ``tx`` has committed."""
    if not updates:
        return
    publisher = runtime_for(tx.conn).publisher
    if publisher is None:
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
    board = board_for_write(tx, leaderboard_id, event_key, moment)
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
    publish_after_commit(tx, leaderboard_id, updates)


def on_attempt_scored(
    tx: Transaction,
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
    """Record an attempt's new score; the board keeps the player's best attempt.

    Publishes ``score_update`` after commit for every participant whose score or
    rank changed (nothing when neither did, §8 Q32), and feeds keyed boards that
    list this event in ``contributes_from`` (§8 Q30).
    """
    moment = _as_datetime(now)
    board = board_for_write(tx, leaderboard_id, event_key, moment)
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
    publish_after_commit(tx, leaderboard_id, updates)
    contribution = runtime_for(tx.conn).contribution
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
