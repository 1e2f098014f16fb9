"""The component's request worker with plain callables: ordering, failures, cancellation,
bounds and close. No pygame, no sockets, no sleeping (gates are threading.Events)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import pytest

from kraty_pygame.component.errors import KratyComponentClosedError, KratyQueueFullError
from kraty_pygame.component.handles import HandleStatus, RequestHandle
from kraty_pygame.component.worker import (
    Job,
    LiveItem,
    RequestResult,
    RequestWorker,
    ResultsBuffer,
)
from kraty_pygame.sdk.errors import KratyCancelledError

WAIT = 10.0


def make_job(
    fn: Callable[..., Any],
    *args: Any,
    operation: str = "test.op",
    player: str | None = None,
    is_write: bool = True,
    merge_key: Hashable | None = None,
    merger: Any = None,
    **kwargs: Any,
) -> tuple[Job, RequestHandle[Any]]:
    handle: RequestHandle[Any] = RequestHandle(operation, is_write=is_write)
    job = Job(
        operation=operation,
        fn=fn,
        args=args,
        kwargs=kwargs,
        handles=[handle],
        player=player,
        is_write=is_write,
        merge_key=merge_key,
        merger=merger,
    )
    return job, handle


@pytest.fixture
def results() -> ResultsBuffer:
    return ResultsBuffer(max_live=8)


@pytest.fixture
def worker(results: ResultsBuffer) -> Iterator[RequestWorker]:
    w = RequestWorker(results, threads=1, max_pending=1000)
    w.start()
    yield w
    report = w.close(timeout=WAIT)
    assert report.threads_alive == ()


class Gate:
    """A job body that blocks until opened; records that it started."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.opened = threading.Event()

    def __call__(self, **kwargs: Any) -> str:
        self.started.set()
        if not self.opened.wait(WAIT):
            raise AssertionError("gate never opened")
        return "gate"


def drain_all(results: ResultsBuffer) -> list[Any]:
    return results.drain(10_000)


def test_jobs_run_in_submission_order(worker: RequestWorker) -> None:
    seen: list[int] = []
    handles = []
    for i in range(300):
        job, handle = make_job(seen.append, i)
        worker.submit(job)
        handles.append(handle)
    assert handles[-1].wait(WAIT)
    assert seen == list(range(300))
    assert all(h.status is HandleStatus.DONE for h in handles)


def test_each_player_keeps_its_order_across_lanes(results: ResultsBuffer) -> None:
    w = RequestWorker(results, threads=4, max_pending=10_000)
    w.start()
    seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    lock = threading.Lock()

    def record(player: str, i: int) -> None:
        with lock:
            seen[player].append(i)

    handles = []
    for i in range(200):
        for player in seen:
            job, handle = make_job(record, player, i, player=player)
            w.submit(job)
            handles.append(handle)
    assert all(h.wait(WAIT) for h in handles)
    assert all(order == list(range(200)) for order in seen.values())
    assert w.close(timeout=WAIT).threads_alive == ()


def test_a_failed_job_does_not_block_the_next(
    worker: RequestWorker, results: ResultsBuffer
) -> None:
    def boom() -> None:
        raise ValueError("nope")

    bad_job, bad = make_job(boom)
    good_job, good = make_job(lambda: 42)
    worker.submit(bad_job)
    worker.submit(good_job)
    assert good.wait(WAIT)
    assert bad.status is HandleStatus.FAILED
    assert isinstance(bad.error, ValueError)
    assert bad.result is None
    assert good.result == 42
    assert good.error is None
    items = drain_all(results)
    assert [type(i) for i in items] == [RequestResult, RequestResult]
    assert isinstance(items[0], RequestResult)
    assert items[0].error is bad.error


def test_base_exceptions_become_results_and_the_thread_survives(
    worker: RequestWorker,
) -> None:
    def exits() -> None:
        raise SystemExit(3)

    job, handle = make_job(exits)
    worker.submit(job)
    assert handle.wait(WAIT)
    assert isinstance(handle.error, SystemExit)
    job2, handle2 = make_job(lambda: "still here")
    worker.submit(job2)
    assert handle2.wait(WAIT)
    assert handle2.result == "still here"
    assert worker.stats().threads_alive == 1


def test_many_failures_in_a_row_leave_the_worker_working(results: ResultsBuffer) -> None:
    def boom() -> None:
        raise RuntimeError("server said no")

    w = RequestWorker(results, max_pending=100_000)
    w.start()
    last = None
    for _ in range(2000):
        job, last = make_job(boom)
        w.submit(job)
    assert last is not None
    assert last.wait(WAIT)
    job, ok = make_job(lambda: "ok")
    w.submit(job)
    assert ok.wait(WAIT)
    assert ok.result == "ok"
    assert w.stats().threads_alive == 1
    assert w.close(timeout=WAIT).threads_alive == ()


def test_cancel_a_queued_job_never_sends_it(worker: RequestWorker, results: ResultsBuffer) -> None:
    gate = Gate()
    gate_job, gate_handle = make_job(gate)
    worker.submit(gate_job)
    assert gate.started.wait(WAIT)
    calls: list[int] = []
    job, handle = make_job(calls.append, 1)
    worker.submit(job)
    assert worker.stats().queued == 1
    assert handle.cancel()
    assert handle.cancelled
    assert isinstance(handle.error, KratyCancelledError)
    assert handle.outcome_unknown is False
    assert worker.stats().queued == 0
    gate.opened.set()
    assert gate_handle.wait(WAIT)
    assert calls == []
    assert not handle.cancel()  # already finished


def test_cancel_an_in_flight_write_marks_the_outcome_unknown(results: ResultsBuffer) -> None:
    interrupted: list[Job] = []
    gate = Gate()

    def interrupt(job: Job) -> None:
        interrupted.append(job)
        gate.opened.set()

    w = RequestWorker(results, interrupt=interrupt)
    w.start()
    job, handle = make_job(gate, operation="events.progress", idempotency_key="idem-1")
    w.submit(job)
    assert gate.started.wait(WAIT)
    assert handle.status is HandleStatus.RUNNING
    assert handle.cancel()
    assert handle.cancelled
    error = handle.error
    assert isinstance(error, KratyCancelledError)
    assert error.outcome_unknown is True
    assert error.idempotency_key == "idem-1"
    assert handle.outcome_unknown
    assert interrupted == [job]
    assert w.close(timeout=WAIT).threads_alive == ()
    # the late return of the interrupted call is discarded: one result only
    mine = [i for i in drain_all(results) if isinstance(i, RequestResult) and handle in i.handles]
    assert len(mine) == 1
    assert handle.result is None


def test_cancel_an_in_flight_read_keeps_the_outcome_known(results: ResultsBuffer) -> None:
    gate = Gate()
    w = RequestWorker(results, interrupt=lambda job: gate.opened.set())
    w.start()
    job, handle = make_job(gate, is_write=False)
    w.submit(job)
    assert gate.started.wait(WAIT)
    assert handle.cancel()
    assert handle.outcome_unknown is False
    assert w.close(timeout=WAIT).threads_alive == ()


def test_outstanding_calls_are_bounded(results: ResultsBuffer) -> None:
    w = RequestWorker(results, max_pending=3)
    w.start()
    gate = Gate()
    first_job, first = make_job(gate)
    w.submit(first_job)
    handles = [first]
    for _ in range(4):
        job, handle = make_job(lambda: None)
        w.submit(job)
        handles.append(handle)
    refused = [h for h in handles if isinstance(h.error, KratyQueueFullError)]
    assert len(refused) == 2
    assert all(h.done for h in refused)
    assert w.stats().rejected == 2
    gate.opened.set()
    assert handles[2].wait(WAIT)
    # finished but undelivered results still count until the main thread releases them
    job, still_refused = make_job(lambda: None)
    w.submit(job)
    assert isinstance(still_refused.error, KratyQueueFullError)
    delivered = drain_all(results)
    w.release(sum(len(i.handles) for i in delivered if isinstance(i, RequestResult)))
    job, accepted = make_job(lambda: "again")
    w.submit(job)
    assert accepted.wait(WAIT)
    assert accepted.result == "again"
    assert w.close(timeout=WAIT).threads_alive == ()


class SumMerger:
    """Merges queued jobs by adding their single positional argument."""

    def absorb(self, target: Job, incoming: Job) -> bool:
        target.info.setdefault("parts", {target.handles[0].id: target.args[0]})
        target.info["parts"][incoming.handles[0].id] = incoming.args[0]
        target.handles.append(incoming.handles[0])
        target.args = (sum(target.info["parts"].values()),)
        return True

    def detach(self, target: Job, handle: RequestHandle[Any]) -> None:
        del target.info["parts"][handle.id]
        target.args = (sum(target.info["parts"].values()),)


def test_queued_jobs_with_the_same_merge_key_merge(worker: RequestWorker) -> None:
    gate = Gate()
    gate_job, _ = make_job(gate)
    worker.submit(gate_job)
    assert gate.started.wait(WAIT)
    sent: list[int] = []

    def send(amount: int) -> int:
        sent.append(amount)
        return sum(sent)

    merger = SumMerger()
    handles = []
    for _ in range(50):
        job, handle = make_job(send, 1, merge_key=("attempt", "a1"), merger=merger)
        worker.submit(job)
        handles.append(handle)
    assert handles[7].cancel()
    assert worker.stats().merged == 49
    gate.opened.set()
    assert handles[-1].wait(WAIT)
    assert sent == [49]
    assert all(h.result == 49 for i, h in enumerate(handles) if i != 7)
    assert handles[7].cancelled


def test_merging_never_jumps_over_another_call_of_the_player(worker: RequestWorker) -> None:
    gate = Gate()
    gate_job, _ = make_job(gate)
    worker.submit(gate_job)
    assert gate.started.wait(WAIT)
    log: list[Any] = []
    merger = SumMerger()
    j1, _ = make_job(log.append, 1, merge_key="k", merger=merger)
    j2, _ = make_job(log.append, "set")
    j3, h3 = make_job(log.append, 1, merge_key="k", merger=merger)
    for job in (j1, j2, j3):
        worker.submit(job)
    gate.opened.set()
    assert h3.wait(WAIT)
    assert log == [1, "set", 1]


def test_close_drains_queued_writes_within_the_timeout(results: ResultsBuffer) -> None:
    w = RequestWorker(results)
    w.start()
    gate = Gate()
    gate_job, gate_handle = make_job(gate)
    w.submit(gate_job)
    assert gate.started.wait(WAIT)
    writes = []
    for i in range(5):
        job, handle = make_job(lambda i=i: i)
        w.submit(job)
        writes.append(handle)
    read_job, read = make_job(lambda: "read", is_write=False)
    w.submit(read_job)
    gate.opened.set()
    report = w.close(timeout=WAIT)
    assert report.threads_alive == ()
    assert read.cancelled and read in report.cancelled
    assert gate_handle.result == "gate"
    assert [h.result for h in writes] == [0, 1, 2, 3, 4]
    assert report.drained == 6
    assert report.outcome_unknown == ()


def test_close_cancels_what_is_left_at_the_deadline(results: ResultsBuffer) -> None:
    gate = Gate()
    w = RequestWorker(results, interrupt=lambda job: gate.opened.set())
    w.start()
    hang_job, hanging = make_job(gate, operation="events.progress")
    w.submit(hang_job)
    assert gate.started.wait(WAIT)
    queued = []
    for _ in range(3):
        job, handle = make_job(lambda: None)
        w.submit(job)
        queued.append(handle)
    report = w.close(timeout=0.05)
    assert report.threads_alive == ()
    assert hanging.cancelled and hanging.outcome_unknown
    assert report.outcome_unknown == (hanging,)
    assert all(h.cancelled and not h.outcome_unknown for h in queued)
    assert set(report.cancelled) == {hanging, *queued}
    job, late = make_job(lambda: None)
    w.submit(job)
    assert isinstance(late.error, KratyComponentClosedError)


def test_after_job_hook_errors_do_not_kill_the_worker(results: ResultsBuffer) -> None:
    def hook(job: Job, error: BaseException | None) -> None:
        raise RuntimeError("hook bug")

    w = RequestWorker(results, after_job=hook)
    w.start()
    for _ in range(3):
        job, handle = make_job(lambda: 1)
        w.submit(job)
        assert handle.wait(WAIT)
    assert w.stats().threads_alive == 1
    assert w.close(timeout=WAIT).threads_alive == ()


def test_callbacks_are_handed_over_on_delivery_and_late_ones_are_reported() -> None:
    handle: RequestHandle[int] = RequestHandle("op")
    seen: list[str] = []
    handle.on_done(lambda h: seen.append("early"))
    assert handle._complete(HandleStatus.DONE, 5, None)
    late_queue: list[RequestHandle[Any]] = []
    callbacks = handle._deliver(late_queue.append)
    for cb in callbacks:
        cb(handle)
    assert seen == ["early"]
    assert handle.on_done(lambda h: seen.append("late")) is handle
    assert late_queue == [handle]
    for cb in handle._take_callbacks():
        cb(handle)
    assert seen == ["early", "late"]
    assert not handle._complete(HandleStatus.FAILED, None, ValueError())
    assert handle.result == 5


def test_results_buffer_coalesces_live_items_latest_wins() -> None:
    buf = ResultsBuffer(max_live=100)
    buf.put_live(LiveItem("leaderboard", {"score": 1}), key=("lb", "p1"))
    buf.put_live(LiveItem("leaderboard", {"score": 5}), key=("lb", "p2"))
    buf.put_live(LiveItem("leaderboard", {"score": 2}), key=("lb", "p1"))
    items = buf.drain(10)
    assert [i.attrs["score"] for i in items if isinstance(i, LiveItem)] == [5, 2]
    assert buf.coalesced == 1
    assert len(buf) == 0


def test_results_buffer_drops_the_oldest_live_item_when_full() -> None:
    buf = ResultsBuffer(max_live=3)
    for i in range(5):
        buf.put_live(LiveItem("lobby", {"i": i}))
    items = buf.drain(10)
    assert [i.attrs["i"] for i in items if isinstance(i, LiveItem)] == [2, 3, 4]
    assert buf.dropped == 2


def test_results_buffer_drains_in_arrival_order_within_the_limit() -> None:
    buf = ResultsBuffer(max_live=10)
    job = Job(operation="op", fn=lambda: None)
    order: list[str] = []
    for i in range(6):
        if i % 2:
            buf.put_live(LiveItem("grants", {"i": i}))
        else:
            buf.put_request(RequestResult(job, (), i, None))
    first = buf.drain(4)
    rest = buf.drain(4)
    assert len(first) == 4 and len(rest) == 2
    for item in first + rest:
        order.append(str(item.attrs["i"]) if isinstance(item, LiveItem) else str(item.value))
    assert order == ["0", "1", "2", "3", "4", "5"]
    assert buf.drain(0) == []
    assert not buf.wait(0)


def test_the_worker_side_of_the_component_never_imports_pygame() -> None:
    code = (
        "import sys\n"
        "import kraty_pygame.component.worker, kraty_pygame.component.watchers\n"
        "import kraty_pygame.component.batching, kraty_pygame.component.platform_watchers\n"
        "import kraty_pygame.component.board_watcher\n"
        "from kraty_pygame.component import RequestHandle, HandleStatus, CloseReport\n"
        "from kraty_pygame.component import Watcher, PresenceWatcher, InventoryWatcher\n"
        "from kraty_pygame.component import ComponentStats, KratyQueueFullError\n"
        "assert 'pygame' not in sys.modules, 'pygame was imported'\n"
        "from kraty_pygame.component import ToastStack\n"
        "assert 'pygame' in sys.modules, 'widgets need pygame'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
