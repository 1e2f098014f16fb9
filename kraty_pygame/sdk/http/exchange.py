"""One bounded, abortable HTTP try (a whole request, or the opening of a stream) and the
rules for retrying it (see ``docs/errors.md``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import http.client
import math
import time
from dataclasses import dataclass
from typing import Final

import requests
from requests import exceptions as rq
from urllib3 import exceptions as u3

from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, RETRYABLE_STATUSES
from kraty_pygame.sdk.errors import KratyApiError, KratyConfigError, KratyProtocolError
from kraty_pygame.sdk.http.abort import TIMED_OUT, Calls, CallScope, running
from kraty_pygame.sdk.options import RetryConfig

__all__ = [
    "MAY_HAVE_APPLIED",
    "NETWORK_ERRORS",
    "Outcome",
    "TryRunner",
    "delay_before_retry",
    "parse_retry_after",
    "status_is_retryable",
]

NETWORK_ERRORS: Final = (rq.RequestException, u3.HTTPError, http.client.HTTPException, OSError)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
_CONFIG_ERRORS: Final = (rq.InvalidURL, rq.InvalidHeader, rq.InvalidSchema, rq.MissingSchema)
_NOT_SENT: Final = (rq.ConnectTimeout, u3.ConnectTimeoutError, ConnectionRefusedError)
MAY_HAVE_APPLIED: Final = frozenset({500, 502, 504})
"""Statuses after which a write may have been applied: the server failed after its commit,
or a gateway lost the answer. Any other status refuses the request before the write."""


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


@dataclass(slots=True)
class TryRunner:
    """Runs single tries on a session, each cut at its deadline."""

    session: requests.Session
    calls: Calls
    max_response_bytes: int
    verify: bool | str = True  # or a CA bundle the environment named

    def run(
        self,
        scope: CallScope,
        method: str,
        url: str,
        payload: bytes | None,
        headers: dict[str, str],
        *,
        timeout: float,
        stream_read_timeout: float | None = None,
    ) -> Outcome:
        """One try bounded by ``timeout`` seconds and abortable through ``scope``; with
        ``stream_read_timeout``, a 2xx answer comes back unread as ``response`` once its
        headers are in. Raises ``KratyProtocolError`` for a 2xx body over the size cap,
        ``KratyConfigError`` when the request cannot be built."""
        started = time.perf_counter()
        if not self.calls.begin(scope, timeout):
            return Outcome(failure=ConnectionAbortedError("call aborted"), sent=False)
        done = Outcome()
        token = running.set(scope)
        try:
            response = self.session.request(
                method, url, data=payload, headers=headers, stream=True, verify=self.verify,
                timeout=(timeout, stream_read_timeout or timeout), allow_redirects=False,
            )  # fmt: skip
            scope.answer = response.raw
            status = done.status = response.status_code
            done.retry_after = response.headers.get("retry-after")
            if stream_read_timeout is not None and 200 <= status < 300:
                if scope.finish(response) is None:  # the caller's now; an abort still ends it
                    done.response = response
                    return done
                response.close()  # the deadline passed as the headers came in
                raise ConnectionAbortedError("try aborted")
            with response:  # an error page over the cap reads as empty
                cap = self.max_response_bytes
                done.body = response.raw.read(cap + 1, decode_content=True)
                if len(done.body) > cap and 200 <= status < 300:
                    refused = f"response body exceeds max_response_bytes={cap}; refused"
                    raise KratyProtocolError(refused, status=status)
                done.body = b"" if len(done.body) > cap else done.body
        except _CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            done.failure = exc
        finally:
            running.reset(token)
            cut = None if done.response is not None else scope.finish()
            done.duration_ms = (time.perf_counter() - started) * 1000.0
        if cut is None and done.failure is None:
            return done
        # A socket shut under the exchange: http.client takes a connection closed inside the
        # headers for their end, so even a "200" here is not an answer.
        failure = done.failure or ConnectionAbortedError("try aborted")
        sent = not is_connect_failure(failure) if scope.sent is None else scope.sent
        timed = cut == TIMED_OUT or isinstance(failure, rq.Timeout | u3.TimeoutError)
        return Outcome(None, b"", None, failure, sent, timed, done.duration_ms)


def is_connect_failure(exc: object) -> bool:
    """True when ``exc`` proves the request never left (refused, DNS, connect timeout),
    looking through the few layers in which requests and urllib3 wrap the cause."""
    for _ in range(4):
        if isinstance(exc, _NOT_SENT):
            return True
        inside = (getattr(exc, "reason", None), *getattr(exc, "args", ()))
        exc = next((e for e in inside if isinstance(e, BaseException)), None)
    return False


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (a number of seconds or an HTTP date),
    or ``None`` when absent or unusable."""
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


def delay_before_retry(
    retry: RetryConfig, attempt: int, r: float, retry_after: str | None = None
) -> float:
    """Delay after failed try ``attempt`` (1-based; ``r`` uniform in [-1, 1)): a usable
    ``Retry-After`` capped at ``max_delay``, else the backoff with jitter."""
    seconds = parse_retry_after(retry_after)
    return retry.backoff(attempt, r) if seconds is None else min(seconds, retry.max_delay)
