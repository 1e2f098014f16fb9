"""Polling helpers: adaptive pending-grants polling and waiting for a lobby to fill.

Both helpers block the calling thread; run them on a thread of their own (the
pygame component does) and stop them with a :class:`threading.Event`. Time is
read and waited on through a :class:`Clock`, so tests can drive them without
sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol

from kraty_pygame.sdk.errors import KratyCancelledError, KratyConfigError, KratyPollTimeoutError

if TYPE_CHECKING:
    from kraty_pygame.sdk.models.grants import Grant
    from kraty_pygame.sdk.models.lobbies import Lobby
    from kraty_pygame.sdk.resources.grants import GrantsClient
    from kraty_pygame.sdk.resources.lobbies import LobbiesClient

__all__ = [
    "Clock",
    "SystemClock",
    "poll_lobby_until_active",
    "poll_pending_grants",
]

DEFAULT_GRANTS_START: Final = 2.0
DEFAULT_GRANTS_GROW: Final = 1.5
DEFAULT_GRANTS_MAX: Final = 30.0
DEFAULT_LOBBY_INTERVAL: Final = 1.0
DEFAULT_LOBBY_TIMEOUT: Final = 60.0


class Clock(Protocol):
    """Time source of the poll helpers (inject a fake one in tests)."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; return True when stopped."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``Event.wait``."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale."""
        return time.monotonic()

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; return True when stopped."""
        event = stop if stop is not None else threading.Event()
        return event.wait(max(0.0, seconds))


_SYSTEM_CLOCK: Final = SystemClock()


def poll_pending_grants(
    grants: GrantsClient,
    *,
    start: float = DEFAULT_GRANTS_START,
    grow: float = DEFAULT_GRANTS_GROW,
    max_interval: float = DEFAULT_GRANTS_MAX,
    on_batch: Callable[[list[Grant]], None] | None = None,
    stop: threading.Event | None = None,
    as_: str | None = None,
    clock: Clock | None = None,
) -> None:
    """List pending grants until ``stop`` is set, backing off while nothing is pending.

    The interval starts at ``start``; after an empty batch it is multiplied by
    ``grow`` (capped at ``max_interval``), and it snaps back to ``start`` as soon
    as a batch is non-empty. ``on_batch`` is called for every batch, empty ones
    included. The helper only lists; call ``grants.collect_all()`` from
    ``on_batch`` to collect. Without ``stop`` it runs until an error.

    Args:
        start: first interval and floor, in seconds.
        grow: factor applied after an empty batch.
        max_interval: cap on the interval, in seconds.
        on_batch: called on this thread with each batch.
        stop: set it (from any thread) to end the loop; a batch already being
            listed is still delivered.
        as_: poll this player id instead of the active player.
        clock: time source; the system clock by default.

    Raises:
        KratyConfigError: invalid ``start`` / ``grow`` / ``max_interval``.
        KratyApiError, KratyNetworkError: a listing failed (nothing is swallowed).
    """
    if start <= 0 or grow < 1 or max_interval < start:
        raise KratyConfigError(
            "poll_pending_grants(): need start > 0, grow >= 1 and max_interval >= start"
        )
    clk = clock if clock is not None else _SYSTEM_CLOCK
    interval = start
    while stop is None or not stop.is_set():
        batch = grants.list_pending(as_=as_)
        if on_batch is not None:
            on_batch(batch)
        interval = start if batch else min(round(interval * grow, 3), max_interval)
        if clk.wait(interval, stop):
            return


def poll_lobby_until_active(
    lobbies: LobbiesClient,
    lobby_id: str,
    *,
    interval: float = DEFAULT_LOBBY_INTERVAL,
    timeout: float = DEFAULT_LOBBY_TIMEOUT,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
) -> Lobby:
    """Read the lobby every ``interval`` seconds until its status is no longer ``forming``.

    Returns on **any** other status (``active``, ``closed``, …): check
    ``lobby.is_active`` before retrying ``events.start``.

    Args:
        interval: fixed delay between reads, in seconds.
        timeout: total deadline, in seconds.
        stop: set it (from any thread) to abandon the wait.
        clock: time source; the system clock by default.

    Raises:
        KratyPollTimeoutError: still ``forming`` after ``timeout`` (also a ``TimeoutError``).
        KratyCancelledError: ``stop`` was set.
        KratyApiError, KratyNetworkError: a read failed.
    """
    clk = clock if clock is not None else _SYSTEM_CLOCK
    deadline = clk.monotonic() + timeout
    while True:
        if stop is not None and stop.is_set():
            raise _stopped(lobby_id)
        lobby = lobbies.read(lobby_id)
        if lobby.status != "forming":
            return lobby
        remaining = deadline - clk.monotonic()
        if remaining <= 0:
            break
        if clk.wait(min(interval, remaining), stop):
            raise _stopped(lobby_id)
        if clk.monotonic() >= deadline:
            break
    raise KratyPollTimeoutError(
        f"poll_lobby_until_active: lobby '{lobby_id}' did not leave 'forming' within {timeout:g}s"
    )


def _stopped(lobby_id: str) -> KratyCancelledError:
    return KratyCancelledError(
        f"poll_lobby_until_active: stopped while lobby '{lobby_id}' was forming",
        original_cause=None,
        outcome_unknown=False,
        idempotency_key=None,
    )
