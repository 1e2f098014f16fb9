"""Chaos, short form: ≥ 300 mixed writes through the fault proxy at 30 % faults.

The emulator's ledger is compared with what the SDK (or the component) reported (see
``chaos.py``). The long form is ``tests/soak/test_chaos_long.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pygame
import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from tests.reliability.chaos import ChaosConfig, assert_sound, print_lines, run_chaos
from tests.reliability.chaos_component import run_component_phase

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SHORT = ChaosConfig(writes=320, players=8, threads=4, fault_rate=0.30)
SHORT_COMPONENT = ChaosConfig(writes=300, players=6, threads=3, fault_rate=0.30, seed=7_2026)


@pytest.fixture
def headless_pygame() -> Iterator[None]:
    pygame.init()
    pygame.display.set_mode((32, 32))
    try:
        yield
    finally:
        pygame.quit()


def test_chaos_sdk_short(
    kraty_emulator: EmbeddedEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_chaos(kraty_emulator, SHORT)
    with capsys.disabled():
        print_lines(["", "chaos (SDK, short):", *report.lines()])
    assert report.writes_issued >= 300
    assert sum(report.faults.values()) > 0.2 * report.writes_issued
    assert_sound(report, tolerate_status_gap=True)


@pytest.mark.headless
def test_chaos_component_short(
    kraty_emulator: EmbeddedEmulator,
    headless_pygame: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = run_chaos(kraty_emulator, SHORT_COMPONENT, phase1=run_component_phase)
    with capsys.disabled():
        print_lines(["", "chaos (KratyComponent, short):", *report.lines()])
    assert report.writes_issued >= 300
    assert sum(report.faults.values()) > 0.2 * report.writes_issued
    assert_sound(report, tolerate_status_gap=True)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("kraty-worker")]
