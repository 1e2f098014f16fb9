"""Fault injection: added latency, a retryable 503 rate and "commit, then drop the
connection", each limited to routes matching glob patterns, drawn from a seeded RNG."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultSettings:
    """Current fault configuration.

    Attributes:
        latency_ms: added delay before each matching request is handled.
        fail_rate: probability (0..1) that a matching request is answered 503
            ``service_unavailable`` without being handled.
        break_after_commit_rate: probability that a matching request is handled
            (its writes committed) and the connection is then broken before the
            response is complete.
        routes: ``fnmatch`` globs on the request path (``"/sdk/v1/players/*/wallet*"``);
            ``None`` = every route. ``/_emulator/*`` is never faulted.
        seed: RNG seed for the draws (``None`` = unseeded).
    """

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    break_after_commit_rate: float = 0.0
    routes: list[str] | None = None
    seed: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"failed": 0, "broken": 0})

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "fail_rate": self.fail_rate,
            "break_after_commit_rate": self.break_after_commit_rate,
            "routes": self.routes,
            "seed": self.seed,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class FaultDecision:
    latency_s: float = 0.0
    fail: bool = False
    break_after_commit: bool = False


_NO_FAULT = FaultDecision()


class FaultInjector:
    """Thread-safe holder of :class:`FaultSettings` and their RNG."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()
        self._rng = random.Random(self._settings.seed)  # noqa: S311 - seeded test faults

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)  # noqa: S311 - seeded test faults

    def decide(self, path: str) -> FaultDecision:
        """Draw the faults for one request on ``path``."""
        s = self._settings
        if not (s.latency_ms or s.fail_rate or s.break_after_commit_rate):
            return _NO_FAULT
        if path.startswith("/_emulator"):
            return _NO_FAULT
        if s.routes is not None and not any(fnmatch.fnmatchcase(path, p) for p in s.routes):
            return _NO_FAULT
        with self._lock:
            fail = s.fail_rate > 0 and self._rng.random() < s.fail_rate
            broken = (
                not fail
                and s.break_after_commit_rate > 0
                and self._rng.random() < s.break_after_commit_rate
            )
            if fail:
                s.counts["failed"] += 1
            if broken:
                s.counts["broken"] += 1
        return FaultDecision(latency_s=s.latency_ms / 1000.0, fail=fail, break_after_commit=broken)
