"""Keyed boards and event-board snapshots against the emulator, ``include_self`` included."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def test_event_board_snapshot_ranks_players_and_bots(kraty: Kraty) -> None:
    start = kraty.events.start("tap_frenzy")
    board = kraty.event_leaderboards.read(start.leaderboard_id, limit=50, include_self=True)
    assert board.leaderboard_id == start.leaderboard_id and not board.finalized
    assert [e.rank for e in board.entries] == list(range(1, len(board.entries) + 1))
    scores = [e.score for e in board.entries]
    assert scores == sorted(scores, reverse=True)
    assert {e.kind for e in board.entries} <= {"player", "bot"}
    assert any(e.kind == "bot" for e in board.entries)
    mine = [e for e in board.entries if e.is_self]
    assert len(mine) == 1 and board.self_entry is not None
    assert board.self_entry.rank == mine[0].rank
    # include_self resolved the active player (registered lazily by start()).
    assert kraty.active_external_player_id is not None


def test_include_self_registers_a_fresh_player_first(
    kraty: Kraty, make_kraty: Callable[..., Kraty]
) -> None:
    board_id = make_kraty().events.start("tap_frenzy").leaderboard_id
    before = kraty.active_external_player_id
    board = kraty.event_leaderboards.read(board_id, include_self=True)
    after = kraty.active_external_player_id
    assert before is None and after is not None and after.startswith("kp_")
    assert board.self_entry is None or board.self_entry.score == 0  # not on the board yet


def test_limit_and_unknown_board(kraty: Kraty, make_kraty: Callable[..., Kraty]) -> None:
    board_id = kraty.events.start("tap_frenzy").leaderboard_id
    for _ in range(2):
        make_kraty().events.start("tap_frenzy")
    assert len(kraty.event_leaderboards.read(board_id, limit=1).entries) == 1
    with pytest.raises(KratyApiError) as info:
        kraty.event_leaderboards.read("lb_000000000000")
    assert info.value.status == 404 and info.value.is_code("not_found")
    with pytest.raises(KratyApiError) as streaming:
        kraty.event_leaderboards.live("lb_000000000000")
    assert streaming.value.status == 404


def test_event_board_join_is_idempotent_and_tracked(
    kraty: Kraty, make_kraty: Callable[..., Kraty], kraty_emulator: EmbeddedEmulator
) -> None:
    board_id = make_kraty().events.start("tap_frenzy").leaderboard_id
    first = kraty.event_leaderboards.join(board_id)
    again = kraty.event_leaderboards.join(board_id, limit=5)
    assert first.joined and again.joined
    assert again.self_entry is not None and again.self_entry.score == 0
    assert [m.leaderboard_id for m in kraty.finalization.memberships()] == [board_id]
    kraty_emulator.finalize_event("tap_frenzy")
    (result,) = kraty.check_finalizations()
    assert result.ref.leaderboard_id == board_id
    with pytest.raises(KratyApiError) as info:
        kraty.event_leaderboards.join(board_id)
    assert info.value.status == 409


def test_keyed_board_read_periods_score_join_standings(kraty: Kraty) -> None:
    board = kraty.leaderboards.read("weekly_global", limit=10, include_self=True)
    assert board.key == "weekly_global" and board.leaderboard_id
    assert (board.scope, board.reset_cadence, board.score_aggregation) == ("game", "weekly", "best")
    assert board.period and board.period_dt is not None

    joined = kraty.leaderboards.join("weekly_global")
    assert joined.joined and joined.self_entry is not None and joined.self_entry.score == 0

    result = kraty.leaderboards.submit_score("weekly_global", 1234)
    assert result.score == 1234 and result.rank == 1
    lower = kraty.leaderboards.submit_score("weekly_global", 10)  # "best": keeps 1234
    assert lower.score == 1234 and lower.rank is None  # not ranked anew: it didn't beat 1234
    again = kraty.leaderboards.read("weekly_global", include_self=True)
    assert again.self_entry is not None and again.self_entry.score == 1234
    assert again.entries[0].is_self

    periods = kraty.leaderboards.list_periods("weekly_global", limit=5)
    assert periods.key == "weekly_global" and periods.current_period_started_at == board.period

    standings = kraty.leaderboards.standings("weekly_global", scope="mine", limit=3)
    assert standings.key == "weekly_global" and standings.segments
    assert any(e.is_self for s in standings.segments for e in s.entries)


def test_event_progress_contributes_to_the_keyed_board(kraty: Kraty) -> None:
    start = kraty.events.start("tap_frenzy")
    kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=21)
    board = kraty.leaderboards.read("weekly_global", include_self=True, limit=200)
    assert board.self_entry is not None and board.self_entry.score == 21


def test_unknown_keyed_board_is_not_found(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.leaderboards.read("no_such_board")
    assert info.value.status == 404
