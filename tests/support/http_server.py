"""A small scriptable HTTP/1.1 server on 127.0.0.1 (port 0) for SDK behaviour tests.

It speaks just enough HTTP to exercise the transport for real: scripted replies,
replies that hang (before headers, or mid-body), bodies dripped one byte at a time,
HTML error pages, connection resets. Every request is recorded. ``stop()`` (or leaving
the ``with`` block) wakes every hanging handler, closes every socket and joins every
thread it started.

Also runnable as a process for the benchmark::

    python -m tests.support.http_server --json '{"data": {"ok": true}}'

prints ``PORT <n>`` on stdout and serves that body for every request until stdin closes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Recorded", "Reply", "ScriptedServer", "json_reply"]

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable",
    425: "Too Early",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The path without the query string."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        """The raw query string ('' when none)."""
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """What to do with one request.

    Attributes:
        status: HTTP status.
        body: bytes, text, or a JSON-able object (encoded as JSON).
        headers: extra response headers.
        action: ``respond`` | ``hang`` (read the request, never answer) | ``reset``
            (RST the connection) | ``close`` (close without answering) |
            ``drip`` (send headers, then the body one byte every ``drip_interval`` s) |
            ``drip_head`` (headers and body alike one byte every ``drip_interval`` s) |
            ``hang_body`` (send headers and half the body, then hang) |
            ``truncate`` (send headers and the body, then close the connection: with a
            ``content_length`` above the body's length the client sees a broken read).
        drip_interval: seconds between dripped bytes.
        content_length: override the Content-Length header (``None`` = the real length).
    """

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str = "respond"
    drip_interval: float = 1.0
    content_length: int | None = None

    def encoded_body(self) -> bytes:
        """The body as bytes."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


def json_reply(status: int, obj: Any, **headers: str) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(obj).encode(), {"content-type": "application/json", **headers})


Handler = Callable[[Recorded], Reply]


class ScriptedServer:
    """Threaded test server. Replies come from ``script`` in order, then from ``handler``
    (or the last scripted reply is repeated)."""

    def __init__(
        self,
        script: Iterable[Reply] = (),
        handler: Handler | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._tls = tls
        self._script = list(script)
        self._handler = handler
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[Recorded] = []
        self.request_event = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.connections_accepted = 0
        self._accept_thread = threading.Thread(target=self._accept_loop, name="scripted-accept")
        self._accept_thread.start()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ control

    def set_script(self, script: Iterable[Reply], handler: Handler | None = None) -> None:
        """Replace the pending replies (and optionally the handler)."""
        with self._lock:
            self._script = list(script)
            if handler is not None:
                self._handler = handler

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` requests were received (True) or ``timeout`` passes."""
        with self.request_event:
            return self.request_event.wait_for(lambda: len(self.requests) >= count, timeout)

    def stop(self) -> None:
        """Wake hanging handlers, close every socket, join every thread."""
        self._stop.set()
        self._accept_thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = tuple(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._accept_thread.join(timeout=10)
        with self._lock:
            threads = tuple(self._threads)
        for thread in threads:
            thread.join(timeout=10)
        alive = [t.name for t in threads if t.is_alive()]
        if alive or self._accept_thread.is_alive():
            raise RuntimeError(f"server threads did not stop: {alive}")

    # ------------------------------------------------------------------ serving

    def _accept_loop(self) -> None:
        self._listener.settimeout(
            0.1
        )  # so stop() is noticed without relying on close() waking accept
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._stop.is_set():
                    conn.close()
                    return
                self.connections_accepted += 1
                self._conns.add(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), name="scripted-conn")
                self._threads.append(thread)
            thread.start()

    def _next_reply(self, request: Recorded) -> Reply:
        with self._lock:
            if self._script:
                reply = (
                    self._script.pop(0)
                    if len(self._script) > 1 or self._handler
                    else self._script[0]
                )
                return reply
            handler = self._handler
        if handler is not None:
            return handler(request)
        return json_reply(200, {"data": {}})

    def _serve(self, conn: socket.socket) -> None:
        if self._tls is not None:
            plain = conn
            try:
                conn = self._tls.wrap_socket(plain, server_side=True)
            except OSError:
                with self._lock:
                    self._conns.discard(plain)
                plain.close()
                return
            with self._lock:
                self._conns.discard(plain)
                self._conns.add(conn)
        reader = conn.makefile("rb")
        try:
            while not self._stop.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                with self.request_event:
                    self.requests.append(request)
                    self.request_event.notify_all()
                reply = self._next_reply(request)
                if not self._send(conn, reply, head_only=request.method == "HEAD"):
                    return
        except OSError:
            return
        finally:
            reader.close()
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _send(self, conn: socket.socket, reply: Reply, *, head_only: bool = False) -> bool:
        if reply.action == "hang":
            self._stop.wait()
            return False
        if reply.action == "close":
            return False
        if reply.action == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        body = reply.encoded_body()
        length = reply.content_length if reply.content_length is not None else len(body)
        reason = _REASONS.get(reply.status, "Status")
        lines = [f"HTTP/1.1 {reply.status} {reason}", f"content-length: {length}"]
        lines += [f"{k}: {v}" for k, v in reply.headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if reply.action in ("drip", "drip_head"):
            if reply.action == "drip":
                conn.sendall(head)
            else:
                body = head + body
            for index in range(len(body)):
                if self._stop.wait(reply.drip_interval):
                    return False
                conn.sendall(body[index : index + 1])
            return True
        if reply.action == "hang_body":
            conn.sendall(head + body[: len(body) // 2])
            self._stop.wait()
            return False
        conn.sendall(head if head_only else head + body)
        return reply.action != "truncate"


def _read_request(reader: Any) -> Recorded | None:
    line = reader.readline(65537)
    if not line:
        return None
    try:
        method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    while True:
        raw = reader.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0") or 0))
    return Recorded(method, target, headers, body)


def main(argv: list[str] | None = None) -> int:
    """Serve one fixed JSON body until stdin closes (benchmark helper)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", default='{"data": {"ok": true}}')
    args = parser.parse_args(argv)
    body = args.json.encode()
    server = ScriptedServer(
        handler=lambda _r: Reply(200, body, {"content-type": "application/json"})
    )
    print(f"PORT {server.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
