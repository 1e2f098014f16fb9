"""Jobs: one queued call with its bound function, arguments and handles (no pygame)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from kraty_pygame.component.handles import RequestHandle

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["Job", "JobMerger", "JobState"]


class JobState(StrEnum):
    """Life cycle of a :class:`Job` inside the worker."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class JobMerger(Protocol):
    """Folds a newly submitted job into a queued one (progress increments)."""

    def absorb(self, target: Job, incoming: Job) -> bool:
        """Merge ``incoming`` into the queued ``target``; False leaves both untouched."""
        ...

    def detach(self, target: Job, handle: RequestHandle[Any]) -> None:
        """Take ``handle``'s share out of the queued merged ``target``."""
        ...


_job_seq = itertools.count(1)


@dataclass(eq=False, slots=True)  # slots: made on every call, on the game's frame budget
class Job:
    """One queued call: the bound function, its arguments and the handles waiting on it.

    A job normally has one handle; a merged progress job has one per merged call.
    ``info`` carries what the component needs to post events for the result.
    """

    operation: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    handles: list[RequestHandle[Any]] = field(default_factory=list)
    player: str | None = None
    is_write: bool = True
    merge_key: Hashable | None = None
    merger: JobMerger | None = None
    info: dict[str, Any] = field(default_factory=dict)
    state: JobState = JobState.QUEUED
    seq: int = field(default_factory=lambda: next(_job_seq))

    def call(self) -> Any:
        """Run the job's function with its current arguments."""
        return self.fn(*self.args, **self.kwargs)
