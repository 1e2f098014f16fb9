"""Soak, short form: ~1,200 requests of mixed traffic with the component's watchers on.

After warm-up, this process's thread count and open file descriptors must not move and
its RSS must not grow with the traffic. The long form is ``tests/soak/test_soak.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from tests.support.chaos import print_lines
from tests.support.soak import component_threads, emulator_subprocess, run_soak

pytestmark = [pytest.mark.emulator, pytest.mark.headless, pytest.mark.slow]


@pytest.fixture
def headless_pygame() -> Iterator[None]:
    pygame.init()
    pygame.display.set_mode((32, 32))
    try:
        yield
    finally:
        pygame.quit()


def test_soak_short(headless_pygame: None, capsys: pytest.CaptureFixture[str]) -> None:
    with emulator_subprocess() as url:
        report = run_soak(url, requests_total=1_200)
    with capsys.disabled():
        print_lines(["", "soak (short):", *report.lines()])
    assert report.requests >= 1_200
    assert report.failed_calls == 0
    assert report.grants_collected > 0  # the grants watcher announced milestone grants
    threads, fds = report.spread("threads"), report.spread("fds")
    assert threads[1] - threads[0] <= 1, report.lines()
    assert fds[1] - fds[0] <= 4, report.lines()
    rss_lo, rss_hi = report.spread("rss")
    assert rss_hi - rss_lo < 8 * 2**20, report.lines()
    assert report.rss_slope_per_1000 < 512 * 1024, report.lines()
    assert component_threads() == []
