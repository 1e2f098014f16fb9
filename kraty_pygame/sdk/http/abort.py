"""Abortable HTTP tries: a deadline per try, cancellation and ``close()`` from any thread.

Every try is an :class:`HttpTry`. The connection classes mounted by
:class:`KratyHTTPAdapter` hand their socket to the try running in the current context;
aborting the try shuts that socket down, so a blocked ``recv`` returns at once. One
:class:`DeadlineWatchdog` thread per client aborts tries that outlive their deadline.
Only public urllib3 and requests APIs are used (see ``docs/reliability.md``).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import selectors
import socket
import sys
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Final

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import ProxyManager

from kraty_pygame.sdk.options import is_loopback_address

__all__ = ["CallScope", "CancelToken", "DeadlineWatchdog", "HttpTry", "KratyHTTPAdapter"]

ACTIVE: Final = 0
DONE: Final = 1
TIMED_OUT: Final = 2
CANCELLED: Final = 3
_POLL: Final = 0.05
_IN_PROGRESS: Final = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})

running: ContextVar[HttpTry | None] = ContextVar("kraty_http_try", default=None)
"""The try the current thread is making (read by the connection classes)."""


class HttpTry:
    """One HTTP try: its deadline, its socket and how it ended (``state``)."""

    __slots__ = ("_lock", "connected", "deadline", "hooked", "response", "sock", "state")

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.state = ACTIVE
        self.hooked = False  # one of our connections took part (else: a foreign adapter)
        self.connected = False
        self.sock: socket.socket | None = None
        self.response: Any = None
        self._lock = threading.Lock()

    @property
    def aborted(self) -> bool:
        return self.state in (TIMED_OUT, CANCELLED)

    def attach(self, sock: socket.socket | None, response: Any = None) -> None:
        """Adopt the socket (or, for a foreign adapter, the response) to shut on abort."""
        with self._lock:
            self.hooked = self.hooked or response is None
            if sock is not None:
                self.sock, self.connected = sock, True
            self.response = response if response is not None else self.response
            if self.aborted:
                self._shut()
        if self.aborted and response is None:
            raise OSError(errno.ECONNABORTED, "request aborted")

    def abort(self, state: int) -> bool:
        """End the try as ``TIMED_OUT`` (only once its deadline passed) or ``CANCELLED``."""
        with self._lock:
            if self.state != ACTIVE:
                return False
            if state == TIMED_OUT and (self.deadline is None or time.monotonic() < self.deadline):
                return False
            self.state = state
            self._shut()  # under the lock: a finished try's socket may serve another call
            return True

    def _shut(self) -> None:
        if self.sock is not None:  # the plain method is safe on an SSLSocket being read
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        elif self.response is not None:  # a foreign adapter: shut its response instead
            with contextlib.suppress(Exception):
                (getattr(self.response, "shutdown", None) or self.response.close)()

    def disarm(self) -> bool:
        """Drop the deadline (an open stream lives on); False if the try already ended."""
        with self._lock:
            self.deadline = None
            return self.state == ACTIVE

    def finish(self) -> int:
        """Mark the try done (if still active); return its final state."""
        with self._lock:
            if self.state == ACTIVE:
                self.state = DONE
            self.sock = self.response = None
            return self.state


def _resolve(conn: HTTPConnection, loopback_only: bool) -> list[Any]:
    try:
        infos = socket.getaddrinfo(conn.host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if loopback_only and not all(is_loopback_address(str(info[4][0])) for info in infos):
        # Checked at every connect, not only when the client was built: DNS may answer
        # differently now, and the key and secret would go out in cleartext.
        raise NewConnectionError(
            conn, f"refused plain http:// to {conn.host}: it resolves outside loopback"
        )
    return infos


def _connect(conn: HTTPConnection, infos: list[Any], attempt: HttpTry) -> socket.socket:
    """A non-blocking TCP connect that an abort interrupts (plain HTTP, no proxy)."""
    budget = conn.timeout if isinstance(conn.timeout, int | float) else None
    limit = None if budget is None else time.monotonic() + budget
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code and code not in _IN_PROGRESS:
                raise OSError(code, errno.errorcode.get(code, str(code)))
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while code and not selector.select(_POLL):
                    if attempt.aborted:
                        raise OSError(errno.ECONNABORTED, "request aborted while connecting")
                    if limit is not None and time.monotonic() >= limit:
                        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out")
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, errno.errorcode.get(code, str(code)))
            sock.settimeout(budget)
            sys.audit("http.client.connect", conn, conn.host, conn.port)
            return sock
        except ConnectTimeoutError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            if exc.errno == errno.ECONNABORTED:
                raise
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _Connection(HTTPConnection):
    """Hands its socket to the running try; plain HTTP connects abortably."""

    loopback_only = False

    def connect(self) -> None:
        attempt = running.get()
        if attempt is not None:
            attempt.hooked = True
        plain = not isinstance(self, HTTPSConnection)
        infos = _resolve(self, self.loopback_only) if plain else []
        if attempt is None or not plain or self.proxy is not None:
            super().connect()  # TLS: bounded by the socket timeouts until it is attached
        else:
            self.sock = _connect(self, infos, attempt)
        if attempt is not None:
            attempt.attach(self.sock)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        attempt = running.get()
        if attempt is not None and self.sock is not None:
            attempt.attach(self.sock)  # a pooled connection, reused
        super().request(method, url, body=body, headers=headers, **kwargs)


class _LoopbackConnection(_Connection):
    loopback_only = True


class _TLSConnection(_Connection, HTTPSConnection):
    """HTTPS with the same hooks (``super()`` reaches HTTPSConnection's connect)."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _LoopbackPool(HTTPConnectionPool):
    ConnectionCls = _LoopbackConnection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class KratyHTTPAdapter(HTTPAdapter):
    """A requests adapter whose connections a try can abort from another thread.

    With ``loopback_only`` plain-HTTP connections go to loopback addresses only.
    """

    def __init__(self, *args: Any, loopback_only: bool = False, **kwargs: Any) -> None:
        http = _LoopbackPool if loopback_only else _Pool
        self.kraty_pools: dict[str, type[HTTPConnectionPool]] = {"http": http, "https": _TLSPool}
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.kraty_pools)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager) and not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(self.kraty_pools)
        return manager

    def close(self) -> None:
        """Close every pooled connection now (urllib3 2 leaves idle sockets to the GC)."""
        for manager in (self.poolmanager, *self.proxy_manager.values()):
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None:
                    with contextlib.suppress(Exception):
                        pool.close()
        super().close()


class DeadlineWatchdog:
    """One lazily started thread that aborts tries past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, HttpTry]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, attempt: HttpTry, timeout: float) -> None:
        """Abort ``attempt`` ``timeout`` seconds from now unless it ended or was disarmed."""
        with self._cond:
            attempt.deadline = deadline = time.monotonic() + timeout
            if self._stopped:
                return
            heapq.heappush(self._heap, (deadline, next(self._order), attempt))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kraty-deadline-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is attempt:
                self._cond.notify()

    def stop(self) -> None:
        """Stop and join the thread (idempotent)."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    heapq.heappop(self._heap)[2].abort(TIMED_OUT)  # a no-op once it ended
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


class CallScope:
    """One logical call (its tries and backoff sleeps); abortable from any thread."""

    __slots__ = ("_event", "_lock", "attempt", "reason")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.attempt: HttpTry | None = None
        self._lock = threading.Lock()
        self._event = threading.Event()

    def abort(self, reason: str) -> None:
        """Abort the running try and any backoff sleep; ``reason`` is kept for the error."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason, attempt = reason, self.attempt
        self._event.set()
        if attempt is not None:
            attempt.abort(CANCELLED)

    def begin(self, attempt: HttpTry) -> bool:
        """Make ``attempt`` the running try; False when the call is already aborted."""
        with self._lock:
            self.attempt = attempt
            return self.reason is None

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the call was aborted meanwhile."""
        return self.reason is None if seconds <= 0 else not self._event.wait(seconds)


class CancelToken:
    """Cancels every call it is passed to, from any thread.

    A cancelled call raises :class:`~kraty_pygame.sdk.errors.KratyCancelledError`;
    its socket is shut down at once, even while waiting for response headers.
    A token stays cancelled: calls started with it later fail immediately.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._scopes: set[CallScope] = set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Abort the calls using this token (idempotent, any thread)."""
        with self._lock:
            self._cancelled = True
            scopes, self._scopes = tuple(self._scopes), set()
        for scope in scopes:
            scope.abort("cancelled")

    def attach(self, scope: CallScope) -> None:
        """Let this token abort ``scope`` (at once if already cancelled)."""
        with self._lock:
            if not self._cancelled:
                self._scopes.add(scope)
                return
        scope.abort("cancelled")

    def detach(self, scope: CallScope) -> None:
        """Forget a finished ``scope``."""
        with self._lock:
            self._scopes.discard(scope)
