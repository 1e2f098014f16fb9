"""Main-thread time spent in Kraty calls, per frame (``time.thread_time()``)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class FrameCost:
    """Summary of the per-frame Kraty cost (milliseconds of main-thread CPU time)."""

    frames: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


class FrameMeter:
    """Sums the main thread's CPU time inside :meth:`measure` blocks, frame by frame.

    ``time.thread_time()`` counts only this thread's CPU time, so the worker threads,
    streams and (in-process) emulator threads do not inflate it; blocking I/O on the
    main thread would show up as the syscalls' CPU, and a stall as wall time in the
    frame pacing instead (the component is meant to avoid both).
    """

    def __init__(self, keep: int = 100_000) -> None:
        self._current = 0.0
        self._frames: list[float] = []
        self._keep = keep
        self.enabled = True

    @contextmanager
    def measure(self) -> Iterator[None]:
        """Count the CPU time of the enclosed block toward the current frame."""
        start = time.thread_time()
        try:
            yield
        finally:
            self._current += time.thread_time() - start

    def end_frame(self) -> None:
        """Close the current frame's total and start a new one."""
        if self.enabled:
            self._frames.append(self._current)
            if len(self._frames) > self._keep:
                del self._frames[: len(self._frames) - self._keep]
        self._current = 0.0

    def reset(self) -> None:
        """Forget the frames measured so far."""
        self._frames.clear()
        self._current = 0.0

    def summary(self) -> FrameCost:
        """p50 / p99 / max / mean over the recorded frames, in milliseconds."""
        ms = [v * 1000.0 for v in self._frames]
        return FrameCost(
            frames=len(ms),
            p50_ms=percentile(ms, 50),
            p99_ms=percentile(ms, 99),
            max_ms=max(ms, default=0.0),
            mean_ms=sum(ms) / len(ms) if ms else 0.0,
        )
