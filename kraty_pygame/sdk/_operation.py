"""Each SDK operation, declared once on its resource method with :func:`operation`.

The declaration names the operation, its HTTP method and path, whether it reads or
writes, whether the outbox may record it (durable) and whether the component may
merge queued calls of it. Request and response types are the method's own
annotations. Everything else is derived from it: the request the method sends
(``ResourceClient._route``), the component's proxies, the outbox's choice of
writes, the docs' feature table and the coverage test. See docs/api-notes.md,
"Adding an endpoint".
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

__all__ = [
    "PLAYER_SLOT",
    "CallContext",
    "Operation",
    "current_call",
    "declared_operations",
    "operation",
    "operation_of",
    "operations_of",
]

P = ParamSpec("P")
T = TypeVar("T")

PLAYER_SLOT: Final = "{player}"
"""Stands for the player segment of a recorded path whose player was not resolved yet.

Braces are always percent-encoded in a real path segment, so no player id can
produce this text."""

_ATTRIBUTE: Final = "__kraty_operation__"
_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Operation:
    """The declaration of one SDK method.

    Attributes:
        name: ``"<area>.<method>"`` (``"events.progress"``).
        is_write: the call may change server state.
        durable: a write that the outbox records and delivers exactly once.
        method: the HTTP method (``"POST"``); empty for an operation made of others.
        path: the path template under ``/sdk/v1``; ``{player}`` is the player's id,
            every other ``{name}`` a segment the method fills in; empty for an
            operation made of others.
        merge: queued calls may be merged into one request by the component.
        stream: opens a live stream; the component offers a watcher instead of a
            request proxy.
        official: how the official SDKs spell it, for the docs' feature table
            (None: a Python-only addition).
        fn: the undecorated method (its annotations are the request and response
            types).
    """

    name: str
    is_write: bool
    durable: bool
    method: str = ""
    path: str = ""
    merge: bool = False
    stream: bool = False
    official: str | None = None
    fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def area(self) -> str:
        """The facade attribute of the resource client (``"events"``)."""
        return self.name.partition(".")[0]

    @property
    def method_name(self) -> str:
        """The Python method's name (``"progress"``)."""
        return self.name.partition(".")[2]

    @property
    def kind(self) -> str:
        """``"read"``, ``"stream"``, ``"write"`` or ``"durable write"``."""
        if self.stream:
            return "stream"
        if not self.is_write:
            return "read"
        return "durable write" if self.durable else "write"


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
    area: str,
    *,
    write: bool,
    http: str | None,
    durable: bool = False,
    merge: bool = False,
    stream: bool = False,
    official: str | None = None,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Declare a resource method, e.g. ``@operation("events", write=False,
    http="GET /players/{player}/events", official="events.listForPlayer({as})")``.

    ``http`` is ``"<METHOD> <path under /sdk/v1>"``, or None for an operation made of
    other operations (``grants.collect_all``).

    Raises:
        ValueError: ``durable`` or ``merge`` without ``write``, a write that streams,
            or ``http`` that is not ``"<METHOD> /<path>"``.
    """
    if (durable or merge) and not write:
        raise ValueError("only writes can be durable or merged")
    if stream and write:
        raise ValueError("a stream is a read")
    method, _, path = ("" if http is None else http).partition(" ")
    if http is not None and (method not in _METHODS or not path.startswith("/") or " " in path):
        raise ValueError(f"http must look like 'GET /players/{{player}}/events', not {http!r}")

    def declare(fn: Callable[P, T]) -> Callable[P, T]:
        op = Operation(
            f"{area}.{fn.__name__}",
            write,
            durable,
            method=method,
            path=path,
            merge=merge,
            stream=stream,
            official=official,
            fn=fn,
        )

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


def operations_of(cls: type[Any]) -> list[Operation]:
    """The operations a resource client class declares (its bases' too), in source order."""
    found: dict[str, Operation] = {}
    for klass in reversed(cls.__mro__):
        for member in vars(klass).values():
            op = operation_of(member)
            if op is not None:
                found[op.method_name] = op
    return sorted(found.values(), key=_source_order)


def _source_order(op: Operation) -> tuple[str, int]:
    code = getattr(op.fn, "__code__", None)
    return (op.area, code.co_firstlineno if code is not None else 0)


def declared_operations() -> Iterator[Operation]:
    """Every operation of every resource client in ``kraty_pygame.sdk.resources``.

    Imports every resource module, so it is for tools and tests, not for a game's
    start-up path.
    """
    from kraty_pygame.sdk import resources  # noqa: PLC0415 - only for tools
    from kraty_pygame.sdk.resources._base import ResourceClient  # noqa: PLC0415

    seen: set[str] = set()
    for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{resources.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ResourceClient)
                and value.__module__ == module.__name__
            ):
                for op in operations_of(value):
                    if op.name not in seen:
                        seen.add(op.name)
                        yield op
