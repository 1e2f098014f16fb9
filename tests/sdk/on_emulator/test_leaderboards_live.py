"""Live event boards against the emulator: score_update, cancel(), finalization, subscribe()."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import (
    FileMembershipStore,
    FileSecretStore,
    FinalizationResult,
    Kraty,
    LeaderboardClosed,
    LeaderboardFinalized,
    LeaderboardReady,
    LeaderboardScoreUpdate,
    LeaderboardStreamEvent,
    RequestInfo,
    StreamStateChange,
)
from tests.support.tcp_proxy import WAIT, StreamReader

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def _me(kraty: Kraty, board_id: str) -> str:
    """Our participant id on the board (the platform's internal id, not the external one)."""
    board = kraty.event_leaderboards.read(board_id, include_self=True, limit=200)
    return next(e.participant_id for e in board.entries if e.is_self)


@pytest.mark.operation("event_leaderboards.live", "event_leaderboards.read")
def test_progress_reaches_a_live_subscriber_and_the_next_snapshot_has_the_rank(
    kraty: Kraty,
) -> None:
    start = kraty.events.start("tap_frenzy")
    board_id = start.leaderboard_id
    before = kraty.event_leaderboards.read(board_id, include_self=True)
    assert before.self_entry is not None
    best_other = max((e.score for e in before.entries if not e.is_self), default=0.0)
    me = _me(kraty, board_id)

    reader = StreamReader(kraty.event_leaderboards.live(board_id))
    try:
        ready = reader.next()
        assert ready.kind == "ready" and isinstance(ready.data, LeaderboardReady)
        assert ready.data.leaderboard_id == board_id

        target = best_other + 5  # enough to take first place
        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=target)
        update = reader.until(
            lambda e: isinstance(e.data, LeaderboardScoreUpdate) and e.data.participant_id == me
        )
        assert isinstance(update.data, LeaderboardScoreUpdate)
        assert update.kind == "score_update"
        assert update.data.score == target and update.data.rank == 1
        assert update.data.leaderboard_id == board_id

        after = kraty.event_leaderboards.read(board_id, include_self=True)
        assert after.self_entry is not None
        assert after.self_entry.rank == 1 == update.data.rank
        assert after.self_entry.score == target
        assert after.entries[0].participant_id == me
    finally:
        reader.stop()


def test_cancel_from_another_thread_returns_within_a_second_while_the_server_is_silent(
    kraty: Kraty,
) -> None:
    board_id = kraty.events.start("tap_frenzy").leaderboard_id
    states: list[str] = []
    stream = kraty.event_leaderboards.live(board_id, on_state=lambda c: states.append(c.state))
    reader = StreamReader(stream)
    assert reader.next().kind == "ready"
    # Nothing else is sent now (the next heartbeat is 15 s away): the reader is blocked in
    # a socket read. Give it a moment to get there.
    assert not reader.finished.wait(0.3)

    t0 = time.monotonic()
    stream.cancel()
    returned = time.monotonic() - t0
    assert reader.finished.wait(1.0), "the blocked reader did not end within 1 s of cancel()"
    assert reader.finished_at is not None
    ended = reader.finished_at - t0
    reader.thread.join(WAIT)

    assert returned < 1.0 and ended < 1.0
    assert reader.error is None  # cancelling is not an error
    assert stream.is_cancelled and states == ["connected", "closed"]
    stream.cancel()  # idempotent


def test_finalizing_sends_finalized_and_closed_and_ends_every_stream(
    kraty: Kraty, make_kraty: Callable[..., Kraty], kraty_emulator: EmbeddedEmulator
) -> None:
    start = kraty.events.start("tap_frenzy")
    board_id = start.leaderboard_id
    kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=12)
    results: list[FinalizationResult] = []
    kraty.on_finalized(results.append)

    watchers = [make_kraty() for _ in range(3)]
    readers = [StreamReader(kraty.event_leaderboards.live(board_id))]
    readers += [StreamReader(w.event_leaderboards.live(board_id)) for w in watchers]
    try:
        for reader in readers:
            assert reader.next().kind == "ready"
        kraty_emulator.finalize_event("tap_frenzy")
        for reader in readers:
            final = reader.until_kind("finalized")
            assert isinstance(final.data, LeaderboardFinalized)
            assert final.data.reason == "window_closed"
            assert any(s.score == 12 for s in final.data.standings)
            closed = reader.next()
            assert closed.kind == "closed" and isinstance(closed.data, LeaderboardClosed)
            assert reader.finished.wait(WAIT), "the stream did not end after closed"
            assert reader.error is None
    finally:
        for reader in readers:
            reader.stop()

    # The player's own stream reported the result live; the catch-up helper adds nothing.
    assert len(results) == 1
    assert results[0].ref.leaderboard_id == board_id
    assert results[0].event_key == "tap_frenzy" and results[0].reason == "window_closed"
    assert kraty.check_finalizations() == []
    assert len(results) == 1

    # A stream opened on the finalized board gets ready + closed at once.
    late = list(kraty.event_leaderboards.live(board_id))
    assert [e.kind for e in late] == ["ready", "closed"]


def test_catch_up_reports_a_board_that_ended_while_nobody_watched(
    kraty: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    start = kraty.events.start("tap_frenzy")
    kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=7)
    results: list[FinalizationResult] = []
    kraty.on_finalized(results.append)
    assert kraty.check_finalizations() == []

    kraty_emulator.finalize_event("tap_frenzy")
    found = kraty.check_finalizations()
    assert found == results and len(found) == 1
    assert found[0].ref.leaderboard_id == start.leaderboard_id
    assert found[0].reason == "window_closed"
    assert found[0].self_entry is not None and found[0].self_entry.score == 7
    assert kraty.check_finalizations() == [] and len(results) == 1
    assert kraty.clear_reported() == 1


@pytest.mark.operation("event_leaderboards.subscribe")
def test_subscribe_delivers_stream_and_poll_updates_without_duplicates(
    make_kraty: Callable[..., Kraty], kraty_emulator: EmbeddedEmulator
) -> None:
    cond = threading.Condition()
    reads = [0]

    def on_request(info: RequestInfo) -> None:
        if info.method == "GET" and "/event-leaderboards/" in info.url:
            with cond:
                reads[0] += 1
                cond.notify_all()

    kraty = make_kraty(on_request=on_request)
    start = kraty.events.start("tap_frenzy")
    board_id = start.leaderboard_id
    me = _me(kraty, board_id)
    events: list[LeaderboardStreamEvent] = []
    states: list[StreamStateChange] = []

    def on_event(event: LeaderboardStreamEvent) -> None:
        with cond:
            events.append(event)
            cond.notify_all()

    def mine() -> list[float]:
        return [
            e.data.score
            for e in events
            if isinstance(e.data, LeaderboardScoreUpdate) and e.data.participant_id == me
        ]

    errors: list[BaseException] = []
    subscription = kraty.event_leaderboards.subscribe(
        board_id, on_event, poll_interval=0.1, on_error=errors.append, on_state=states.append
    )
    try:
        with cond:
            assert cond.wait_for(lambda: subscription.is_streaming and 0.0 in mine(), WAIT)
        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=3)
        with cond:
            assert cond.wait_for(lambda: 3.0 in mine(), WAIT)
        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=8)
        with cond:
            assert cond.wait_for(lambda: 8.0 in mine(), WAIT)
        # A few more polls re-read the same scores: they must surface nothing new.
        with cond:
            polls_so_far = reads[0]
            assert cond.wait_for(lambda: reads[0] >= polls_so_far + 3, WAIT)
        assert mine() == [0.0, 3.0, 8.0]
        kraty_emulator.finalize_event("tap_frenzy")
        with cond:
            assert cond.wait_for(lambda: any(e.kind == "closed" for e in events), WAIT)
    finally:
        subscription.close()
    kinds = [e.kind for e in events]
    assert kinds.count("finalized") == 1 and kinds[-1] == "closed"
    assert errors == []
    assert any(s.state == "connected" for s in states)


def test_catch_up_survives_a_restart_with_file_stores(
    make_kraty: Callable[..., Kraty], kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    secrets = tmp_path / "player.json"

    def launch() -> Kraty:
        client = make_kraty(secret_store=FileSecretStore(secrets))
        client.finalization.store = FileMembershipStore.beside(secrets)
        return client

    first = launch()
    start = first.events.start("tap_frenzy")
    first.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=11)
    first.close()  # the game quits; the window closes while it is not running

    kraty_emulator.finalize_event("tap_frenzy")
    second = launch()
    results: list[FinalizationResult] = []
    second.on_finalized(results.append)
    assert second.check_finalizations() == results
    assert len(results) == 1 and results[0].ref.leaderboard_id == start.leaderboard_id
    assert results[0].self_entry is not None and results[0].self_entry.score == 11
    second.close()

    third = launch()
    assert third.active_external_player_id == second.active_external_player_id
    assert third.check_finalizations() == []  # reported once, across restarts
