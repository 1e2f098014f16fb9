"""Soak, long form (on demand): mixed traffic through the component with watchers on.

Not part of any test command (pyproject ignores ``tests/soak``; it is marked slow, so
``-m ""`` selects it). Run it with::

    KRATY_SOAK_REQUESTS=30000 .venv/bin/python -m pytest tests/soak/test_soak.py -m "" -s

After warm-up (the first 30 % of the samples) thread count and open file descriptors
must stay put and RSS must not grow with the traffic.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pygame
import pytest

from tests.support.chaos import print_lines
from tests.support.soak import component_threads, emulator_subprocess, run_soak

pytestmark = [pytest.mark.emulator, pytest.mark.headless, pytest.mark.slow]

REQUESTS = int(os.environ.get("KRATY_SOAK_REQUESTS", "20000"))


@pytest.fixture
def headless_pygame() -> Iterator[None]:
    pygame.init()
    pygame.display.set_mode((32, 32))
    try:
        yield
    finally:
        pygame.quit()


@pytest.mark.timeout(7200)
def test_soak_long(headless_pygame: None, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator_subprocess() as url:
        report = run_soak(url, requests_total=REQUESTS)
    with capsys.disabled():
        print_lines(["", f"soak (long, {REQUESTS} requests):", *report.lines()])
    assert report.requests >= REQUESTS
    assert report.failed_calls == 0
    threads, fds = report.spread("threads"), report.spread("fds")
    assert threads[1] - threads[0] <= 1, report.lines()
    assert fds[1] - fds[0] <= 4, report.lines()
    rss_lo, rss_hi = report.spread("rss")
    assert rss_hi - rss_lo < 16 * 2**20, report.lines()
    assert report.rss_slope_per_1000 < 32 * 1024, report.lines()
    assert component_threads() == []
