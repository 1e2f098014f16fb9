"""Abortable HTTP tries: a deadline per try, cancellation and ``close()`` from any thread.

Our connections make their own sockets and hand each one to the running
:class:`CallScope`; aborting the call shuts that socket down, so the try ends at once in
any phase: connecting, the TLS handshake, waiting for headers or reading the body.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import selectors
import socket
import ssl
import threading
import time
from contextvars import ContextVar
from typing import Any, Final

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util.ssl_ import create_urllib3_context, resolve_cert_reqs, resolve_ssl_version

from kraty_pygame.sdk.options import is_loopback_address

__all__ = ["CallScope", "CancelToken", "DeadlineWatchdog", "KratyHTTPAdapter"]

TIMED_OUT: Final = 2
CANCELLED: Final = 3
_POLL: Final = 0.05
_IN_PROGRESS: Final = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})

running: ContextVar[CallScope | None] = ContextVar("kraty_http_call", default=None)
"""The call the current thread is making (read by our connections)."""


class CallScope:
    """One logical call: its tries (one at a time) and the waits between them."""

    def __init__(self) -> None:
        self.reason: str | None = None  # why the whole call was aborted
        self._lock = threading.Lock()
        self._event = threading.Event()
        self.begin()

    def begin(self) -> bool:
        """Start a try; False when the call is already aborted."""
        with self._lock:
            self.deadline: float | None = None
            self.cut = 0  # TIMED_OUT or CANCELLED once this try was aborted
            self.hooked = self.connected = False  # one of our connections took part / sent
            self.sock: socket.socket | None = None
            self.raw: Any = None  # a foreign adapter's response (shut down instead)
            return self.reason is None

    @property
    def aborted(self) -> bool:
        return self.cut != 0 or self.reason is not None

    def attach(self, sock: Any, *, connected: bool = True, raw: bool = False) -> None:
        """Let an abort shut ``sock`` (``connected``: the request may go out on it; ``raw``:
        a foreign adapter's response). Raises OSError when the try was aborted already."""
        with self._lock:
            if raw:
                self.raw = sock
            else:
                self.sock, self.hooked, self.connected = sock, True, self.connected or connected
            if self.cut > 0:
                self._shut()
        if self.aborted and not raw:
            raise OSError(errno.ECONNABORTED, "request aborted")

    def abort(self, reason: str) -> None:
        """Abort the running try and any wait; ``reason`` is kept for the error."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
                self._cut(CANCELLED)
        self._event.set()

    def expire(self, deadline: float) -> None:
        """The watchdog's call: end the try whose deadline this is."""
        with self._lock:
            if self.deadline == deadline:
                self._cut(TIMED_OUT)

    def _cut(self, state: int) -> None:
        if self.cut == 0:  # a try is running and was not cut yet
            self.cut = state
            self._shut()  # under the lock: a finished try's socket may serve another call

    def _shut(self) -> None:
        with contextlib.suppress(Exception):
            if self.sock is not None:  # the plain method also works on a TLS socket in use
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
            elif self.raw is not None:
                (getattr(self.raw, "shutdown", None) or self.raw.close)()

    def arm(self, deadline: float | None) -> bool:
        """Set (None: drop) the try's deadline; False when the try was already cut."""
        with self._lock:
            self.deadline = deadline
            return not self.cut

    def finish(self) -> int:
        """End the try; returns how it was cut (0: it was not)."""
        with self._lock:
            self.deadline = self.sock = self.raw = None
            cut, self.cut = self.cut, -1  # -1: between tries, nothing to cut
            return max(cut, 0)

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the call was aborted meanwhile."""
        return self.reason is None if seconds <= 0 else not self._event.wait(seconds)


def _addresses(conn: HTTPConnection, loopback_only: bool) -> list[Any]:
    try:
        infos = socket.getaddrinfo(conn.host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if loopback_only and not all(is_loopback_address(str(info[4][0])) for info in infos):
        # Checked at every connect: DNS may answer differently than when the client was
        # built, and the key and secret would go out in cleartext.
        raise NewConnectionError(conn, f"refused plain http:// to {conn.host}: not loopback")
    return infos


def _connect(conn: HTTPConnection, scope: CallScope, loopback_only: bool) -> socket.socket:
    """A TCP connect that an abort ends at once (the scope holds the socket meanwhile)."""
    budget = conn.timeout if isinstance(conn.timeout, int | float) else None
    limit = time.monotonic() + (budget or 1e9)
    last: OSError | None = None
    for family, kind, proto, _name, address in _addresses(conn, loopback_only):
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.setblocking(False)
            scope.attach(sock, connected=False)
            if (code := sock.connect_ex(address)) in _IN_PROGRESS:
                with selectors.DefaultSelector() as selector:
                    selector.register(sock, selectors.EVENT_WRITE)
                    while not selector.select(_POLL):
                        if time.monotonic() >= limit:
                            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out")
                        scope.attach(sock, connected=False)  # raises once the try is aborted
                scope.attach(sock, connected=False)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, errno.errorcode.get(code, str(code)))
            sock.settimeout(budget)
            return sock
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError) or exc.errno == errno.ECONNABORTED:
                raise
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _Connection(HTTPConnection):
    """Connects on its own sockets and hands them to the running call."""

    loopback_only = False

    def connect(self) -> None:
        scope = running.get()
        if scope is None or self.proxy is not None or not self.own_handshake():
            if self.loopback_only:
                _addresses(self, True)
            super().connect()  # bounded by the socket timeouts until the socket is handed over
        else:
            self.sock = self.handshake(_connect(self, scope, self.loopback_only), scope)
        if scope is not None:
            scope.attach(self.sock)

    def own_handshake(self) -> bool:
        """True when :meth:`handshake` covers this connection's settings."""
        return True

    def handshake(self, sock: socket.socket, scope: CallScope) -> socket.socket:
        """What goes on after the TCP connect (HTTPS: TLS); returns the socket to use."""
        return sock

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        scope = running.get()
        if scope is not None and self.sock is not None:
            scope.attach(self.sock)  # a pooled connection, reused
        super().request(method, url, *args, **kwargs)


class _LoopbackConnection(_Connection):
    loopback_only = True


class _TLSConnection(_Connection, HTTPSConnection):
    """HTTPS: the TLS handshake on our socket, verified the way urllib3 verifies it."""

    def own_handshake(self) -> bool:  # else urllib3 checks the host name or fingerprint
        context = self.ssl_context
        pinned = self.assert_hostname is not None or self.assert_fingerprint
        return not pinned and (context is None or context.check_hostname)

    def handshake(self, sock: socket.socket, scope: CallScope) -> socket.socket:
        required = resolve_cert_reqs(self.cert_reqs)
        tls: ssl.SSLSocket | None = None
        try:
            context = self.ssl_context or create_urllib3_context(
                ssl_version=resolve_ssl_version(self.ssl_version),
                ssl_minimum_version=self.ssl_minimum_version,
                ssl_maximum_version=self.ssl_maximum_version,
                cert_reqs=required,  # CERT_REQUIRED also turns host name checking on
            )
            context.verify_mode = required
            if self.ca_certs or self.ca_cert_dir or self.ca_cert_data:
                context.load_verify_locations(self.ca_certs, self.ca_cert_dir, self.ca_cert_data)
            elif self.ssl_context is None:
                context.load_default_certs()
            if self.cert_file:
                context.load_cert_chain(self.cert_file, self.key_file, self.key_password)
            name = (self.server_hostname or self.host).strip("[]").partition("%")[0].rstrip(".")
            tls = context.wrap_socket(sock, server_hostname=name, do_handshake_on_connect=False)
            scope.attach(tls, connected=False)  # the TLS socket took the descriptor over
            tls.do_handshake()
        except BaseException:
            (tls or sock).close()
            raise
        self.is_verified = required == ssl.CERT_REQUIRED
        return tls


_POOLS: Final[dict[str, type[HTTPConnectionPool]]] = {
    name: type(name, (base,), {"ConnectionCls": cls})
    for name, base, cls in (
        ("http", HTTPConnectionPool, _Connection),
        ("loopback", HTTPConnectionPool, _LoopbackConnection),
        ("https", HTTPSConnectionPool, _TLSConnection),
    )
}


class KratyHTTPAdapter(HTTPAdapter):
    """A requests adapter with our connections (``loopback_only``: plain HTTP to loopback)."""

    def __init__(self, *args: Any, loopback_only: bool = False, **kwargs: Any) -> None:
        http = _POOLS["loopback" if loopback_only else "http"]
        self.kraty_pools = {"http": http, "https": _POOLS["https"]}
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.own(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        return self.own(manager) if not proxy.lower().startswith("socks") else manager

    def own(self, manager: PoolManager) -> PoolManager:
        manager.pool_classes_by_scheme = dict(self.kraty_pools)
        # Close a pool's idle sockets when the manager drops it (urllib3 leaves them to the GC).
        manager.pools.dispose_func = lambda pool: pool.close()
        return manager


class DeadlineWatchdog:
    """One lazily started thread that cuts tries past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, CallScope]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, call: CallScope, timeout: float) -> None:
        """Cut the call's running try ``timeout`` seconds from now (unless it ended)."""
        with self._cond:
            deadline = time.monotonic() + timeout
            if not call.arm(deadline) or self._stopped:
                return
            heapq.heappush(self._heap, (deadline, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kraty-deadline-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is call:
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
            heap = self._heap
            while not self._stopped:
                now = time.monotonic()
                # Pop what expired and ended tries (their deadline moved on) at the head,
                # so the thread sleeps until the earliest live deadline only.
                while heap and (heap[0][0] <= now or heap[0][2].deadline != heap[0][0]):
                    deadline, _n, call = heapq.heappop(heap)
                    if deadline <= now:
                        call.expire(deadline)
                self._cond.wait(heap[0][0] - now if heap else None)


class CancelToken:
    """Cancels every call it is passed to, from any thread, at once in any phase (the call
    raises :class:`~kraty_pygame.sdk.errors.KratyCancelledError`). A token stays cancelled."""

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
