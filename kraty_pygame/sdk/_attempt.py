"""One bounded, abortable HTTP attempt (the transport's retry loop calls it)."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Final

import requests
import urllib3.exceptions

from kraty_pygame.sdk._deadline import (
    CANCELLED,
    TIMED_OUT,
    Attempt,
    CallScope,
    DeadlineWatchdog,
    set_current_attempt,
)
from kraty_pygame.sdk._envelope import api_error_from_body
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
)

__all__ = [
    "CONFIG_ERRORS",
    "NETWORK_ERRORS",
    "AttemptRunner",
    "Outcome",
    "Reply",
    "is_connect_failure",
    "open_streaming",
]

NETWORK_ERRORS: Final = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
CONFIG_ERRORS: Final = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.URLRequired,
)
"""Request-building errors: a programming/configuration mistake, never retried."""
_READ_CHUNK: Final = 65536


@dataclass(slots=True)
class Reply:
    """A complete HTTP response."""

    status: int
    body: bytes
    retry_after: str | None


@dataclass(slots=True)
class Outcome:
    """How one attempt ended: a reply, or a failure (``sent``: the request may have left)."""

    reply: Reply | None
    failure: BaseException | None
    sent: bool
    timed_out: bool
    cancelled: bool
    duration_ms: float


class _TooLarge(Exception):
    def __init__(self, size: int, response: requests.Response) -> None:
        super().__init__(size)
        self.size = size
        self.status = response.status_code
        self.retry_after = response.headers.get("retry-after")


class _Timeout(OSError):
    """The watchdog ended the attempt at its deadline."""


class AttemptRunner:
    """Runs single attempts on a session, under the watchdog's deadline."""

    def __init__(
        self,
        session: requests.Session,
        watchdog: DeadlineWatchdog,
        timeout: float,
        max_response_bytes: int,
    ) -> None:
        self.session = session
        self.watchdog = watchdog
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes

    def run(
        self,
        scope: CallScope,
        method: str,
        url: str,
        payload: bytes | None,
        headers: dict[str, str],
        *,
        timeout: float | None = None,
    ) -> Outcome:
        """One HTTP try, bounded by ``timeout`` (the runner's when None) and abortable
        through ``scope``."""
        attempt = Attempt(None)
        if not scope.begin(attempt):
            return Outcome(None, _aborted(), False, False, True, 0.0)
        timeout = self.timeout if timeout is None else timeout
        started = time.perf_counter()
        self.watchdog.watch(attempt, timeout)
        set_current_attempt(attempt)
        reply: Reply | None = None
        failure: BaseException | None = None
        try:
            response = self.session.request(
                method,
                url,
                data=payload,
                headers=headers,
                timeout=(timeout, timeout),
                stream=True,
                allow_redirects=False,
                verify=True,
            )
            attempt.set_response(response.raw)
            try:
                body = self._read_body(response, attempt)
            finally:
                response.close()
            reply = Reply(response.status_code, body, response.headers.get("retry-after"))
        except CONFIG_ERRORS as exc:
            attempt.finish()
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except _TooLarge as exc:
            if 200 <= exc.status < 300:
                attempt.finish()
                raise KratyProtocolError(
                    f"response body exceeds max_response_bytes={self.max_response_bytes} "
                    f"(at least {exc.size} bytes); refused",
                    status=exc.status,
                ) from None
            reply = Reply(exc.status, b"", exc.retry_after)  # oversized error page: no envelope
        except NETWORK_ERRORS as exc:
            failure = exc
        finally:
            set_current_attempt(None)
            self.watchdog.unwatch(attempt, timeout)
        state = attempt.finish()
        duration_ms = (time.perf_counter() - started) * 1000.0
        if failure is None and state in (TIMED_OUT, CANCELLED):
            # The socket was shut down under the exchange, so what arrived may be cut
            # short: http.client takes a connection closed inside the headers for their
            # end, and a "200" without its body is not an answer. It is a timeout.
            reply = None
            failure = _Timeout("attempt deadline passed") if state == TIMED_OUT else _aborted()
        if failure is None:
            return Outcome(reply, None, True, False, False, duration_ms)
        sent = attempt.connected if attempt.hooked else not is_connect_failure(failure)
        timed_out = state == TIMED_OUT or isinstance(
            failure, requests.Timeout | urllib3.exceptions.TimeoutError | _Timeout
        )
        return Outcome(None, failure, sent, timed_out, state == CANCELLED, duration_ms)

    def _read_body(self, response: requests.Response, attempt: Attempt) -> bytes:
        cap = self.max_response_bytes
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap:
            raise _TooLarge(int(length), response)
        raw = response.raw
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = raw.read(_READ_CHUNK, decode_content=True)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise _TooLarge(total, response)
            chunks.append(chunk)
            if attempt.state == TIMED_OUT:
                raise _Timeout("attempt deadline passed")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def open_streaming(
    session: requests.Session,
    scope: CallScope,
    *,
    url: str,
    headers: dict[str, str],
    timeouts: tuple[float, float],
    path: str,
    watchdog: DeadlineWatchdog,
) -> requests.Response:
    """Open a streaming GET whose socket ``scope.abort()`` can shut down at any time.

    Raises:
        KratyApiError: non-2xx (the envelope's code, else ``http_<status>``).
        KratyNetworkError: connect/headers failed (``KratyCancelledError`` when aborted).
    """
    attempt = Attempt(None)
    if not scope.begin(attempt):
        raise KratyCancelledError(f"GET {path} cancelled before it started")
    connect_timeout = timeouts[0]
    # Connect, TLS, status line and headers share one deadline: the read timeout alone
    # would let a server trickling the headers hold the caller forever.
    watchdog.watch(attempt, connect_timeout)
    set_current_attempt(attempt)
    try:
        response = session.request(
            "GET",
            url,
            headers=headers,
            stream=True,
            allow_redirects=False,
            verify=True,
            timeout=timeouts,
        )
    except CONFIG_ERRORS as exc:
        attempt.finish()
        raise KratyConfigError(f"invalid request for {path}: {type(exc).__name__}") from exc
    except NETWORK_ERRORS as exc:
        raise _stream_failure(attempt.finish(), path, connect_timeout, exc) from exc
    finally:
        set_current_attempt(None)
        watchdog.unwatch(attempt, connect_timeout)
    if not attempt.disarm():  # the deadline passed as the headers came in: cut short
        response.close()
        raise _stream_failure(attempt.finish(), path, connect_timeout, None)
    attempt.set_response(response.raw)
    status = response.status_code
    if 200 <= status < 300:
        return response
    body = b""
    watchdog.watch(attempt, timeouts[0])  # an error page must not hang the caller either
    try:
        body = response.raw.read(64 * 1024, decode_content=True) or b""
    except NETWORK_ERRORS:
        pass
    finally:
        watchdog.unwatch(attempt, timeouts[0])
        attempt.finish()
        response.close()
    error = api_error_from_body(status, body)
    if error is None:
        raise KratyApiError(status, f"http_{status}", f"stream refused (status={status})")
    raise error


def _stream_failure(
    state: int, path: str, timeout: float, cause: BaseException | None
) -> KratyNetworkError:
    if state == CANCELLED:
        return KratyCancelledError(f"GET {path} stream cancelled", original_cause=cause)
    if state == TIMED_OUT:
        return KratyTimeoutError(
            f"GET {path} stream: no response headers within {timeout:g} s", original_cause=cause
        )
    name = type(cause).__name__ if cause is not None else "aborted"
    return KratyNetworkError(f"GET {path} stream failed: {name}", original_cause=cause)


def _aborted() -> OSError:
    return OSError("call aborted before the attempt started")


def is_connect_failure(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never left (refused, DNS, connect timeout)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            requests.exceptions.ConnectTimeout
            | urllib3.exceptions.NewConnectionError
            | urllib3.exceptions.ConnectTimeoutError
            | urllib3.exceptions.NameResolutionError
            | ConnectionRefusedError,
        ):
            return True
        reason = getattr(current, "reason", None)
        nested = reason if isinstance(reason, BaseException) else None
        first = current.args[0] if current.args else None
        args0 = first if isinstance(first, BaseException) else None
        current = nested or args0 or current.__cause__ or current.__context__
    return False
