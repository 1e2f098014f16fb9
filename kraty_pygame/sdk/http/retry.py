"""Retry decisions: which outcomes retry and how long to wait."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from typing import Final

from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, RETRYABLE_STATUSES
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.options import RetryConfig

__all__ = [
    "AMBIGUOUS_STATUSES",
    "delay_before_retry",
    "parse_retry_after",
    "status_is_retryable",
    "status_may_have_applied",
]

AMBIGUOUS_STATUSES: Final = frozenset({500, 502, 504})
"""Statuses after which a write may have been applied (see :func:`status_may_have_applied`)."""


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or ``None`` when absent/unusable.

    Accepts a non-negative number of seconds (fractions allowed) and the HTTP-date
    form (delay = date - now, floored at 0), as the Unity SDK does.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


def status_is_retryable(error: KratyApiError, retry: RetryConfig) -> bool:
    """True when this error response should be retried (status first, then the §8 Q4 rule)."""
    if error.status not in RETRYABLE_STATUSES:
        return False
    if error.status == 429 and error.code in ATTEMPT_CAP_CODES:
        return retry.retry_on_attempt_caps
    return True


def status_may_have_applied(status: int) -> bool:
    """True when a write answered with ``status`` may nevertheless have been applied.

    * 500: the server failed while handling the request, possibly after its commit
      (for example while writing the answer).
    * 502 / 504: a gateway forwarded the request and lost or gave up on the upstream
      answer; the upstream may have applied it.

    Every other status is a refusal before the write: 408 (the request never fully
    arrived), 425 (refused as too early), 429 (rate limited or attempt cap), 503 (the
    service, or a proxy in front of it, declined to handle the request: the emulator's
    injected ``service_unavailable`` fault answers before any route runs), any other
    4xx, and 501/505 and the rest of 5xx.
    """
    return status in AMBIGUOUS_STATUSES


def delay_before_retry(
    retry: RetryConfig, attempt: int, r: float, retry_after: str | None = None
) -> float:
    """Delay after failed try ``attempt`` (1-based); ``r`` is uniform in [-1, 1).

    A usable ``Retry-After`` wins (capped at ``max_delay``, no jitter); otherwise
    exponential backoff with jitter.
    """
    seconds = parse_retry_after(retry_after)
    if seconds is not None:
        return min(seconds, retry.max_delay)
    return retry.backoff(attempt, r)
