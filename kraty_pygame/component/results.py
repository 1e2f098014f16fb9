"""The results buffer between worker/watcher threads and the main thread (no pygame)."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.jobs import Job

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["DEFAULT_MAX_LIVE", "Item", "LiveItem", "RequestResult", "ResultsBuffer"]

DEFAULT_MAX_LIVE: Final = 4_096


@dataclass(frozen=True)
class RequestResult:
    """A finished job: the handles it completed and the value or the error."""

    job: Job
    handles: tuple[RequestHandle[Any], ...]
    value: Any
    error: BaseException | None

    @property
    def operation(self) -> str:
        """The operation name, e.g. ``events.progress``."""
        return self.job.operation


@dataclass(frozen=True)
class LiveItem:
    """Output of a stream or watcher: ``kind`` names the event, ``attrs`` its attributes."""

    kind: str
    attrs: dict[str, Any]


Item = RequestResult | LiveItem


class ResultsBuffer:
    """Thread-safe buffer between worker/watcher threads and the main thread.

    Request results are never dropped here (the worker bounds how many can be
    outstanding). Live items are coalesced by key (a newer item replaces the queued
    one and moves to the back: latest wins) and capped at ``max_live`` (the oldest
    live item is dropped). :meth:`drain` returns items in arrival order.
    """

    def __init__(self, *, max_live: int = DEFAULT_MAX_LIVE) -> None:
        if max_live < 1:
            raise ValueError("max_live must be at least 1")
        self.max_live = max_live
        self._lock = threading.Lock()
        self._requests: deque[tuple[int, RequestResult]] = deque()
        self._live: OrderedDict[Hashable, tuple[int, LiveItem]] = OrderedDict()
        self._seq = itertools.count()
        self._available = threading.Event()
        self.coalesced = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._requests) + len(self._live)

    def __bool__(self) -> bool:
        # Lock-free peek for update()'s idle fast path; a racing put is seen next frame.
        return bool(self._requests) or bool(self._live)

    def put_request(self, result: RequestResult) -> None:
        """Queue a finished request (never dropped)."""
        with self._lock:
            self._requests.append((next(self._seq), result))
        self._available.set()

    def put_live(self, item: LiveItem, key: Hashable | None = None) -> None:
        """Queue a live item; an item with the same ``key`` still queued is replaced."""
        with self._lock:
            seq = next(self._seq)
            if key is None:
                key = ("#", seq)
            elif self._live.pop(key, None) is not None:
                self.coalesced += 1
            self._live[key] = (seq, item)
            while len(self._live) > self.max_live:
                self._live.popitem(last=False)
                self.dropped += 1
        self._available.set()

    def drain(self, limit: int) -> list[Item]:
        """Remove and return up to ``limit`` items, oldest first."""
        out: list[Item] = []
        if limit <= 0:
            return out
        with self._lock:
            requests, live = self._requests, self._live
            while len(out) < limit and (requests or live):
                if not live:
                    out.append(requests.popleft()[1])
                elif not requests:
                    out.append(live.popitem(last=False)[1][1])
                else:
                    live_seq = next(iter(live.values()))[0]
                    if requests[0][0] < live_seq:
                        out.append(requests.popleft()[1])
                    else:
                        out.append(live.popitem(last=False)[1][1])
            if not requests and not live and self._available.is_set():
                self._available.clear()
        return out

    def wait(self, timeout: float | None = None) -> bool:
        """Block until something is queued (for tests and tools, never the game loop)."""
        return self._available.wait(timeout)
