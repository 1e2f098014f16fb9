"""Robustness against the emulator: a long run of failures, close() against a hanging
server, cancellation of in-flight writes, and the overflow bound."""

from __future__ import annotations

import threading
import time

import pygame
import pytest

from kraty_pygame.component import KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED, KratyComponent
from kraty_pygame.component.errors import KratyComponentClosedError, KratyQueueFullError
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import KratyApiError, KratyCancelledError, RetryConfig
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump, component_threads

pytestmark = [pytest.mark.headless, pytest.mark.emulator]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_thousand_failures_in_a_row_leave_the_worker_alive(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty(retry=RetryConfig(attempts=1))
    component = make_component(kraty, max_results_per_update=1000)
    pump = Pump(component)
    kraty_emulator.set_faults(fail_rate=1.0)
    total, failed = 10_000, 0
    submitted = 0
    clock = pygame.time.Clock()
    while failed < total:  # a 60 fps game loop that keeps ~2,000 calls queued
        while submitted < total and component.stats.outstanding < 2000:
            component.catalog.read()
            submitted += 1
        for event in pump.frame():
            assert event.type == KRATY_REQUEST_FAILED
            assert isinstance(event.error, KratyApiError) and event.error.status == 503
            failed += 1
        pump.clear()
        clock.tick(60)
    kraty_emulator.set_faults()
    assert [t.name for t in component_threads()] == ["kraty-worker-0"]
    after = component.catalog.read()
    done = pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is after)
    assert done.result is not None and done.result.currencies


@pytest.mark.slow
def test_close_returns_in_time_against_a_hanging_server(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    kraty.ensure_identity()
    component = make_component(kraty)
    component.watch_grants(start=0.2, max_interval=0.5)
    kraty_emulator.set_faults(latency_ms=30_000)
    writes = [component.grants.collect_all() for _ in range(3)]
    reads = [component.wallet.list() for _ in range(3)]
    deadline = time.monotonic() + 10
    while component.stats.in_flight == 0 and time.monotonic() < deadline:
        writes[0].wait(0.01)
    assert component.stats.in_flight == 1
    started = time.monotonic()
    report = component.close(timeout=1)
    elapsed = time.monotonic() - started
    kraty_emulator.set_faults()
    print(f"\nclose(timeout=1) with a call in flight against a hanging server: {elapsed:.3f} s")
    assert elapsed < 1.5
    assert report.threads_alive == ()
    assert component_threads() == []
    assert not any(
        t.name.startswith(("kraty-worker", "kraty-watch")) for t in threading.enumerate()
    )
    assert report.outcome_unknown == (writes[0],)
    assert set(report.cancelled) == {*writes, *reads}
    first = writes[0].error
    assert isinstance(first, KratyCancelledError) and first.outcome_unknown
    assert all(isinstance(h.error, KratyCancelledError) for h in writes[1:] + reads)
    assert not any(h.outcome_unknown for h in writes[1:] + reads)
    late = component.catalog.read()
    assert isinstance(late.error, KratyComponentClosedError)


def test_close_drains_queued_writes_before_its_timeout(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    kraty.ensure_identity()
    component = make_component(kraty)
    # a slow server keeps every write unfinished until close() starts counting
    kraty_emulator.set_faults(latency_ms=200)
    writes = [component.grants.collect_all() for _ in range(5)]
    report = component.close(timeout=10)
    kraty_emulator.set_faults()
    assert report.cancelled == ()
    assert report.drained == 5
    assert all(h.succeeded for h in writes)


def test_cancel_an_in_flight_write_aborts_it_with_outcome_unknown(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    kraty.ensure_identity()
    component = make_component(kraty)
    pump = Pump(component)
    kraty_emulator.set_faults(latency_ms=30_000)
    write = component.grants.collect_all()
    queued = component.wallet.list()
    deadline = time.monotonic() + 10
    while component.stats.in_flight == 0 and time.monotonic() < deadline:
        write.wait(0.01)
    assert write.cancel()
    assert queued.cancel()
    failed = pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is write)
    assert failed.error.outcome_unknown
    kraty_emulator.set_faults()
    # the worker is free again at once (the socket was shut down, not waited out)
    after = component.catalog.read()
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is after, timeout=5)
    assert not queued.outcome_unknown and queued.cancelled


@pytest.mark.slow
def test_outstanding_calls_are_bounded_when_update_is_not_called(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component: KratyComponent = make_component(make_kraty(), max_pending_requests=50)
    kraty_emulator.set_faults(latency_ms=30_000)
    handles = [component.catalog.read() for _ in range(80)]
    refused = [h for h in handles if isinstance(h.error, KratyQueueFullError)]
    assert len(refused) == 30
    assert component.stats.refused == 30 and component.stats.dropped >= 30
    assert component.stats.outstanding == 50
    kraty_emulator.set_faults()
