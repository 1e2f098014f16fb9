"""Submitting component calls: a handle per call, its result to a callback.

Every call returns a ``RequestHandle`` at once; ``handle.on_done(callback)`` runs the
callback on the main thread inside ``component.update()``. A feature that knows what
to do with a failure passes ``on_error``; every other failure is left to the
``KRATY_REQUEST_FAILED`` event, which :mod:`demo_game.kraty.events` turns into a
notice. Main-thread time spent in calls is measured for the status bar.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from kraty_pygame.component import (
    KratyAttemptEndedError,
    KratyComponent,
    RequestHandle,
    ToastStack,
)

from ..timing import FrameMeter

T = TypeVar("T")

Notify = Callable[[str, str], None]


@dataclass
class Feedback:
    """How the Kraty side tells the player something: notices, sounds, toasts, overlays."""

    notify: Notify
    play: Callable[[str], None]
    open_overlay: Callable[[Any], None]
    toasts: ToastStack
    register_secret: Callable[[str | None], None]


class Calls:
    """Submits component calls, measured, and routes each result to a callback."""

    def __init__(self, component: KratyComponent, meter: FrameMeter) -> None:
        self.component = component
        self.meter = meter
        self.closing = False
        self.submitted = 0
        # failures a callback already dealt with: their KRATY_REQUEST_FAILED shows nothing
        self._handled: set[int] = set()

    def measure(self) -> contextlib.AbstractContextManager[None]:
        """Count the block's main-thread time as time spent in Kraty."""
        return self.meter.measure()

    def submit(
        self,
        make: Callable[[], RequestHandle[T]],
        on_ok: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> RequestHandle[T] | None:
        """Run ``make()`` (one component call) and route its result.

        Returns None once the game is shutting down (callbacks that run inside
        ``component.close()`` must not start new work).
        """
        if self.closing:
            return None
        with self.meter.measure():
            handle = make()
        self.submitted += 1

        def done(finished: RequestHandle[T]) -> None:
            if finished.error is None:
                if on_ok is not None:
                    on_ok(cast(T, finished.result))
            elif on_error is not None:
                if not isinstance(finished.error, KratyAttemptEndedError):  # posts no event
                    self._handled.add(finished.id)
                on_error(finished.error)

        handle.on_done(done)
        return handle

    def handled(self, handle: RequestHandle[Any]) -> bool:
        """True (once) when a callback already dealt with this failed call."""
        if handle.id in self._handled:
            self._handled.discard(handle.id)
            return True
        return False


@dataclass
class Refresher:
    """Reloads a named part of the screen soon; several requests within a frame merge."""

    _reloads: dict[str, Callable[[], None]] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _clock: float = 0.0

    def register(self, name: str, reload: Callable[[], None]) -> None:
        """``reload()`` runs when ``soon(name)`` is due."""
        self._reloads[name] = reload

    def soon(self, name: str, delay: float = 0.0) -> None:
        """Reload ``name`` (``player``, ``events``) after ``delay`` seconds."""
        self._due.setdefault(name, self._clock + delay)

    def tick(self, dt: float) -> None:
        """Once per frame: run the reloads that are due."""
        self._clock += dt
        for name, due in list(self._due.items()):
            if self._clock >= due:
                del self._due[name]
                self._reloads[name]()
