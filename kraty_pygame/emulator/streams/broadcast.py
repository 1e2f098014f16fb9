"""Fan-out of stream events to SSE subscribers: one :class:`Broadcaster` per app,
one bounded, coalescing buffer per subscriber, each event encoded once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kraty_pygame.emulator.http.responses import dumps

__all__ = [
    "TERMINAL_KINDS",
    "Broadcaster",
    "StreamEvent",
    "Subscription",
    "comment",
    "encode_event",
    "http_chunk",
]

#: Kinds after which a stream ends.
TERMINAL_KINDS: Final = frozenset({"closed"})

_DEFAULT_MAX_PENDING: Final = 10_000


def encode_event(kind: str, data: Mapping[str, Any]) -> bytes:
    """One SSE frame: ``event:`` line, one ``data:`` line of compact JSON, blank line."""
    body = dumps(data).decode("utf-8")
    return f"event: {kind}\ndata: {body}\n\n".encode()


def comment(text: str) -> bytes:
    """An SSE comment frame (``: text``), e.g. the heartbeat ``: hb``."""
    return f": {text}\n\n".encode()


def http_chunk(body: bytes) -> bytes:
    """``body`` framed as one chunk of a chunked HTTP response."""
    return b"%x\r\n%b\r\n" % (len(body), body)


@dataclass(frozen=True)
class StreamEvent:
    """An event as delivered: its kind, its payload, its encoded frame and that frame
    as one HTTP chunk (both made once, shared by every subscriber)."""

    kind: str
    data: Mapping[str, Any]
    frame: bytes
    chunk: bytes
    terminal: bool  # the stream ends after this event

    @classmethod
    def make(cls, kind: str, data: Mapping[str, Any]) -> StreamEvent:
        frame = encode_event(kind, data)
        return cls(
            kind=kind,
            data=dict(data),
            frame=frame,
            chunk=http_chunk(frame),
            terminal=kind in TERMINAL_KINDS,
        )


class Subscription:
    """One subscriber's bounded, coalescing buffer; iterate it on its event loop."""

    def __init__(
        self, hub: Broadcaster, channel: str, loop: asyncio.AbstractEventLoop, max_pending: int
    ) -> None:
        self.channel = channel
        self._hub = hub
        self._loop = loop
        self._max_pending = max_pending
        # insertion-ordered; replacing a value keeps its position (coalescing)
        self._pending: dict[str | int, StreamEvent] = {}
        self._generation = 0
        self._seq = 0
        self._signalled = False
        self._wake = asyncio.Event()
        self._closed = False
        self._ended = False
        self._sink: Callable[[list[StreamEvent]], None] | None = None
        self._held = False
        self.coalesced = 0  # how many updates were merged into a pending one
        self.delivered = 0

    # -- producer side (any thread, called with the hub lock held) -------------

    def _offer(self, event: StreamEvent, coalesce_key: str | None) -> bool:
        """Buffer ``event``; returns True when the consumer needs a wake-up."""
        if self._closed:
            return False
        # Keys are strings and integers, which the garbage collector does not track.
        key: str | int
        if coalesce_key is not None:
            key = f"{self._generation}:{coalesce_key}"
            if key in self._pending:
                self._pending[key] = event  # latest wins, position kept
                self.coalesced += 1
                return False
        else:
            self._seq += 1
            self._generation += 1
            key = self._seq
        if len(self._pending) >= self._max_pending and not event.terminal:
            self._overflow()
        else:
            self._pending[key] = event
        if self._signalled:
            return False
        self._signalled = True
        return True

    def _overflow(self) -> None:
        self._pending.clear()
        self._seq += 1
        self._pending[self._seq] = StreamEvent.make("closed", {"reason": "overflow"})
        self._closed = True

    def _take(self) -> list[StreamEvent]:
        """Everything pending, in order, up to a terminal event (hub lock held)."""
        pending = self._pending
        if self._ended:
            pending.clear()
            return []
        items = list(pending.values())
        pending.clear()
        self._signalled = False
        if len(items) == 1:
            if items[0].terminal:
                self._ended = True
        else:
            for i, event in enumerate(items):
                if event.terminal:
                    items = items[: i + 1]
                    self._ended = True
                    break
        self.delivered += len(items)
        return items

    # -- direct delivery (the subscription's event loop) ------------------------

    def attach(self, sink: Callable[[list[StreamEvent]], None]) -> None:
        """Hand pending events to ``sink`` from the broadcaster's pass from now on.

        ``sink`` runs on this subscription's loop and must not block; what is
        pending already is handed over at once.
        """
        with self._hub._lock:
            self._sink = sink
        self.release()

    def hold(self) -> None:
        """The sink is busy: keep buffering (and coalescing) until :meth:`release`."""
        with self._hub._lock:
            self._held = True
            self._signalled = True

    def release(self) -> None:
        """The sink can take events again: hand it what was buffered meanwhile."""
        with self._hub._lock:
            self._held = False
            items = self._take()
            sink = self._sink
        if items and sink is not None:
            sink(items)

    # -- consumer side (the subscription's event loop) --------------------------

    def pending_count(self) -> int:
        with self._hub._lock:
            return len(self._pending)

    async def next_batch(self) -> list[StreamEvent]:
        """Wait for pending events and take them, in order (``[]`` after the end).

        A batch stops after a terminal event; once one was taken, later calls
        return ``[]`` at once.
        """
        if self._ended:
            return []
        while True:
            await self._wake.wait()
            with self._hub._lock:
                self._wake.clear()
                items = self._take()
            if items or self._ended:
                return items

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Yield what is pending, in order, until a terminal event was yielded."""
        while True:
            items = await self.next_batch()
            if not items:
                return
            yield items

    def close(self) -> None:
        """Stop receiving (idempotent); the hub forgets this subscription."""
        self._hub._remove(self)


class Broadcaster:
    """Channels (one per board) of subscriptions; ``publish`` is thread-safe.

    Writers call :meth:`publish` from any thread (typically an ``after_commit``
    callback); every subscriber of the channel gets the event in its own bounded buffer
    and its consumer, an asyncio task on the server's event loop, is woken by one
    callback per publish and loop. A consumer may
    instead attach a writer (see ``streams/sse.py``): that callback then hands every
    such subscriber its pending events directly, in one pass.

    Slow consumers never make memory grow without bound: ``score_update`` events are
    *coalesced* per participant (the latest entry wins, keeping the position of the
    first pending one), while ``ready`` / ``finalized`` / ``closed`` are kept in order
    and act as barriers (an update published after a barrier never jumps ahead of it).
    A subscriber whose buffer still overflows (more distinct participants pending than
    ``max_pending``) is ended with ``closed {"reason": "overflow"}``; the client reads a
    fresh snapshot and reconnects.

    Each event is encoded once per publish (``event: <kind>\\ndata: <json>\\n\\n`` with
    LF line endings, and that frame as one HTTP chunk) and shared by every subscriber.

    Args:
        max_pending: bound of one subscriber's buffer (distinct pending events).
    """

    def __init__(self, *, max_pending: int = _DEFAULT_MAX_PENDING) -> None:
        if max_pending < 2:
            raise ValueError("max_pending must be at least 2")
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._channels: dict[str, list[Subscription]] = {}

    def subscribe(self, channel: str) -> Subscription:
        """A new subscription on ``channel``; call from the event loop that consumes it."""
        loop = asyncio.get_running_loop()
        sub = Subscription(self, channel, loop, self.max_pending)
        with self._lock:
            self._channels.setdefault(channel, []).append(sub)
        return sub

    def idle(self) -> bool:
        """Whether no subscription is open: a plain read, without the lock (a channel
        is dropped with its last subscription, so an empty table means no subscriber;
        a caller that must not miss a new one serializes with :meth:`subscribe`
        itself)."""
        return not self._channels

    def subscriber_count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is not None:
                return len(self._channels.get(channel, ()))
            return sum(len(subs) for subs in self._channels.values())

    def publish(
        self, channel: str, kind: str, data: Mapping[str, Any], *, coalesce_key: str | None = None
    ) -> int:
        """Offer one event to every subscriber of ``channel``; returns the subscriber count.

        ``coalesce_key`` (the participant id of a ``score_update``) lets a pending
        event with the same key be replaced instead of queueing another one.
        """
        event = StreamEvent.make(kind, data)
        to_wake: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        with self._lock:
            subs = list(self._channels.get(channel, ()))
            for sub in subs:
                if sub._offer(event, coalesce_key):
                    to_wake.setdefault(sub._loop, []).append(sub)
            if event.terminal:
                # Terminal events end every stream: later publishes go nowhere.
                self._channels.pop(channel, None)
                for sub in subs:
                    sub._closed = True
        self._wake(to_wake)
        return len(subs)

    def close_channel(self, channel: str, reason: str) -> int:
        """End every stream of ``channel`` with ``closed {"reason": reason}``."""
        return self.publish(channel, "closed", {"reason": reason})

    def close_all(self, reason: str = "shutdown") -> int:
        """End every stream (server shutdown); returns how many were ended."""
        with self._lock:
            channels = list(self._channels)
        return sum(self.close_channel(ch, reason) for ch in channels)

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            sub._closed = True
            subs = self._channels.get(sub.channel)
            if subs is None:
                return
            try:
                subs.remove(sub)
            except ValueError:
                return
            if not subs:
                del self._channels[sub.channel]

    def _wake(self, to_wake: dict[asyncio.AbstractEventLoop, list[Subscription]]) -> None:
        """One callback per loop wakes (or writes to) all its subscribers of a publish."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, subs in to_wake.items():
            if loop.is_closed():
                continue

            def _pass(batch: list[Subscription] = subs) -> None:
                self._deliver(batch)

            try:
                if loop is running:
                    loop.call_soon(_pass)
                else:
                    loop.call_soon_threadsafe(_pass)
            except RuntimeError:  # the loop closed meanwhile
                continue

    def _deliver(self, subs: list[Subscription]) -> None:
        """Wake consumers that wait; hand the others their pending events directly,
        one subscriber at a time (nothing is collected for the whole pass)."""
        lock = self._lock
        for sub in subs:
            with lock:
                sink = sub._sink
                if sink is None:
                    sub._wake.set()
                    continue
                if sub._held:
                    continue
                items = sub._take()
            if items:
                sink(items)
