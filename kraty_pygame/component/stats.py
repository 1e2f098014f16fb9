"""``ComponentStats``: the counters ``KratyComponent.stats`` returns (no pygame)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ComponentStats"]


@dataclass(frozen=True)
class ComponentStats:
    """A snapshot of the component's counters (``KratyComponent.stats``).

    Attributes:
        queue_depth: calls waiting for a worker thread.
        in_flight: calls being sent right now.
        outstanding: calls not yet delivered by ``update()`` (the overflow bound).
        results_waiting: results and live items waiting for ``update()``.
        events_waiting: pygame events waiting for room in SDL's queue.
        coalesced: progress increments merged plus live items replaced by newer ones.
        dropped: calls refused plus live items dropped by the overflow policy.
        refused: calls refused because ``max_pending_requests`` were outstanding.
        live_dropped: live items dropped because ``max_live_items`` were waiting.
        post_retries: ``update()`` calls that found SDL's event queue full.
        callback_errors: exceptions raised by ``on_done`` callbacks (logged).
        handled_last_update: items ``update()`` handled on its last call.
        max_per_update: the per-call bound (``max_results_per_update``).
        update_ms_last: main-thread time of the last ``update()``, milliseconds.
        update_ms_avg: exponential moving average of that time, milliseconds.
        update_ms_max: the largest ``update()`` time seen, milliseconds.
        updates: ``update()`` calls so far.
        watchers: watchers currently running.
        threads: component threads alive (request workers and watchers).
    """

    queue_depth: int
    in_flight: int
    outstanding: int
    results_waiting: int
    events_waiting: int
    coalesced: int
    dropped: int
    refused: int
    live_dropped: int
    post_retries: int
    callback_errors: int
    handled_last_update: int
    max_per_update: int
    update_ms_last: float
    update_ms_avg: float
    update_ms_max: float
    updates: int
    watchers: int
    threads: int
