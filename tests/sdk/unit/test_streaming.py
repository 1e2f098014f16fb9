"""LeaderboardStream logic over scripted responses: typing, drops, reconnection, cancel, states."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import pytest
import requests
import urllib3.exceptions

from kraty_pygame.sdk.errors import KratyApiError, KratyNetworkError, KratyStreamError
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    LeaderboardClosed,
    LeaderboardEntry,
    LeaderboardFinalized,
    LeaderboardReady,
    LeaderboardScoreUpdate,
    LeaderboardStreamEvent,
)
from kraty_pygame.sdk.streams.leaderboard import (
    LeaderboardStream,
    ReconnectPolicy,
    StreamState,
    StreamStateChange,
)

BLOCK = object()  # read1 blocks until shutdown() (a silent server)

READY = (
    b"event: ready\r\n"
    b'data: {"leaderboardId":"lb_1","serverTime":"2026-06-16T09:00:00.000Z"}\r\n\r\n'
)
HB = b": hb\r\n\r\n"


def update(pid: str, score: float, rank: int) -> bytes:
    payload = {
        "leaderboardId": "lb_1",
        "participantId": pid,
        "kind": "player",
        "score": score,
        "rank": rank,
    }
    return b"event: score_update\r\ndata: " + json.dumps(payload).encode() + b"\r\n\r\n"


FINALIZED = (
    b'event: finalized\ndata: {"leaderboardId":"lb_1","eventId":"e","reason":"window_closed",'
    b'"standings":[{"participantId":"p1","rank":1,"score":9,"name":"a","kind":"player"}],'
    b'"occurredAt":"2026-06-16T10:00:00.000Z"}\n\n'
)
CLOSED = b'event: closed\ndata: {"reason":"finalized"}\n\n'


class FakeRaw:
    def __init__(self, script: list[Any]) -> None:
        self.script: deque[Any] = deque(script)
        self.woken = threading.Event()
        self.blocked = threading.Event()

    def read1(self, amt: int = -1, decode_content: bool = True) -> bytes:
        if self.woken.is_set() or not self.script:
            return b""
        item = self.script.popleft()
        while callable(item):  # a side effect between reads (e.g. time passing)
            item()
            item = self.script.popleft() if self.script else b""
        if item is BLOCK:
            self.blocked.set()
            assert self.woken.wait(10), "cancel() never woke the blocked read"
            raise urllib3.exceptions.ProtocolError("connection shut down")
        if isinstance(item, BaseException):
            raise item
        return cast(bytes, item)

    def shutdown(self) -> None:
        self.woken.set()


class FakeResponse:
    def __init__(self, script: list[Any]) -> None:
        self.raw = FakeRaw(script)
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Opener:
    """Hands out scripted responses (or raises scripted errors) in order."""

    def __init__(self, *items: FakeResponse | BaseException) -> None:
        self.items = deque(items)
        self.calls = 0

    def __call__(self) -> requests.Response:
        self.calls += 1
        item = self.items.popleft()
        if isinstance(item, BaseException):
            raise item
        return cast(requests.Response, item)


def board(*entries: tuple[str, float, int], finalized: bool = False) -> EventLeaderboard:
    return EventLeaderboard(
        leaderboard_id="lb_1",
        finalized=finalized,
        finalized_reason="window_closed" if finalized else None,
        entries=[
            LeaderboardEntry(participant_id=p, kind="player", score=s, rank=r)
            for p, s, r in entries
        ],
    )


class Recorder:
    def __init__(self) -> None:
        self.states: list[StreamStateChange] = []
        self.finals: list[LeaderboardFinalized] = []
        self.sleeps: list[float] = []

    @property
    def names(self) -> list[str]:
        return [c.state.value for c in self.states]


def make_stream(
    opener: Opener,
    rec: Recorder,
    *,
    policy: ReconnectPolicy | None = None,
    snapshot: Callable[[], EventLeaderboard] | None = None,
) -> LeaderboardStream:
    stream = LeaderboardStream(
        "lb_1",
        open_response=opener,
        read_snapshot=snapshot or (lambda: board(("p1", 5, 1))),
        reconnect=policy,
        on_state=rec.states.append,
        on_finalized=rec.finals.append,
    )
    return stream.connect()


def policy(rec: Recorder, **kw: Any) -> ReconnectPolicy:
    return ReconnectPolicy(sleep=rec.sleeps.append, rng=lambda: 0.5, **kw)


def test_events_are_typed_and_closed_ends_iteration() -> None:
    rec = Recorder()
    resp = FakeResponse(
        [READY, HB, update("p1", 3, 1), b'event: shiny_new\ndata: {"x": 1}\n\n', FINALIZED, CLOSED]
    )
    events = list(make_stream(Opener(resp), rec))
    assert [e.kind for e in events] == ["ready", "score_update", "shiny_new", "finalized", "closed"]
    assert isinstance(events[0].data, LeaderboardReady) and events[0].data.leaderboard_id == "lb_1"
    up = events[1].data
    assert isinstance(up, LeaderboardScoreUpdate)
    assert (up.participant_id, up.score, up.rank) == ("p1", 3.0, 1)
    assert events[2].data == {"x": 1}
    fin = events[3].data
    assert isinstance(fin, LeaderboardFinalized) and fin.standings[0].participant_id == "p1"
    assert isinstance(events[4].data, LeaderboardClosed) and events[4].data.reason == "finalized"
    assert rec.finals == [fin]
    assert rec.names == ["connected", "closed"]
    assert resp.closed


def test_a_frame_that_does_not_fit_its_kind_becomes_parse_error() -> None:
    rec = Recorder()
    bad = b'event: score_update\ndata: {"participantId": 5, "score": "high"}\n\n'
    events = list(make_stream(Opener(FakeResponse([bad, CLOSED])), rec))
    assert events[0].kind == "parse-error"
    assert isinstance(events[0].data, dict) and events[0].data["kind"] == "score_update"


def test_drop_without_policy_raises_stream_error_with_cause() -> None:
    rec = Recorder()
    cut = urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")
    stream = make_stream(Opener(FakeResponse([READY, update("p1", 1, 1), cut])), rec)
    got: list[LeaderboardStreamEvent] = []
    with pytest.raises(KratyStreamError) as info:
        for event in stream:
            got.append(event)
    assert [e.kind for e in got] == ["ready", "score_update"]
    assert info.value.__cause__ is cut
    assert rec.names == ["connected", "closed"]
    error = rec.states[-1].error  # the state reports the SDK's error, wrapping the cause
    assert isinstance(error, KratyNetworkError) and error.original_cause is cut


def test_clean_end_without_closed_is_a_drop() -> None:
    rec = Recorder()
    stream = make_stream(Opener(FakeResponse([READY])), rec)
    with pytest.raises(KratyStreamError, match="before sending closed"):
        list(stream)


def test_reconnect_resumes_with_snapshot_after_ready() -> None:
    rec = Recorder()
    first = FakeResponse([READY, update("p1", 1, 1), OSError("reset by peer")])
    second = FakeResponse([READY, update("p2", 8, 1), CLOSED])
    opener = Opener(first, KratyNetworkError("refused"), second)
    snap = board(("p1", 5, 1), ("p2", 2, 2))
    stream = make_stream(opener, rec, policy=policy(rec), snapshot=lambda: snap)
    events = list(stream)
    assert [e.kind for e in events] == [
        "ready",
        "score_update",
        "ready",
        "snapshot",
        "score_update",
        "closed",
    ]
    assert events[3].data is snap
    assert rec.names == [
        "connected",
        "dropped",
        "reconnecting",
        "reconnecting",
        "connected",
        "closed",
    ]
    assert [c.attempt for c in rec.states if c.state == StreamState.RECONNECTING] == [1, 2]
    assert rec.sleeps == [0.5, 1.0]  # rng 0.5 -> no jitter
    assert first.closed and second.closed
    assert opener.calls == 3


def test_reconnect_onto_a_finalized_board_synthesises_finalized_once() -> None:
    rec = Recorder()
    first = FakeResponse([READY, OSError("cut")])
    second = FakeResponse([READY, CLOSED])
    snap = board(("p1", 9, 1), finalized=True)
    events = list(
        make_stream(Opener(first, second), rec, policy=policy(rec), snapshot=lambda: snap)
    )
    assert [e.kind for e in events] == ["ready", "ready", "snapshot", "finalized", "closed"]
    fin = events[3].data
    assert isinstance(fin, LeaderboardFinalized)
    assert fin.reason == "window_closed" and fin.standings[0].score == 9
    assert rec.finals == [fin]


def test_gives_up_after_max_attempts() -> None:
    rec = Recorder()
    err = KratyNetworkError("refused")
    opener = Opener(FakeResponse([READY, OSError("cut")]), err, err, err)
    stream = make_stream(opener, rec, policy=policy(rec, max_attempts=3))
    with pytest.raises(KratyStreamError, match="gave up after 3") as info:
        list(stream)
    assert info.value.__cause__ is err
    assert rec.names[-1] == "closed"
    assert rec.sleeps == [0.5, 1.0, 2.0]


def test_non_retryable_status_on_reconnect_stops() -> None:
    rec = Recorder()
    gone = KratyApiError(404, "not_found", "unknown board")
    stream = make_stream(
        Opener(FakeResponse([READY, OSError("cut")]), gone), rec, policy=policy(rec)
    )
    with pytest.raises(KratyStreamError) as info:
        list(stream)
    assert info.value.__cause__ is gone


def test_first_connect_errors_raise_without_policy() -> None:
    rec = Recorder()
    with pytest.raises(KratyApiError):
        make_stream(Opener(KratyApiError(503, "unavailable", "x")), rec)
    with pytest.raises(KratyNetworkError):
        make_stream(Opener(KratyNetworkError("refused")), rec)


def test_first_connect_retries_with_policy() -> None:
    rec = Recorder()
    opener = Opener(KratyApiError(503, "unavailable", "x"), FakeResponse([READY, CLOSED]))
    events = list(make_stream(opener, rec, policy=policy(rec)))
    assert [e.kind for e in events] == ["ready", "closed"]
    assert rec.names == ["reconnecting", "connected", "closed"]


def test_attempts_reset_after_a_stable_connection() -> None:
    rec = Recorder()
    now = [0.0]

    def live_long() -> None:
        now[0] += 100.0  # the connection stays up 100 s before it drops

    pol = ReconnectPolicy(
        sleep=rec.sleeps.append,
        clock=lambda: now[0],
        rng=lambda: 0.5,
        max_attempts=1,
        reset_after=60,
    )
    responses = [FakeResponse([READY, live_long, OSError("cut")]) for _ in range(4)]
    opener = Opener(*responses, FakeResponse([READY, CLOSED]))
    events = list(make_stream(opener, rec, policy=pol))
    assert [e.kind for e in events].count("snapshot") == 4
    assert rec.sleeps == [0.5] * 4  # attempt 1 every time: each connection lived 100 s


def test_attempts_accumulate_while_connections_flap() -> None:
    rec = Recorder()
    flapping = [FakeResponse([READY, OSError("cut")]) for _ in range(3)]
    stream = make_stream(Opener(*flapping), rec, policy=policy(rec, max_attempts=2, reset_after=60))
    with pytest.raises(KratyStreamError, match="gave up after 2"):
        list(stream)
    assert rec.sleeps == [0.5, 1.0]


def test_cancel_from_another_thread_wakes_a_silent_stream() -> None:
    rec = Recorder()
    resp = FakeResponse([READY, BLOCK])
    stream = make_stream(Opener(resp), rec)
    got: list[str] = []
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            got.extend(e.kind for e in stream)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=consume)
    reader.start()
    assert resp.raw.blocked.wait(5)
    stream.cancel()
    reader.join(5)
    assert not reader.is_alive()
    assert got == ["ready"] and errors == []
    assert stream.is_cancelled and stream.state == StreamState.CLOSED
    assert resp.closed
    stream.cancel()  # idempotent
    assert rec.names == ["connected", "closed"]


def test_cancel_before_iterating_closes_the_response() -> None:
    rec = Recorder()
    resp = FakeResponse([READY, CLOSED])
    stream = make_stream(Opener(resp), rec)
    stream.cancel()
    assert resp.closed and list(stream) == []


def test_cancel_interrupts_the_backoff_wait() -> None:
    rec = Recorder()
    pol = ReconnectPolicy(initial_delay=30.0, rng=lambda: 0.5)
    opener = Opener(FakeResponse([READY, OSError("cut")]))
    stream = make_stream(opener, rec, policy=pol)
    reconnecting = threading.Event()
    original = stream._on_state

    def on_state(change: StreamStateChange) -> None:
        assert original is not None
        original(change)
        if change.state == StreamState.RECONNECTING:
            reconnecting.set()

    stream._on_state = on_state
    done = threading.Event()

    def consume() -> None:
        list(stream)
        done.set()

    reader = threading.Thread(target=consume)
    reader.start()
    assert reconnecting.wait(5)
    stream.cancel()
    assert done.wait(2)
    reader.join(5)
    assert opener.calls == 1


def test_oversized_line_is_fatal_even_with_policy() -> None:
    rec = Recorder()
    huge = b"data: " + b"x" * (2 << 20)
    stream = make_stream(Opener(FakeResponse([READY, huge])), rec, policy=policy(rec))
    with pytest.raises(KratyStreamError, match="line longer"):
        list(stream)
    assert rec.names[-1] == "closed"


def test_one_byte_chunks_through_the_stream_path() -> None:
    rec = Recorder()
    data = READY + HB + update("p1", 3, 1) + FINALIZED + CLOSED
    resp = FakeResponse([data[i : i + 1] for i in range(len(data))])
    assert [e.kind for e in make_stream(Opener(resp), rec)] == [
        "ready",
        "score_update",
        "finalized",
        "closed",
    ]


def test_policy_delay_ladder_and_jitter() -> None:
    pol = ReconnectPolicy(
        initial_delay=0.5, max_delay=4.0, multiplier=2.0, jitter=0.2, rng=lambda: 1.0
    )
    assert [round(pol.delay(n), 3) for n in range(1, 6)] == [0.6, 1.2, 2.4, 4.8, 4.8]
    low = ReconnectPolicy(initial_delay=0.5, jitter=0.2, rng=lambda: 0.0)
    assert low.delay(1) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        ReconnectPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        ReconnectPolicy(jitter=1.5)


def test_response_is_released_before_closed_is_handed_out() -> None:
    rec = Recorder()
    resp = FakeResponse([READY, CLOSED, b"never read"])
    stream = make_stream(Opener(resp), rec)
    for event in stream:
        if event.kind == "closed":
            assert resp.closed  # a consumer that stops here leaks nothing
            break
    assert rec.names == ["connected", "closed"]


def test_cancel_after_the_consumer_stopped_iterating_closes_the_response() -> None:
    rec = Recorder()
    resp = FakeResponse([READY, update("p1", 1, 1), CLOSED])
    stream = make_stream(Opener(resp), rec)
    assert next(stream).kind == "ready"  # the consumer then walks away mid-stream
    closed_before_cancel = resp.closed
    stream.cancel()
    assert not closed_before_cancel and resp.closed and resp.raw.woken.is_set()
    assert list(stream) == []
