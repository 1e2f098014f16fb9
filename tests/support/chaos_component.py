"""The chaos phase through ``KratyComponent``: the game loop's view of the same writes.

One component per player (each with its own request worker thread), driven the way a
game drives it: calls return handles at once; the loop calls ``update()`` and
``pygame.event.get()`` each "frame" and waits on the component between frames.
Progress increments are sent without a key so they may be merged; other writes carry a
caller key. The component keeps its default outbox, so a write that meets a fault is
sent again by the outbox with its key and its handle only finishes once the server
answered; ``ChaosRun.retry_failed`` has nothing left to retry unless the server
refused a write for good.

pygame must be initialised (SDL dummy drivers) by the caller.
"""

from __future__ import annotations

import time
from typing import Any

import pygame

from kraty_pygame.component import KratyComponent
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk.errors import KratyApiError, KratyNetworkError
from tests.support.chaos import PAID_EVENT, TAP_EVENT, ChaosRun, Write

WAVE = 6  # writes per player submitted before the loop waits for them
WAVE_TIMEOUT = 120.0


def _submit(component: KratyComponent, w: Write) -> RequestHandle[Any]:
    key = f"{w.tag}-c"
    if w.op != "progress":
        w.keys.append(key)
    if w.op == "debit":
        return component.wallet.debit("gold", amount=1, reason=w.tag, idempotency_key=key)
    if w.op == "consume":
        return component.inventory.consume(
            "health_potion", quantity=1, reason=w.tag, idempotency_key=key
        )
    if w.op == "claim":
        return component.grants.claim(w.target, idempotency_key=key)
    if w.op == "open":
        return component.grants.open(w.target, idempotency_key=key)
    if w.op == "progress":
        return component.events.progress(TAP_EVENT, w.target, mode="increment", metric_value=1)
    if w.op == "start":
        return component.events.start(PAID_EVENT, idempotency_key=key)
    raise AssertionError(w.op)


def _waves(run: ChaosRun) -> list[list[Write]]:
    """Per wave, up to ``WAVE`` writes per player; a paid start only opens a player's
    share of a wave (its previous attempt is finished before the wave is sent)."""
    queues = {p.index: [w for w in run.writes if w.player == p.index] for p in run.players}
    waves: list[list[Write]] = []
    while any(queues.values()):
        wave: list[Write] = []
        for queue in queues.values():
            taken = 0
            while queue and taken < WAVE:
                if queue[0].op == "start" and taken:
                    break
                wave.append(queue.pop(0))
                taken += 1
        waves.append(wave)
    return waves


def run_component_phase(run: ChaosRun) -> None:
    """Phase 1 of ``run_chaos`` through one ``KratyComponent`` per player."""
    components = {
        p.index: KratyComponent(run.faulty_kraty(p), owns_kraty=True, close_timeout=10.0)
        for p in run.players
    }
    try:
        for wave in _waves(run):
            for w in wave:
                run.prepare(run.players[w.player], w)
            handles = [(w, _submit(components[w.player], w)) for w in wave]
            deadline = time.monotonic() + WAVE_TIMEOUT
            while True:
                for component in components.values():
                    component.update()
                pygame.event.get()
                pending = [h for _, h in handles if not h.done]
                if not pending:
                    break
                assert time.monotonic() < deadline, f"{len(pending)} handles never finished"
                pending[0].wait(0.05)
            for component in components.values():  # deliver the last callbacks/events
                component.update()
            pygame.event.get()
            for w, h in handles:
                if h.succeeded:
                    w.done, w.result = True, h.result
                else:
                    err = h.error
                    assert isinstance(err, KratyApiError | KratyNetworkError), repr(err)
                    w.error = err
    finally:
        for component in components.values():
            report = component.close()
            assert not report.cancelled, report
