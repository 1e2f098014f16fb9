"""A fault-injecting HTTP/1.1 proxy that sits between a client and a server on 127.0.0.1.

The reliability suites put it between the SDK and the emulator. For every request it
picks one fault kind with a seeded RNG (per-kind rates, so a run is reproducible: the
same seed gives the same sequence of decisions; with a single client thread the same
requests get the same faults) and counts what it injected:

``refuse``
    A new connection is accepted and reset at once (``SO_LINGER`` 0), before a byte is
    read. (A listening socket cannot refuse one connection and accept the next; for a
    true ``ECONNREFUSED`` use :meth:`FaultProxy.refusing`, which closes the listener.)
``reset_before``
    The request is read in full, then the client socket is reset; the server never sees it.
``reset_after``
    The request is forwarded, the server's complete response is read (so the server has
    committed), then the client socket is reset before a byte of the response is sent.
``stall``
    The request is read and held: nothing is forwarded and nothing is answered until the
    client gives up or ``stall_seconds`` pass (then reset).
``status_503`` / ``status_429``
    The proxy answers by itself (HTML 503, JSON 429) with ``Retry-After``; the server
    never sees the request. The connection stays usable.
``truncate``
    The request is forwarded; the client gets the response head and half of the body,
    then the connection is closed.
``corrupt``
    The request is forwarded; the client gets the full-length response with one body byte
    replaced by ``0xFF`` (never valid UTF-8, so never valid JSON).
``slow_drip``
    The request is forwarded; the response is sent in small pieces spread over
    ``drip_seconds``.

The proxy understands enough HTTP/1.1 to act per request on keep-alive connections:
request heads, ``Content-Length`` and chunked bodies, response framing (length,
chunked, until-close, bodiless statuses). Pass-through responses are relayed as they
arrive, so an SSE stream works through it. Every thread it starts is joined by
:meth:`FaultProxy.stop`; it also stops itself after ``max_lifetime`` seconds.
"""

from __future__ import annotations

import contextlib
import math
import random
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

from tests.support.fault_model import (
    ALL_FAULTS,
    COMMITTED_FAULTS,
    REQUEST_FAULTS,
    Decision,
    FaultKind,
    FaultRates,
    RequestHead,
    default_should_fault,
)
from tests.support.http_wire import (
    POLL,
    BufferedResponse,
    PeerClosed,
    SocketReader,
    Stopped,
    canned,
    chunked_raw,
    connection_close,
    content_length,
    dechunk,
    is_chunked,
    parse_head,
    reset,
)

__all__ = [
    "ALL_FAULTS",
    "COMMITTED_FAULTS",
    "REQUEST_FAULTS",
    "Decision",
    "FaultKind",
    "FaultProxy",
    "FaultRates",
    "RequestHead",
    "default_should_fault",
]

_MAX_BUFFERED = 32 * 1024 * 1024


_BODY_503 = b"<html><body><h1>503 Service Unavailable</h1><p>fault proxy</p></body></html>"
_BODY_429 = (
    b'{"error":{"code":"rate_limited","message":"fault proxy: too many requests","details":{}}}'
)


@dataclass
class _Tracked:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sockets: set[socket.socket] = field(default_factory=set)
    threads: list[threading.Thread] = field(default_factory=list)


class FaultProxy:
    """The proxy; use it as a context manager (``with FaultProxy(url, ...) as proxy``).

    Args:
        upstream: ``"http://127.0.0.1:PORT"`` or ``(host, port)`` of the real server.
        rates: fault probabilities (default: none, a transparent proxy).
        seed: seed of the decision RNG.
        retry_after: value of ``Retry-After`` on the proxy's own 503 / 429 answers.
        stall_seconds: how long a stalled request is held at most.
        drip_seconds: how long a slow-dripped response takes in total.
        drip_interval: pause between two dripped pieces.
        should_fault: which requests may get a fault (default: not ``/_emulator`` and
            not event streams).
        idle_timeout: a client connection idle this long between requests is closed.
        upstream_timeout: the longest pause tolerated inside an upstream response.
        max_lifetime: the proxy stops itself after this many seconds.
    """

    def __init__(
        self,
        upstream: str | tuple[str, int],
        *,
        rates: FaultRates | None = None,
        seed: int = 0,
        retry_after: str = "0",
        stall_seconds: float = 5.0,
        drip_seconds: float = 0.2,
        drip_interval: float = 0.01,
        should_fault: Callable[[RequestHead], bool] = default_should_fault,
        idle_timeout: float = 60.0,
        upstream_timeout: float = 30.0,
        max_lifetime: float = 900.0,
    ) -> None:
        if isinstance(upstream, str):
            rest = upstream.split("://", 1)[-1].rstrip("/")
            host, _, port = rest.partition(":")
            self.upstream = (host, int(port or 80))
        else:
            self.upstream = upstream
        self._rates = rates or FaultRates()
        self._rng = random.Random(seed)
        self.retry_after = retry_after
        self.stall_seconds = stall_seconds
        self.drip_seconds = drip_seconds
        self.drip_interval = drip_interval
        self.should_fault = should_fault
        self.idle_timeout = idle_timeout
        self.upstream_timeout = upstream_timeout
        self.max_lifetime = max_lifetime

        self._lock = threading.Lock()
        self._counts: Counter[FaultKind] = Counter()
        self._decisions: list[Decision] = []
        self._scheduled: list[FaultKind] = []
        self._scheduled_refusals = 0
        self._connections = 0
        self._stop = threading.Event()
        self._tracked = _Tracked()
        self._pause = threading.Event()  # refusing(): please close the listener
        self._paused = threading.Event()  # the acceptor closed it
        self._resume = threading.Event()  # refusing() ended: please reopen it
        self._listening = threading.Event()  # the acceptor (re)opened it
        self._acceptor: threading.Thread | None = None
        self._started_at = 0.0
        self.host = "127.0.0.1"
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> FaultProxy:
        """Bind 127.0.0.1 on a free port and start accepting."""
        listener = self._bind(0)
        self.port = listener.getsockname()[1]
        self._started_at = time.monotonic()
        self._acceptor = threading.Thread(
            target=self._accept_loop, args=(listener,), name="fault-proxy-accept"
        )
        self._acceptor.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every socket and join every thread; raise if one does not end in time."""
        self._stop.set()
        self._resume.set()
        with self._tracked.lock:
            open_sockets = list(self._tracked.sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        if self._acceptor is not None:
            self._acceptor.join(max(0.0, deadline - time.monotonic()))
        with self._tracked.lock:
            threads = list(self._tracked.threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in (self._acceptor, *threads) if t is not None and t.is_alive()]
        with self._tracked.lock:
            leftovers = list(self._tracked.sockets)
            self._tracked.sockets.clear()
        for sock in leftovers:
            with contextlib.suppress(OSError):
                sock.close()
        if alive:
            raise RuntimeError(f"fault proxy threads still running after stop: {alive}")

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL clients use to reach the upstream through the proxy."""
        return f"http://{self.host}:{self.port}"

    # -- control -----------------------------------------------------------------
    @property
    def rates(self) -> FaultRates:
        return self._rates

    def set_rates(self, rates: FaultRates) -> None:
        """Change the fault rates from now on (e.g. ``FaultRates()`` to stop faulting)."""
        with self._lock:
            self._rates = rates

    def schedule(self, *kinds: FaultKind) -> None:
        """Force the next faultable requests (``refuse``: the next connections) to these kinds."""
        with self._lock:
            for kind in kinds:
                if kind is FaultKind.REFUSE:
                    self._scheduled_refusals += 1
                else:
                    self._scheduled.append(kind)

    @contextlib.contextmanager
    def refusing(self, timeout: float = 5.0) -> Iterator[None]:
        """Close the listening socket so connects get ``ECONNREFUSED``; reopen on exit."""
        self._resume.clear()
        self._pause.set()
        if not self._paused.wait(timeout):
            raise RuntimeError("the acceptor did not close the listener in time")
        try:
            yield
        finally:
            self._pause.clear()
            self._resume.set()
            if not self._listening.wait(timeout):
                raise RuntimeError("the acceptor did not reopen the listener in time")

    @property
    def counts(self) -> dict[FaultKind, int]:
        """Faults injected so far by kind (``none`` = requests passed through untouched)."""
        with self._lock:
            return dict(self._counts)

    @property
    def faults_injected(self) -> int:
        with self._lock:
            return sum(n for kind, n in self._counts.items() if kind is not FaultKind.NONE)

    @property
    def decisions(self) -> list[Decision]:
        with self._lock:
            return list(self._decisions)

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def report_lines(self) -> list[str]:
        """``faults <kind>: <n>`` lines for every fault kind, in a fixed order."""
        counts = self.counts
        return [f"faults {kind.value}: {counts.get(kind, 0)}" for kind in ALL_FAULTS]

    # -- internals ---------------------------------------------------------------
    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(128)
        sock.settimeout(POLL)
        return sock

    def _decide_connection(self) -> FaultKind:
        with self._lock:
            if self._scheduled_refusals:
                self._scheduled_refusals -= 1
                kind = FaultKind.REFUSE
            elif self._rates.refuse and self._rng.random() < self._rates.refuse:
                kind = FaultKind.REFUSE
            else:
                return FaultKind.NONE
            self._counts[kind] += 1
            self._decisions.append(Decision(len(self._decisions), kind, "", ""))
            return kind

    def _decide_request(self, head: RequestHead) -> FaultKind:
        faultable = self.should_fault(head)
        with self._lock:
            kind = FaultKind.NONE
            if faultable and self._scheduled:
                kind = self._scheduled.pop(0)
            elif faultable:
                draw = self._rng.random()
                acc = 0.0
                for candidate in REQUEST_FAULTS:
                    acc += self._rates.rate(candidate)
                    if draw < acc:
                        kind = candidate
                        break
            self._counts[kind] += 1
            self._decisions.append(Decision(len(self._decisions), kind, head.method, head.target))
            return kind

    def _track(self, sock: socket.socket) -> None:
        with self._tracked.lock:
            self._tracked.sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._tracked.lock:
            self._tracked.sockets.discard(sock)

    def _accept_loop(self, listener: socket.socket) -> None:
        """Accept connections; the only thread that closes or reopens the listener."""
        current: socket.socket | None = listener
        self._listening.set()
        try:
            while not self._stop.is_set():
                if self.max_lifetime and time.monotonic() - self._started_at > self.max_lifetime:
                    self._stop.set()  # stop by ourselves; stop() joins the rest
                    break
                if self._pause.is_set():
                    if current is not None:
                        current.close()
                        current = None
                        self._listening.clear()
                        self._paused.set()
                    self._resume.wait(POLL)
                    continue
                if current is None:
                    current = self._bind(self.port)
                    self._paused.clear()
                    self._listening.set()
                try:
                    client, _ = current.accept()
                except (TimeoutError, OSError):
                    continue
                self._on_accept(client)
        finally:
            if current is not None:
                current.close()

    def _on_accept(self, client: socket.socket) -> None:
        with self._lock:
            self._connections += 1
        if self._decide_connection() is FaultKind.REFUSE:
            reset(client)
            return
        self._track(client)
        thread = threading.Thread(
            target=self._serve_client, args=(client,), name="fault-proxy-conn"
        )
        with self._tracked.lock:
            self._tracked.threads = [t for t in self._tracked.threads if t.is_alive()]
            self._tracked.threads.append(thread)
        thread.start()

    def _serve_client(self, client: socket.socket) -> None:
        reader = SocketReader(client, self._stop)
        reset_done = False
        try:
            while not self._stop.is_set():
                raw_head = reader.read_head(self.idle_timeout)
                if raw_head is None:
                    return
                start_line, headers = parse_head(raw_head)
                parts = start_line.split(" ")
                if len(parts) != 3:
                    return
                head = RequestHead(parts[0].upper(), parts[1], headers)
                body = self._read_request_body(reader, headers)
                kind = self._decide_request(head)
                keep, reset_done = self._apply(kind, client, head, raw_head + body, parts[2])
                if not keep:
                    return
        except (Stopped, PeerClosed, OSError):
            return
        finally:
            self._untrack(client)
            if not reset_done:
                with contextlib.suppress(OSError):
                    client.close()

    def _read_request_body(
        self, reader: SocketReader, headers: tuple[tuple[str, str], ...]
    ) -> bytes:
        if is_chunked(headers):
            return b"".join(chunked_raw(reader, self.idle_timeout))
        length = content_length(headers) or 0
        return b"".join(reader.read_exact(length, self.idle_timeout))

    def _apply(
        self, kind: FaultKind, client: socket.socket, head: RequestHead, raw: bytes, version: str
    ) -> tuple[bool, bool]:
        """Handle one request; returns (keep the connection, socket already reset)."""
        request_close = connection_close(head.headers, version)
        if kind is FaultKind.RESET_BEFORE:
            reset(client)
            return False, True
        if kind is FaultKind.STALL:
            self._stall(client)
            reset(client)
            return False, True
        if kind is FaultKind.STATUS_503:
            client.sendall(
                canned(503, "Service Unavailable", "text/html", _BODY_503, self.retry_after)
            )
            return not request_close, False
        if kind is FaultKind.STATUS_429:
            client.sendall(
                canned(429, "Too Many Requests", "application/json", _BODY_429, self.retry_after)
            )
            return not request_close, False
        if kind is FaultKind.NONE:
            keep = self._relay(client, head, raw)
            return keep and not request_close, False

        response = self._forward_buffered(head, raw)
        if kind is FaultKind.RESET_AFTER:
            reset(client)
            return False, True
        if kind is FaultKind.TRUNCATE:
            full = response.head_bytes() + response.body
            cut = len(response.head_bytes()) + len(response.body) // 2
            if not response.body:
                cut = len(full) // 2
            client.sendall(full[:cut])
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)
            return False, False
        if kind is FaultKind.CORRUPT:
            body = bytearray(response.body)
            if body:
                with self._lock:
                    pos = self._rng.randrange(len(body))
                body[pos] = 0xFF
            client.sendall(response.head_bytes() + bytes(body))
            return not (request_close or response.close), False
        if kind is FaultKind.SLOW_DRIP:
            self._drip(client, response.head_bytes() + response.body)
            return not (request_close or response.close), False
        raise AssertionError(f"unhandled fault kind {kind}")

    def _stall(self, client: socket.socket) -> None:
        """Hold the request until the client leaves, the proxy stops or time runs out."""
        deadline = time.monotonic() + self.stall_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([client], [], [], POLL)
            if readable:
                try:
                    if not client.recv(65536, socket.MSG_PEEK):
                        return  # the client gave up and closed
                except OSError:
                    return
                return  # a pipelined request or garbage: stop stalling either way

    def _drip(self, client: socket.socket, data: bytes) -> None:
        pieces = max(1, int(self.drip_seconds / self.drip_interval))
        size = max(1, math.ceil(len(data) / pieces))
        for offset in range(0, len(data), size):
            if offset and self._stop.wait(self.drip_interval):
                raise Stopped
            client.sendall(data[offset : offset + size])

    def _open_upstream(self) -> tuple[socket.socket, SocketReader]:
        sock = socket.create_connection(self.upstream, timeout=self.upstream_timeout)
        self._track(sock)
        return sock, SocketReader(sock, self._stop)

    def _read_response_head(
        self, reader: SocketReader, on_interim: Callable[[bytes], None] | None
    ) -> tuple[bytes, str, int, tuple[tuple[str, str], ...]]:
        while True:
            raw = reader.read_head(self.upstream_timeout)
            if raw is None:
                raise PeerClosed("upstream closed before answering")
            status_line, headers = parse_head(raw)
            status = int(status_line.split(" ")[1])
            if 100 <= status < 200 and status != 101:
                if on_interim is not None:
                    on_interim(raw)
                continue
            return raw, status_line, status, headers

    def _relay(self, client: socket.socket, head: RequestHead, raw: bytes) -> bool:
        """Forward one request and relay the response as it arrives; True if keep-alive."""
        upstream, reader = self._open_upstream()
        try:
            upstream.sendall(raw)
            raw_head, status_line, status, headers = self._read_response_head(
                reader, client.sendall
            )
            client.sendall(raw_head)
            version = status_line.split(" ", 1)[0]
            if head.method == "HEAD" or status in (204, 304):
                return not connection_close(headers, version)
            if is_chunked(headers):
                for piece in chunked_raw(reader, self.upstream_timeout):
                    client.sendall(piece)
                return not connection_close(headers, version)
            length = content_length(headers)
            if length is not None:
                for piece in reader.read_exact(length, self.upstream_timeout):
                    client.sendall(piece)
                return not connection_close(headers, version)
            while piece := reader.read_some(65536, self.upstream_timeout):
                client.sendall(piece)
            return False
        finally:
            self._untrack(upstream)
            upstream.close()

    def _forward_buffered(self, head: RequestHead, raw: bytes) -> BufferedResponse:
        """Forward one request and read the whole response (the server has committed)."""
        upstream, reader = self._open_upstream()
        try:
            upstream.sendall(raw)
            _, status_line, status, headers = self._read_response_head(reader, None)
            version = status_line.split(" ", 1)[0]
            close = connection_close(headers, version)
            if head.method == "HEAD" or status in (204, 304):
                body = b""
            elif is_chunked(headers):
                body = dechunk(b"".join(chunked_raw(reader, self.upstream_timeout)))
            else:
                length = content_length(headers)
                if length is not None:
                    body = b"".join(reader.read_exact(length, self.upstream_timeout))
                else:
                    chunks: list[bytes] = []
                    total = 0
                    while piece := reader.read_some(65536, self.upstream_timeout):
                        chunks.append(piece)
                        total += len(piece)
                        if total > _MAX_BUFFERED:
                            raise PeerClosed("upstream response too large to buffer")
                    body = b"".join(chunks)
                    close = True
            kept = [
                (k, v)
                for k, v in headers
                if k.lower() not in ("transfer-encoding", "content-length")
            ]
            if not (head.method == "HEAD" or status in (204, 304)):
                kept.append(("content-length", str(len(body))))
            return BufferedResponse(status_line, kept, body, close)
        finally:
            self._untrack(upstream)
            upstream.close()
