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
from tests.support.chaos import ChaosConfig, ChaosRun, assert_sound, print_lines, run_chaos
from tests.support.chaos_component import run_component_phase
from tests.support.fault_proxy import FaultProxy, FaultRates

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
    assert_sound(report, tolerate_status_gap=False)


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
    assert_sound(report, tolerate_status_gap=False)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("kraty-worker")]


def test_the_judge_catches_double_and_lost_writes(kraty_emulator: EmbeddedEmulator) -> None:
    """The ledger judgement is not vacuous: a retry with a fresh key (what a client
    without idempotency would do) shows as applied twice, a write that never reached the
    server but is marked done shows as lost."""
    config = ChaosConfig(
        writes=40,
        players=2,
        threads=2,
        seed=5,
        retry_attempts=(1,),
        weights=(("debit", 1.0), ("consume", 1.0)),
    )
    rates = FaultRates(reset_after=0.35, reset_before=0.35)
    with FaultProxy(kraty_emulator.base_url, rates=rates, seed=5) as proxy:
        run = ChaosRun(kraty_emulator, config, proxy)
        try:
            run.plan()
            run.run_sdk()
            honest = run.judge()
            assert honest.applied_twice == 0 and honest.lost_acknowledged == 0
            per_write, _ = run.applied_counts()
            applied = [w for w in run.writes if not w.done and per_write[w.index] == 1]
            missing = [w for w in run.writes if not w.done and per_write[w.index] == 0]
            assert applied and missing, "the faults did not produce both cases"
            with run.clean_kraty(run.players[applied[0].player]) as kraty:
                run.call(kraty, applied[0], f"{applied[0].tag}-fresh-key")
            missing[0].done = True
            broken = run.judge()
        finally:
            run.server.close()
    assert broken.applied_twice == 1, broken.problems
    assert broken.lost_acknowledged == 1, broken.problems
