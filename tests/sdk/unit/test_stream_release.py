"""Streams close their response when cancelled, whatever the reader does next.

A response left open is closed only when the garbage collector finds the stream (the
stream and its generator form a cycle), and its socket then raises ``ResourceWarning``
in whichever test happens to be running. These tests pin the two paths that used to
leave the close to the collector: ``cancel()`` landing while a read is in progress (and
that read then returning an event), and a consumer that stops iterating, then cancels.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, cast

import requests

from kraty_pygame.sdk.models.leaderboards import EventLeaderboard
from kraty_pygame.sdk.streams.inventory import InventoryStream
from kraty_pygame.sdk.streams.leaderboard import LeaderboardStream

WAIT = 10.0

LB_READY = b'event: ready\ndata: {"leaderboardId":"lb_1"}\n\n'
LB_UPDATE = (
    b'event: score_update\ndata: {"leaderboardId":"lb_1","participantId":"p1",'
    b'"kind":"player","score":3,"rank":1}\n\n'
)
INV_READY = b'event: ready\ndata: {"externalPlayerId":"p"}\n\n'
INV_CHANGED = b'event: inventory_changed\ndata: {"itemKey":"health_potion","delta":1}\n\n'
INV_CLOSED = b'event: closed\ndata: {"reason":"server_shutdown"}\n\n'


class GatedRaw:
    """Serves ``chunks``, then blocks until ``gate`` opens and serves ``gated``.

    ``shutdown()`` does not wake the blocked read: it stands for bytes that were already
    on their way when ``cancel()`` ran, so the read returns a whole event afterwards.
    """

    def __init__(self, *chunks: bytes, gated: bytes = b"") -> None:
        self.chunks: deque[bytes] = deque(chunks)
        self.gated = gated
        self.gate = threading.Event()
        self.blocked = threading.Event()
        self.shut_down = False

    def read1(self, amt: int = -1, decode_content: bool = True) -> bytes:
        if self.chunks:
            return self.chunks.popleft()
        if self.gated:
            self.blocked.set()
            assert self.gate.wait(WAIT), "the test never opened the gate"
            data, self.gated = self.gated, b""
            return data
        return b""

    def shutdown(self) -> None:
        self.shut_down = True


class FakeResponse:
    def __init__(self, raw: GatedRaw) -> None:
        self.raw = raw
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _as_response(fake: FakeResponse) -> requests.Response:
    return cast(requests.Response, fake)


def _board_stream(fake: FakeResponse) -> LeaderboardStream:
    return LeaderboardStream(
        "lb_1",
        open_response=lambda: _as_response(fake),
        read_snapshot=lambda: EventLeaderboard(leaderboard_id="lb_1"),
    ).connect()


def _next_in_thread(iterator: Any) -> tuple[threading.Thread, list[Any]]:
    """Call ``next(iterator, None)`` on a thread; the result lands in the returned list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(next(iterator, None)), daemon=True)
    thread.start()
    return thread, result


# --------------------------------------------------------------------- LeaderboardStream


def test_board_stream_cancelled_during_a_read_closes_when_the_read_returns() -> None:
    fake = FakeResponse(GatedRaw(LB_READY, gated=LB_UPDATE))
    stream = _board_stream(fake)
    first = next(stream)
    assert first.kind == "ready"

    reader, result = _next_in_thread(stream)
    assert fake.raw.blocked.wait(WAIT)
    stream.cancel()  # the reader is inside read1: cancel() leaves the close to it
    assert fake.raw.shut_down
    fake.raw.gate.set()  # ... and the read returns a whole event after all
    reader.join(WAIT)
    assert not reader.is_alive()

    # The event that raced the cancel is not handed out, and the response is closed
    # now, without the consumer iterating again.
    assert result == [None]
    assert fake.closed


def test_board_stream_consumer_stops_then_cancels() -> None:
    fake = FakeResponse(GatedRaw(LB_READY, LB_UPDATE))
    stream = _board_stream(fake)
    for event in stream:
        assert event.kind == "ready"
        break
    stream.cancel()
    assert fake.closed


def test_board_stream_cancelled_before_any_iteration() -> None:
    fake = FakeResponse(GatedRaw(LB_READY))
    stream = _board_stream(fake)
    stream.cancel()
    assert fake.closed


# --------------------------------------------------------------------- InventoryStream


def test_inventory_stream_consumer_stops_then_cancels() -> None:
    fake = FakeResponse(GatedRaw(INV_READY, INV_CHANGED))
    stream = InventoryStream("p", _as_response(fake))
    for event in stream:
        assert event.kind == "ready"
        break
    assert not fake.closed
    stream.cancel()  # between events: closed here and now
    assert fake.closed


def test_inventory_stream_cancelled_during_a_read_closes_when_the_read_returns() -> None:
    fake = FakeResponse(GatedRaw(INV_READY, gated=INV_CHANGED))
    stream = InventoryStream("p", _as_response(fake))
    assert next(stream).kind == "ready"

    reader, result = _next_in_thread(stream)
    assert fake.raw.blocked.wait(WAIT)
    stream.cancel()
    assert fake.raw.shut_down
    fake.raw.gate.set()
    reader.join(WAIT)
    assert not reader.is_alive()
    assert result == [None]
    assert fake.closed


def test_inventory_stream_closed_event_releases_before_it_is_handed_out() -> None:
    fake = FakeResponse(GatedRaw(INV_READY, INV_CLOSED, gated=INV_CHANGED))
    stream = InventoryStream("p", _as_response(fake))
    kinds = []
    for event in stream:
        kinds.append(event.kind)
        if event.kind == "closed":
            assert fake.closed  # the consumer may stop here: nothing is left open
    assert kinds == ["ready", "closed"]
    assert not fake.raw.blocked.is_set()  # nothing was read after closed


def test_inventory_stream_cancelled_before_any_iteration() -> None:
    fake = FakeResponse(GatedRaw(INV_READY))
    stream = InventoryStream("p", _as_response(fake))
    stream.cancel()
    assert fake.closed
    assert list(stream) == []
