"""A client's HTTP calls: each try (a request, or the opening of a stream) cut at its
deadline, abortable from any thread in any phase, and the rules for retrying."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import errno
import http.client
import math
import selectors
import socket
import ssl
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import requests
from requests import exceptions as rq
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3 import exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.ssl_ import create_urllib3_context, resolve_cert_reqs

from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, RETRYABLE_STATUSES
from kraty_pygame.sdk.errors import KratyApiError, KratyConfigError, KratyProtocolError
from kraty_pygame.sdk.options import RetryConfig, is_loopback_address, is_loopback_host

__all__ = [
    "MAY_HAVE_APPLIED",
    "NETWORK_ERRORS",
    "CallScope",
    "Calls",
    "CancelToken",
    "KratyHTTPAdapter",
    "Outcome",
    "delay_before_retry",
    "parse_retry_after",
    "status_is_retryable",
]

_TIMED_OUT: Final = "timed out"
_running: ContextVar[CallScope | None] = ContextVar("kraty_http_call", default=None)
"""The call this thread is making (read by our connections)."""
NETWORK_ERRORS: Final = (rq.RequestException, u3.HTTPError, http.client.HTTPException, OSError)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
MAY_HAVE_APPLIED: Final = frozenset({500, 502, 504})
"""Statuses after which a write may have been applied (a failure after the commit, a lost
answer); any other status refuses the request before the write."""
_CONFIG_ERRORS: Final = (rq.InvalidURL, rq.InvalidHeader, rq.InvalidSchema, rq.MissingSchema)
_NOT_SENT: Final = (rq.ConnectTimeout, u3.ConnectTimeoutError, ConnectionRefusedError)
_IN_PROGRESS: Final = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, 10035})


class CallScope:
    """One logical call: its tries (one at a time) and the waits between them."""

    def __init__(self, owners: tuple[CancelToken, ...], loopback_only: bool) -> None:
        self.owners = owners  # what aborts the call: its client's calls, any cancel token
        self.loopback_only = loopback_only  # plain HTTP may go to loopback addresses only
        self.reason: str | None = None  # why the whole call was aborted
        self.deadline: float | None = None  # the running try's
        self.cut: str | None = None  # why the running try was aborted (_TIMED_OUT or a reason)
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
        """Let an abort shut ``sock`` down (``sent``: the request may go out on it); raises
        ``ConnectionAbortedError`` when the try was cut already."""
        with self._lock:
            self.sock, self.sent = sock, sent and self.cut is None
            if self.cut is None:
                return
            self._shut()
        raise ConnectionAbortedError(errno.ECONNABORTED, "request aborted")

    def abort(self, reason: str, deadline: float | None = None) -> None:
        """Abort the call and wake its waits; with ``deadline`` (the deadline thread's
        call), cut only the try that ends then, and the call may retry."""
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
        """End the try, or hand its answer over as ``stream`` (its socket stays held, so an
        abort still shuts it); returns why the try was cut (None: it was not)."""
        with self._lock:
            self.deadline, self.stream = None, stream
            if stream is None:
                self.sock = self.answer = None
            return self.cut

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the call was aborted meanwhile."""
        return self.reason is None if seconds <= 0 else not self._woken.wait(seconds)


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


@dataclass(slots=True)
class Outcome:
    """How one try ended: an answer (``status``; ``response`` for an open stream) or a
    ``failure`` (``sent``: the request may have left; ``timed_out``: by its deadline)."""

    status: int | None = None
    body: bytes = b""
    retry_after: str | None = None
    failure: BaseException | None = None
    sent: bool = True
    timed_out: bool = False
    duration_ms: float = 0.0
    response: requests.Response | None = None


class Calls(CancelToken):
    """A client's calls in flight: runs each try, one thread cuts each try at its deadline,
    and :meth:`close` aborts them all. It keeps no session (each try is given the client's):
    its thread outlives a client that is dropped without ``close()``."""

    _why = "closed"

    def __init__(self, *, loopback_only: bool, max_response_bytes: int, verify: bool | str) -> None:
        super().__init__()
        self.verify = verify  # True, or the path of a CA bundle the environment named
        self.max_response_bytes = max_response_bytes
        self._loopback_only = loopback_only
        self._thread = threading.Thread(target=self._watch, name="kraty-deadlines", daemon=True)
        self._wake_at = math.inf  # when that thread (started by the first try) wakes next

    def open(self, token: CancelToken | None) -> CallScope:
        """A new call's scope, aborted by :meth:`close` and by ``token``."""
        return CallScope((self, token) if token is not None else (self,), self._loopback_only)

    def done(self, scope: CallScope) -> None:
        """Forget a finished call, and the streams whose response was closed."""
        with self._cond:
            streams = {s: s.stream for s in self._scopes if s.stream is not None}
        ended = [s for s, stream in streams.items() if getattr(stream.raw, "closed", True)]
        for each in (scope, *ended):
            for owner in each.owners:
                owner.detach(each)

    def run(
        self,
        scope: CallScope,
        method: str,
        url: str,
        payload: bytes | None,
        headers: dict[str, str],
        *,
        session: requests.Session,
        timeout: float,
        stream_read_timeout: float | None = None,
    ) -> Outcome:
        """One try of ``scope`` on ``session``, cut after ``timeout`` seconds; with
        ``stream_read_timeout``, a 2xx answer comes back unread as ``response``. Raises
        ``KratyProtocolError`` for a 2xx body over the cap, ``KratyConfigError`` for a
        request that cannot be built."""
        started, deadline = time.perf_counter(), time.monotonic() + timeout
        with self._cond:
            if not scope.begin(deadline):
                return Outcome(failure=ConnectionAbortedError("call aborted"), sent=False)
            if self._thread.ident is None:
                self._thread.start()
            elif deadline < self._wake_at:
                self._cond.notify()
        outcome, reset = Outcome(), _running.set(scope)
        try:
            response = session.request(
                method, url, data=payload, headers=headers, stream=True, verify=self.verify,
                timeout=(timeout, stream_read_timeout or timeout), allow_redirects=False,
            )  # fmt: skip
            scope.answer = response.raw  # what an abort shuts if no socket of ours is held
            status = outcome.status = response.status_code
            outcome.retry_after = response.headers.get("retry-after")
            if stream_read_timeout is not None and 200 <= status < 300:
                if scope.finish(response) is None:  # the caller's now; an abort still ends it
                    outcome.response = response
                    return outcome
                response.close()  # the deadline passed as the headers came in
                raise ConnectionAbortedError("try aborted")
            with response:  # an error page over the cap reads as empty
                cap = self.max_response_bytes
                outcome.body = response.raw.read(cap + 1, decode_content=True)
                if len(outcome.body) > cap and 200 <= status < 300:
                    refused = f"response body exceeds max_response_bytes={cap}; refused"
                    raise KratyProtocolError(refused, status=status)
                outcome.body = b"" if len(outcome.body) > cap else outcome.body
        except _CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            outcome.failure = exc
        finally:
            _running.reset(reset)
            cut = None if outcome.response is not None else scope.finish()
            outcome.duration_ms = (time.perf_counter() - started) * 1000.0
        if cut is None and outcome.failure is None:
            return outcome
        # A socket shut during the headers looks like their end to http.client, so even a
        # "200" here is not an answer.
        failure = outcome.failure or ConnectionAbortedError("try aborted")
        sent = not is_connect_failure(failure) if scope.sent is None else scope.sent
        timed = cut == _TIMED_OUT or isinstance(failure, rq.Timeout | u3.TimeoutError)
        return Outcome(None, b"", None, failure, sent, timed, outcome.duration_ms)

    def close(self) -> None:
        """Abort every call, close the streams and stop the thread (idempotent)."""
        self.cancel()
        with self._cond:
            streams = [s.stream for s in self._scopes if s.stream is not None]
        for stream in streams:  # out of the pool, where the session's close misses them
            with contextlib.suppress(Exception):
                stream.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def _watch(self) -> None:
        with self._cond:
            while not self._cancelled:
                now, self._wake_at = time.monotonic(), math.inf
                for scope in self._scopes:
                    if (deadline := scope.deadline) is not None and deadline <= now:
                        scope.abort(_TIMED_OUT, deadline)
                    elif deadline is not None:
                        self._wake_at = min(self._wake_at, deadline)
                self._cond.wait(self._wake_at - now if self._wake_at < math.inf else None)


def _connect(conn: HTTPConnection, scope: CallScope, loopback_only: bool) -> socket.socket:
    """A TCP connect an abort ends within 50 ms (a shutdown does not, on every platform)."""
    try:
        infos = socket.getaddrinfo(conn.host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise u3.NameResolutionError(conn.host, conn, exc) from exc
    if loopback_only and not all(is_loopback_address(str(info[4][0])) for info in infos):
        # at each connect (DNS may change): the secrets would go out in cleartext
        raise u3.NewConnectionError(conn, f"refused plain http:// to {conn.host}: not loopback")
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
    raise u3.NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _Connection(HTTPConnection):
    """Connects on its own sockets and hands them to the running call."""

    def connect(self) -> None:
        scope = _running.get()
        if scope is None:  # not one of our calls
            return super().connect()
        loopback_only = scope.loopback_only and not isinstance(self, HTTPSConnection)
        if self.proxy is not None:  # urllib3 talks to the proxy (and tunnels through it)
            if loopback_only and not is_loopback_host(self.host):
                raise u3.NewConnectionError(self, f"refused plain http:// via proxy {self.host}")
            super().connect()  # bounded by the socket timeouts until the socket is handed over
        else:  # on failure urllib3 closes the connection, and so self.sock
            self.sock = _connect(self, scope, loopback_only)
            if isinstance(self, _TLSConnection):
                self.handshake(scope)
        scope.hold(self.sock, sent=True)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        scope = _running.get()
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
        # clear() (the session's close) closes each pool's idle sockets, not the collector
        manager.pools.dispose_func = lambda pool: pool.close()
        return manager


def is_connect_failure(exc: object) -> bool:
    """True when ``exc`` (or a cause it wraps) proves the request never left the machine."""
    for _ in range(4):
        if isinstance(exc, _NOT_SENT):
            return True
        inside = (getattr(exc, "reason", None), *getattr(exc, "args", ()))
        exc = next((e for e in inside if isinstance(e, BaseException)), None)
    return False


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    text = (value or "").strip()
    with contextlib.suppress(ValueError):
        seconds = float(text)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def status_is_retryable(error: KratyApiError, retry: RetryConfig) -> bool:
    """True when this error answer is retried (an attempt cap only on request)."""
    if error.status == 429 and error.code in ATTEMPT_CAP_CODES:
        return retry.retry_on_attempt_caps
    return error.status in RETRYABLE_STATUSES


def delay_before_retry(retry: RetryConfig, n: int, r: float, wait: str | None = None) -> float:
    """The pause after failed try ``n`` (``r`` uniform in [-1, 1) for the jitter): a usable
    ``Retry-After`` (``wait``) capped at ``max_delay``, else the backoff."""
    seconds = parse_retry_after(wait)
    return retry.backoff(n, r) if seconds is None else min(seconds, retry.max_delay)
