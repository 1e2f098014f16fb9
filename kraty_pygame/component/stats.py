"""``ComponentStats``: the counters ``KratyComponent.stats`` returns (no pygame)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass


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
        update_ms_last: CPU time the main thread spent in the last ``update()``, in
            milliseconds (``time.thread_time()`` read at its start and end). Time the
            thread did not run is left out: the OS running other threads or processes,
            waiting for the GIL while a worker holds it, blocking (e.g. a callback that
            sleeps). This is the work ``update()`` itself costs the frame. An
            ``update()`` that finds nothing to deliver (about a microsecond) is not timed
            and counts as 0: reading the CPU clock is a system call that would cost
            more than that path.
        update_ms_avg: exponential moving average of ``update_ms_last``.
        update_ms_max: the largest ``update_ms_last`` seen.
        updates: ``update()`` calls so far.
        watchers: watchers currently running.
        threads: component threads alive (request workers, watchers, the clock sync).
        update_wall_ms_last: wall-clock time of the last ``update()`` (``perf_counter``),
            milliseconds: ``update_ms_last`` plus any time the main thread was
            descheduled or blocked in between. A gap between the two points at the
            machine (or a blocking callback), not at the component.
        update_wall_ms_max: the largest ``update_wall_ms_last`` seen.
        pending_writes: durable writes recorded in the outbox and not yet settled by the
            server (this profile's, any process); 0 without an outbox.
        online: whether calls reach the server, as last seen by a call or the outbox
            sender: True, False (offline), or None before the first answer.
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
    update_wall_ms_last: float = 0.0
    update_wall_ms_max: float = 0.0
    pending_writes: int = 0
    online: bool | None = None
