"""Chaos, short form: ≥ 300 mixed writes through the fault proxy at 30 % faults.

The emulator's ledger is compared with what the SDK reported (see ``chaos.py``). The
long form is ``tests/soak/test_chaos_long.py``.
"""

from __future__ import annotations

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from tests.reliability.chaos import ChaosConfig, assert_sound, print_lines, run_chaos

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SHORT = ChaosConfig(writes=320, players=8, threads=4, fault_rate=0.30)


def test_chaos_sdk_short(
    kraty_emulator: EmbeddedEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_chaos(kraty_emulator, SHORT)
    with capsys.disabled():
        print_lines(["", "chaos (SDK, short):", *report.lines()])
    assert report.writes_issued >= 300
    assert sum(report.faults.values()) > 0.2 * report.writes_issued
    assert_sound(report, tolerate_status_gap=True)
