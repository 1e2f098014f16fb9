"""Request worker: job lanes, request handles and the bounded results buffer (no pygame).

Jobs with the same ``player`` key (the ``as_`` override, or None for the active
player) run one at a time on one lane in submission order, so a read sees the writes
queued before it. Cancelling a queued job fails it with ``outcome_unknown=False``; a
write already in flight fails with ``outcome_unknown=True`` and is aborted. Bounds:
docs/pygame-guide.md ("Bounds and overflow").
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.component.errors import KratyComponentClosedError, KratyQueueFullError
from kraty_pygame.component.handles import HandleStatus, RequestHandle, SentRequest
from kraty_pygame.component.jobs import Job, JobMerger, JobState
from kraty_pygame.component.results import (
    LiveItem,
    RequestResult,
    ResultsBuffer,
)
from kraty_pygame.sdk.errors import KratyCancelledError

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "CloseReport",
    "Job",
    "JobMerger",
    "JobState",
    "LiveItem",
    "RequestResult",
    "RequestWorker",
    "ResultsBuffer",
    "WorkerStats",
]

_log = logging.getLogger("kraty_pygame.component")

DEFAULT_MAX_PENDING: Final = 10_000
#: Extra time ``close()`` gives interrupted threads to end after its deadline.
CLOSE_GRACE: Final = 0.3

@dataclass(frozen=True)
class WorkerStats:
    """A snapshot of the worker's counters."""

    queued: int
    in_flight: int
    outstanding: int
    merged: int
    rejected: int
    completed: int
    threads_alive: int


@dataclass(frozen=True)
class CloseReport:
    """What ``close()`` did with the calls that were still pending.

    Attributes:
        drained: queued or in-flight calls that finished normally during close.
        cancelled: handles cancelled because the deadline passed (or reads dropped at
            close); none of them was sent unless listed in ``outcome_unknown`` too.
        outcome_unknown: cancelled writes that were already in flight.
        threads_alive: names of worker threads still running after the grace period
            (empty unless a call ignored cancellation).
        pending_writes: durable writes still in the outbox when ``close()`` returned;
            they are kept on disk and sent by the next start of the game (0 without
            an outbox).
    """

    drained: int
    cancelled: tuple[RequestHandle[Any], ...]
    outcome_unknown: tuple[RequestHandle[Any], ...]
    threads_alive: tuple[str, ...]
    pending_writes: int = 0


class _Lane:
    __slots__ = ("cond", "current", "jobs", "last_by_player", "thread")

    def __init__(self, lock: threading.Lock) -> None:
        self.cond = threading.Condition(lock)
        self.jobs: deque[Job] = deque()
        self.last_by_player: dict[str | None, Job] = {}
        self.current: Job | None = None
        self.thread: threading.Thread | None = None


class RequestWorker:
    """Runs submitted jobs on ``threads`` lanes; one lane per player key (hashed).

    Args:
        results: where finished jobs go.
        threads: number of request threads (lanes); one by default.
        max_pending: cap on outstanding handles (see the module docstring).
        run: executes a job on a lane thread (default ``job.call()``); the component
            wraps the call in the SDK's cancellation scope here.
        interrupt: called with a job whose in-flight call was cancelled, from the
            cancelling thread; it should make the blocking call return soon.
        after_job: called on the worker thread after every job (never raises out).
        name: prefix of the thread names.
    """

    def __init__(
        self,
        results: ResultsBuffer,
        *,
        threads: int = 1,
        max_pending: int = DEFAULT_MAX_PENDING,
        run: Callable[[Job], Any] | None = None,
        interrupt: Callable[[Job], None] | None = None,
        after_job: Callable[[Job, BaseException | None], None] | None = None,
        name: str = "kraty-worker",
    ) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._results = results
        self._max_pending = max_pending
        self._run: Callable[[Job], Any] = run if run is not None else Job.call
        self._interrupt = interrupt
        self._after_job = after_job
        self._name = name
        self._lock = threading.Lock()
        self._lanes = [_Lane(self._lock) for _ in range(threads)]
        self._job_of: dict[int, Job] = {}
        self._outstanding = 0
        self._merged = 0
        self._rejected = 0
        self._completed = 0
        self._finished_handles = 0
        self._accepting = True
        self._stopping = False
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the lane threads (daemon threads; ``close()`` joins them)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        for index, lane in enumerate(self._lanes):
            thread = threading.Thread(
                target=self._run_lane, args=(lane,), name=f"{self._name}-{index}", daemon=True
            )
            lane.thread = thread
            thread.start()

    @property
    def threads(self) -> list[threading.Thread]:
        """The lane threads (started or not)."""
        return [lane.thread for lane in self._lanes if lane.thread is not None]

    def stats(self) -> WorkerStats:
        """Counters for ``KratyComponent.stats``."""
        with self._lock:
            return WorkerStats(
                queued=sum(len(lane.jobs) for lane in self._lanes),
                in_flight=sum(1 for lane in self._lanes if lane.current is not None),
                outstanding=self._outstanding,
                merged=self._merged,
                rejected=self._rejected,
                completed=self._completed,
                threads_alive=sum(
                    1 for lane in self._lanes if lane.thread is not None and lane.thread.is_alive()
                ),
            )

    # -- submission ---------------------------------------------------------------------

    def submit(self, job: Job) -> bool:
        """Queue ``job`` (with exactly one handle) or fold it into a queued merge target.

        Never blocks on I/O. When the call is refused (closed, or too many outstanding)
        the handle is failed at once, nothing is queued and False is returned.
        """
        handle = job.handles[0]
        handle._canceller = self._cancel
        refusal: BaseException | None = None
        with self._lock:
            if not self._accepting:
                refusal = KratyComponentClosedError(
                    f"{job.operation}: the component is closed; nothing was sent"
                )
            elif self._outstanding >= self._max_pending:
                self._rejected += 1
                refusal = KratyQueueFullError(
                    f"{job.operation}: {self._max_pending} calls are already outstanding; "
                    "nothing was sent (call update() every frame)"
                )
            else:
                self._outstanding += 1
                lane = self._lane_for(job.player)
                target = lane.last_by_player.get(job.player)
                if (
                    job.merge_key is not None
                    and target is not None
                    and target.state is JobState.QUEUED
                    and target.merge_key == job.merge_key
                    and target.merger is not None
                    and target.merger.absorb(target, job)
                ):
                    self._merged += 1
                    self._job_of[handle.id] = target
                else:
                    lane.jobs.append(job)
                    lane.last_by_player[job.player] = job
                    self._job_of[handle.id] = job
                    lane.cond.notify()
        if refusal is None:
            return True
        handle._complete(HandleStatus.FAILED, None, refusal)
        return False

    def release(self, count: int) -> None:
        """The main thread delivered ``count`` finished handles; they stop counting."""
        with self._lock:
            self._outstanding = max(0, self._outstanding - count)

    def _lane_for(self, player: str | None) -> _Lane:
        if len(self._lanes) == 1:
            return self._lanes[0]
        return self._lanes[hash(player) % len(self._lanes)]

    # -- the lane loop ------------------------------------------------------------------

    def _run_lane(self, lane: _Lane) -> None:
        while True:
            with self._lock:
                while not lane.jobs and not self._stopping:
                    lane.cond.wait()
                if not lane.jobs:
                    return
                job = lane.jobs.popleft()
                if lane.last_by_player.get(job.player) is job:
                    del lane.last_by_player[job.player]
                job.state = JobState.RUNNING
                lane.current = job
                handles = tuple(job.handles)
            sent = SentRequest(
                handles, job.operation, job.fn, job.args, dict(job.kwargs), job.is_write
            )
            for handle in handles:
                handle._sent = sent
                handle._set_running()
            self._execute(lane, job, handles)

    def _execute(self, lane: _Lane, job: Job, handles: tuple[RequestHandle[Any], ...]) -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = self._run(job)
        except BaseException as exc:  # every failure becomes a result, never escapes
            error = exc
        status = HandleStatus.FAILED if error is not None else HandleStatus.DONE
        finished = tuple(h for h in handles if h._complete(status, value, error))
        if len(finished) < len(handles):
            _share_idempotency_key(handles, error)
        with self._lock:
            lane.current = None
            job.state = JobState.FINISHED
            self._completed += 1
            self._finished_handles += len(finished)
            for handle in handles:
                self._job_of.pop(handle.id, None)
        if finished:
            self._results.put_request(RequestResult(job, finished, value, error))
        if self._after_job is not None:
            try:
                self._after_job(job, error)
            except Exception:
                _log.exception("kraty component: after-job hook failed for %s", job.operation)

    # -- cancellation -------------------------------------------------------------------

    def _cancel(self, handle: RequestHandle[Any]) -> bool:
        with self._lock:
            job = self._job_of.get(handle.id)
            if job is None or handle.done:
                return False
            if job.state is JobState.QUEUED:
                in_flight = False
                self._unqueue_locked(job, handle)
            elif job.state is JobState.RUNNING:
                in_flight = True
            else:
                return False
            self._job_of.pop(handle.id, None)
        error = _cancelled_error(job, handle, in_flight=in_flight, reason="cancelled")
        if handle._complete(HandleStatus.CANCELLED, None, error):
            self._results.put_request(RequestResult(job, (handle,), None, error))
        if in_flight and all(h.done for h in job.handles):
            self._interrupt_job(job)
        return True

    def _unqueue_locked(self, job: Job, handle: RequestHandle[Any]) -> None:
        if len(job.handles) > 1 and job.merger is not None:
            job.merger.detach(job, handle)
            job.handles.remove(handle)
            return
        job.state = JobState.CANCELLED
        for lane in self._lanes:
            if lane.last_by_player.get(job.player) is job:
                del lane.last_by_player[job.player]
            try:
                lane.jobs.remove(job)
            except ValueError:
                continue
            break

    def _interrupt_job(self, job: Job) -> None:
        if self._interrupt is None:
            return
        try:
            self._interrupt(job)
        except Exception:
            _log.exception("kraty component: interrupting %s failed", job.operation)

    # -- close --------------------------------------------------------------------------

    def close(self, timeout: float, *, drain_reads: bool = False) -> CloseReport:
        """Stop accepting calls, drain queued writes until ``timeout``, cancel the rest.

        Queued reads are cancelled at once unless ``drain_reads``. After the deadline
        every queued call is cancelled (not sent) and every call in flight is
        cancelled (``outcome_unknown`` for writes) and interrupted; the threads then get
        :data:`CLOSE_GRACE` seconds to end. Returns what happened; never raises.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        cancelled: list[RequestHandle[Any]] = []
        unknown: list[RequestHandle[Any]] = []
        with self._lock:
            self._accepting = False
            self._stopping = True
            before = self._finished_handles
            dropped_reads = [] if drain_reads else self._take_queued_locked(writes=False)
            for lane in self._lanes:
                lane.cond.notify_all()
        cancelled.extend(self._fail_dropped(dropped_reads, reason="closed before it was sent"))
        self._join_until(deadline)
        interrupted: list[Job] = []
        with self._lock:
            leftover = self._take_queued_locked(writes=None)
            running = [lane.current for lane in self._lanes if lane.current is not None]
        cancelled.extend(self._fail_dropped(leftover, reason="close() timed out before sending"))
        for job in running:
            for handle in tuple(job.handles):
                error = _cancelled_error(job, handle, in_flight=True, reason="close() timed out")
                if handle._complete(HandleStatus.CANCELLED, None, error):
                    self._results.put_request(RequestResult(job, (handle,), None, error))
                    cancelled.append(handle)
                    if handle.is_write:
                        unknown.append(handle)
            interrupted.append(job)
        for job in interrupted:
            self._interrupt_job(job)
        if interrupted or leftover:
            self._join_until(max(deadline, time.monotonic()) + CLOSE_GRACE)
        with self._lock:
            drained = self._finished_handles - before
        alive = tuple(t.name for t in self.threads if t.is_alive())
        return CloseReport(
            drained=max(0, drained),
            cancelled=tuple(cancelled),
            outcome_unknown=tuple(unknown),
            threads_alive=alive,
        )

    def _take_queued_locked(self, *, writes: bool | None) -> list[Job]:
        """Remove queued jobs (only reads, only writes, or all when ``writes`` is None)."""
        taken: list[Job] = []
        for lane in self._lanes:
            keep: deque[Job] = deque()
            for job in lane.jobs:
                if writes is None or job.is_write == writes:
                    job.state = JobState.CANCELLED
                    taken.append(job)
                else:
                    keep.append(job)
            lane.jobs = keep
            lane.last_by_player = {
                player: job for player, job in lane.last_by_player.items() if job in keep
            }
        return taken

    def _fail_dropped(self, jobs: Sequence[Job], *, reason: str) -> Iterator[RequestHandle[Any]]:
        for job in jobs:
            handles = tuple(job.handles)
            finished: list[RequestHandle[Any]] = []
            for handle in handles:
                error = _cancelled_error(job, handle, in_flight=False, reason=reason)
                if handle._complete(HandleStatus.CANCELLED, None, error):
                    finished.append(handle)
            with self._lock:
                for handle in handles:
                    self._job_of.pop(handle.id, None)
            if finished:
                result = RequestResult(job, tuple(finished), None, finished[0].error)
                self._results.put_request(result)
            yield from finished

    def _join_until(self, deadline: float) -> None:
        for thread in self.threads:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            thread.join(remaining)


def _share_idempotency_key(
    handles: tuple[RequestHandle[Any], ...], error: BaseException | None
) -> None:
    """Give handles cancelled in flight the key the SDK used, so a retry can replay it."""
    key = getattr(error, "idempotency_key", None)
    if not isinstance(key, str):
        return
    for handle in handles:
        mine = handle.error
        if isinstance(mine, KratyCancelledError) and mine.idempotency_key is None:
            mine.idempotency_key = key


def _cancelled_error(
    job: Job, handle: RequestHandle[Any], *, in_flight: bool, reason: str
) -> KratyCancelledError:
    unknown = in_flight and handle.is_write
    if in_flight:
        detail = "in flight; the server may have applied it" if unknown else "in flight"
    else:
        detail = "nothing was sent"
    key = job.kwargs.get("idempotency_key")
    return KratyCancelledError(
        f"{job.operation}: {reason} ({detail})",
        original_cause=None,
        outcome_unknown=unknown,
        idempotency_key=key if isinstance(key, str) else None,
    )
