"""Helpers of the headless component tests: the game-loop ``Pump`` and thread checks.

The fixtures (``pygame_headless``, ``make_component``) live in ``tests/conftest.py``.
``Pump`` drives the loop contract: one "frame" is ``component.update()`` followed by
``pygame.event.get()``; between frames it waits on the component's results (never a bare
sleep) until the expected ``KRATY_*`` event arrives or a timeout hits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pygame  # tests/conftest.py has already selected SDL's dummy drivers

from kraty_pygame.component import KratyComponent
from kraty_pygame.component.event_types import ALL_EVENT_TYPES, event_name

WAIT = 15.0
#: Prefixes of the threads the component starts (request workers and watchers).
COMPONENT_THREADS = ("kraty-worker", "kraty-watch")


def component_threads() -> list[threading.Thread]:
    """Live threads started by any component."""
    return [t for t in threading.enumerate() if t.name.startswith(COMPONENT_THREADS)]


ComponentFactory = Callable[..., KratyComponent]
"""``make_component(kraty, **options)``: builds a component, closed after the test."""


class Pump:
    """Runs frames of a minimal game loop and records the component's events."""

    def __init__(self, component: KratyComponent) -> None:
        self.component = component
        self.events: list[pygame.event.Event] = []
        self.frames = 0
        self._cursor = 0

    def frame(self) -> list[pygame.event.Event]:
        """One frame: ``update()`` then ``pygame.event.get()``; returns our events."""
        self.component.update()
        ours = [e for e in pygame.event.get() if e.type in ALL_EVENT_TYPES]
        self.events.extend(ours)
        self.frames += 1
        return ours

    def until(
        self,
        predicate: Callable[[pygame.event.Event], bool],
        *,
        timeout: float = WAIT,
        what: str = "event",
        since: int | None = None,
    ) -> pygame.event.Event:
        """Return the next event matching ``predicate``, running frames until it arrives.

        Events are searched in arrival order from just after the previous match, so
        an event that arrived in the same frame as the previous match is found too.
        With ``since`` (an index into ``events``, e.g. ``len(pump.events)`` taken
        earlier) the search starts there instead and the position is left alone, for
        events of independent sources whose relative order is not defined.
        """
        deadline = time.monotonic() + timeout
        while True:
            start = self._cursor if since is None else since
            for index in range(start, len(self.events)):
                if predicate(self.events[index]):
                    if since is None:
                        self._cursor = index + 1
                    return self.events[index]
            self.frame()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [event_name(e.type) for e in self.events[-20:]]
                raise AssertionError(f"no {what} within {timeout}s; last events: {seen}")
            if not any(predicate(e) for e in self.events[start:]):
                self.component.wait_for_results(min(0.05, remaining))

    def clear(self) -> None:
        """Forget the recorded events."""
        self.events.clear()
        self._cursor = 0

    def of(self, event_type: int) -> list[pygame.event.Event]:
        """Recorded events of one type."""
        return [e for e in self.events if e.type == event_type]
