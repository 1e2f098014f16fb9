"""One backoff formula, with jitter, used by the transport, the streams and the watchers."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

import kraty_pygame
from kraty_pygame.component.watchers import backoff
from kraty_pygame.sdk.backoff import backoff_delay
from kraty_pygame.sdk.options import RetryConfig
from kraty_pygame.sdk.streams.leaderboard import ReconnectPolicy

PACKAGE = Path(kraty_pygame.__file__).parent


def test_base_doubles_up_to_the_cap_and_jitter_spreads_it() -> None:
    delays = [backoff_delay(0.5, n, cap=3.0, r=0.0, jitter=0.2) for n in range(1, 6)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(1.0, 1, cap=9.0, r=-1.0, jitter=0.2) == pytest.approx(0.8)
    assert backoff_delay(1.0, 1, cap=9.0, r=0.5, jitter=0.2) == pytest.approx(1.1)
    assert backoff_delay(1.0, 3, cap=9.0, r=-1.0, jitter=1.0) == 0.0
    assert backoff_delay(1.0, 2, cap=9.0, r=0.0, jitter=0.0, multiplier=3.0) == 3.0


def test_retry_and_reconnect_policies_use_it() -> None:
    retry = RetryConfig(initial_delay=0.1, max_delay=5.0, jitter=0.2)
    assert retry.backoff(3, 0.5) == backoff_delay(0.1, 3, cap=5.0, r=0.5, jitter=0.2)
    policy = ReconnectPolicy(initial_delay=0.5, max_delay=30.0, jitter=0.2, rng=lambda: 0.75)
    assert policy.delay(4) == backoff_delay(0.5, 4, cap=30.0, r=0.5, jitter=0.2)


def test_watchers_back_off_apart_not_in_lockstep() -> None:
    samples = [backoff(1.0, 3) for _ in range(400)]  # base 4 s
    assert all(0.0 <= s < 8.0 for s in samples)
    assert min(samples) < 1.0
    assert max(samples) > 7.0
    assert statistics.mean(samples) == pytest.approx(4.0, rel=0.15)
    assert len({round(s, 6) for s in samples}) > 390
    assert all(backoff(1.0, 50) < 60.0 for _ in range(50))  # capped at 30 s before the spread


def test_no_other_exponential_backoff_formula_in_the_library() -> None:
    pattern = re.compile(r"\*\*\s*\(?\s*(max\()?\s*(attempt|failures|n)\b")
    found = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["sdk/backoff.py"]
