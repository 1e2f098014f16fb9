"""``KratyClient``: the HTTP transport every resource client shares.

Headers, the ``idempotencyKey`` (one per logical call, reused on every retry), the retry
loop, ``on_request`` once per attempt, and envelopes mapped to data or typed errors; the
abortable tries themselves are in :mod:`kraty_pygame.sdk.http`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeAlias, TypeVar

import requests
import requests.adapters

from kraty_pygame.sdk import _constants as C
from kraty_pygame.sdk._envelope import (
    Masker,
    api_error_from_body,
    decode_error_response,
    decode_success_response,
    snippet,
)
from kraty_pygame.sdk._operation import CallContext, capturing, current_call
from kraty_pygame.sdk._urls import QueryValue, build_query, encode_segment
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyError,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
    SecretMask,
)
from kraty_pygame.sdk.http.calls import (
    MAY_HAVE_APPLIED,
    Calls,
    CallScope,
    CancelToken,
    KratyHTTPAdapter,
    Outcome,
    delay_before_retry,
    status_is_retryable,
)
from kraty_pygame.sdk.options import (
    RequestInfo,
    RetryConfig,
    is_positive_int,
    is_text,
    validate_base_url,
    validate_positive_number,
)

__all__ = [
    "CancelToken",
    "KratyClient",
    "OutboxHook",
    "QueryValue",
    "SecretInvalidHandler",
    "build_query",
    "encode_segment",
]

_log = logging.getLogger("kraty_pygame.sdk")
_log.addHandler(logging.NullHandler())

T = TypeVar("T")
E = TypeVar("E", bound=KratyApiError)
SecretInvalidHandler: TypeAlias = Callable[[str, "str | None"], "str | None"]
"""Called with (path, secret sent) after a final 401 ``player_secret_invalid``; may return
a new path to run the call once more (``auto_recover_identity``)."""

_MIN_ATTEMPT = 0.05
"""Shortest attempt worth making; a retry needs at least this much time left."""

_current_token: ContextVar[CancelToken | None] = ContextVar("kraty_cancel_token", default=None)
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def _uuid4_hex() -> str:
    """``uuid.uuid4().hex`` (random, version 4), without building a ``UUID`` object."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


class OutboxHook(Protocol):
    """What the transport needs from an outbox (``kraty_pygame.sdk.outbox.Outbox``)."""

    def submit(
        self,
        client: KratyClient,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None,
        body: Mapping[str, Any] | None,
        override: str | None,
        ctx: CallContext,
    ) -> tuple[Any, bytes | None, str | None]:
        """Record a durable request (the outbox prepares its body, see
        :meth:`KratyClient.prepare_body`); return (the answer's ``data``, the body
        sent, its idempotency key) or raise."""
        ...


P = ParamSpec("P")


def _masked(
    method: Callable[Concatenate[KratyClient, P], T],
) -> Callable[Concatenate[KratyClient, P], T]:
    """Whatever error leaves the call has the client's secrets masked (a server may echo
    them in a message, the details, a body, even the status line)."""

    @functools.wraps(method)
    def call(client: KratyClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(client, *args, **kwargs)
        except KratyError as exc:
            client._secret_mask().error(exc)
            raise

    return call


class KratyClient:
    """The HTTP client shared by every resource client.

    Safe to call from several threads. Every call is bounded (``timeout`` per attempt,
    retries per ``retry``) and can be aborted from another thread with :meth:`close`
    or a :class:`CancelToken`.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = C.DEFAULT_BASE_URL,
        timeout: float = C.DEFAULT_TIMEOUT,
        retry: RetryConfig | None = None,
        session: requests.Session | None = None,
        generate_idempotency_key: Callable[[], str] | None = None,
        on_request: Callable[[RequestInfo], None] | None = None,
        allow_insecure_http: bool = False,
        max_response_bytes: int = C.DEFAULT_MAX_RESPONSE_BYTES,
        rng: random.Random | None = None,
    ) -> None:
        if not is_text(api_key):
            raise KratyConfigError("api_key must be a non-empty string (a client_sdk key)")
        if not api_key.isprintable() or any(c.isspace() for c in api_key):
            raise KratyConfigError("api_key contains whitespace or control characters")
        if retry is not None and not isinstance(retry, RetryConfig):
            raise KratyConfigError("retry must be a RetryConfig")
        if session is not None and not isinstance(session, requests.Session):
            raise KratyConfigError("session must be a requests.Session")
        for name, fn in (
            ("generate_idempotency_key", generate_idempotency_key),
            ("on_request", on_request),
        ):
            if fn is not None and not callable(fn):
                raise KratyConfigError(f"{name} must be callable")
        if not is_positive_int(max_response_bytes):
            raise KratyConfigError("max_response_bytes must be a positive int")
        self.base_url: str = validate_base_url(base_url, allow_insecure_http=allow_insecure_http)
        self.timeout: float = validate_positive_number("timeout", timeout)
        self.retry: RetryConfig = retry or RetryConfig()
        self.max_response_bytes: int = max_response_bytes
        self._api_key = api_key
        self._auth = f"Bearer {api_key}"
        self._generate_key = generate_idempotency_key or _uuid4_hex
        self._on_request = on_request
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._secret_provider: Callable[[], str | None] = lambda: None
        self._held: deque[str] = deque(maxlen=16)  # player secrets sent or handed out
        self._on_secret_invalid: SecretInvalidHandler | None = None
        self._lock = threading.Lock()
        self._owns_session = session is None
        verify: bool | str = True  # or a CA bundle the environment named
        if session is None:
            session = requests.Session()
            adapter = KratyHTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Read the environment's proxy and CA bundle settings once, for the one host
            # this client talks to, instead of on every request (requests scans the
            # whole environment and looks for a .netrc each time: a tenth of a sender's
            # time draining a backlog).
            settings = session.merge_environment_settings(self.base_url + "/", {}, None, True, None)
            session.proxies.update(settings.get("proxies") or {})
            session.trust_env = False
            named = settings.get("verify", True)
            verify = named if isinstance(named, (bool, str)) else True
        elif type(session.get_adapter(self.base_url + "/")) is requests.adapters.HTTPAdapter:
            # A plain adapter: put an abortable one in front for this base URL only.
            session.mount(self.base_url + "/", KratyHTTPAdapter(max_retries=0))
        self._session = session
        self._calls = Calls(
            loopback_only=not allow_insecure_http,
            max_response_bytes=max_response_bytes,
            verify=verify,
        )
        self.outbox: OutboxHook | None = None
        """The outbox durable writes go through (set by ``Kraty(outbox=...)``)."""

    # ------------------------------------------------------------------ wiring

    @property
    def api_key_prefix(self) -> str:
        """The public part of the API key (before the first ``.``), for namespacing."""
        prefix, dot, _rest = self._api_key.partition(".")
        return prefix if dot else ""

    @property
    def api_key_fingerprint(self) -> str:
        """A short one-way digest of the API key (tells keys apart, reveals nothing)."""
        return hashlib.sha256(self._api_key.encode("utf-8")).hexdigest()[:16]

    def call_budget(self) -> float:
        """The longest a call with the retry policy may take: ``retry.total_timeout``
        when set, else every attempt at its deadline plus the longest pauses."""
        retry = self.retry
        longest = self.timeout * retry.attempts + retry.max_delay * max(0, retry.attempts - 1)
        total = retry.total_timeout
        return longest if total is None else min(longest, total)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._calls.cancelled

    def bind_identity(
        self,
        secret_provider: Callable[[], str | None],
        on_secret_invalid: SecretInvalidHandler | None = None,
    ) -> None:
        """Wire the identity manager: where the player secret comes from (internal)."""
        self._secret_provider = secret_provider
        self._on_secret_invalid = on_secret_invalid

    def hold_secret(self, secret: str | None) -> None:
        """Remember a player secret this client sent or handed out, so that it is masked
        if a server echoes it back (the API key and the current secret always are)."""
        if secret:
            with self._lock:
                if secret not in self._held:
                    self._held.append(secret)

    def mask_error(self, exc: BaseException) -> BaseException:
        """Mask this client's secrets in an error raised outside a call (a stream's);
        returns ``exc``, or a ``MaskedCause`` standing in for a foreign exception whose
        text carried a secret."""
        return self._secret_mask().scrub(exc)

    def _secret_mask(self) -> SecretMask:
        key_secret = self._api_key.partition(".")[2]
        with self._lock:
            held = tuple(self._held)
        return SecretMask((self._api_key, key_secret, self._secret_provider(), *held))

    def __repr__(self) -> str:
        return f"KratyClient(base_url={self.base_url!r}, api_key={self.api_key_prefix or '?'}.***)"

    @contextmanager
    def cancellation(self, token: CancelToken) -> Iterator[CancelToken]:
        """Within this block, calls on this thread (context) are cancelled by ``token``."""
        reset = _current_token.set(token)
        try:
            yield token
        finally:
            _current_token.reset(reset)

    # ------------------------------------------------------------------ public calls

    @_masked
    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        idempotency_key: str | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Send one logical call and return the raw envelope (``{}`` for an empty body).

        Raises:
            KratyApiError: error envelope, 2xx ``error`` (202 ``lobby_forming``). For a
                write it carries the ``idempotency_key`` and says ``outcome_unknown``
                when the server may have applied the write anyway.
            KratyProtocolError: a 2xx body that breaks the protocol (for a write:
                ``outcome_unknown`` and the ``idempotency_key`` to replay it with).
            KratyNetworkError: no response after the retry budget
                (``KratyTimeoutError`` / ``KratyCancelledError`` subclasses).
        """
        answer = self._call(
            method, path, body, query=query, override=idempotency_key, cancel=cancel
        )
        return answer.envelope

    @_masked
    def request_data(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        idempotency_key: str | None = None,
        cancel: CancelToken | None = None,
    ) -> Any:
        """Like :meth:`request` but return ``envelope["data"]`` (``None`` for an empty body)."""
        answer = self._call(
            method, path, body, query=query, override=idempotency_key, cancel=cancel
        )
        if "data" in answer.envelope:
            return answer.envelope["data"]
        if not answer.envelope and not answer.body.strip():
            return None
        raise answer.no_data(self._secret_mask)

    @_masked
    def request_decoded(
        self,
        method: str,
        path: str,
        decode: Callable[[Any], T],
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        idempotency_key: str | None = None,
        cancel: CancelToken | None = None,
    ) -> T:
        """Like :meth:`request_data`, then ``decode(data)``; a decoder's
        ``KratyProtocolError`` gets the real status and body snippet."""
        answer = self._call(
            method, path, body, query=query, override=idempotency_key, cancel=cancel, decode=decode
        )
        if "data" not in answer.envelope:
            raise answer.no_data(self._secret_mask)
        try:
            return decode(answer.envelope["data"])
        except KratyProtocolError as exc:
            error = exc.with_response(answer.status, snippet(answer.body, self._secret_mask))
            raise answer.request.settle(error, may_have_applied=True) from None

    def close(self) -> None:
        """Abort every in-flight call (they raise ``KratyCancelledError``), stop the
        deadline thread and release connections. Idempotent; callable from any thread."""
        self._calls.close()
        if self._owns_session:
            self._session.close()

    # ------------------------------------------------------------------ streams

    @_masked
    def open_stream(
        self,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        read_timeout: float = C.DEFAULT_STREAM_READ_TIMEOUT,
        cancel: CancelToken | None = None,
    ) -> requests.Response:
        """Open an SSE stream (GET, ``accept: text/event-stream``): no retry, no ``on_request``.

        The connect timeout is the client ``timeout``; ``read_timeout`` bounds each idle
        read. :meth:`close` or ``cancel`` shut the socket down. The caller closes the response.

        Raises:
            KratyApiError: non-2xx (code from the envelope, else ``http_<status>``).
            KratyNetworkError: the connection failed (``KratyCancelledError`` when aborted).
        """
        validate_positive_number("read_timeout", read_timeout)
        secret = self._secret_provider()
        self.hold_secret(secret)
        headers = self._headers(has_body=False, secret=secret, accept="text/event-stream")
        request = _Request("GET", path, self._url(path, query), None, headers, None)
        scope = self._calls.open(cancel or _current_token.get())
        try:
            outcome = self._calls.run(
                scope, "GET", request.url, None, headers, session=self._session,
                timeout=self.timeout, stream_read_timeout=read_timeout,
            )  # fmt: skip
        finally:
            if scope.stream is None:  # else the stream's until it is closed
                self._calls.done(scope)
        if outcome.response is not None:
            return outcome.response
        if (status := outcome.status) is None:
            raise self._failed(scope, request, outcome.failure, timed_out=outcome.timed_out)
        error = api_error_from_body(status, outcome.body)
        raise error or KratyApiError(status, f"http_{status}", f"stream refused ({status})")

    # ------------------------------------------------------------------ internals

    def _url(self, path: str, query: Mapping[str, QueryValue] | None) -> str:
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        qs = build_query(query)
        return f"{url}?{qs}" if qs else url

    def prepare_body(
        self, method: str, body: Mapping[str, Any] | None, override: str | None
    ) -> tuple[bytes | None, str | None]:
        """The JSON bytes of ``body`` with its idempotency key (stamped for POST, PUT
        and PATCH: the body's own, else ``override``, else a new one), and the key.

        Raises:
            KratyConfigError: the body is not a JSON object or the key is not text.
        """
        return self._prepare_body(method, body, override)

    @property
    def generate_key(self) -> Callable[[], str]:
        """Makes the idempotency keys of this client's writes."""
        return self._generate_key

    def _prepare_body(
        self, method: str, body: Mapping[str, Any] | None, override: str | None
    ) -> tuple[bytes | None, str | None]:
        stamped = method in C.IDEMPOTENT_METHODS
        if body is None and not stamped:
            return None, None
        if body is not None and not isinstance(body, Mapping):
            raise KratyConfigError(
                f"body must be a mapping (a JSON object), got {type(body).__name__}"
            )
        payload: dict[str, Any] = dict(body) if body is not None else {}
        key: str | None = None
        if stamped:
            existing = payload.get(C.IDEMPOTENCY_FIELD)
            if isinstance(existing, str) and existing:
                key = existing
            else:
                key = override if override is not None else self._generate_key()
                if not is_text(key):
                    raise KratyConfigError("idempotency keys must be non-empty strings")
                payload[C.IDEMPOTENCY_FIELD] = key
        try:
            data = _encode_json(payload)
        except (TypeError, ValueError) as exc:
            raise KratyConfigError(f"request body is not JSON-serialisable: {exc}") from None
        return data.encode("utf-8"), key

    def _headers(
        self, *, has_body: bool, secret: str | None, accept: str = "application/json"
    ) -> dict[str, str]:
        headers = {
            C.HEADER_AUTHORIZATION: self._auth,
            C.HEADER_SDK: C.SDK_HEADER_VALUE,
            C.HEADER_ACCEPT: accept,
        }
        if has_body:
            headers[C.HEADER_CONTENT_TYPE] = "application/json"
        if secret:
            headers[C.HEADER_PLAYER_SECRET] = secret
        return headers

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        query: Mapping[str, QueryValue] | None,
        override: str | None,
        cancel: CancelToken | None,
        decode: Callable[[Any], Any] | None = None,
    ) -> _Answer:
        if not is_text(method):
            raise KratyConfigError("method must be a non-empty string")
        method = method.upper()
        ctx = current_call()
        if ctx is not None and ctx.queue:
            ctx.queue = False  # only this request; never a nested one
            outbox = self.outbox
            if outbox is not None and method in C.WRITE_METHODS:
                # the outbox prepares the body itself: on the game's thread it keeps
                # that to the minimum (the same checks, the same key rules)
                ctx.decode = decode
                data, payload, key = outbox.submit(
                    self, method, path, query=query, body=body, override=override, ctx=ctx
                )
                request = _Request(method, path, self._url(path, query), payload, {}, key)
                return _Answer(request, {"data": data}, 200, b"")
        payload, key = self._prepare_body(method, body, override)
        if capturing.get() is not None:
            raise KratyConfigError(
                f"{method} {path}: inside Outbox.capture() only durable writes of the "
                "active player are recorded; this call would need the network (make it "
                "outside the block)"
            )
        token = cancel or _current_token.get()
        recovered = False
        while True:
            secret = self._secret_provider()
            if secret and (not self._held or self._held[-1] != secret):
                self.hold_secret(secret)
            request = _Request(
                method,
                path,
                self._url(path, query),
                payload,
                self._headers(has_body=payload is not None, secret=secret),
                key,
            )
            scope = self._calls.open(token)
            try:
                return self._run(scope, request)
            except KratyApiError as exc:
                handler = self._on_secret_invalid
                if recovered or handler is None or not exc.is_player_secret_invalid:
                    raise
                new_path = handler(path, secret)
                if new_path is None:
                    raise
                recovered, path = True, new_path
            finally:
                self._calls.done(scope)

    def send_recorded(
        self,
        method: str,
        path: str,
        query: str,
        payload: bytes | None,
        key: str | None,
        *,
        cancel: CancelToken | None = None,
    ) -> dict[str, Any]:
        """Send a request recorded by the outbox exactly as recorded (the same body
        bytes, so the same idempotency key) with the normal retry loop; returns the
        envelope. Never recovers the identity on a 401: the outbox decides (internal).

        Raises:
            KratyApiError, KratyNetworkError: as :meth:`request`.
        """
        url = self.base_url + path + (f"?{query}" if query else "")
        secret = self._secret_provider()
        request = _Request(
            method,
            path,
            url,
            payload,
            self._headers(has_body=payload is not None, secret=secret),
            key,
        )
        scope = self._calls.open(cancel)
        try:
            return self._run(scope, request).envelope
        finally:
            self._calls.done(scope)

    def _run(self, scope: CallScope, request: _Request) -> _Answer:
        """The retry loop. ``ambiguous``: an attempt of a write may have been applied, so
        whatever error ends the call says ``outcome_unknown`` (``docs/errors.md``); each
        attempt gets at most the time ``retry.total_timeout`` leaves."""
        retry = self.retry
        ambiguous = False
        budget = _TotalBudget(retry.total_timeout)
        for number in range(1, retry.attempts + 1):
            try:
                outcome = self._calls.run(
                    scope,
                    request.method,
                    request.url,
                    request.payload,
                    request.headers,
                    session=self._session,
                    timeout=budget.attempt_timeout(self.timeout),
                )
            except KratyProtocolError as exc:  # a 2xx over the size cap: it was applied
                raise request.settle(exc, may_have_applied=True) from None
            self._report(request, number, outcome)
            status = outcome.status
            if status is not None:
                if 200 <= status < 300:
                    try:
                        envelope = decode_success_response(status, outcome.body, self._secret_mask)
                    except KratyProtocolError as exc:  # applied, answer unreadable
                        raise request.settle(exc, may_have_applied=True) from None
                    except KratyApiError as exc:  # 202 lobby_forming: the server's answer
                        raise request.settle(exc, may_have_applied=False) from None
                    return _Answer(request, envelope, status, outcome.body)
                error = decode_error_response(status, outcome.body)
                ambiguous = ambiguous or status in MAY_HAVE_APPLIED
                if number >= retry.attempts or not status_is_retryable(error, retry):
                    raise request.settle(error, may_have_applied=ambiguous)
                retry_after = outcome.retry_after
                delay = delay_before_retry(retry, number, self._uniform(), retry_after)
                if not budget.allows_retry_after(delay):
                    raise request.settle(error, may_have_applied=ambiguous)
                if not scope.sleep(delay):
                    raise self._failed(scope, request, None, ambiguous=ambiguous)
                continue
            failure = outcome.failure
            ambiguous = ambiguous or outcome.sent
            delay = delay_before_retry(retry, number, self._uniform())
            again = number < retry.attempts and budget.allows_retry_after(delay)
            if scope.reason is None and again and scope.sleep(delay):
                continue
            note = ""
            if number < retry.attempts and budget.seconds is not None:  # its time ran out
                note = f"; stopped at RetryConfig.total_timeout={budget.seconds:g}s"
            raise self._failed(
                scope,
                request,
                failure,
                timed_out=outcome.timed_out,
                ambiguous=ambiguous,
                after=f" after {number} attempt(s)",
                note=note,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _uniform(self) -> float:
        return self._rng.uniform(-1.0, 1.0)

    @staticmethod
    def _failed(
        scope: CallScope,
        request: _Request,
        cause: BaseException | None,
        *,
        timed_out: bool = False,
        ambiguous: bool = False,
        after: str = "",
        note: str = "",
    ) -> KratyNetworkError:
        """The error that ends a call without an answer: aborted, timed out or failed."""
        kind, what = KratyNetworkError, f"failed{after}: {type(cause).__name__}{note}"
        if scope.reason is not None:
            why = "client closed" if scope.reason == "closed" else "cancelled"
            kind, what = KratyCancelledError, f"aborted: {why}"
        elif timed_out:
            kind, what = KratyTimeoutError, f"failed{after}: timed out{note}"
        error = kind(
            f"{request.method} {request.path} {what}",
            original_cause=cause,
            outcome_unknown=request.is_write and ambiguous,
            idempotency_key=request.key,
        )
        error.__cause__ = cause
        return error

    def _report(self, request: _Request, number: int, outcome: Outcome) -> None:
        status = outcome.status
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "kraty %s %s attempt=%d status=%s %.1fms%s",
                request.method,
                request.url.split("?", 1)[0],
                number,
                status,
                outcome.duration_ms,
                "" if outcome.failure is None else f" failed: {type(outcome.failure).__name__}",
            )
        callback = self._on_request
        if callback is None:
            return
        info = RequestInfo(
            request.method,
            request.url,
            number,
            request.key,
            outcome.duration_ms,
            status,
            status is not None and 200 <= status < 300,
        )
        try:
            callback(info)
        except Exception as exc:  # a telemetry callback never breaks a request
            _log.debug("on_request callback raised %s; ignored", type(exc).__name__)


class _TotalBudget:
    """The time one logical call may take across its attempts (``total_timeout``)."""

    __slots__ = ("deadline", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def attempt_timeout(self, timeout: float) -> float:
        """The next attempt's limit: ``timeout``, or less when the call's time runs out."""
        if self.deadline is None:
            return timeout
        return max(min(timeout, self.deadline - time.monotonic()), _MIN_ATTEMPT)

    def allows_retry_after(self, delay: float) -> bool:
        """True when a retry after ``delay`` seconds would still start in time."""
        if self.deadline is None:
            return True
        return time.monotonic() + delay + _MIN_ATTEMPT < self.deadline


@dataclass(slots=True)
class _Request:
    method: str
    path: str
    url: str
    payload: bytes | None
    headers: dict[str, str]
    key: str | None

    @property
    def is_write(self) -> bool:
        return self.method in C.WRITE_METHODS

    def settle(self, error: E, *, may_have_applied: bool) -> E:
        """Stamp the call's outcome on ``error``: its key, and ``outcome_unknown`` when
        this is a write that the server may have applied."""
        error.outcome_unknown = self.is_write and may_have_applied
        error.idempotency_key = self.key
        return error


@dataclass(slots=True)
class _Answer:
    """A 2xx answer: the request it answers, the parsed envelope, status and body."""

    request: _Request
    envelope: dict[str, Any]
    status: int
    body: bytes

    def no_data(self, masker: Masker) -> KratyProtocolError:
        error = KratyProtocolError(
            "response envelope has no 'data' member",
            status=self.status,
            field="data",
            body=snippet(self.body, masker),
        )
        return self.request.settle(error, may_have_applied=True)
