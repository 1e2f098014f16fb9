"""Abortable HTTP tries: our connections hand their sockets to the running call, so that a
deadline, a cancel or ``close()`` shuts the socket down in any phase of the try."""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import ssl
import threading
from contextvars import ContextVar
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util.ssl_ import create_urllib3_context, resolve_cert_reqs

from kraty_pygame.sdk.options import is_loopback_address, is_loopback_host

__all__ = ["TIMED_OUT", "CallScope", "CancelToken", "KratyHTTPAdapter", "running"]

TIMED_OUT: Final = "timed out"
_IN_PROGRESS: Final = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})
running: ContextVar[CallScope | None] = ContextVar("kraty_http_call", default=None)


class CallScope:
    """One logical call: its tries (one at a time) and the waits between them."""

    def __init__(self, owners: tuple[CancelToken, ...], loopback_only: bool) -> None:
        self.owners = owners  # what aborts the call: its client's calls, any cancel token
        self.loopback_only = loopback_only  # plain HTTP may go to loopback addresses only
        self.reason: str | None = None  # why the whole call was aborted
        self.deadline: float | None = None  # the running try's
        self.cut: str | None = None  # why the running try was aborted (TIMED_OUT or a reason)
        self.sent: bool | None = None  # None: no connection of ours took part in the try
        self.sock: socket.socket | None = None  # what an abort shuts down
        self.answer: Any = None  # the try's response once its headers are in
        self.stream: requests.Response | None = None  # an answer handed over as a stream
        self._lock = threading.Lock()
        self._woken = threading.Event()
        for owner in owners:
            owner.attach(self)

    def begin(self, deadline: float) -> bool:
        """Start a try that ends at ``deadline``; False when the call is already aborted."""
        with self._lock:
            self.deadline, self.cut, self.sent = deadline, None, None
            return self.reason is None

    def hold(self, sock: socket.socket, *, sent: bool) -> None:
        """Let an abort shut ``sock`` down (``sent``: the request may go out on it)."""
        with self._lock:
            self.sock, self.sent = sock, sent and self.cut is None
            if self.cut is None:
                return
            self._shut()
        raise ConnectionAbortedError(errno.ECONNABORTED, "request aborted")

    def abort(self, reason: str, deadline: float | None = None) -> None:
        """Abort the call and its waits; with ``deadline``, only the try ending then."""
        with self._lock:
            if deadline is None:
                self.reason = self.reason or reason
            if self.cut is None and deadline in (None, self.deadline):
                self.cut = reason
                self._shut()  # under the lock: a finished try's socket may serve another call
        if deadline is None:
            self._woken.set()

    def _shut(self) -> None:
        with contextlib.suppress(Exception):
            if self.sock is not None:  # the plain method also works on a TLS socket in use
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
            elif self.answer is not None:  # a foreign adapter's response
                (getattr(self.answer, "shutdown", None) or self.answer.close)()

    def finish(self, stream: requests.Response | None = None) -> str | None:
        """End the try, or hand its answer over as ``stream``; returns why it was cut."""
        with self._lock:
            self.deadline, self.stream = None, stream
            if stream is None:
                self.sock = self.answer = None
            return self.cut

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the call was aborted meanwhile."""
        return self.reason is None if seconds <= 0 else not self._woken.wait(seconds)


def _connect(conn: HTTPConnection, scope: CallScope, loopback_only: bool) -> socket.socket:
    """A TCP connect an abort ends within 50 ms (a shutdown does not, on every platform)."""
    try:
        infos = socket.getaddrinfo(conn.host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if loopback_only and not all(is_loopback_address(str(info[4][0])) for info in infos):
        # at each connect (DNS may change): the secrets would go out in cleartext
        raise NewConnectionError(conn, f"refused plain http:// to {conn.host}: not loopback")
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            sock.setblocking(False)
            code = sock.connect_ex(address)
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while code in _IN_PROGRESS and not selector.select(0.05):
                    scope.hold(sock, sent=False)  # raises once the try is aborted
            scope.hold(sock, sent=False)
            if code in _IN_PROGRESS:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, errno.errorcode.get(code, str(code)))
            sock.settimeout(conn.timeout if isinstance(conn.timeout, int | float) else None)
            return sock
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError) or isinstance(exc, ConnectionAbortedError):
                raise
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _Connection(HTTPConnection):
    """Connects on its own sockets and hands them to the running call."""

    def connect(self) -> None:
        scope = running.get()
        if scope is None:  # not one of our calls
            return super().connect()
        loopback_only = scope.loopback_only and not isinstance(self, HTTPSConnection)
        if self.proxy is not None:  # urllib3 talks to the proxy (and tunnels through it)
            if loopback_only and not is_loopback_host(self.host):
                raise NewConnectionError(self, f"refused plain http:// via proxy {self.host}")
            super().connect()  # bounded by the socket timeouts until the socket is handed over
        else:  # on failure urllib3 closes the connection, and so self.sock
            self.sock = _connect(self, scope, loopback_only)
            if isinstance(self, _TLSConnection):
                self.handshake(scope)
        scope.hold(self.sock, sent=True)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        scope = running.get()
        if scope is not None and self.sock is not None:
            scope.hold(self.sock, sent=True)  # a pooled connection, reused
        super().request(method, url, *args, **kwargs)


class _TLSConnection(_Connection, HTTPSConnection):
    def handshake(self, scope: CallScope) -> None:
        """A TLS handshake the call holds, checking what requests chose (CA, host, cert)."""
        context = create_urllib3_context(cert_reqs=resolve_cert_reqs(self.cert_reqs))
        if self.ca_certs or self.ca_cert_dir or self.ca_cert_data:
            context.load_verify_locations(self.ca_certs, self.ca_cert_dir, self.ca_cert_data)
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file, self.key_password)
        self.sock = tls = context.wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        scope.hold(tls, sent=False)
        tls.do_handshake()
        self.is_verified = context.verify_mode == ssl.CERT_REQUIRED


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class KratyHTTPAdapter(HTTPAdapter):
    """A requests adapter whose connections hand their sockets to the running call."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.own(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        return manager if proxy.lower().startswith("socks") else self.own(manager)

    @staticmethod
    def own(manager: PoolManager) -> PoolManager:
        manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        return manager


class CancelToken:
    """Cancels every call it is passed to, from any thread, at once in any phase (the call
    raises :class:`~kraty_pygame.sdk.errors.KratyCancelledError`). A token stays cancelled."""

    _why = "cancelled"

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._cancelled = False
        self._scopes: set[CallScope] = set()  # until they end, cancelled or not

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Abort the calls using this token (idempotent, any thread)."""
        with self._cond:
            self._cancelled = True
            scopes = tuple(self._scopes)
            self._cond.notify()
        for scope in scopes:
            scope.abort(self._why)

    def attach(self, scope: CallScope) -> None:
        """Let this token abort ``scope`` (at once if already cancelled)."""
        with self._cond:
            self._scopes.add(scope)
        if self._cancelled:
            scope.abort(self._why)

    def detach(self, scope: CallScope) -> None:
        """Forget a finished ``scope``."""
        with self._cond:
            self._scopes.discard(scope)
