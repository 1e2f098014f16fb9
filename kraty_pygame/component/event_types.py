"""The component's pygame event ids (``KRATY_*``) and the attribute names they carry.

The ids come from :func:`pygame.event.custom_type` once per process, when this module
is first imported; nothing in pygame is replaced. ``pygame.quit()`` resets pygame's
custom-type counter, so after a re-init pygame would hand our ids out again.
:func:`ensure_event_types` moves the counter past them: the component calls it when it
is constructed (which also registers a ``pygame.register_quit`` hook noting each quit)
and at every ``update()``. A game that re-inits pygame and allocates its own custom
types before the component's next ``update()`` calls it first (see the pygame guide).

The attributes each event carries are listed in docs/pygame-guide.md ("The events").
"""

from __future__ import annotations

import threading
from typing import Final

import pygame

__all__ = [
    "ALL_EVENT_TYPES",
    "KRATY_ATTEMPT",
    "KRATY_CONNECTION",
    "KRATY_FRIENDS",
    "KRATY_GRANTS",
    "KRATY_IDENTITY",
    "KRATY_INVENTORY",
    "KRATY_LEADERBOARD",
    "KRATY_LOBBY",
    "KRATY_MILESTONE",
    "KRATY_REQUEST_DONE",
    "KRATY_REQUEST_FAILED",
    "KRATY_SYNC",
    "ensure_event_types",
    "event_name",
]

_NAMES: Final = (
    "KRATY_REQUEST_DONE",
    "KRATY_REQUEST_FAILED",
    "KRATY_MILESTONE",
    "KRATY_GRANTS",
    "KRATY_LEADERBOARD",
    "KRATY_LOBBY",
    "KRATY_IDENTITY",
    "KRATY_CONNECTION",
    "KRATY_INVENTORY",
    "KRATY_FRIENDS",
    "KRATY_ATTEMPT",
    "KRATY_SYNC",
)


class _CounterState:
    """Whether pygame's custom-type counter was reset by a quit since we last checked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset = False
        self.hooked = False


_state: Final = _CounterState()


def _allocate() -> tuple[int, ...]:
    return tuple(pygame.event.custom_type() for _ in _NAMES)


_IDS: Final[tuple[int, ...]] = _allocate()
_MAX_ID: Final = max(_IDS)

KRATY_REQUEST_DONE: Final[int] = _IDS[0]
KRATY_REQUEST_FAILED: Final[int] = _IDS[1]
KRATY_MILESTONE: Final[int] = _IDS[2]
KRATY_GRANTS: Final[int] = _IDS[3]
KRATY_LEADERBOARD: Final[int] = _IDS[4]
KRATY_LOBBY: Final[int] = _IDS[5]
KRATY_IDENTITY: Final[int] = _IDS[6]
KRATY_CONNECTION: Final[int] = _IDS[7]
KRATY_INVENTORY: Final[int] = _IDS[8]
KRATY_FRIENDS: Final[int] = _IDS[9]
KRATY_ATTEMPT: Final[int] = _IDS[10]
KRATY_SYNC: Final[int] = _IDS[11]

ALL_EVENT_TYPES: Final[frozenset[int]] = frozenset(_IDS)
_BY_ID: Final[dict[int, str]] = dict(zip(_IDS, _NAMES, strict=True))


def event_name(event_type: int) -> str:
    """The ``KRATY_*`` name of an event id, or pygame's own name for any other id."""
    name = _BY_ID.get(event_type)
    return name if name is not None else pygame.event.event_name(event_type)


def _next_free_locked() -> None:
    """Allocate ids until one lies past ours (that one is spent). Caller holds the lock."""
    while pygame.event.custom_type() <= _MAX_ID:
        pass
    _state.reset = False


def ensure_event_types(*, probe: bool = False) -> None:
    """Move pygame's custom-type counter past the ``KRATY_*`` ids if a quit reset it.

    Cheap when no quit was seen (one flag check); safe from any thread. With ``probe``
    (the component's constructor) it also registers the quit hook and checks the
    counter itself, spending one id, for a quit that happened before the hook existed.
    """
    if not (_state.reset or probe):
        return
    with _state.lock:
        if probe and not _state.hooked:
            _state.hooked = True
            pygame.register_quit(_on_pygame_quit)
        if _state.reset or (probe and pygame.event.custom_type() <= _MAX_ID):
            _next_free_locked()


def _on_pygame_quit() -> None:
    # Runs inside pygame.quit(), before pygame resets its counter; quit hooks are
    # forgotten after they run, so re-arm for the next quit.
    _state.reset = True
    pygame.register_quit(_on_pygame_quit)
