"""Errors that only the component produces (all under ``KratyError``; no pygame import).

In the game loop these arrive as values (the ``error`` of a failed handle or of a
``KRATY_REQUEST_FAILED`` event); only :class:`KratyThreadError` is raised, because it
means the calling code itself is wrong.
"""

from __future__ import annotations

from kraty_pygame.sdk.errors import KratyError

__all__ = [
    "KratyAttemptEndedError",
    "KratyClockNotSyncedError",
    "KratyComponentClosedError",
    "KratyComponentError",
    "KratyQueueFullError",
    "KratyThreadError",
]


class KratyComponentError(KratyError):
    """Base class of the component's own errors."""


class KratyQueueFullError(KratyComponentError):
    """A call was refused because ``max_pending_requests`` calls were already outstanding.

    Nothing was sent. The overflow policy is documented on ``KratyComponent``.
    """


class KratyComponentClosedError(KratyComponentError):
    """A call was made after ``close()``; nothing was sent."""


class KratyAttemptEndedError(KratyComponentError):
    """A progress or finish call for an attempt the component already saw end; not sent.

    Once a progress or finish answer shows the attempt is over (target reached,
    finished, expired), or the server refused a call with 409 ``attempt_finished``, the
    component posts one ``KRATY_ATTEMPT`` event and fails the attempt's later calls
    with this error without sending them. Such a failure posts no
    ``KRATY_REQUEST_FAILED`` event (its ``on_done`` callbacks still run), so a burst of
    taps queued behind the winning one does not become a burst of error messages.

    Attributes:
        attempt_id: the attempt.
        status: its final status as last seen (``completed``, ``expired``, ...).
    """

    def __init__(self, message: str, *, attempt_id: str, status: str) -> None:
        super().__init__(message)
        self.attempt_id = attempt_id
        self.status = status


class KratyClockNotSyncedError(KratyComponentError):
    """``server_now()`` was asked before the server clock was synced (no sync succeeded
    yet); check ``KratyComponent.is_time_synced`` or queue ``sync_time()``."""


class KratyThreadError(KratyComponentError, RuntimeError):
    """A main-thread-only method (``update``, ``close``, ``pause``, ``resume``, the
    watcher controls) was called from another thread."""
