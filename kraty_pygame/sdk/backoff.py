"""The one backoff formula of the library: exponential, capped, with jitter.

The transport's retries (``RetryConfig``), the board streams' reconnection
(``ReconnectPolicy``) and the component's watchers all wait ``backoff_delay(...)``.
"""

from __future__ import annotations

__all__ = ["backoff_delay"]


def backoff_delay(
    initial: float,
    attempt: int,
    *,
    cap: float,
    r: float,
    jitter: float,
    multiplier: float = 2.0,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    The base is ``initial × multiplier^(attempt-1)``, capped at ``cap``; it is then spread
    by ``± jitter`` of itself, ``r`` being uniform in [-1, 1). ``jitter=1`` spreads the
    wait over [0, 2 × base): clients that failed together (a server outage) come back
    apart instead of in lockstep, and wait the base on average.
    """
    base = min(initial * multiplier ** max(attempt - 1, 0), cap)
    return max(0.0, base * (1.0 + jitter * r))
