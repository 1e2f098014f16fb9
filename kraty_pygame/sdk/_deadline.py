"""Bounded, abortable HTTP attempts for the transport.

Every HTTP attempt is an :class:`Attempt` with a deadline. The transport mounts
:class:`KratyHTTPAdapter`, whose urllib3 connections register themselves with the
attempt running on the current thread (before the TCP connect even starts), so an
attempt can be aborted from any thread by shutting its socket down: a blocked
``connect``/``recv`` returns at once. One :class:`DeadlineWatchdog` thread per client
aborts attempts that outlive their deadline, so a server dripping one byte a second
cannot hold an attempt past ``timeout``. :class:`CancelToken` and ``close()`` abort
calls the same way.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager, ProxyManager

from kraty_pygame.sdk.options import is_loopback_address

__all__ = [
    "ACTIVE",
    "CANCELLED",
    "DONE",
    "TIMED_OUT",
    "Attempt",
    "CallScope",
    "CancelToken",
    "DeadlineWatchdog",
    "KratyHTTPAdapter",
]

ACTIVE: Final = 0
DONE: Final = 1
TIMED_OUT: Final = 2
CANCELLED: Final = 3

_CONNECT_POLL: Final = 0.05
_IN_PROGRESS: Final = frozenset(
    {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EALREADY, 10035}
)

_local = threading.local()


class AttemptAborted(OSError):
    """Raised inside a connection when its attempt was aborted (internal)."""


class Attempt:
    """One HTTP try: its deadline, its live connections and how it ended."""

    __slots__ = ("_conns", "_lock", "connected", "deadline", "hooked", "response", "state")

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.state = ACTIVE
        self.connected = False
        self.hooked = False
        self.response: Any = None
        self._lock = threading.Lock()
        self._conns: list[HTTPConnection] = []

    def attach(self, conn: HTTPConnection) -> None:
        """Register a connection used by this attempt (raises if already aborted)."""
        with self._lock:
            if self.state in (TIMED_OUT, CANCELLED):
                raise AttemptAborted(errno.ECONNABORTED, "request aborted")
            self.hooked = True
            conn._kraty_attempt = self  # type: ignore[attr-defined]
            if conn not in self._conns:
                self._conns.append(conn)

    def set_response(self, raw: Any) -> None:
        """Remember the raw response so an abort can shut it down (unhooked adapters)."""
        with self._lock:
            self.response = raw
            aborted = self.state in (TIMED_OUT, CANCELLED)
        if aborted:
            _shutdown_response(raw)

    def abort(self, state: int) -> bool:
        """End the attempt as ``TIMED_OUT`` or ``CANCELLED``; False if it already ended
        (or, for ``TIMED_OUT``, if :meth:`disarm` took its deadline away)."""
        with self._lock:
            if self.state != ACTIVE or (state == TIMED_OUT and self.deadline is None):
                return False
            self.state = state
            conns = tuple(self._conns)
            raw = self.response
        for conn in conns:
            _shutdown_conn(conn, self)
        if raw is not None and not conns:
            _shutdown_response(raw)
        return True

    def disarm(self) -> bool:
        """Take the deadline away (a stream whose headers arrived lives on); False when
        the attempt already ended, e.g. the deadline passed as the headers came in."""
        with self._lock:
            self.deadline = None
            return self.state == ACTIVE

    def finish(self) -> int:
        """Mark the attempt done (if still active) and return its final state."""
        with self._lock:
            if self.state == ACTIVE:
                self.state = DONE
            self._conns.clear()
            return self.state

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None`` = no deadline)."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()


def _shutdown_conn(conn: HTTPConnection, attempt: Attempt) -> None:
    if getattr(conn, "_kraty_attempt", None) is not attempt:
        return  # the connection went back to the pool and serves someone else now
    sock = conn.sock
    if sock is None:
        return  # still connecting: the connect loop watches the attempt state
    # The plain socket method: safe on an SSLSocket that another thread is reading.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _shutdown_response(raw: Any) -> None:
    shutdown = getattr(raw, "shutdown", None)
    try:
        if shutdown is not None:
            shutdown()
        else:
            raw.close()
    except Exception:  # noqa: S110 - best effort on a foreign adapter's response
        pass


def current_attempt() -> Attempt | None:
    """The attempt running on this thread, if any."""
    attempt: Attempt | None = getattr(_local, "attempt", None)
    return attempt


def set_current_attempt(attempt: Attempt | None) -> None:
    """Bind ``attempt`` to this thread for the connection hooks."""
    _local.attempt = attempt


# --------------------------------------------------------------------------- connections


def _connect(conn: HTTPConnection, attempt: Attempt) -> socket.socket:
    """``create_connection`` with a non-blocking connect that an abort interrupts."""
    timeout = conn.timeout
    budget = timeout if isinstance(timeout, int | float) else None
    limit = attempt.deadline
    if budget is not None:
        cap = time.monotonic() + budget
        limit = cap if limit is None else min(limit, cap)
    host = conn._dns_host
    try:
        infos = socket.getaddrinfo(host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if getattr(conn, "loopback_only", False) and not all(
        is_loopback_address(str(info[4][0])) for info in infos
    ):
        # Checked at each connect, not only when the client was built: DNS may answer
        # differently now, and the key and secret would go out in cleartext.
        raise NewConnectionError(
            conn, f"refused plain http:// to {conn.host}: it resolves outside loopback"
        )
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
            if code:
                _wait_connected(sock, attempt, limit, conn)
            sock.settimeout(budget)
            attempt.connected = True
            sys.audit("http.client.connect", conn, conn.host, conn.port)
            return sock
        except (ConnectTimeoutError, AttemptAborted):
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


def _wait_connected(
    sock: socket.socket, attempt: Attempt, limit: float | None, conn: HTTPConnection
) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_WRITE)
        while True:
            if attempt.state in (TIMED_OUT, CANCELLED):
                raise AttemptAborted(errno.ECONNABORTED, "request aborted while connecting")
            wait = _CONNECT_POLL
            if limit is not None:
                left = limit - time.monotonic()
                if left <= 0:
                    raise ConnectTimeoutError(
                        conn, f"Connection to {conn.host} timed out (connect timeout)"
                    )
                wait = min(wait, left)
            if selector.select(wait):
                break
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OSError(code, errno.errorcode.get(code, str(code)))


def _hook_request(conn: HTTPConnection) -> None:
    attempt = current_attempt()
    if attempt is not None:
        attempt.attach(conn)
        if conn.sock is not None:
            attempt.connected = True


class _KratyHTTPConnection(HTTPConnection):
    """A connection the running attempt can abort: it registers with the attempt and
    connects through ``_connect`` (the HTTPS class below inherits both hooks)."""

    def _new_conn(self) -> socket.socket:
        attempt = current_attempt()
        if attempt is None:
            if getattr(self, "loopback_only", False):
                return _connect(self, Attempt(None))  # the address check applies anyway
            return super()._new_conn()
        attempt.attach(self)
        return _connect(self, attempt)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        _hook_request(self)
        super().request(method, url, body=body, headers=headers, **kwargs)


class _KratyHTTPSConnection(_KratyHTTPConnection, HTTPSConnection):
    """HTTPS with the same hooks; the MRO puts HTTPSConnection (TLS, port 443) right
    after them, so ``super()`` in the hooks reaches its connect and request."""


class _LoopbackHTTPConnection(_KratyHTTPConnection):
    """Plain HTTP that connects to loopback addresses only (no ``allow_insecure_http``)."""

    loopback_only = True


class _KratyHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _KratyHTTPConnection


class _LoopbackHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _LoopbackHTTPConnection


class _KratyHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _KratyHTTPSConnection


_POOL_CLASSES: Final[dict[str, type[HTTPConnectionPool]]] = {
    "http": _KratyHTTPConnectionPool,
    "https": _KratyHTTPSConnectionPool,
}


class KratyHTTPAdapter(HTTPAdapter):
    """A requests adapter whose connections can be aborted from another thread.

    With ``loopback_only`` its plain-HTTP connections go to loopback addresses only
    (HTTPS is unaffected); a name resolving to anything else is refused at connect time.
    """

    def __init__(self, *args: Any, loopback_only: bool = False, **kwargs: Any) -> None:
        self._pool_classes = dict(_POOL_CLASSES)
        if loopback_only:
            self._pool_classes["http"] = _LoopbackHTTPConnectionPool
        super().__init__(*args, **kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = DEFAULT_POOLBLOCK, **pool_kwargs: Any
    ) -> None:
        """Create the pool manager with abortable connection classes."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        manager: PoolManager = self.poolmanager
        manager.pool_classes_by_scheme = dict(self._pool_classes)

    def close(self) -> None:
        """Close every pooled connection now, then the pool managers.

        urllib3 2 forgets its pools on ``clear()`` and leaves their idle keep-alive
        sockets to garbage collection, so a closed client could keep a socket open.
        """
        managers: list[PoolManager] = [self.poolmanager, *self.proxy_manager.values()]
        for manager in managers:
            for key in list(manager.pools.keys()):
                pool = manager.pools.get(key)
                if pool is not None:
                    with contextlib.suppress(Exception):
                        pool.close()
        super().close()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Proxied connections are abortable too (except SOCKS)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager) and not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(self._pool_classes)
        return manager


# --------------------------------------------------------------------------- watchdog


class DeadlineWatchdog:
    """One lazily started thread that aborts attempts past their deadline.

    Attempts of one timeout value are registered in deadline order, so each bucket
    is an insertion-ordered dict: O(1) to add and to remove, the head is the earliest.
    """

    def __init__(self, name: str = "kraty-deadline-watchdog") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._buckets: dict[float, dict[Attempt, float]] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._wake_at = float("inf")

    def watch(self, attempt: Attempt, timeout: float) -> None:
        """Start the clock of ``attempt``: it is aborted ``timeout`` seconds from now."""
        with self._cond:
            deadline = time.monotonic() + timeout
            attempt.deadline = deadline
            if self._stopped:
                return
            bucket = self._buckets.get(timeout)
            if bucket is None:
                bucket = self._buckets[timeout] = {}
            bucket[attempt] = deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:
                self._cond.notify()

    def unwatch(self, attempt: Attempt, timeout: float) -> None:
        """Forget a finished attempt."""
        with self._cond:
            bucket = self._buckets.get(timeout)
            if bucket is not None:
                bucket.pop(attempt, None)
                if not bucket:  # attempts clipped by a total timeout use many values
                    del self._buckets[timeout]

    def stop(self) -> None:
        """Stop and join the thread (idempotent)."""
        with self._cond:
            self._stopped = True
            self._buckets.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _run(self) -> None:
        expired: list[Attempt] = []
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                wake = float("inf")
                for bucket in self._buckets.values():
                    while bucket:
                        attempt, deadline = next(iter(bucket.items()))
                        if deadline > now:
                            wake = min(wake, deadline)
                            break
                        del bucket[attempt]
                        expired.append(attempt)
                if expired:
                    self._cond.release()
                    try:
                        for attempt in expired:
                            attempt.abort(TIMED_OUT)
                    finally:
                        expired.clear()
                        self._cond.acquire()
                    continue
                self._wake_at = wake
                self._cond.wait(None if wake == float("inf") else wake - now)
                self._wake_at = float("inf")


# --------------------------------------------------------------------------- cancellation


class CallScope:
    """One logical call (all its attempts and backoff sleeps); abortable from any thread."""

    __slots__ = ("_event", "_lock", "attempt", "reason")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.attempt: Attempt | None = None
        self._lock = threading.Lock()
        self._event = threading.Event()

    def abort(self, reason: str) -> None:
        """Abort the running attempt and any backoff sleep; ``reason`` is kept for the error."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            attempt = self.attempt
        self._event.set()
        if attempt is not None:
            attempt.abort(CANCELLED)

    def begin(self, attempt: Attempt) -> bool:
        """Make ``attempt`` the running one; False when the call is already aborted."""
        with self._lock:
            if self.reason is not None:
                return False
            self.attempt = attempt
            return True

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the call was aborted meanwhile."""
        if seconds <= 0:
            return self.reason is None
        return not self._event.wait(seconds)


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
            if self._cancelled:
                return
            self._cancelled = True
            scopes = tuple(self._scopes)
            self._scopes.clear()
        for scope in scopes:
            scope.abort("cancelled")

    def _attach(self, scope: CallScope) -> None:
        with self._lock:
            if not self._cancelled:
                self._scopes.add(scope)
                return
        scope.abort("cancelled")

    def _detach(self, scope: CallScope) -> None:
        with self._lock:
            self._scopes.discard(scope)
