"""``dataclass``, done on a class's first use instead of at import.

Turning a class into a dataclass compiles several methods for it; over the SDK's
hundred models and the component's records that was most of what importing the
package cost, paid by every game at start-up for classes it may never use. Modules take
``dataclass`` from here (type checkers still see the standard one): the decorator
records the options and leaves two stand-ins on the class, and the class becomes the
exact dataclass the standard decorator makes the first time anything needs it:

* making an instance (a stand-in ``__new__``; unpickling goes through it too);
* reading ``__dataclass_fields__``, which is how ``dataclasses.fields()`` and
  ``is_dataclass()`` look, and so dataclasses-json and the decoders.

One re-entrant lock makes the first use safe from any thread; a base class is completed
before its subclasses because completing a class reads its bases' fields.
"""

import dataclasses
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["dataclass", "realize"]

T = TypeVar("T", bound=type)

_FIELDS = "__dataclass_fields__"
_LOCK = threading.RLock()
_EAGER_OPTIONS = frozenset({"slots", "weakref_slot"})  # these replace the class object


class _Pending:
    """Stands in for ``__dataclass_fields__`` until its class is completed."""

    def __init__(self, owner: type, options: dict[str, Any]) -> None:
        self.owner = owner
        self.options = options
        self.busy = False

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        realize(self.owner)
        return self.owner.__dict__[_FIELDS]


def realize(cls: type) -> type:
    """Complete ``cls`` now if its ``dataclass`` was deferred (idempotent, thread-safe)."""
    if not isinstance(cls.__dict__.get(_FIELDS), _Pending):
        return cls  # the common case, without the lock
    with _LOCK:
        pending = cls.__dict__.get(_FIELDS)
        if not isinstance(pending, _Pending):
            return cls
        if pending.busy:  # the standard decorator never reads the class's own fields
            raise RuntimeError(f"{cls.__qualname__}: dataclass completion re-entered")
        pending.busy = True
        try:
            dataclasses.dataclass(cls, **pending.options)  # replaces the _Pending
        finally:
            pending.busy = False
        return cls


class _New:
    """The ``__new__`` of a deferred class: completes the class, then makes the object.

    It stays after completion (deleting a ``__new__`` does not give a class its inherited
    one back), and reports the signature of the dataclass's ``__init__`` so that
    ``inspect.signature(cls)`` is the same as with the standard decorator.
    """

    __slots__ = ("owner",)

    def __init__(self, owner: type) -> None:
        self.owner = owner

    def __call__(self, cls: type, *args: Any, **kwargs: Any) -> Any:
        realize(self.owner)
        return object.__new__(cls)

    @property
    def __signature__(self) -> Any:
        import inspect  # noqa: PLC0415 - only introspection needs it

        realize(self.owner)
        return inspect.signature(self.owner.__dict__["__init__"])


def _is_ours(value: Any) -> bool:
    return isinstance(getattr(value, "__func__", None), _New)


def _defer(cls: T, options: dict[str, Any]) -> T:
    own_new = any(
        "__new__" in base.__dict__ and not _is_ours(base.__dict__["__new__"])
        for base in cls.__mro__[:-1]
    )
    if own_new or _EAGER_OPTIONS & {k for k, v in options.items() if v}:
        return cast(T, dataclasses.dataclass(cls, **options))
    setattr(cls, _FIELDS, _Pending(cls, options))
    setattr(cls, "__new__", staticmethod(_New(cls)))  # noqa: B010
    return cls


def dataclass(cls: T | None = None, /, **options: Any) -> T | Callable[[T], T]:
    """``dataclasses.dataclass`` with the work deferred to the class's first use."""
    if cls is None:
        return lambda c: _defer(c, options)
    return _defer(cls, options)
