"""The emulator's HTTP protocol: uvicorn's httptools protocol with connection limits
(see :class:`LimitedHttpToolsProtocol`), one socket write per response whose length is
known, and direct chunk writes for streams (:func:`chunk_writer`)."""

from __future__ import annotations

import asyncio
import json
import sys
import weakref
from asyncio import TimerHandle
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

#: File descriptors kept free for the database, logs and the listening socket.
_FD_RESERVE = 64


@dataclass(frozen=True)
class ConnectionLimits:
    """Limits of one emulator server (the defaults suit a developer machine).

    Attributes:
        max_header_bytes: largest request head (request line + headers) in bytes.
        header_timeout_s: time allowed to send a complete request head.
        body_timeout_s: time allowed to send a complete request body.
        idle_timeout_s: time a keep-alive connection may wait for its next request.
        max_connections: open connections at most (also kept below the process's
            file descriptor limit).
    """

    max_header_bytes: int = 32 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    idle_timeout_s: float = 30.0
    max_connections: int = 4096

    def connection_cap(self) -> int:
        """``max_connections``, lowered to fit the file descriptor limit."""
        if sys.platform == "win32":  # no file descriptor limit to respect
            return self.max_connections
        import resource  # noqa: PLC0415 - Unix only

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(16, min(self.max_connections, soft - _FD_RESERVE))


def _error_response(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_HEAD_TOO_LARGE = _error_response(
    431, "Request Header Fields Too Large", "headers_too_large", "request headers are too large"
)
_TIMED_OUT = _error_response(
    408, "Request Timeout", "request_timeout", "the request was not received in time"
)


#: Scope key of a weak reference to the request's response cycle (see :func:`chunk_writer`).
_CYCLE: Final = "kraty.response_cycle"


class _OneWrite:
    """The connection as one response cycle sees it: a head that announces a
    ``content-length`` is held back and written together with the first body bytes,
    so a whole response costs one socket write instead of two."""

    __slots__ = ("_head", "_hold", "_transport")

    def __init__(self, transport: asyncio.Transport, *, hold: bool) -> None:
        self._transport = transport
        self._hold = hold  # the next write may be the head (not for HEAD requests)
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif self._hold and not data.startswith(b"HTTP/1.1 1"):  # "100 Continue" goes now
            self._hold = False
            if b"\r\ncontent-length: " in data:
                self._head = data
                return
        self._transport.write(data)

    def close(self) -> None:
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class ChunkWriter:
    """Writes ready-framed chunks of a chunked streaming response straight to its
    connection, past the ASGI ``send`` chain (the bytes on the wire are the same)."""

    __slots__ = ("_cycle", "_transport")

    def __init__(self, cycle: RequestResponseCycle) -> None:
        self._cycle = cycle
        wrapped: object = cycle.transport  # the connection behind the response's wrapper
        self._transport = wrapped._transport if isinstance(wrapped, _OneWrite) else cycle.transport

    def write(self, chunk: bytes) -> bool | None:
        """Write one framed chunk (``b"%x\\r\\n" % len(body) + body + b"\\r\\n"``):
        True when written, False when the connection's buffer is full (use ``send``,
        which waits), None when the response or its connection has ended."""
        cycle = self._cycle
        if cycle.disconnected or cycle.response_complete:
            return None
        if cycle.flow.write_paused:
            return False
        self._transport.write(chunk)
        return True


def chunk_writer(scope: dict[str, Any] | Any) -> ChunkWriter | None:
    """A :class:`ChunkWriter` for a started chunked response of this request, or None
    when the server is not the emulator's (tests' in-process transports) or the
    response is not chunked."""
    ref = scope.get(_CYCLE)
    cycle = ref() if ref is not None else None
    if cycle is None or not cycle.response_started or not cycle.chunked_encoding:
        return None
    return ChunkWriter(cycle)


class ConnectionPool:
    """Connections of one server that may be closed to make room, oldest idle first."""

    def __init__(self) -> None:
        self.idle: OrderedDict[LimitedHttpToolsProtocol, None] = OrderedDict()
        self.closing = 0  # closed by us, not yet gone from uvicorn's connection set


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits, per connection:

    * a cap on the size of a request head (request line + headers): 431, connection
      closed. httptools buffers a header before reporting it, so the bytes are
      counted as they arrive, not per parsed header;
    * a deadline for the head (from the connection's first moment, or from the first
      byte of a later request on a keep-alive connection): 408 (or a silent close when
      nothing at all was sent), and one for the body: 408. A deadline is armed only
      when a chunk leaves a head or a body incomplete, so a request that arrives whole
      costs no timer;
    * an idle timeout between requests (uvicorn's keep-alive timeout).

    A request whose head and body arrived is never timed out afterwards, so streams
    live as long as their client. Across connections there is a cap: when a new
    connection would exceed it, the connections that are between requests (idle, or
    still sending a head) are closed, oldest first; busy ones (a request being
    handled, an open stream) are never closed, and if no idle one is left the new
    connection is closed instead.
    """

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    cap: ClassVar[int] = ConnectionLimits().connection_cap()
    pool: ClassVar[ConnectionPool] = ConnectionPool()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._deadline: TimerHandle | None = None
        self._in_head = True  # waiting for, or reading, a request head
        self._head_bytes = 0
        self._heads = 0  # request heads completed on this connection
        self._begun = False  # a request head has begun and is not complete yet
        self._body_due = False  # a body is being received (its deadline applies)
        self._shut_down = False  # closed by one of the limits

    # ------------------------------------------------------------ timers

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _busy(self) -> bool:
        """A response is under way (a request being handled, an open stream)."""
        cycle: RequestResponseCycle | None = self.cycle
        return cycle is not None and not cycle.response_complete

    def _shut(self, answer: bytes | None = None) -> None:
        """Close this connection for a limit (after ``answer``, if any)."""
        self._disarm()
        self.pool.idle.pop(self, None)
        if self.transport.is_closing():
            return
        if answer is not None:
            self.transport.write(answer)
        if not self._shut_down:
            self._shut_down = True
            self.pool.closing += 1
        self.transport.close()

    def _head_timed_out(self) -> None:
        self._deadline = None
        if not self._busy():
            self._shut(_TIMED_OUT if self._head_bytes else None)

    def _body_timed_out(self) -> None:
        self._deadline = None
        cycle: RequestResponseCycle | None = self.cycle
        # the app sees a disconnect and drops the partial body
        self._shut(_TIMED_OUT if cycle is not None and not cycle.response_started else None)

    # ------------------------------------------------------------ connection cap

    def _make_room(self) -> None:
        excess = len(self.connections) - self.pool.closing - self.cap
        while excess > 0:
            if not self.pool.idle:
                self._shut()  # only busy connections left: turn the newcomer away
                return
            oldest = next(iter(self.pool.idle))
            oldest._shut()
            excess -= 1

    # ------------------------------------------------------------ protocol events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout_s, self._head_timed_out)
        self._make_room()
        if not self.transport.is_closing():
            self.pool.idle[self] = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.pool.idle.pop(self, None)
        if self._shut_down:
            self._shut_down = False
            self.pool.closing -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._in_head:
            super().data_received(data)
            self._arm_if_incomplete(heads=-1)
            return
        heads = self._heads
        room = self.limits.max_header_bytes - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            self._arm_if_incomplete(heads)
            return
        self._head_bytes += room
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._heads == heads:  # the head did not end within the cap
            self._shut(_HEAD_TOO_LARGE)
            return
        self.data_received(data[room:])

    def _arm_if_incomplete(self, heads: int) -> None:
        """After parsing a chunk: start the deadline of a head or body left incomplete
        (``heads``: the count of completed heads before the chunk; -1 in a body)."""
        if self._deadline is not None or self.transport.is_closing():
            return
        if not self._in_head:
            if self._body_due:
                self._arm(self.limits.body_timeout_s, self._body_timed_out)
        elif (self._begun or self._heads == heads) and not self._busy():
            # a head in progress, or bytes that began none (the first of the next request)
            self._arm(self.limits.header_timeout_s, self._head_timed_out)

    def on_message_begin(self) -> None:
        self._begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._begun = False
        self._heads += 1
        self.pool.idle.pop(self, None)  # busy from now on
        self._disarm()
        # pipelined behind a response still under way: its body is not read yet
        self._body_due = not self._busy()
        previous = self.cycle
        super().on_headers_complete()
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is not None and cycle is not previous:
            cycle.transport = _OneWrite(  # type: ignore[assignment]
                self.transport, hold=self.scope["method"] != "HEAD"
            )
            self.scope[_CYCLE] = weakref.ref(cycle)  # type: ignore[typeddict-unknown-key]

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._body_due = False
        self._head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._busy() and not self.transport.is_closing():
            self.pool.idle[self] = None  # idle again, now the newest
            self.pool.idle.move_to_end(self)


def protocol_class(limits: ConnectionLimits | None = None) -> type[LimitedHttpToolsProtocol]:
    """The protocol class uvicorn should run for these limits (one per server: it holds
    that server's pool of idle connections)."""
    chosen = limits or ConnectionLimits()
    return type(
        "EmulatorHttpProtocol",
        (LimitedHttpToolsProtocol,),
        {"limits": chosen, "cap": chosen.connection_cap(), "pool": ConnectionPool()},
    )
