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
from kraty_pygame.sdk.http.abort import TIMED_OUT, Calls, CallScope, running

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
    ``failure`` (``sent``: the request may have left; ``timed_out``: by its deadline)."""

    status: int | None = None
    body: bytes = b""
    retry_after: str | None = None
    failure: BaseException | None = None
    sent: bool = True
    timed_out: bool = False
    duration_ms: float = 0.0
    response: requests.Response | None = None


class _Cut(OSError):
    """The try was aborted under the exchange (what arrived may be cut short)."""


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
        """One try bounded by ``timeout`` seconds and abortable through ``scope``.

        With ``stream_read_timeout`` a 2xx answer comes back unread as ``response``
        once its headers are in (the deadline then ends; ``scope`` can still abort it).

        Raises:
            KratyProtocolError: a 2xx body over ``max_response_bytes``.
            KratyConfigError: the request cannot be built.
        """
        started = time.perf_counter()
        if not self.calls.begin(scope, timeout):
            return Outcome(failure=_Cut("call aborted"), sent=False)
        done = Outcome()
        try:
            token = running.set(scope)
            try:
                response = self.session.request(
                    method, url, data=payload, headers=headers, stream=True, verify=self.verify,
                    timeout=(timeout, stream_read_timeout or timeout), allow_redirects=False,
                )  # fmt: skip
            finally:
                running.reset(token)
            scope.answer = response.raw
            status = done.status = response.status_code
            done.retry_after = response.headers.get("retry-after")
            if stream_read_timeout is not None and 200 <= status < 300:
                if not scope.keep_open(response):  # the deadline passed as the headers came in
                    response.close()
                    raise _Cut("try aborted")
                done.response = response  # the caller's now; the scope can still abort it
                return done
            with response:  # an error page over the cap reads as empty
                length = response.headers.get("content-length") or ""
                cap = self.max_response_bytes
                over = length.isdigit() and int(length) > cap
                done.body = b"" if over else response.raw.read(cap + 1, decode_content=True)
                if (over or len(done.body) > cap) and 200 <= status < 300:
                    refused = f"response body exceeds max_response_bytes={cap}; refused"
                    raise KratyProtocolError(refused, status=status)
                if over or len(done.body) > cap:
                    done.body = b""
        except _CONFIG_ERRORS as exc:
            raise KratyConfigError(f"invalid request: {type(exc).__name__}") from exc
        except NETWORK_ERRORS as exc:
            done.failure = exc
        finally:
            cut = None if done.response is not None else scope.finish()
            done.duration_ms = (time.perf_counter() - started) * 1000.0
        if cut is None and done.failure is None:
            return done
        # A socket shut under the exchange: http.client takes a connection closed inside the
        # headers for their end, so even a "200" here is not an answer.
        failure = done.failure or _Cut("try aborted")
        sent = not is_connect_failure(failure) if scope.sent is None else scope.sent
        timed = cut == TIMED_OUT or isinstance(failure, rq.Timeout | u3.TimeoutError)
        return Outcome(None, b"", None, failure, sent, timed, done.duration_ms)


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
