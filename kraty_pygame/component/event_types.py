"""The component's pygame event ids (``KRATY_*``) and the attribute names they carry.

The ids come from :func:`pygame.event.custom_type` once per process, when this module
is first imported. ``pygame.quit()`` resets pygame's custom-type counter, so after a
re-init the game's next ``custom_type()`` would hand out one of our ids again. To keep
them apart this module:

* registers a ``pygame.register_quit`` hook (re-armed on every quit) that marks the
  counter as reset;
* wraps ``pygame.init`` so that, right after a re-init, the counter is advanced past the
  largest ``KRATY_*`` id (one spare id is consumed for that);
* wraps ``pygame.event.custom_type`` so that a call made after a quit without a new
  ``init()`` also skips our ids (no id is wasted on that path).

Both wrappers call the original function and otherwise change nothing.
:func:`ensure_event_types` does the same check on demand; the component calls it from
its constructor and from ``update()``.

The table (the guide, docs/pygame-guide.md, has it with when each is posted):

| constant | attributes |
|---|---|
| ``KRATY_REQUEST_DONE`` | ``handle``, ``operation``, ``result`` |
| ``KRATY_REQUEST_FAILED`` | ``handle``, ``operation``, ``error`` |
| ``KRATY_MILESTONE`` | ``event_key``, ``attempt_id``, ``milestone``, ``grants`` |
| ``KRATY_GRANTS`` | ``grants``, ``source`` |
| ``KRATY_LEADERBOARD`` | ``leaderboard_id``, ``kind``, ``board`` or ``entry`` |
| ``KRATY_LOBBY`` | ``lobby``, ``active`` |
| ``KRATY_IDENTITY`` | ``external_player_id``, ``reason`` |
| ``KRATY_CONNECTION`` | ``source``, ``state``, ``error`` |
| ``KRATY_INVENTORY`` | ``kind``, ``data``, ``source`` |
| ``KRATY_FRIENDS`` | ``kind``, ``source`` and the kind's own (``PresenceWatcher``) |
| ``KRATY_SYNC`` | ``kind``, ``pending``, ``operation``, ``result``, ``error`` and more |
| ``KRATY_ATTEMPT`` | ``event_key``, ``attempt_id``, ``status``, ``attempt``, ``operation`` |
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Final

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


_state: Final = _CounterState()
_original_custom_type: Callable[[], int] = pygame.event.custom_type
_original_init: Callable[..., tuple[int, int]] = pygame.init


def _allocate() -> tuple[int, ...]:
    return tuple(_original_custom_type() for _ in _NAMES)


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


def _next_free_locked() -> int:
    """Allocate ids until one lies past ours; returns that id. Caller holds the lock."""
    while True:
        candidate = _original_custom_type()
        if candidate > _MAX_ID:
            _state.reset = False
            return candidate


def ensure_event_types() -> None:
    """Advance pygame's custom-type counter past the ``KRATY_*`` ids if a quit reset it.

    Cheap when nothing was reset (one flag check). Safe from any thread.
    """
    if not _state.reset:
        return
    with _state.lock:
        if _state.reset:
            _next_free_locked()


def _on_pygame_quit() -> None:
    # Runs inside pygame.quit(), before pygame resets its counter; quit hooks are
    # forgotten after they run, so re-arm for the next quit.
    _state.reset = True
    pygame.register_quit(_on_pygame_quit)


@functools.wraps(_original_custom_type)
def _custom_type() -> int:
    with _state.lock:  # custom_type() is rare: always taking the lock is fine
        if _state.reset:
            return _next_free_locked()
        return _original_custom_type()


@functools.wraps(_original_init)
def _init(*args: Any, **kwargs: Any) -> tuple[int, int]:
    result = _original_init(*args, **kwargs)
    ensure_event_types()
    return result


pygame.register_quit(_on_pygame_quit)
pygame.event.custom_type = _custom_type
pygame.init = _init
