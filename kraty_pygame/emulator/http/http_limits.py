"""Connection limits of the emulator's HTTP server (uvicorn on httptools).

:func:`protocol_class` returns the HTTP protocol uvicorn runs. On top of uvicorn's own
it enforces, per connection:

* a cap on the size of a request head (request line + headers): 431, connection
  closed. httptools buffers a header before reporting it, so the bytes are counted
  as they arrive, not per parsed header;
* a deadline for the head (from the connection's first moment, or from the first
  byte of a later request on a keep-alive connection): 408 (or a silent close when
  nothing at all was sent), and one for the body: 408;
* an idle timeout between requests (uvicorn's keep-alive timeout).

A request whose head and body arrived is never timed out afterwards, so SSE streams
live as long as their client. Across connections there is a cap: when a new
connection would exceed it, the connections that are between requests (idle, or
still sending a head) are closed, oldest first; busy ones (a request being handled,
an open stream) are never closed, and if no idle one is left the new connection is
closed instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from asyncio import TimerHandle
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

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


class ConnectionPool:
    """Connections of one server that may be closed to make room, oldest idle first."""

    def __init__(self) -> None:
        self.idle: OrderedDict[LimitedHttpToolsProtocol, None] = OrderedDict()
        self.closing = 0  # closed by us, not yet gone from uvicorn's connection set


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of the module docstring."""

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
            return
        if self._deadline is None and not self._busy():
            # the first byte of the next request on a keep-alive connection
            self._arm(self.limits.header_timeout_s, self._head_timed_out)
        room = self.limits.max_header_bytes - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        self._head_bytes += room
        heads = self._heads
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._heads == heads:  # the head did not end within the cap
            self._shut(_HEAD_TOO_LARGE)
            return
        self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._heads += 1
        self.pool.idle.pop(self, None)  # busy from now on
        if self._busy():  # pipelined behind a response still under way: not read yet
            self._disarm()
        else:
            self._arm(self.limits.body_timeout_s, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
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
