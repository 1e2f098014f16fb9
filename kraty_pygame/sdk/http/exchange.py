"""One bounded, abortable HTTP try: a whole request, or the opening of a stream."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Final

import requests
from requests import exceptions as rq
from urllib3 import exceptions as u3

from kraty_pygame.sdk.errors import KratyConfigError, KratyProtocolError
from kraty_pygame.sdk.http.abort import CANCELLED, TIMED_OUT, CallScope, DeadlineWatchdog, running

__all__ = ["NETWORK_ERRORS", "Outcome", "TryRunner", "is_connect_failure"]

NETWORK_ERRORS: Final = (rq.RequestException, u3.HTTPError, http.client.HTTPException, OSError)
"""Everything the HTTP stack raises for a failed exchange (never let one escape)."""
_CONFIG_ERRORS: Final = (rq.InvalidURL, rq.InvalidHeader, rq.InvalidSchema, rq.MissingSchema)
_NOT_SENT: Final = (
    rq.ConnectTimeout,
    u3.NewConnectionError,
    u3.ConnectTimeoutError,
    u3.NameResolutionError,
    ConnectionRefusedError,
)


@dataclass(slots=True)
class Outcome:
    """How one try ended: an answer (``status``; ``response`` for an open stream) or a
    ``failure`` (``sent``: the request may have left; ``timed_out``/``cancelled``: why)."""

    status: int | None = None
    body: bytes = b""
    retry_after: str | None = None
    failure: BaseException | None = None
    sent: bool = True
    timed_out: bool = False
    cancelled: bool = False
    duration_ms: float = 0.0
    response: requests.Response | None = None


class _Cut(OSError):
    """The try was aborted under the exchange (what arrived may be cut short)."""


@dataclass(slots=True)
class TryRunner:
    """Runs single tries on a session, under the watchdog's deadline."""

    session: requests.Session
    watchdog: DeadlineWatchdog
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
        """One try bounded by ``timeout`` seconds and abortable through ``scope``.

        With ``stream_read_timeout`` a 2xx answer comes back unread as ``response``
        once its headers are in (the deadline then ends; ``scope`` can still abort it).

        Raises:
            KratyProtocolError: a 2xx body over ``max_response_bytes``.
            KratyConfigError: the request cannot be built.
        """
        if not scope.begin():
            return Outcome(failure=_Cut("call aborted"), sent=False, cancelled=True)
        started = time.perf_counter()
        done = Outcome()
        try:
            self.watchdog.watch(scope, timeout)
            token = running.set(scope)
            try:
                response = self.session.request(
                    method, url, data=payload, headers=headers, stream=True, verify=self.verify,
                    timeout=(timeout, stream_read_timeout or timeout), allow_redirects=False,
                )  # fmt: skip
            finally:
                running.reset(token)
            scope.attach(response.raw, raw=True)
            status = done.status = response.status_code
            done.retry_after = response.headers.get("retry-after")
            if stream_read_timeout is not None and 200 <= status < 300:
                if not scope.arm(None):  # the deadline passed as the headers came in
                    response.close()
                    raise _Cut("try aborted")
                done.response = response  # the caller's now; the scope can still abort it
                return done
            with response:
                done.body = self._read_body(response, scope)
        except _CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            done.failure = exc
        finally:
            cut = 0 if done.response is not None else scope.finish()
            done.duration_ms = (time.perf_counter() - started) * 1000.0
        if not cut and done.failure is None:
            return done
        # A socket shut under the exchange: http.client takes a connection closed inside the
        # headers for their end, so even a "200" here is not an answer.
        failure = done.failure or _Cut("try aborted")
        sent = scope.connected if scope.hooked else not is_connect_failure(failure)
        timed = cut == TIMED_OUT or isinstance(failure, rq.Timeout | u3.TimeoutError)
        return Outcome(None, b"", None, failure, sent, timed, cut == CANCELLED, done.duration_ms)

    def _read_body(self, response: requests.Response, scope: CallScope) -> bytes:
        """The body; empty for an error page over the cap.

        Raises:
            KratyProtocolError: a 2xx body over the cap.
        """
        cap = self.max_response_bytes
        length = response.headers.get("content-length") or ""
        over, total, chunks = length.isdigit() and int(length) > cap, 0, []
        while not over and (chunk := response.raw.read(65536, decode_content=True)):
            total += len(chunk)
            over = total > cap
            chunks.append(chunk)
            if scope.aborted:
                raise _Cut("try aborted")
        if not over:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if 200 <= response.status_code < 300:
            raise KratyProtocolError(
                f"response body exceeds max_response_bytes={cap}; refused",
                status=response.status_code,
            )
        return b""


def is_connect_failure(exc: BaseException) -> bool:
    """True when ``exc`` proves the request never left (refused, DNS, connect timeout)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and not isinstance(current, _NOT_SENT):
        seen.add(id(current))
        reason, first = getattr(current, "reason", None), (current.args or (None,))[0]
        current = next(
            (e for e in (reason, first) if isinstance(e, BaseException)),
            current.__cause__ or current.__context__,
        )
    return current is not None and isinstance(current, _NOT_SENT)
