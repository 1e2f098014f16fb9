"""Request handles: the future-like value every non-blocking call returns (no pygame).

``RequestHandle[T]`` is generic in the SDK method's return type, so
``component.events.progress(...)`` is a ``RequestHandle[ProgressResponse]`` for a
type checker.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["HandleStatus", "RequestHandle", "SentRequest"]

T = TypeVar("T")

_handle_ids = itertools.count(1)


class HandleStatus(StrEnum):
    """Life cycle of a :class:`RequestHandle`."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_FINAL: Final = frozenset({HandleStatus.DONE, HandleStatus.FAILED, HandleStatus.CANCELLED})


@dataclass(eq=False)
class SentRequest:
    """The request a handle's call went out as, shared by every handle merged into it.

    Progress batching sends several calls as one request; those handles share one
    response, one error and one idempotency key. Retry such a failure as the one
    request it was (``KratyComponent.retry``), never handle by handle.
    """

    handles: tuple[RequestHandle[Any], ...]
    operation: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    is_write: bool
    retry: RequestHandle[Any] | None = field(default=None, repr=False)


class RequestHandle(Generic[T]):
    """The future-like result of one non-blocking call.

    ``done``, ``status``, ``result`` and ``error`` may be read from any thread.
    Callbacks added with :meth:`on_done` run on the main thread, inside the
    component's ``update()`` (or at once in the next ``update()`` when the handle was
    already delivered). A failed call never raises: its exception is ``error``.
    """

    __slots__ = (
        "_arg0",
        "_arg1",
        "_args",
        "_callbacks",
        "_canceller",
        "_decoder",
        "_delivered",
        "_entry_id",
        "_error",
        "_finished",
        "_fn",
        "_key",
        "_kwargs",
        "_late",
        "_origin",
        "_provisional",
        "_result",
        "_sent",
        "_seq",
        "_status",
        "id",
        "is_write",
        "operation",
    )

    # A durable write recorded in the outbox keeps its call here until it settles (set
    # by the component's outbox link only, never read on other handles): the handle is
    # the one object such a write leaves alive, so the collector has less to do on the
    # game's thread. The job that reports the result is made when the write settles.
    # One or two positional arguments are kept one by one (``_args`` is then None), so
    # the call's argument tuple is freed when the call returns.
    _fn: Callable[..., Any]
    _args: tuple[Any, ...] | None
    _arg0: Any
    _arg1: Any
    _kwargs: dict[str, Any]
    _key: str | None
    _decoder: Callable[[Any], Any] | None
    _seq: int

    #: One lock for every handle, not one each (a handle is made on every call, on the
    #: game's frame budget): it guards a few attribute stores, is never held while
    #: calling out and never taken while holding it.
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, operation: str, *, is_write: bool = True) -> None:
        self.id: int = next(_handle_ids)
        self.operation = operation
        self.is_write = is_write
        self._finished: threading.Event | None = None  # made by the first wait() only
        self._status = HandleStatus.QUEUED
        self._result: T | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[RequestHandle[T]], None]] | None = None  # on_done
        self._canceller: Callable[[RequestHandle[Any]], bool] | None = None
        self._late: Callable[[RequestHandle[Any]], None] | None = None
        self._delivered = False
        self._sent: SentRequest | None = None
        self._origin: SentRequest | None = None
        self._entry_id: str | None = None
        self._provisional: str | None = None

    def __repr__(self) -> str:
        return f"<RequestHandle #{self.id} {self.operation} {self._status.value}>"

    @property
    def status(self) -> HandleStatus:
        """Where the call is: queued, running, done, failed or cancelled."""
        return self._status

    @property
    def done(self) -> bool:
        """True once the call finished (succeeded, failed or was cancelled)."""
        return self._status in _FINAL

    @property
    def succeeded(self) -> bool:
        """True when the call finished without an error."""
        return self._status is HandleStatus.DONE

    @property
    def cancelled(self) -> bool:
        """True when :meth:`cancel` (or ``close()``) ended the call."""
        return self._status is HandleStatus.CANCELLED

    @property
    def result(self) -> T | None:
        """The SDK's return value once the call succeeded, else ``None``."""
        return self._result

    @property
    def error(self) -> BaseException | None:
        """The exception of a failed or cancelled call, else ``None``."""
        return self._error

    @property
    def batch(self) -> tuple[RequestHandle[Any], ...]:
        """The handles sent together with this one as one request (itself included).

        Empty until the call was sent; more than one handle when queued progress
        increments were merged. They share the result, the error and its
        ``idempotency_key``.
        """
        sent = self._sent
        return sent.handles if sent is not None else ()

    @property
    def queued(self) -> bool:
        """True while the call is a durable write recorded in the outbox and not yet
        settled by the server: it is on disk and will be sent (by a later run of the
        game if this one ends first). A network failure never fails such a handle."""
        return self._entry_id is not None and self._status not in _FINAL

    @property
    def entry_id(self) -> str | None:
        """The outbox entry of a durable write (``None`` for other calls)."""
        return self._entry_id

    @property
    def provisional_attempt_id(self) -> str | None:
        """For ``events.start`` recorded in the outbox: the placeholder attempt id to
        report progress and finish with before the server answered (the sync
        replaces it with the server's id). ``None`` for other calls."""
        return self._provisional

    @property
    def outcome_unknown(self) -> bool:
        """True when a write may or may not have been applied (cancelled or lost in flight)."""
        return bool(getattr(self._error, "outcome_unknown", False))

    def cancel(self) -> bool:
        """Cancel the call from any thread; returns False when it had already finished.

        A queued call is dropped without being sent. A call already in flight is
        aborted and ends with ``outcome_unknown`` set when it is a write. A durable
        write recorded in the outbox (``queued``) cannot be cancelled: it is on disk
        and will be delivered; this returns False.
        """
        canceller = self._canceller
        if canceller is None or self.done:
            return False
        return canceller(self)

    def on_done(self, callback: Callable[[RequestHandle[T]], None]) -> RequestHandle[T]:
        """Run ``callback(handle)`` on the main thread once the call finished; returns self.

        An exception raised by the callback is logged and counted in the component's
        ``stats.callback_errors``; it never reaches a worker.
        """
        with self._lock:
            if self._callbacks is None:
                self._callbacks = [callback]
            else:
                self._callbacks.append(callback)
            late = self._late if self._delivered else None
        if late is not None:
            late(self)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the call finished; True if it did. Never call this in the game loop.

        A durable write waiting in the outbox while the game is offline is not finished:
        ``wait(t)`` returns False after ``t`` seconds and the write stays queued.
        """
        with self._lock:
            if self._status in _FINAL:
                return True
            if self._finished is None:
                self._finished = threading.Event()
            finished = self._finished
        return finished.wait(timeout)

    # -- internal: worker and component side -------------------------------------------

    def _set_running(self) -> None:
        with self._lock:
            if self._status is HandleStatus.QUEUED:
                self._status = HandleStatus.RUNNING

    def _complete(
        self, status: HandleStatus, result: T | None, error: BaseException | None
    ) -> bool:
        """Finish the handle; the first completion wins. Returns True if this one won."""
        with self._lock:
            if self._status in _FINAL:
                return False
            self._status = status
            self._result = result
            self._error = error
            finished = self._finished
        if finished is not None:
            finished.set()
        return True

    def _deliver(self, late: Callable[[RequestHandle[Any]], None]) -> list[
        Callable[[RequestHandle[T]], None]
    ]:
        """Mark delivered to the main thread and take the callbacks to run now."""
        with self._lock:
            self._delivered = True
            self._late = late
            callbacks, self._callbacks = self._callbacks, None
        return callbacks or []

    def _take_callbacks(self) -> list[Callable[[RequestHandle[T]], None]]:
        with self._lock:
            callbacks, self._callbacks = self._callbacks, None
        return callbacks or []
