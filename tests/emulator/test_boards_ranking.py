"""Board ranking, lazy bots and the write hooks, on a bare SQLite database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from kraty_pygame.emulator.domain.leaderboards import boards, bots, ranking
from kraty_pygame.emulator.store import Transaction

T0 = datetime(2026, 6, 16, 9, 0, tzinfo=UTC)


class FakeTx(Transaction):
    """The store's transaction on a bare connection, committed by hand."""

    def commit(self) -> None:
        self._run_callbacks()


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any], str | None]] = []

    def publish(
        self, channel: str, kind: str, data: Mapping[str, Any], *, coalesce_key: str | None = None
    ) -> None:
        self.events.append((channel, kind, dict(data), coalesce_key))


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.row_factory = sqlite3.Row
    sql = resources.files("kraty_pygame.emulator").joinpath("schema/0100_boards.sql")
    db.executescript(sql.read_text(encoding="utf-8"))
    yield db
    db.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_writes_publish_only_through_the_services_they_are_given(
    conn: sqlite3.Connection, recorder: Recorder
) -> None:
    tx = FakeTx(conn)
    kw: dict[str, Any] = dict(
        leaderboard_id="lb_1", player_id="p1", external_player_id="x1", display_name="Ann"
    )
    boards.on_attempt_scored(tx, boards.BoardServices(), event_key="e", score=3, now=T0, **kw)
    tx.commit()
    assert recorder.events == []  # no publisher: the score is stored, nothing is sent
    assert boards.ranked_entries(conn, boards.event_scope("lb_1"))[0].score == 3
    boards.on_attempt_scored(
        tx, boards.BoardServices(publisher=recorder), event_key="e", score=4, now=T0, **kw
    )
    tx.commit()
    assert [d["score"] for _, _, d, _ in recorder.events] == [4]


def test_ranked_orders_by_score_then_reach_time_then_id() -> None:
    rows = [
        ("p_b", "player", "B", 10.0, "2026-06-16T09:00:01.000Z", None),
        ("p_a", "player", "A", 10.0, "2026-06-16T09:00:01.000Z", None),
        ("p_c", "player", "C", 10.0, "2026-06-16T09:00:00.000Z", None),
        ("p_d", "bot", "D", 12.0, "2026-06-16T09:05:00.000Z", None),
        ("p_e", "player", "E", 3.5, "2026-06-16T08:00:00.000Z", None),
    ]
    result = ranking.ranked(rows)
    assert [e.participant_id for e in result] == ["p_d", "p_c", "p_a", "p_b", "p_e"]
    assert [e.rank for e in result] == [1, 2, 3, 4, 5]


def test_sql_order_matches_pure_ranking(conn: sqlite3.Connection) -> None:
    board = boards.ensure_event_board(conn, leaderboard_id="lb_1", event_key="e", now=T0)
    scope = boards.event_scope(board.leaderboard_id)
    scores = [("z", 5.0, 0), ("y", 5.0, 0), ("x", 5.0, -1), ("w", 9.0, 3), ("v", 0.0, 0)]
    for pid, score, offset in scores:
        boards.set_participant_score(
            conn,
            scope,
            participant_id=pid,
            external_player_id=None,
            name=pid,
            score=score,
            now=T0 + timedelta(seconds=offset),
        )
    sql_order = [e.participant_id for e in boards.ranked_entries(conn, scope)]
    assert sql_order == ["w", "x", "y", "z", "v"]


def test_same_score_again_keeps_the_tie_position(conn: sqlite3.Connection) -> None:
    boards.ensure_event_board(conn, leaderboard_id="lb_1", event_key="e", now=T0)
    scope = boards.event_scope("lb_1")
    boards.set_participant_score(
        conn,
        scope,
        participant_id="late",
        external_player_id=None,
        name=None,
        score=7,
        now=T0 + timedelta(seconds=5),
    )
    boards.set_participant_score(
        conn, scope, participant_id="early", external_player_id=None, name=None, score=7, now=T0
    )
    # "late" re-sends 7 later: reached_at stays, so "early" still leads.
    boards.set_participant_score(
        conn,
        scope,
        participant_id="early",
        external_player_id=None,
        name=None,
        score=7,
        now=T0 + timedelta(seconds=9),
    )
    assert [e.participant_id for e in boards.ranked_entries(conn, scope)] == ["early", "late"]


def test_bot_score_is_a_pure_step_function_of_time() -> None:
    spec = bots.BotSpec(participant_id="bot_1", name="Rusty Fox", base_score=10, rate_per_minute=30)
    at_start = bots.evaluate(spec, anchor=T0, now=T0)
    assert at_start.score == 10 and at_start.reached_at == T0
    later = bots.evaluate(spec, anchor=T0, now=T0 + timedelta(seconds=61))
    assert later.score == 10 + 30  # floor(10 + 30 * 61/60) = 40
    # The reach time is when the integer score was first reached, not "now".
    assert later.reached_at == T0 + timedelta(seconds=60)
    again = bots.evaluate(spec, anchor=T0, now=T0 + timedelta(seconds=61.5))
    assert again == later
    frozen = bots.evaluate(
        spec, anchor=T0, now=T0 + timedelta(hours=5), ends_at=T0 + timedelta(minutes=2)
    )
    assert frozen.score == 70


def test_seeded_rate_is_reproducible_and_in_bounds() -> None:
    a = bots.seeded_rate(1234, "lb_1", "bot_x", [20, 60])
    assert a == bots.seeded_rate(1234, "lb_1", "bot_x", [20, 60])
    assert a != bots.seeded_rate(1235, "lb_1", "bot_x", [20, 60])
    assert 20 <= a <= 60
    assert bots.seeded_rate(None, "lb", "b", []) == 0.0
    assert bots.bot_participant_id("lb_1", 0) != bots.bot_participant_id("lb_1", 1)


def test_scored_hook_publishes_after_commit_only_on_change(
    conn: sqlite3.Connection, recorder: Recorder
) -> None:
    tx = FakeTx(conn)
    boards.on_attempt_started(
        tx,
        boards.BoardServices(publisher=recorder),
        leaderboard_id="lb_1",
        player_id="p1",
        external_player_id="x1",
        display_name="Ann",
        event_key="e",
        now=T0,
    )
    assert recorder.events == []  # nothing before the commit
    tx.commit()
    assert [
        (k, d["participantId"], d["score"], d["rank"], d["previousRank"])
        for _, k, d, _ in recorder.events
    ] == [("score_update", "p1", 0, 1, None)]
    recorder.events.clear()

    boards.on_attempt_started(
        tx,
        boards.BoardServices(publisher=recorder),
        leaderboard_id="lb_1",
        player_id="p2",
        external_player_id="x2",
        display_name="Bob",
        event_key="e",
        now=T0,
    )
    boards.on_attempt_scored(
        tx,
        boards.BoardServices(publisher=recorder),
        leaderboard_id="lb_1",
        player_id="p2",
        external_player_id="x2",
        display_name="Bob",
        event_key="e",
        score=5,
        now=T0,
        attempt_id="a2",
    )
    tx.commit()
    updates = [(d["participantId"], d["rank"], d["previousRank"]) for _, _, d, _ in recorder.events]
    # p2 joins at rank 2, then jumps to 1 and pushes p1 down: p1's rank change is published too.
    assert updates == [("p2", 2, None), ("p2", 1, 2), ("p1", 2, 1)]
    assert all(key == d["participantId"] for _, _, d, key in recorder.events)
    recorder.events.clear()

    # Same score again: neither score nor rank changes, nothing is published.
    boards.on_attempt_scored(
        tx,
        boards.BoardServices(publisher=recorder),
        leaderboard_id="lb_1",
        player_id="p2",
        external_player_id="x2",
        display_name="Bob",
        event_key="e",
        score=5,
        now=T0,
        attempt_id="a2",
    )
    tx.commit()
    assert recorder.events == []


def test_board_keeps_the_best_attempt(conn: sqlite3.Connection, recorder: Recorder) -> None:
    tx = FakeTx(conn)
    services = boards.BoardServices(publisher=recorder)
    kw: dict[str, Any] = dict(
        leaderboard_id="lb_1",
        player_id="p1",
        external_player_id="x1",
        display_name="Ann",
        event_key="e",
        now=T0,
    )
    boards.on_attempt_scored(tx, services, score=12, attempt_id="a1", **kw)
    boards.on_attempt_scored(tx, services, score=4, attempt_id="a2", **kw)
    assert boards.ranked_entries(conn, boards.event_scope("lb_1"))[0].score == 12
    # a "set" lowering attempt 1:
    boards.on_attempt_scored(tx, services, score=3, attempt_id="a1", **kw)
    assert boards.ranked_entries(conn, boards.event_scope("lb_1"))[0].score == 4


def test_lazy_bot_evaluation_moves_bots(conn: sqlite3.Connection) -> None:
    spec = bots.BotSpec(participant_id="bot_a", name="Quiet Bear", base_score=0, rate_per_minute=10)
    boards.ensure_event_board(
        conn,
        leaderboard_id="lb_2",
        event_key="e",
        now=T0,
        anchor=T0,
        ends_at=T0 + timedelta(minutes=2),
        bots=[spec],
    )
    scope = boards.event_scope("lb_2")
    assert boards.evaluate_bots(conn, scope, anchor=T0, now=T0, ends_at=None) == 0
    moved = boards.evaluate_bots(
        conn, scope, anchor=T0, now=T0 + timedelta(minutes=1), ends_at=T0 + timedelta(minutes=2)
    )
    assert moved == 1
    assert boards.ranked_entries(conn, scope)[0].score == 10
    boards.evaluate_bots(
        conn, scope, anchor=T0, now=T0 + timedelta(hours=1), ends_at=T0 + timedelta(minutes=2)
    )
    assert boards.ranked_entries(conn, scope)[0].score == 20


def test_iso_round_trip() -> None:
    assert boards.iso(T0) == "2026-06-16T09:00:00.000Z"
    assert boards.parse_iso("2026-06-16T09:00:00Z") == T0
