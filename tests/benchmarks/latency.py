"""Timing helpers for the latency benchmarks: per-call samples without side effects.

The samples go into a preallocated ``array`` (not a container the garbage collector
tracks), so the timing loop allocates nothing that could make the collector run on
the measured calls' account. The collector stays on, with its usual thresholds: the
figures are what a game gets.
"""

from __future__ import annotations

import gc
import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = [
    "Percentiles",
    "collections_during",
    "percentiles",
    "survivors_per_call",
    "timed",
    "young_per_call",
]

Percentiles = tuple[float, float, float]


def timed(call: Callable[[], object], runs: int) -> array[int]:
    """``runs`` back-to-back calls of ``call``: each one's wall time in ns."""
    samples = array("q", bytes(8 * runs))
    clock = time.perf_counter_ns
    for i in range(runs):
        start = clock()
        call()
        samples[i] = clock() - start
    return samples


def percentiles(samples: Sequence[int]) -> Percentiles:
    """p50, p99 and p99.9 of ``samples`` (ns), in us."""
    ordered = sorted(samples)
    count = len(ordered)
    return (
        ordered[count // 2] / 1000,
        ordered[int(count * 0.99)] / 1000,
        ordered[int(count * 0.999)] / 1000,
    )


def collections_during(call: Callable[[], object], runs: int) -> tuple[Percentiles, list[int]]:
    """Percentiles of ``runs`` timed calls and how many collections of each generation
    ran meanwhile (on the calls' account: the collector runs on the allocating thread)."""
    before = [s["collections"] for s in gc.get_stats()]
    samples = timed(call, runs)
    after = [s["collections"] for s in gc.get_stats()]
    return percentiles(samples), [b - a for a, b in zip(before, after, strict=True)]


def survivors_per_call(call: Callable[[], object], runs: int = 2000) -> tuple[float, str]:
    """Objects tracked by the collector that each call leaves alive (its return value
    kept, as a game keeps a handle), counted after full collections: (per call, the
    types that make at least a tenth of one per call)."""
    kept: list[object] = [None] * runs
    gc.collect()
    before = Counter(type(o).__name__ for o in gc.get_objects())
    for i in range(runs):
        kept[i] = call()
    gc.collect()
    grown = Counter(type(o).__name__ for o in gc.get_objects()) - before
    del kept
    kinds = ", ".join(f"{n / runs:.1f} {name}" for name, n in grown.most_common() if n >= runs / 10)
    return sum(grown.values()) / runs, kinds or "none"


def young_per_call(call: Callable[[], object], runs: int = 50) -> float:
    """Objects tracked by the collector that each call adds to the youngest generation
    and that outlive the call (allocations minus frees): what makes the collector run.
    Tuples among them are untracked by the first collection that sees them."""
    kept: list[object] = [None] * runs
    gc.collect()
    start = gc.get_count()[0]
    for i in range(runs):
        kept[i] = call()
    grown = gc.get_count()[0] - start
    del kept
    return grown / runs
