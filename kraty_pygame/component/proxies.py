"""Non-blocking mirrors of the facade's resource clients, made from the SDK's declarations.

``component.events.progress(...)`` takes the parameters of ``kraty.events.progress(...)``,
queues the call and returns a ``RequestHandle[ProgressResponse]`` at once. Every
request operation a resource client declares with ``@operation`` has such a method;
it is made on first use from the declaration, so an area's module loads when the
game first uses that area, not when it imports the component. Type checkers see the
classes of ``_typed_proxies``, generated from the same declarations.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk._operation import Operation, operation_of

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ResourceProxy", "Submitter", "declared_operation", "typed"]

C = TypeVar("C")
P = ParamSpec("P")
T = TypeVar("T")


class Submitter(Protocol):
    """What a proxy needs from the component: the facade and a way to queue a call."""

    @property
    def kraty(self) -> Any:
        """The blocking facade the calls run against."""
        ...

    def _submit(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_write: bool,
    ) -> RequestHandle[Any]: ...


def declared_operation(client: object, name: str) -> Operation | None:
    """The request operation ``name`` of a resource client (streams excluded), or None."""
    if name.startswith("_"):
        return None
    op = operation_of(getattr(type(client), name, None))
    return None if op is None or op.stream else op


class ResourceProxy(Generic[C]):
    """``component.<area>``: one queued method per request operation of ``kraty.<area>``."""

    def __init__(self, component: Submitter, area: str) -> None:
        self._component = component
        self.area = area

    def __repr__(self) -> str:
        return f"<ResourceProxy for kraty.{self.area}>"

    if not TYPE_CHECKING:  # type checkers use the generated classes instead

        def __getattr__(self, name: str) -> Callable[..., RequestHandle[Any]]:
            if name.startswith("_"):
                raise AttributeError(name)
            client = getattr(self._component.kraty, self.area)
            op = declared_operation(client, name)
            if op is None:
                hint = ""
                declared = operation_of(getattr(type(client), name, None))
                if declared is not None and declared.stream:
                    hint = " (a live stream: use the component's watch_* methods)"
                raise AttributeError(
                    f"component.{self.area} has no queued operation {name!r}{hint}"
                )
            method = _queued(self._component, op)
            self.__dict__[name] = method  # later lookups are plain attribute reads
            return method

        def __dir__(self) -> list[str]:
            client = getattr(self._component.kraty, self.area)
            names = [n for n in dir(type(client)) if declared_operation(client, n)]
            return sorted(set(super().__dir__()) | set(names))


def _queued(component: Submitter, op: Operation) -> Callable[..., RequestHandle[Any]]:
    """``kraty.<area>.<name>(...)`` queued on ``component``; returns its handle."""
    area, name, operation, write = op.area, op.method_name, op.name, op.is_write
    # Looked up once (the first call builds the area's client): each call is on the
    # game's frame budget, and the facade's resource clients never change.
    submit = component._submit
    bound: Callable[..., Any] | None = None
    durable = getattr(component, "_submit_durable", None) if op.durable and write else None

    if durable is not None:  # the outbox's path, without asking again what the call is

        def call(*args: Any, **kwargs: Any) -> RequestHandle[Any]:
            nonlocal bound
            if bound is None:
                bound = getattr(getattr(component.kraty, area), name)
            return durable(operation, bound, args, kwargs)  # type: ignore[no-any-return]

    else:

        def call(*args: Any, **kwargs: Any) -> RequestHandle[Any]:
            nonlocal bound
            if bound is None:
                bound = getattr(getattr(component.kraty, area), name)
            return submit(operation, bound, args, kwargs, is_write=write)

    call.__name__ = name
    call.__qualname__ = f"{area}.{name}"
    call.__doc__ = f"Queue ``kraty.{operation}(...)``; returns a handle at once ({op.kind})."
    if op.fn is not None:  # help() and editors show the SDK method's parameters
        with contextlib.suppress(TypeError, ValueError):
            params = list(inspect.signature(op.fn).parameters.values())[1:]
            call.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return call


class _Op(Generic[C, P, T]):
    """The type of a proxy method for type checkers: the SDK method's parameters,
    returning ``RequestHandle`` of its result."""

    def __init__(self, method: Callable[Concatenate[C, P], T]) -> None:
        self._method = method

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Op[C, P, T]: ...

    @overload
    def __get__(self, obj: ResourceProxy[C], owner: type[Any]) -> Callable[P, RequestHandle[T]]: ...

    def __get__(
        self, obj: ResourceProxy[C] | None, owner: type[Any]
    ) -> _Op[C, P, T] | Callable[P, RequestHandle[T]]:
        if obj is None:
            return self
        op = operation_of(self._method)
        assert op is not None, f"{self._method!r} is not a declared operation"
        queued: Callable[P, RequestHandle[T]] = _queued(obj._component, op)
        return queued


def typed(method: Callable[Concatenate[C, P], T]) -> _Op[C, P, T]:
    """A typed proxy method for ``method`` (used by the generated ``_typed_proxies``)."""
    return _Op(method)
