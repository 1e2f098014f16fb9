"""One bounded, abortable HTTP try (the transport's retry loop calls it), and stream opening."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Final

import requests
from requests.exceptions import (
    ConnectTimeout,
    InvalidHeader,
    InvalidSchema,
    InvalidURL,
    MissingSchema,
    RequestException,
    URLRequired,
)
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from kraty_pygame.sdk._envelope import api_error_from_body
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
)
from kraty_pygame.sdk.http.abort import CANCELLED, TIMED_OUT, CallScope, DeadlineWatchdog, running

__all__ = ["NETWORK_ERRORS", "Outcome", "TryRunner", "is_connect_failure", "open_stream"]

NETWORK_ERRORS: Final = (RequestException, HTTPError, http.client.HTTPException, OSError)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
CONFIG_ERRORS: Final = (InvalidURL, InvalidHeader, InvalidSchema, MissingSchema, URLRequired)
"""Request-building errors: a programming or configuration mistake, never retried."""
_NOT_SENT: Final = (ConnectTimeout, NewConnectionError, ConnectTimeoutError, NameResolutionError)


@dataclass(slots=True)
class Outcome:
    """How one try ended: an answer (``status`` set) or a ``failure`` (``sent``: the
    request may have left; ``timed_out``/``cancelled``: what ended it)."""

    status: int | None
    body: bytes
    retry_after: str | None
    failure: BaseException | None
    sent: bool
    timed_out: bool
    cancelled: bool
    duration_ms: float


class _Cut(OSError):
    """The try was aborted under the exchange (what arrived may be cut short)."""


class TryRunner:
    """Runs single tries on a session, under the watchdog's deadline."""

    def __init__(
        self,
        session: requests.Session,
        watchdog: DeadlineWatchdog,
        max_response_bytes: int,
        verify: bool | str = True,
    ) -> None:
        self.session = session
        self.watchdog = watchdog
        self.max_response_bytes = max_response_bytes
        self.verify = verify  # True, or a CA bundle the environment named

    def run(
        self,
        scope: CallScope,
        method: str,
        url: str,
        payload: bytes | None,
        headers: dict[str, str],
        *,
        timeout: float,
    ) -> Outcome:
        """One HTTP try bounded by ``timeout`` seconds and abortable through ``scope``.

        Raises:
            KratyProtocolError: a 2xx body over ``max_response_bytes``.
            KratyConfigError: the request cannot be built.
        """
        if not scope.begin():
            return Outcome(None, b"", None, _Cut("call aborted"), False, False, True, 0.0)
        started = time.perf_counter()
        status = retry_after = failure = None
        body = b""
        try:
            with _running(scope, self.watchdog, timeout), self.session.request(
                method, url, data=payload, headers=headers, timeout=(timeout, timeout),
                stream=True, allow_redirects=False, verify=self.verify,
            ) as response:  # fmt: skip
                scope.attach(response.raw, raw=True)
                status, retry_after = response.status_code, response.headers.get("retry-after")
                read = self._read_body(response, scope)
                if read is None and 200 <= status < 300:
                    raise KratyProtocolError(
                        f"response body exceeds max_response_bytes={self.max_response_bytes}; "
                        "refused",
                        status=status,
                    )
                body = read or b""  # an oversized error page: empty
        except CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            failure = exc
        finally:
            cut = scope.finish()
        duration_ms = (time.perf_counter() - started) * 1000.0
        if cut:
            # The socket was shut under the exchange: http.client takes a connection closed
            # inside the headers for their end, so even a "200" here is not an answer.
            failure = failure or _Cut("try aborted")
        if failure is None:
            return Outcome(status, body, retry_after, None, True, False, False, duration_ms)
        sent = scope.connected if scope.hooked else not is_connect_failure(failure)
        timed_out = cut == TIMED_OUT or isinstance(failure, requests.Timeout | Urllib3Timeout)
        return Outcome(None, b"", None, failure, sent, timed_out, cut == CANCELLED, duration_ms)

    def _read_body(self, response: requests.Response, scope: CallScope) -> bytes | None:
        """The body, or None when it is larger than the cap."""
        cap = self.max_response_bytes
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap:
            return None
        chunks: list[bytes] = []
        total = 0
        while chunk := response.raw.read(65536, decode_content=True):
            total += len(chunk)
            if total > cap:
                return None
            chunks.append(chunk)
            if scope.aborted:
                raise _Cut("try aborted")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@contextmanager
def _running(scope: CallScope, watchdog: DeadlineWatchdog, timeout: float) -> Iterator[None]:
    """Within the block the deadline runs and our connections hand ``scope`` their socket."""
    watchdog.watch(scope, timeout)
    token = running.set(scope)
    try:
        yield
    finally:
        running.reset(token)


def open_stream(
    session: requests.Session,
    scope: CallScope,
    watchdog: DeadlineWatchdog,
    *,
    url: str,
    headers: dict[str, str],
    timeouts: tuple[float, float],
    path: str,
    verify: bool | str = True,
) -> requests.Response:
    """Open a streaming GET whose socket ``scope.abort()`` can shut down at any time.

    Connect, status line and headers share one deadline (``timeouts[0]``): the read
    timeout alone would let a server trickling the headers hold the caller forever.

    Raises:
        KratyApiError: non-2xx (the envelope's code, else ``http_<status>``).
        KratyNetworkError: connect or headers failed (``KratyCancelledError`` when aborted).
    """
    if not scope.begin():
        raise KratyCancelledError(f"GET {path} cancelled before it started")
    try:
        with _running(scope, watchdog, timeouts[0]):
            response = session.request(
                "GET", url, headers=headers, stream=True, allow_redirects=False, verify=verify,
                timeout=timeouts,
            )  # fmt: skip
    except CONFIG_ERRORS as exc:
        scope.finish()
        raise KratyConfigError(f"invalid request for {path}: {type(exc).__name__}") from exc
    except NETWORK_ERRORS as exc:
        raise _stream_failure(scope.finish(), path, timeouts[0], exc) from exc
    if not scope.arm(None):  # the deadline passed as the headers came in: cut short
        response.close()
        raise _stream_failure(scope.finish(), path, timeouts[0], None)
    scope.attach(response.raw, raw=True)
    if 200 <= response.status_code < 300:
        return response
    watchdog.watch(scope, timeouts[0])  # an error page must not hang the caller either
    body = b""
    with suppress(*NETWORK_ERRORS):
        body = response.raw.read(64 * 1024, decode_content=True) or b""
    scope.finish()
    response.close()
    status = response.status_code
    error = api_error_from_body(status, body)
    raise error or KratyApiError(status, f"http_{status}", f"stream refused (status={status})")


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


def is_connect_failure(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never left (refused, DNS, connect timeout)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (*_NOT_SENT, ConnectionRefusedError)):
            return True
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        current = next(
            (e for e in (reason, first) if isinstance(e, BaseException)),
            current.__cause__ or current.__context__,
        )
    return False
