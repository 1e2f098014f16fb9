"""Attempts that ended: post ``KRATY_ATTEMPT`` once and stop sending their calls (no pygame).

Reaching an event's target completes the attempt on the server, and every later
progress or finish call for it fails with 409 ``attempt_finished``. The tracker runs
those calls on the worker thread: when an answer shows the attempt is over (or the
server says ``attempt_finished``) it records the attempt and marks the job, so
``update()`` posts one ``KRATY_ATTEMPT`` after the call's own event. Calls for that
attempt that were still queued, or are made later, fail with
:class:`~kraty_pygame.component.errors.KratyAttemptEndedError` without being sent and
without a ``KRATY_REQUEST_FAILED`` event.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final

from kraty_pygame.component.batching import PROGRESS_OPERATION, progress_target
from kraty_pygame.component.errors import KratyAttemptEndedError
from kraty_pygame.component.jobs import Job
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.transport import CancelToken

__all__ = ["ATTEMPT_ENDED_INFO", "ATTEMPT_OPERATIONS", "AttemptTracker"]

FINISH_OPERATION: Final = "events.finish"
ATTEMPT_OPERATIONS: Final = frozenset({PROGRESS_OPERATION, FINISH_OPERATION})
"""Operations addressed to one attempt (``event_key``, ``attempt_id``)."""
ATTEMPT_ENDED_INFO: Final = "attempt_ended"
"""``job.info`` key holding the ``KRATY_ATTEMPT`` attributes of a job that saw the end."""
_REMEMBERED: Final = 1024


class AttemptTracker:
    """Remembers the most recent ended attempts (bounded) and runs attempt calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended: OrderedDict[str, str] = OrderedDict()

    @property
    def any_ended(self) -> bool:
        """Whether an attempt was seen ending (a plain read, any thread)."""
        return bool(self._ended)

    def status_of(self, attempt_id: str) -> str | None:
        """The final status of an attempt seen ending, else ``None`` (any thread)."""
        # No lock: one lookup of a str key is atomic, and writers hold the lock only to
        # keep their check-then-insert and the trimming together.
        return self._ended.get(attempt_id)

    def run(
        self,
        job: Job,
        token: CancelToken,
        cancellation: Callable[[CancelToken], AbstractContextManager[Any]],
    ) -> Any:
        """Run a progress/finish job unless its attempt already ended (worker thread)."""
        event_key, attempt_id = progress_target(job.args, job.kwargs)
        status = self.status_of(attempt_id) if attempt_id else None
        if status is not None:
            raise KratyAttemptEndedError(
                f"{job.operation}: attempt {attempt_id} already ended ({status}); not sent",
                attempt_id=attempt_id,
                status=status,
            )
        try:
            with cancellation(token):
                value = job.call()
        except KratyApiError as exc:
            if exc.is_attempt_finished and attempt_id:
                details = exc.details if isinstance(exc.details, dict) else {}
                final = str(details.get("status") or "finished")
                self._ended_now(job, event_key, attempt_id, final, None)
            raise
        attempt = getattr(value, "attempt", None)
        status = getattr(attempt, "status", None)
        if attempt_id and isinstance(status, str) and status and status != "in_progress":
            self._ended_now(job, event_key, attempt_id, status, attempt)
        return value

    def observe(self, job: Job, value: Any, error: BaseException | None) -> BaseException | None:
        """Note the answer of a progress/finish call the outbox delivered (sender thread).

        Returns the error the handle should finish with: a 409 ``attempt_finished`` for
        an attempt already seen ending becomes a quiet :class:`KratyAttemptEndedError`.
        """
        if job.operation not in ATTEMPT_OPERATIONS:
            return error
        event_key, attempt_id = progress_target(job.args, job.kwargs)
        attempt = getattr(value, "attempt", None)
        real = str(getattr(attempt, "id", "") or attempt_id)
        if isinstance(error, KratyApiError) and error.is_attempt_finished and real:
            known = self.status_of(real)
            if known is not None:
                return KratyAttemptEndedError(
                    f"{job.operation}: attempt {real} already ended ({known})",
                    attempt_id=real,
                    status=known,
                )
            details = error.details if isinstance(error.details, dict) else {}
            self._ended_now(job, event_key, real, str(details.get("status") or "finished"), None)
            return error
        status = getattr(attempt, "status", None)
        ended = isinstance(status, str) and status not in ("", "in_progress")
        if error is None and real and ended:
            self._ended_now(job, event_key, real, str(status), attempt)
        return error

    def _ended_now(
        self, job: Job, event_key: str, attempt_id: str, status: str, attempt: Any
    ) -> None:
        with self._lock:
            if attempt_id in self._ended:
                return  # reported once already
            self._ended[attempt_id] = status
            while len(self._ended) > _REMEMBERED:
                self._ended.popitem(last=False)
        job.info[ATTEMPT_ENDED_INFO] = {
            "event_key": event_key,
            "attempt_id": attempt_id,
            "status": status,
            "attempt": attempt,
            "operation": job.operation,
        }
