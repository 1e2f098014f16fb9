"""Retry decisions: which answers are retried, which may have applied a write, how long
to wait (see ``docs/errors.md``)."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from typing import Final

from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, RETRYABLE_STATUSES
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.options import RetryConfig

__all__ = ["delay_before_retry", "parse_retry_after", "status_is_retryable"]

MAY_HAVE_APPLIED: Final = frozenset({500, 502, 504})
"""Statuses after which a write may have been applied: the server failed after its commit,
or a gateway lost the answer. Any other status refuses the request before the write."""


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (a number of seconds or an HTTP date),
    or ``None`` when absent or unusable."""
    text = (value or "").strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
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
