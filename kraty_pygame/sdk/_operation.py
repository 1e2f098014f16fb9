"""What each SDK method is: its name, whether it writes, and whether it is durable.

Every public resource method declares itself once with :func:`operation`. A durable
operation is a write that is safe to send again with the same idempotency key; with
an outbox attached to the client it is recorded in the outbox before it is sent (see
docs/offline.md). The component reads the same declaration (``operation_of``) to tell
reads from writes, so there is no second list.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

__all__ = [
    "PLAYER_SLOT",
    "CallContext",
    "Operation",
    "current_call",
    "operation",
    "operation_of",
]

P = ParamSpec("P")
T = TypeVar("T")

PLAYER_SLOT: Final = "{player}"
"""Stands for the player segment of a recorded path whose player was not resolved yet.

Braces are always percent-encoded in a real path segment, so no player id can
produce this text."""

_ATTRIBUTE: Final = "__kraty_operation__"


@dataclass(frozen=True, slots=True)
class Operation:
    """The declaration of one SDK method.

    Attributes:
        name: ``"<area>.<method>"`` (``"events.progress"``).
        is_write: the call may change server state.
        durable: a write that the outbox records and delivers exactly once.
    """

    name: str
    is_write: bool
    durable: bool


class CallContext:
    """Per-call scratch space between a resource method and the transport (internal).

    ``queue`` is set by the resource client when this call goes to the outbox; the
    transport clears it once it has recorded the request, so a nested request (such
    as the lazy player registration) is never recorded in its place.
    """

    __slots__ = ("decode", "operation", "player", "queue")

    def __init__(self, op: Operation) -> None:
        self.operation = op
        self.queue = False
        self.player: str | None = None
        self.decode: Callable[[Any], Any] | None = None


_current: ContextVar[CallContext | None] = ContextVar("kraty_call", default=None)

capturing: ContextVar[object | None] = ContextVar("kraty_outbox_capture", default=None)
"""The outbox whose ``capture()`` block this thread is in (internal)."""


def current_call() -> CallContext | None:
    """The context of the SDK operation running on this thread, if any."""
    return _current.get()


def operation(
    area: str, *, write: bool, durable: bool = False
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Declare a resource method: ``@operation("events", write=True, durable=True)``.

    Raises:
        ValueError: ``durable`` without ``write``.
    """
    if durable and not write:
        raise ValueError("only writes can be durable")

    def declare(fn: Callable[P, T]) -> Callable[P, T]:
        op = Operation(f"{area}.{fn.__name__}", write, durable)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            reset = _current.set(CallContext(op))
            try:
                return fn(*args, **kwargs)
            finally:
                _current.reset(reset)

        setattr(call, _ATTRIBUTE, op)
        setattr(call, "is_write", write)  # noqa: B010 - plain attributes for readers
        setattr(call, "durable", durable)  # noqa: B010
        return call

    return declare


def operation_of(fn: object) -> Operation | None:
    """The declaration of an SDK method (bound or not), or None for anything else."""
    op = getattr(fn, _ATTRIBUTE, None)
    return op if isinstance(op, Operation) else None
