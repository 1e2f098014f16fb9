"""A client's calls: each try (a whole request, or the opening of a stream) bounded by its
deadline and abortable, and the rules for retrying (see ``docs/errors.md``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import http.client
import math
import threading
import time
from dataclasses import dataclass
from typing import Final

import requests
from requests import exceptions as rq
from urllib3 import exceptions as u3

from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, RETRYABLE_STATUSES
from kraty_pygame.sdk.errors import KratyApiError, KratyConfigError, KratyProtocolError
from kraty_pygame.sdk.http.abort import TIMED_OUT, CallScope, CancelToken, running
from kraty_pygame.sdk.options import RetryConfig

__all__ = [
    "MAY_HAVE_APPLIED",
    "NETWORK_ERRORS",
    "Calls",
    "Outcome",
    "delay_before_retry",
    "parse_retry_after",
    "status_is_retryable",
]

NETWORK_ERRORS: Final = (rq.RequestException, u3.HTTPError, http.client.HTTPException, OSError)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
_CONFIG_ERRORS: Final = (rq.InvalidURL, rq.InvalidHeader, rq.InvalidSchema, rq.MissingSchema)
_NOT_SENT: Final = (rq.ConnectTimeout, u3.ConnectTimeoutError, ConnectionRefusedError)
MAY_HAVE_APPLIED: Final = frozenset({500, 502, 504})
"""Statuses after which a write may have been applied (the server failed after its commit,
or a gateway lost the answer); any other status refuses the request before the write."""


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
    """A client's calls in flight: runs their tries on ``session``, one thread cuts each try
    at its deadline, and :meth:`close` aborts them all."""

    _why = "closed"

    def __init__(
        self, session: requests.Session, *, loopback_only: bool, max_bytes: int, verify: bool | str
    ) -> None:
        super().__init__()
        self.session, self.verify = session, verify  # verify: or a CA bundle the env named
        self._loopback_only, self._cap = loopback_only, max_bytes
        self._thread = threading.Thread(target=self._watch, name="kraty-deadlines", daemon=True)
        self._wake_at = math.inf  # when the thread wakes next (started by the first try)

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
        timeout: float,
        stream_read_timeout: float | None = None,
    ) -> Outcome:
        """One try of ``scope``, cut after ``timeout`` seconds; with ``stream_read_timeout``, a
        2xx answer comes back unread as ``response``. Raises ``KratyProtocolError`` for a 2xx
        body over the cap, ``KratyConfigError`` for a request that cannot be built."""
        started = time.monotonic()
        with self._cond:
            if not scope.begin(started + timeout):
                return Outcome(failure=ConnectionAbortedError("call aborted"), sent=False)
            if self._thread.ident is None:
                self._thread.start()
            elif started + timeout < self._wake_at:
                self._cond.notify()
        done, token = Outcome(), running.set(scope)
        try:
            response = self.session.request(
                method, url, data=payload, headers=headers, stream=True, verify=self.verify,
                timeout=(timeout, stream_read_timeout or timeout), allow_redirects=False,
            )  # fmt: skip
            scope.answer, status = response.raw, response.status_code
            done.status, done.retry_after = status, response.headers.get("retry-after")
            if stream_read_timeout is not None and 200 <= status < 300:
                if scope.finish(response) is None:  # the caller's now; an abort still ends it
                    done.response = response
                    return done
                response.close()  # the deadline passed as the headers came in
                raise ConnectionAbortedError("try aborted")
            with response:  # an error page over the cap reads as empty
                done.body = response.raw.read(self._cap + 1, decode_content=True)
                if len(done.body) > self._cap and 200 <= status < 300:
                    refused = f"response body exceeds max_response_bytes={self._cap}; refused"
                    raise KratyProtocolError(refused, status=status)
                done.body = b"" if len(done.body) > self._cap else done.body
        except _CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            done.failure = exc
        finally:
            running.reset(token)
            cut = None if done.response is not None else scope.finish()
            done.duration_ms = (time.monotonic() - started) * 1000.0
        if cut is None and done.failure is None:
            return done
        # A socket shut under the headers reads as their end to http.client: not an answer.
        failure = done.failure or ConnectionAbortedError("try aborted")
        sent = not is_connect_failure(failure) if scope.sent is None else scope.sent
        timed = cut == TIMED_OUT or isinstance(failure, rq.Timeout | u3.TimeoutError)
        return Outcome(None, b"", None, failure, sent, timed, done.duration_ms)

    def close(self) -> None:
        """Abort every call, close the streams and stop the thread (idempotent)."""
        self.cancel()
        with self._cond:
            streams = [s.stream for s in self._scopes if s.stream is not None]
        for stream in streams:  # out of the pool, where the session's close misses them
            with contextlib.suppress(Exception):
                stream.close()
        if self._thread.ident is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def _watch(self) -> None:
        with self._cond:
            while not self._cancelled:
                now, self._wake_at = time.monotonic(), math.inf
                for scope in self._scopes:
                    if (deadline := scope.deadline) is not None and deadline <= now:
                        scope.abort(TIMED_OUT, deadline)
                    elif deadline is not None:
                        self._wake_at = min(self._wake_at, deadline)
                self._cond.wait(self._wake_at - now if self._wake_at < math.inf else None)


def is_connect_failure(exc: object) -> bool:
    """True when ``exc`` proves the request never left (refused, DNS, connect timeout),
    looking through the layers in which requests and urllib3 wrap the cause."""
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
