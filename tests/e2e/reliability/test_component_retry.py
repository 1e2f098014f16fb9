"""Failed component writes: merged progress requests under a lost connection.

The component merges queued ``increment`` calls of one attempt into one request, so
the handles of a merged request share one error and one ``idempotency_key``, while each
handle stands for an increment of its own. Without an outbox the game sees that error
and may retry the request as the one it was; with the outbox (the default) the outbox
sends it again by itself and each increment is applied once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame
import pytest

from kraty_pygame.component import KratyComponent
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.errors import KratyNetworkError
from tests.support.chaos import TAP_EVENT
from tests.support.fault_model import RequestHead
from tests.support.fault_proxy import FaultKind, FaultProxy

pytestmark = [pytest.mark.emulator, pytest.mark.headless]


@dataclass
class Merged:
    emulator: EmbeddedEmulator
    clean: Kraty
    attempt_id: str
    handles: list[RequestHandle[Any]]

    def taps(self) -> int:
        for attempt in self.emulator.state()["attempts"]:
            if attempt["id"] == self.attempt_id:
                return int((attempt.get("metrics_raw") or {}).get("taps", 0))
        raise AssertionError("attempt not found")


def _pump(component: KratyComponent, handles: list[RequestHandle[Any]]) -> None:
    deadline = time.monotonic() + 30
    while not all(h.done for h in handles):
        assert time.monotonic() < deadline
        component.update()
        pygame.event.get()
        next(h for h in handles if not h.done).wait(0.05)
    component.update()
    pygame.event.get()


@pytest.fixture
def merged_failure(
    request: pytest.FixtureRequest, kraty_emulator: EmbeddedEmulator
) -> Iterator[Merged]:
    """Three increments merged into one request that the proxy loses (param: the fault)."""
    fault: FaultKind = request.param
    pygame.init()
    pygame.display.set_mode((32, 32))
    with (
        FaultProxy(kraty_emulator.base_url, drip_seconds=0.6) as proxy,
        Kraty(
            kraty_emulator.client_api_key,
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
        ) as clean,
    ):
        identity = clean.ensure_identity()
        attempt_id = clean.events.start(TAP_EVENT).attempt.id
        faulty = Kraty(
            kraty_emulator.client_api_key,
            base_url=proxy.url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=identity.external_player_id,
            player_secret=identity.secret,
            retry=RetryConfig(attempts=1),
            timeout=5.0,
        )
        # No start-up clock sync: it would take the one scripted fault meant for progress.
        # No outbox: these tests show how the request worker reports a lost merged
        # request (a game without an outbox retries it as the one request it was).
        component = KratyComponent(
            faulty, owns_kraty=True, sync_time_at_start=False, outbox=False
        )
        try:
            # A slow read keeps the worker busy while three increments queue up and merge.
            proxy.schedule(FaultKind.SLOW_DRIP, fault)
            busy = component.wallet.list()
            handles = [
                component.events.progress(TAP_EVENT, attempt_id, mode="increment", metric_value=1)
                for _ in range(3)
            ]
            _pump(component, [busy, *handles])
            assert component.stats.coalesced >= 2, "the increments did not merge"
            yield Merged(kraty_emulator, clean, attempt_id, handles)
        finally:
            component.close()
            pygame.quit()


@pytest.mark.parametrize(
    "merged_failure", [FaultKind.RESET_BEFORE], indirect=True, ids=["reset_before"]
)
def test_merged_handles_share_one_unknown_outcome(merged_failure: Merged) -> None:
    errors = [h.error for h in merged_failure.handles]
    assert all(isinstance(e, KratyNetworkError) and e.outcome_unknown for e in errors)
    keys = {getattr(e, "idempotency_key", None) for e in errors}
    assert len(keys) == 1 and None not in keys
    assert merged_failure.taps() == 0


@pytest.mark.parametrize(
    "merged_failure",
    [FaultKind.RESET_BEFORE, FaultKind.RESET_AFTER],
    indirect=True,
    ids=["reset_before", "reset_after"],
)
def test_retrying_the_merged_request_as_one_applies_once(merged_failure: Merged) -> None:
    err = merged_failure.handles[0].error
    assert isinstance(err, KratyNetworkError)
    for _ in range(2):
        merged_failure.clean.events.progress(
            TAP_EVENT,
            merged_failure.attempt_id,
            mode="increment",
            metric_value=len(merged_failure.handles),
            idempotency_key=err.idempotency_key,
        )
    assert merged_failure.taps() == 3


@pytest.mark.parametrize("fault", [FaultKind.RESET_BEFORE, FaultKind.RESET_AFTER])
def test_merged_increments_whose_request_failed_are_each_applied_once(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path, fault: FaultKind
) -> None:
    """With the outbox (the component's default) a merged progress request lost in
    flight is sent again by the outbox with its key: every increment is applied once,
    every handle succeeds, and the game never calls ``retry()``."""
    pygame.init()
    pygame.display.set_mode((32, 32))
    progress_only = {"n": 0}

    def only_progress(head: RequestHead) -> bool:
        # fault the first two progress requests, whatever else the outbox sends first
        if head.path.endswith("/progress") and progress_only["n"] < 2:
            progress_only["n"] += 1
            return True
        return False

    with (
        FaultProxy(kraty_emulator.base_url, should_fault=only_progress) as proxy,
        Kraty(
            kraty_emulator.client_api_key,
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
        ) as clean,
    ):
        identity = clean.ensure_identity()
        attempt_id = clean.events.start(TAP_EVENT).attempt.id
        faulty = Kraty(
            kraty_emulator.client_api_key,
            base_url=proxy.url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=identity.external_player_id,
            player_secret=identity.secret,
            retry=RetryConfig(attempts=1),
            timeout=5.0,
        )
        component = KratyComponent(
            faulty, owns_kraty=True, sync_time_at_start=False, outbox=tmp_path / "outbox"
        )
        try:
            proxy.schedule(fault, fault)
            handles = [
                component.events.progress(TAP_EVENT, attempt_id, mode="increment", metric_value=1)
                for _ in range(3)
            ]
            assert all(h.queued for h in handles)
            _pump(component, handles)
            assert sum(proxy.counts.values()) >= 1, "no fault was injected"
            assert all(h.succeeded for h in handles), [h.error for h in handles]
            state = kraty_emulator.state()
            taps = next(
                int((a.get("metrics_raw") or {}).get("taps", 0))
                for a in state["attempts"]
                if a["id"] == attempt_id
            )
            assert taps == 3
            assert component.stats.pending_writes == 0
        finally:
            component.close()
            pygame.quit()
