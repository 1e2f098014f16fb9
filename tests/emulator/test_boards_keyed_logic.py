"""Keyed boards without HTTP: periods, aggregation, segments, submit rules, progression."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from kraty_pygame.emulator.config.models import LeaderboardConfig, SeedBot
from kraty_pygame.emulator.domain.leaderboards import keyed_boards as kb

MONDAY = datetime(2026, 6, 15, tzinfo=UTC)
T0 = datetime(2026, 6, 17, 12, 30, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.row_factory = sqlite3.Row
    folder = resources.files("kraty_pygame.emulator").joinpath("schema")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            db.executescript(entry.read_text(encoding="utf-8"))
    yield db
    db.close()


def _player(conn: sqlite3.Connection, n: int, *, trophies: int | None = None) -> kb.PlayerRef:
    pid, ext = f"pid-{n}", f"ext-{n}"
    stamp = "2026-06-01T00:00:00.000Z"
    conn.execute(
        "INSERT INTO players (id, external_id, display_name, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (pid, ext, f"Player {n}", stamp, stamp),
    )
    if trophies is not None:
        set_trophies(conn, pid, trophies)
    return kb.PlayerRef(player_id=pid, external_id=ext, name=f"Player {n}")


def set_trophies(conn: sqlite3.Connection, pid: str, balance: int) -> None:
    stamp = "2026-06-01T00:00:00.000Z"
    conn.execute(
        "INSERT INTO wallet (player_id, economy_key, balance, created_at, updated_at) "
        "VALUES (?, 'trophies', ?, ?, ?) ON CONFLICT (player_id, economy_key) "
        "DO UPDATE SET balance = excluded.balance",
        (pid, balance, stamp, stamp),
    )


def _board(**kw: object) -> LeaderboardConfig:
    base: dict[str, object] = {"key": "weekly_global", "reset_cadence": "weekly"}
    base.update(kw)
    return LeaderboardConfig(**base)  # type: ignore[arg-type]


def test_periods_follow_the_cadence() -> None:
    assert kb.period_bounds("weekly", T0) == (MONDAY, MONDAY + timedelta(days=7))
    assert kb.period_bounds("monthly", T0) == (
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
    )
    assert kb.period_bounds("never", T0) == (kb.NEVER_PERIOD, None)
    assert kb.period_bounds("monthly", datetime(2026, 12, 31, 23, tzinfo=UTC))[1] == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert kb.resolve_period("weekly", None, T0) == ("2026-06-15T00:00:00.000Z", True)
    assert kb.resolve_period("weekly", "current", T0)[1] is True
    # Any instant inside a period names that period; the fixture's form (no ms) is accepted.
    assert kb.resolve_period("weekly", "2026-06-08T00:00:00Z", T0) == (
        "2026-06-08T00:00:00.000Z",
        False,
    )
    with pytest.raises(kb.BoardError) as err:
        kb.resolve_period("weekly", "last tuesday", T0)
    assert err.value.code == "validation_failed"


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [("best", [5, 9, 3], 9), ("latest", [5, 9, 3], 3), ("sum", [5, 9, 3], 17)],
)
def test_aggregation(kind: str, values: list[float], expected: float) -> None:
    score: float | None = None
    for value in values:
        score = kb.aggregate(kind, score, value)
    assert score == expected


def test_submit_ranks_with_bots_and_reports_no_rank_when_best_not_beaten(
    conn: sqlite3.Connection,
) -> None:
    board = _board()
    bots = (SeedBot(name="Rusty Fox", boards=("weekly_global",), score=120),)
    a, b = _player(conn, 1), _player(conn, 2)
    first = kb.submit_score(conn, board, a, value=100, segment=None, now=T0, seed_bots=bots)
    assert first.payload() == {
        "leaderboardId": kb.board_id("weekly_global"),
        "score": 100,
        "rank": 2,
    }
    top = kb.submit_score(conn, board, b, value=150.5, segment=None, now=T0, seed_bots=bots)
    assert (top.score, top.rank) == (150.5, 1)
    worse = kb.submit_score(conn, board, a, value=50, segment=None, now=T0, seed_bots=bots)
    assert (worse.score, worse.rank) == (100, None)
    # Next week is a fresh period: only the bot is there until someone plays.
    later = T0 + timedelta(days=7)
    fresh = kb.submit_score(conn, board, a, value=1, segment=None, now=later, seed_bots=bots)
    assert (fresh.score, fresh.rank) == (1, 2)
    periods = kb.past_periods(conn, board, later, limit=10)
    assert periods == [
        {"periodStartedAt": "2026-06-15T00:00:00.000Z", "periodEndedAt": "2026-06-22T00:00:00.000Z"}
    ]


def test_submit_errors(conn: sqlite3.Connection) -> None:
    p = _player(conn, 1)
    with pytest.raises(kb.BoardError) as err:
        kb.submit_score(
            conn, _board(client_scoring=False), p, value=1, segment=None, now=T0, seed_bots=()
        )
    assert err.value.code == "client_scoring_disabled"
    server = kb.submit_score(
        conn,
        _board(client_scoring=False),
        p,
        value=1,
        segment=None,
        now=T0,
        seed_bots=(),
        server=True,
    )
    assert server.rank == 1
    progression = _board(
        segmentation={
            "kind": "progression",
            "economy": "trophies",
            "divisions": ["bronze", "silver"],
        }
    )
    with pytest.raises(kb.BoardError) as err:
        kb.submit_score(conn, progression, p, value=1, segment=None, now=T0, seed_bots=())
    assert err.value.code == "score_not_supported"
    regional = _board(
        key="regional", segmentation={"kind": "context", "field": "region", "buckets": ["eu", "na"]}
    )
    with pytest.raises(kb.BoardError) as err:
        kb.submit_score(conn, regional, p, value=1, segment="mars", now=T0, seed_bots=())
    assert err.value.code == "validation_failed"
    assert "eu, na" in err.value.message
    with pytest.raises(kb.BoardError) as err:
        kb.submit_score(conn, regional, p, value=1, segment=None, now=T0, seed_bots=())
    assert "required" in err.value.message


def test_context_segments_are_remembered(conn: sqlite3.Connection) -> None:
    regional = _board(
        key="regional", segmentation={"kind": "context", "field": "region", "buckets": ["eu", "na"]}
    )
    p = _player(conn, 1)
    kb.submit_score(conn, regional, p, value=4, segment="na", now=T0, seed_bots=())
    again = kb.submit_score(conn, regional, p, value=6, segment=None, now=T0, seed_bots=())
    assert again.score == 6
    assert kb.member_segment(conn, "regional", p.player_id) == "na"


def test_join_is_idempotent_and_never_resets(conn: sqlite3.Connection) -> None:
    board = _board(score_aggregation="sum")
    p = _player(conn, 1)
    assert kb.join(conn, board, p, segment=None, now=T0, seed_bots=()) == (
        "2026-06-15T00:00:00.000Z",
        "",
    )
    kb.submit_score(conn, board, p, value=7, segment=None, now=T0, seed_bots=())
    kb.join(conn, board, p, segment=None, now=T0, seed_bots=())
    rows = conn.execute(
        "SELECT score FROM kb_entries WHERE participant_id = ?", (p.player_id,)
    ).fetchall()
    assert [r[0] for r in rows] == [7]


def test_contributions_follow_the_board_aggregation(conn: sqlite3.Connection) -> None:
    boards_cfg = (
        _board(key="best_board", contributes_from=("bounty_hunt",)),
        _board(key="sum_board", score_aggregation="sum", contributes_from=("bounty_hunt",)),
        _board(key="latest_board", score_aggregation="latest", contributes_from=("bounty_hunt",)),
        _board(key="other", contributes_from=("tap_frenzy",)),
    )
    p = _player(conn, 1)
    steps = [(5, 5, 0), (9, 9, 5), (2, 9, 9)]  # attempt score, board best, previous best
    for attempt, best, prev in steps:
        kb.contribute(
            conn,
            boards_cfg,
            p,
            event_key="bounty_hunt",
            attempt_score=attempt,
            board_best=best,
            previous_best=prev,
            now=T0,
            seed_bots=(),
        )
    scores = dict(conn.execute("SELECT board_key, score FROM kb_entries").fetchall())
    assert scores == {"best_board": 9, "sum_board": 9, "latest_board": 2}


def test_progression_board_ranks_by_balance_and_moves_divisions(conn: sqlite3.Connection) -> None:
    board = _board(
        key="league",
        segmentation={
            "kind": "progression",
            "economy": "trophies",
            "divisions": ["bronze", "silver", "gold"],
            "promotion": {"places": 1, "item_key": "trophies"},
            "relegation": {"places": 1, "item_key": "trophies"},
        },
    )
    players = [_player(conn, n, trophies=10 * n) for n in range(1, 4)]
    period, _ = kb.resolve_period("weekly", None, T0)
    kb.sync_progression(conn, board, period, T0)
    bronze = [
        r[0]
        for r in conn.execute(
            "SELECT participant_id FROM kb_entries WHERE segment = 'bronze' ORDER BY score DESC"
        )
    ]
    assert bronze == [p.player_id for p in reversed(players)]
    assert kb.progression_limits(board) == {
        "promotion": {"places": 1, "itemKey": "trophies"},
        "relegation": {"places": 1, "itemKey": "trophies"},
    }
    # The next week the bronze winner is promoted; nobody can be relegated below bronze.
    next_period, _ = kb.resolve_period("weekly", None, T0 + timedelta(days=7))
    kb.sync_progression(conn, board, next_period, T0 + timedelta(days=7))
    assert kb.member_segment(conn, "league", players[2].player_id) == "silver"
    assert kb.member_segment(conn, "league", players[0].player_id) == "bronze"
