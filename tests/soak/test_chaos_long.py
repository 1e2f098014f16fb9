"""Chaos, long form (on demand): ≥ 1,000 mixed writes through the fault proxy at 30 %.

Not part of any test command (pyproject ignores ``tests/soak``; it is marked slow, so
``-m ""`` selects it). Run it with::

    .venv/bin/python -m pytest tests/soak/test_chaos_long.py -m "" -s

It prints the same lines as the short form; the figures in ``docs/reliability.md``
come from here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pygame
import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from tests.support.chaos import ChaosConfig, assert_sound, print_lines, run_chaos
from tests.support.chaos_component import run_component_phase

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

WRITES = int(os.environ.get("KRATY_CHAOS_WRITES", "1200"))
SEED = int(os.environ.get("KRATY_CHAOS_SEED", "20260615"))


@pytest.fixture
def headless_pygame() -> Iterator[None]:
    pygame.init()
    pygame.display.set_mode((32, 32))
    try:
        yield
    finally:
        pygame.quit()


@pytest.mark.timeout(1800)
def test_chaos_sdk_long(
    kraty_emulator: EmbeddedEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ChaosConfig(writes=WRITES, players=16, threads=4, fault_rate=0.30, seed=SEED)
    report = run_chaos(kraty_emulator, config)
    with capsys.disabled():
        print_lines(["", f"chaos (SDK, long, seed {SEED}):", *report.lines()])
    assert report.writes_issued >= 1000
    assert_sound(report, tolerate_status_gap=False)


@pytest.mark.timeout(1800)
@pytest.mark.headless
def test_chaos_component_long(
    kraty_emulator: EmbeddedEmulator,
    headless_pygame: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = ChaosConfig(writes=WRITES, players=16, threads=4, fault_rate=0.30, seed=SEED + 1)
    report = run_chaos(kraty_emulator, config, phase1=run_component_phase)
    with capsys.disabled():
        print_lines(["", f"chaos (KratyComponent, long, seed {SEED + 1}):", *report.lines()])
    assert report.writes_issued >= 1000
    assert_sound(report, tolerate_status_gap=False)
