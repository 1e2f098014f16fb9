"""A stream whose connection is cut: the error without reconnection, a full resync with it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
import urllib3.exceptions

from kraty_pygame.sdk import (
    Kraty,
    KratyNetworkError,
    KratyStreamError,
    LeaderboardScoreUpdate,
    LeaderboardStreamEvent,
    ReconnectPolicy,
    StreamStateChange,
)
from tests.support.tcp_proxy import WAIT, BoardState, StreamReader, TcpProxy, board_scores

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


@pytest.fixture
def proxy(kraty_emulator: EmbeddedEmulator) -> Iterator[TcpProxy]:
    with TcpProxy(kraty_emulator.base_url) as tcp:
        yield tcp


def test_cut_without_reconnection_raises_to_the_caller(
    kraty: Kraty, make_kraty: Callable[..., Kraty], proxy: TcpProxy
) -> None:
    board_id = kraty.events.start("tap_frenzy").leaderboard_id
    watcher = make_kraty(base_url=proxy.base_url)
    states: list[StreamStateChange] = []
    reader = StreamReader(watcher.event_leaderboards.live(board_id, on_state=states.append))
    try:
        assert reader.next().kind == "ready"
        assert proxy.cut_streams() == 1
        assert reader.finished.wait(WAIT), "a cut stream kept iterating"
        assert isinstance(reader.error, KratyStreamError)
        assert reader.error.__cause__ is not None  # the transport error behind it
        assert [s.state.value for s in states] == ["connected", "closed"]
        # the state reports the SDK's error; the transport's is its original cause
        assert isinstance(states[-1].error, KratyNetworkError)
        assert states[-1].error.original_cause is reader.error.__cause__
    finally:
        reader.stop()


def test_cut_with_reconnection_resumes_and_ends_on_the_fresh_snapshot(
    kraty: Kraty, make_kraty: Callable[..., Kraty], proxy: TcpProxy
) -> None:
    start = kraty.events.start("tap_frenzy")
    board_id = start.leaderboard_id
    me = next(
        e.participant_id
        for e in kraty.event_leaderboards.read(board_id, include_self=True).entries
        if e.is_self
    )
    rival = make_kraty()
    rival_start = rival.events.start("tap_frenzy")

    # Scores written while the stream is down: from inside the reconnect backoff.
    pushed_while_down = threading.Event()
    cancelled = threading.Event()

    def backoff_sleep(seconds: float) -> None:
        if not pushed_while_down.is_set():
            kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=20)
            rival.events.progress("tap_frenzy", rival_start.attempt.id, mode="set", metric_value=17)
            pushed_while_down.set()
        cancelled.wait(seconds)

    policy = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, max_attempts=5, sleep=backoff_sleep)
    watcher = make_kraty(base_url=proxy.base_url)
    state = BoardState(watcher.event_leaderboards.read(board_id, limit=200))
    changes: list[StreamStateChange] = []
    stream = watcher.event_leaderboards.live(board_id, reconnect=policy, on_state=changes.append)
    reader = StreamReader(stream)
    try:
        state.apply(reader.next())  # ready
        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=4)
        state.apply(
            reader.until(
                lambda e: isinstance(e.data, LeaderboardScoreUpdate) and e.data.participant_id == me
            )
        )
        assert state.scores[me] == 4

        assert proxy.cut_streams() == 1
        resumed: list[LeaderboardStreamEvent] = []
        while not any(e.kind == "snapshot" for e in resumed):
            event = reader.next()
            resumed.append(event)
            state.apply(event)
        assert pushed_while_down.is_set()
        assert [e.kind for e in resumed][-2:] == ["ready", "snapshot"]
        assert state.scores[me] == 20  # written while disconnected, recovered by the resync

        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=25)
        state.apply(
            reader.until(
                lambda e: (
                    isinstance(e.data, LeaderboardScoreUpdate)
                    and e.data.participant_id == me
                    and e.data.score == 25
                )
            )
        )
        for event in reader.drain():
            state.apply(event)
        fresh = kraty.event_leaderboards.read(board_id, limit=200)
        assert state.scores == board_scores(fresh)
        assert reader.error is None
    finally:
        cancelled.set()
        reader.stop()
    names = [c.state.value for c in changes]
    assert names[:4] == ["connected", "dropped", "reconnecting", "connected"]
    assert names[-1] == "closed"
    assert changes[1].error is not None  # the drop carries its cause


def test_subscribe_keeps_polling_where_streaming_is_blocked(
    kraty: Kraty, make_kraty: Callable[..., Kraty], proxy: TcpProxy
) -> None:
    proxy.block_streams = True
    start = kraty.events.start("tap_frenzy")
    board_id = start.leaderboard_id
    watcher = make_kraty(base_url=proxy.base_url)
    cond = threading.Condition()
    scores: list[float] = []
    states: list[str] = []
    errors: list[BaseException] = []
    me = next(
        e.participant_id
        for e in kraty.event_leaderboards.read(board_id, include_self=True).entries
        if e.is_self
    )

    def on_event(event: LeaderboardStreamEvent) -> None:
        if isinstance(event.data, LeaderboardScoreUpdate) and event.data.participant_id == me:
            with cond:
                scores.append(event.data.score)
                cond.notify_all()

    def on_state(change: StreamStateChange) -> None:
        with cond:
            states.append(change.state.value)
            cond.notify_all()

    subscription = watcher.event_leaderboards.subscribe(
        board_id, on_event, poll_interval=0.1, on_error=errors.append, on_state=on_state
    )
    try:
        with cond:
            assert cond.wait_for(lambda: "polling" in states and 0.0 in scores, WAIT)
        kraty.events.progress("tap_frenzy", start.attempt.id, mode="set", metric_value=9)
        with cond:
            assert cond.wait_for(lambda: 9.0 in scores, WAIT)
    finally:
        subscription.close()
    assert scores == [0.0, 9.0]
    assert not subscription.is_streaming
    assert errors and proxy.stream_requests >= 1


def test_a_silent_connection_counts_as_dead_after_the_read_timeout(kraty: Kraty) -> None:
    board_id = kraty.events.start("tap_frenzy").leaderboard_id
    # The emulator's heartbeat is 15 s away: with a 0.5 s read timeout the silence after
    # ready looks exactly like a dead connection.
    reader = StreamReader(kraty.event_leaderboards.live(board_id, read_timeout=0.5))
    try:
        assert reader.next().kind == "ready"
        assert reader.finished.wait(WAIT), "a silent stream never timed out"
        assert isinstance(reader.error, KratyStreamError)
        assert isinstance(reader.error.__cause__, urllib3.exceptions.ReadTimeoutError)
    finally:
        reader.stop()
