"""Event leaderboards: ranking, participants, lazy bots and the write hooks.

The emulator engineer's event routes call :func:`on_attempt_started` and
:func:`on_attempt_scored` inside their write transaction; both write the board in
the same transaction and publish ``score_update`` events on the board's live
stream only after the transaction commits (``tx.after_commit``).

Ranking (PROTOCOL §8 Q8): score descending, then the time the score was reached
ascending, then participant id; ranks are ordinal (1..N, unique). A participant's
board score is its best attempt in the window (or session).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from kraty_pygame.emulator import bots as _bots

__all__ = [
    "BoardScope",
    "Publisher",
    "RankedEntry",
    "Transaction",
    "diff_updates",
    "ensure_event_board",
    "evaluate_bots",
    "event_scope",
    "iso",
    "on_attempt_scored",
    "on_attempt_started",
    "parse_iso",
    "rank_key",
    "ranked",
    "ranked_entries",
    "set_participant_score",
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
    ) -> None: ...


# --------------------------------------------------------------------------- time


def iso(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC), the emulator's timestamp format."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset); naive values are UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _as_datetime(value: datetime | str) -> datetime:
    return parse_iso(value) if isinstance(value, str) else value


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
    """Sort key of Q8: higher score first, earlier reach first, then participant id."""
    return (-score, reached_at, participant_id)


def ranked(
    rows: Iterable[tuple[str, str, str | None, float, str, str | None]],
) -> list[RankedEntry]:
    """Rank ``(participant_id, kind, name, score, reached_at, external_id)`` rows (Q8)."""
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
    """Rows of one ranked board inside a table (event board, or keyed board partition)."""

    table: str
    where: str
    params: tuple[str, ...]
    channel: str = ""
    key_columns: tuple[str, ...] = field(default=())

    def insert_columns(self) -> tuple[str, ...]:
        return self.key_columns


def event_scope(leaderboard_id: str) -> BoardScope:
    """The ranked rows of one event board."""
    return BoardScope(
        table="eb_entries",
        where="leaderboard_id = ?",
        params=(leaderboard_id,),
        channel=leaderboard_id,
        key_columns=("leaderboard_id",),
    )


def ranked_entries(conn: sqlite3.Connection, scope: BoardScope) -> list[RankedEntry]:
    """Every participant of the board, ranked (the SQL order is the Q8 order)."""
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
    """``score_update`` payloads for every participant whose score or rank changed (Q32).

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
    return int(value) if float(value).is_integer() else value


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
        config: the game config (reward policies and bundles at finalization).
        create_grant: the emulator's grant-creation function (rewards at finalization).
        event_id: maps an event key to its wire ``eventId``.
    """

    publisher: Publisher | None = None
    board_factory: BoardFactory | None = None
    contribution: Contribution | None = None
    config: Any = None
    create_grant: GrantCreator | None = None
    event_id: Callable[[str], str] | None = None


# The hooks only receive the transaction, so the app registers its runtime under
# the store's connection (the store owns exactly one). The connection is kept in
# the value so its id cannot be reused while bound; ``unbind_runtime`` releases it.
_RUNTIMES: dict[int, tuple[sqlite3.Connection, BoardsRuntime]] = {}
_NO_RUNTIME = BoardsRuntime()


def bind_runtime(conn: sqlite3.Connection, runtime: BoardsRuntime) -> None:
    """Attach ``runtime`` to every transaction on ``conn``."""
    _RUNTIMES[id(conn)] = (conn, runtime)


def unbind_runtime(conn: sqlite3.Connection) -> None:
    """Forget the runtime of ``conn`` (app shutdown)."""
    _RUNTIMES.pop(id(conn), None)


def runtime_for(conn: sqlite3.Connection) -> BoardsRuntime:
    """The runtime bound to ``conn`` (an inert one when none is bound)."""
    entry = _RUNTIMES.get(id(conn))
    if entry is None or entry[0] is not conn:
        return _NO_RUNTIME
    return entry[1]


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
