"""Progress batching: queued ``increment`` progress calls for one attempt merge into one.

While an ``events.progress(..., mode="increment")`` call is still queued, the next
increment for the same player, event and attempt is added to it; all merged handles
finish with the one response, whose ``milestones_fired`` has every threshold any of
them crossed. Only plain increments merge (no ``set``, ``occurred_at``, own
``idempotency_key`` or mixed ``metric_value``/``metrics``), only into the newest queued
call of that player, and at most ``limit`` (32) into one request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.worker import Job
from kraty_pygame.sdk.models.events import ProgressInput

__all__ = ["PROGRESS_OPERATION", "ProgressBatcher", "progress_target"]

PROGRESS_OPERATION: Final = "events.progress"

Part = tuple[float | None, dict[str, float] | None]


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


def progress_target(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[str, str]:
    """``(event_key, attempt_id)`` of an ``events.progress`` call."""
    event_key = _arg(args, kwargs, 0, "event_key")
    attempt_id = _arg(args, kwargs, 1, "attempt_id")
    return str(event_key or ""), str(attempt_id or "")


class ProgressBatcher:
    """Prepares ``events.progress`` jobs and merges queued increments (a ``JobMerger``)."""

    def __init__(self, *, enabled: bool = True, limit: int = 32) -> None:
        if limit < 1:
            raise ValueError("the progress batch limit must be at least 1")
        self.enabled = enabled
        self.limit = limit

    def prepare(self, job: Job) -> None:
        """Record the target on ``job.info``; make a plain increment mergeable."""
        event_key, attempt_id = progress_target(job.args, job.kwargs)
        job.info["event_key"] = event_key
        job.info["attempt_id"] = attempt_id
        if not self.enabled or not event_key or not attempt_id:
            return
        fields = self._fields(job.args, job.kwargs)
        if fields is None:
            return
        value, metrics = fields
        shape = "value" if value is not None else "metrics"
        job.merge_key = (PROGRESS_OPERATION, job.player, event_key, attempt_id, shape)
        job.merger = self
        job.info["parts"] = {job.handles[0].id: (value, metrics)}
        self._rewrite(job, event_key, attempt_id)

    @staticmethod
    def _fields(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Part | None:
        """The increment of a mergeable call, or None when the call must go alone."""
        if len(args) > 3:
            return None
        given = _arg(args, kwargs, 2, "input")
        mode: Any
        value: Any
        metrics: Any
        if given is not None:
            if not isinstance(given, ProgressInput):
                return None
            mode, value, metrics = given.mode, given.metric_value, given.metrics
            occurred_at, key = given.occurred_at, given.idempotency_key
            if any(kwargs.get(n) is not None for n in ("metric_value", "metrics", "occurred_at")):
                return None
            key = key or kwargs.get("idempotency_key")
        else:
            mode = kwargs.get("mode")
            value, metrics = kwargs.get("metric_value"), kwargs.get("metrics")
            occurred_at, key = kwargs.get("occurred_at"), kwargs.get("idempotency_key")
        if mode != "increment" or occurred_at is not None or key is not None:
            return None
        if (value is None) == (metrics is None):
            return None
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return float(value), None
        if not isinstance(metrics, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()
        ):
            return None
        return None, {str(k): float(v) for k, v in metrics.items()}

    def _rewrite(self, job: Job, event_key: str, attempt_id: str) -> None:
        """Put the job in keyword form with the summed increment of its parts."""
        parts: dict[int, Part] = job.info["parts"]
        kwargs: dict[str, Any] = {"mode": "increment"}
        if "as_" in job.kwargs:
            kwargs["as_"] = job.kwargs["as_"]
        values = [v for v, _ in parts.values() if v is not None]
        if values:
            kwargs["metric_value"] = _tidy(sum(values))
        else:
            total: dict[str, float] = {}
            for _, metrics in parts.values():
                for name, amount in (metrics or {}).items():
                    total[name] = total.get(name, 0.0) + amount
            kwargs["metrics"] = {name: _tidy(amount) for name, amount in total.items()}
        job.args = (event_key, attempt_id)
        job.kwargs = kwargs

    # -- JobMerger ------------------------------------------------------------------------

    def absorb(self, target: Job, incoming: Job) -> bool:
        """Fold the queued ``incoming`` increment into ``target`` (same merge key)."""
        if len(target.handles) >= self.limit:
            return False
        target.info["parts"].update(incoming.info["parts"])
        target.handles.extend(incoming.handles)
        self._rewrite(target, target.info["event_key"], target.info["attempt_id"])
        return True

    def detach(self, target: Job, handle: RequestHandle[Any]) -> None:
        """Take a cancelled handle's increment back out of the queued ``target``."""
        target.info["parts"].pop(handle.id, None)
        self._rewrite(target, target.info["event_key"], target.info["attempt_id"])


def _tidy(amount: float) -> float | int:
    """Whole sums go on the wire as integers (``5`` rather than ``5.0``)."""
    return int(amount) if float(amount).is_integer() else amount
