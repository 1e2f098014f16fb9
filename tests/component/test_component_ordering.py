"""Order and batching as the emulator saw them: 1,000 ``set`` writes arrive in order,
500 rapid increments arrive as fewer requests with the same total and no lost milestone,
and a failed merged request is retried as the one request it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from kraty_pygame.component import KRATY_MILESTONE, KRATY_REQUEST_DONE, KratyComponent
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import InMemorySecretStore, Kraty, KratyCancelledError, RetryConfig
from tests.support.component import ComponentFactory, Pump

pytestmark = [pytest.mark.headless, pytest.mark.emulator]


@pytest.fixture(scope="module")
def logging_emulator() -> Iterator[EmbeddedEmulator]:
    """An emulator that keeps the last 5,000 requests (the shared one keeps 200)."""
    emulator = EmbeddedEmulator(clock="manual")
    emulator.settings.request_log_size = 5_000
    with emulator:
        yield emulator


@pytest.fixture
def emulator(logging_emulator: EmbeddedEmulator) -> EmbeddedEmulator:
    logging_emulator.reset()
    return logging_emulator


@pytest.fixture
def kraty(emulator: EmbeddedEmulator) -> Iterator[Kraty]:
    with Kraty(
        emulator.client_api_key,
        base_url=emulator.base_url,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    ) as facade:
        yield facade


def progress_bodies(emulator: EmbeddedEmulator, attempt_id: str) -> list[dict[str, Any]]:
    return [
        r["body"]
        for r in emulator.recent_requests(5_000)
        if r["method"] == "POST" and r["path"].endswith(f"/attempts/{attempt_id}/progress")
    ]


def drain(pump: Pump, handles: list[RequestHandle[Any]], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(h.done for h in handles) or pump.component.stats.outstanding:
        assert time.monotonic() < deadline, pump.component.stats
        pump.frame()
        pump.component.wait_for_results(0.05)


@pytest.mark.slow
def test_a_thousand_set_writes_arrive_in_order(
    emulator: EmbeddedEmulator, kraty: Kraty, make_component: ComponentFactory
) -> None:
    attempt = kraty.events.start("daily_duel").attempt
    component = make_component(kraty)
    pump = Pump(component)
    handles = [
        component.events.progress("daily_duel", attempt.id, mode="set", metric_value=value)
        for value in range(1, 1001)
    ]
    drain(pump, handles)
    assert all(h.succeeded for h in handles)
    assert [b["metricValue"] for b in progress_bodies(emulator, attempt.id)] == list(
        range(1, 1001)
    )
    done = [e.handle for e in pump.of(KRATY_REQUEST_DONE)]
    assert done == handles  # delivered in submission order too
    assert handles[-1].result is not None
    assert handles[-1].result.attempt.metrics == {"points": 1000}


def test_rapid_increments_merge_into_fewer_requests_with_the_same_total(
    emulator: EmbeddedEmulator, kraty: Kraty, make_component: ComponentFactory
) -> None:
    attempt = kraty.events.start("daily_duel").attempt
    component = make_component(kraty)
    pump = Pump(component)
    handles = [
        component.events.progress("daily_duel", attempt.id, mode="increment", metric_value=1)
        for _ in range(500)
    ]
    drain(pump, handles)
    bodies = progress_bodies(emulator, attempt.id)
    print(f"\n500 increments went out as {len(bodies)} requests")
    assert len(bodies) < 500
    assert sum(b["metricValue"] for b in bodies) == 500
    assert all(b["mode"] == "increment" for b in bodies)
    assert all(h.succeeded for h in handles)
    assert max(h.result.attempt.metrics["points"] for h in handles if h.result) == 500
    assert component.stats.coalesced == 500 - len(bodies)


def test_merged_increments_keep_every_milestone(
    emulator: EmbeddedEmulator, kraty: Kraty, make_component: ComponentFactory
) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    component = make_component(kraty)
    pump = Pump(component)
    emulator.set_faults(latency_ms=300)  # the first request is slow: the rest queue and merge
    handles = [
        component.events.progress("tap_frenzy", attempt.id, mode="increment", metric_value=1)
        for _ in range(29)
    ]
    drain(pump, handles)
    emulator.set_faults()
    assert len(progress_bodies(emulator, attempt.id)) < 29
    fired = [e.milestone.key for e in pump.of(KRATY_MILESTONE)]
    assert fired == ["taps_5", "taps_15"]
    assert all(e.attempt_id == attempt.id for e in pump.of(KRATY_MILESTONE))


@pytest.mark.slow
def test_a_set_between_increments_stops_the_merge(
    emulator: EmbeddedEmulator, kraty: Kraty, make_component: ComponentFactory
) -> None:
    attempt = kraty.events.start("daily_duel").attempt
    component = make_component(kraty)
    pump = Pump(component)
    emulator.set_faults(latency_ms=300)
    # a slow durable write first: the player's later writes wait behind it and merge
    busy = component.players.merge_metadata({"busy": 1})
    calls = [
        component.events.progress("daily_duel", attempt.id, mode="increment", metric_value=2),
        component.events.progress("daily_duel", attempt.id, mode="increment", metric_value=3),
        component.events.progress("daily_duel", attempt.id, mode="set", metric_value=100),
        component.events.progress("daily_duel", attempt.id, mode="increment", metric_value=4),
    ]
    drain(pump, [busy, *calls])
    emulator.set_faults()
    bodies = progress_bodies(emulator, attempt.id)
    assert [(b["mode"], b["metricValue"]) for b in bodies] == [
        ("increment", 5), ("set", 100), ("increment", 4)
    ]
    assert calls[0].batch == calls[1].batch == (calls[0], calls[1])
    assert calls[3].result is not None
    assert calls[3].result.attempt.metrics == {"points": 104}


def test_a_merged_request_cancelled_in_flight_is_retried_once_as_a_whole(
    emulator: EmbeddedEmulator, kraty: Kraty, make_component: ComponentFactory
) -> None:
    attempt = kraty.events.start("daily_duel").attempt
    # Without an outbox: a write in the outbox cannot be cancelled (it is on disk and
    # will be delivered), so cancelling in flight is a request-worker matter.
    component: KratyComponent = make_component(kraty, outbox=False)
    pump = Pump(component)
    emulator.set_faults(latency_ms=400)
    busy = component.wallet.list()
    merged = [
        component.events.progress("daily_duel", attempt.id, mode="increment", metric_value=1)
        for _ in range(3)
    ]
    deadline = time.monotonic() + 10
    while merged[0].status.value != "running" and time.monotonic() < deadline:
        merged[0].wait(0.01)
    assert merged[0].batch == tuple(merged)
    for handle in merged:
        assert handle.cancel()
    emulator.set_faults()
    drain(pump, [busy, *merged])
    errors = [h.error for h in merged]
    assert all(isinstance(e, KratyCancelledError) and e.outcome_unknown for e in errors)
    retries = [component.retry(h) for h in merged]
    assert retries[0] is retries[1] is retries[2]
    drain(pump, retries)
    assert retries[0].succeeded
    # the server applied the three increments exactly once, whether or not the
    # cancelled request had reached it before the socket was shut
    final = kraty.events.progress("daily_duel", attempt.id, mode="increment", metric_value=0)
    assert final.attempt.metrics == {"points": 3}
