"""Lazy re-exports for the packages' ``__init__`` modules: each public name is imported
from its home module on first access, so importing a package stays cheap."""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str], public: Iterable[str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose globals are ``namespace``.

    A name in ``homes`` is imported from its module on first access and kept in
    ``namespace``; ``dir()`` lists the ``public`` names and the submodules imported so far.
    """
    listed = frozenset(public)

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(importlib.import_module(home), name)
        return value

    def __dir__() -> list[str]:
        inside = package + "."
        loaded = (n for n, v in namespace.items() if isinstance(v, types.ModuleType)
                  and v.__name__.startswith(inside) and not n.startswith("_"))  # fmt: skip
        return sorted(listed.union(loaded))

    return __getattr__, __dir__
