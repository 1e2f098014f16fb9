"""The SSE response of a broadcaster subscription, written to by the broadcaster itself
(see :class:`SubscriptionStream`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Coroutine
from typing import Any, Final

from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kraty_pygame.emulator.http.http_limits import ChunkWriter, chunk_writer
from kraty_pygame.emulator.streams.broadcast import StreamEvent, Subscription, comment, http_chunk

__all__ = ["SubscriptionStream"]

_HEARTBEAT: Final = comment("hb")
_HEARTBEAT_CHUNK: Final = http_chunk(_HEARTBEAT)


class _Writer:
    """Writes one response's frames from the broadcaster's pass (``raw``: the
    connection's chunk writer, when the server offers one)."""

    def __init__(
        self, sub: Subscription, send: Send, heartbeat_s: float, raw: ChunkWriter | None
    ) -> None:
        self._sub = sub
        self._send = send
        self._raw = raw
        self._loop = asyncio.get_running_loop()
        self._heartbeat_s = heartbeat_s
        self._busy = False
        self._timer: asyncio.TimerHandle | None = None
        self.done: asyncio.Future[None] = self._loop.create_future()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._arm()
        self._sub.attach(self.deliver)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._sub.close()
        if not self.done.done():
            self.done.set_result(None)

    # -- called by the broadcaster (and the heartbeat timer) on the loop --------

    def deliver(self, events: list[StreamEvent]) -> None:
        """Write ``events``; returns at once (a full socket finishes in a task)."""
        if self.done.done():
            return
        ends = events[-1].terminal
        if self._raw is not None:
            chunk = (
                events[0].chunk
                if len(events) == 1
                else http_chunk(b"".join(e.frame for e in events))
            )
            if self._write_raw(chunk, ends=ends):
                return
        body = events[0].frame if len(events) == 1 else b"".join(e.frame for e in events)
        self._write(body, ends=ends)

    def _write_raw(self, chunk: bytes, *, ends: bool) -> bool:
        """Write straight to the connection; False when ``send`` must take this write."""
        assert self._raw is not None
        written = self._raw.write(chunk)
        if written is None:  # the client is gone
            self.stop()
        elif not written:
            return False
        elif ends:
            self._finish()
        return True

    def _beat(self) -> None:
        self._timer = None
        if self.done.done():
            return
        if not self._busy and not (
            self._raw is not None and self._write_raw(_HEARTBEAT_CHUNK, ends=False)
        ):
            self._write(_HEARTBEAT, ends=False)
        self._arm()

    def _arm(self) -> None:
        if self._heartbeat_s > 0 and not self.done.done():
            self._timer = self._loop.call_later(self._heartbeat_s, self._beat)

    def _write(self, body: bytes, *, ends: bool) -> None:
        sent = self._send({"type": "http.response.body", "body": body, "more_body": True})
        coro = sent if isinstance(sent, Coroutine) else _awaited(sent)
        try:
            waiting = coro.send(None)
        except StopIteration:
            if ends:
                self._finish()
            return
        except BaseException:  # the client is gone: end this stream
            self.stop()
            return
        # The socket's buffer is full: a task finishes this write; meanwhile the
        # subscription buffers and coalesces what is published.
        self._busy = True
        self._sub.hold()
        task = self._loop.create_task(self._complete(coro, waiting, ends))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _complete(self, coro: Coroutine[Any, Any, Any], waiting: Any, ends: bool) -> None:
        try:
            await _resume(coro, waiting)
        except BaseException:
            self.stop()
            return
        self._busy = False
        if ends:
            self._finish()
            return
        self._sub.release()  # writes what was buffered meanwhile (through ``deliver``)

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


async def _resume(coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
    """Drive ``coro`` to its end from a task; it is suspended on ``waiting``."""
    while True:
        if isinstance(waiting, asyncio.Future):
            await asyncio.wait([waiting])
        else:
            await asyncio.sleep(0)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return


class SubscriptionStream(Response):
    """``text/event-stream`` of a subscription: ``first`` bytes, then its events.

    After its head and first frames the response attaches a writer to the subscription;
    the broadcaster's pass hands it the pending frames, which it writes to the connection
    at once: the event's ready-made HTTP chunk, straight to the socket where the server is
    the emulator's own, else through ASGI ``send``. When the socket's buffer is full, a
    task finishes that write through ``send`` and the subscription buffers (and
    coalesces) meanwhile. A ``: hb`` comment goes out every ``heartbeat_s`` seconds while
    no write is pending; the response ends after a terminal event or when the client
    leaves.

    Args:
        sub: the subscription (closed when the response ends, whatever the reason).
        first: the frames sent before any event (``: connected`` + ``ready``).
        heartbeat_s: seconds between ``: hb`` comments (0: none).
        ended: the stream ends right after ``first`` (e.g. a finalized board).
    """

    media_type = "text/event-stream"

    def __init__(
        self, sub: Subscription, first: bytes, *, heartbeat_s: float, ended: bool = False
    ) -> None:
        # No ``body``: the head gets no content-length (as for a streaming response).
        self.status_code = 200
        self.background = BackgroundTask(sub.close)
        self.init_headers(
            {"cache-control": "no-store", "connection": "keep-alive", "x-accel-buffering": "no"}
        )
        self.sub = sub
        self.first = first
        self.heartbeat_s = heartbeat_s
        self.ended = ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        try:
            await send({**start, "headers": self.raw_headers})
            if scope["method"] == "HEAD" or self.ended:
                body = b"" if scope["method"] == "HEAD" else self.first
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send({"type": "http.response.body", "body": self.first, "more_body": True})
            await self._stream(scope, receive, send)
        finally:
            self.sub.close()
            if self.background is not None:
                await self.background()

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        writer = _Writer(self.sub, send, self.heartbeat_s, chunk_writer(scope))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            writer.start()
            await asyncio.wait([gone, writer.done], return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone_first = gone.done()
            gone.cancel()
            writer.stop()
        if not gone_first:
            with contextlib.suppress(OSError, RuntimeError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
