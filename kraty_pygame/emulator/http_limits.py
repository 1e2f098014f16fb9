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


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of the module docstring."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    cap: ClassVar[int] = ConnectionLimits().connection_cap()

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
        self._since = 0.0  # when the connection last became idle (eviction order)

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

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self._busy():
            return
        if self._head_bytes:
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is not None and not cycle.response_started:
            self.transport.write(_TIMED_OUT)
        self.transport.close()  # the app sees a disconnect and drops the partial body

    # ------------------------------------------------------------ connection cap

    def _idle(self) -> bool:
        return self._in_head and not self._busy() and not self.transport.is_closing()

    def _make_room(self) -> None:
        live = [
            c
            for c in self.connections
            if isinstance(c, HttpToolsProtocol) and not c.transport.is_closing()
        ]
        excess = len(live) - self.cap
        if excess <= 0:
            return
        idle = sorted(
            (
                c
                for c in live
                if isinstance(c, LimitedHttpToolsProtocol) and c is not self and c._idle()
            ),
            key=lambda c: c._since,
        )
        for connection in idle[:excess]:
            connection._disarm()
            connection.transport.close()
        if len(idle) < excess:
            self._disarm()
            self.transport.close()

    # ------------------------------------------------------------ protocol events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._since = self.loop.time()
        self._arm(self.limits.header_timeout_s, self._head_timed_out)
        if len(self.connections) > self.cap:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
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
            self._disarm()
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()
            return
        self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._heads += 1
        if self._busy():  # pipelined behind a response still under way: not read yet
            self._disarm()
        else:
            self._arm(self.limits.body_timeout_s, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._head_bytes = 0
        self._since = self.loop.time()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._since = self.loop.time()
        super().on_response_complete()


def protocol_class(limits: ConnectionLimits | None = None) -> type[LimitedHttpToolsProtocol]:
    """The protocol class uvicorn should run for these limits."""
    chosen = limits or ConnectionLimits()
    return type(
        "EmulatorHttpProtocol",
        (LimitedHttpToolsProtocol,),
        {"limits": chosen, "cap": chosen.connection_cap()},
    )
