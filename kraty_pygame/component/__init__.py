"""The pygame layer: ``KratyComponent`` and the ``KRATY_*`` event ids (STYLE.md section 3).

This is the only part of the package that imports pygame. The names below resolve on
first access, so importing a pygame-free submodule (``kraty_pygame.component.worker``,
``.handles``, ``.jobs``, ``.results``, ``.batching``, ``.watchers``) does not load
pygame. Handles, watchers, widgets and the stats type live in the submodules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - names for type checkers; runtime is lazy
    from kraty_pygame.component.component import KratyComponent as KratyComponent
    from kraty_pygame.component.event_types import (
        KRATY_CONNECTION as KRATY_CONNECTION,
    )
    from kraty_pygame.component.event_types import (
        KRATY_FRIENDS as KRATY_FRIENDS,
    )
    from kraty_pygame.component.event_types import (
        KRATY_GRANTS as KRATY_GRANTS,
    )
    from kraty_pygame.component.event_types import (
        KRATY_IDENTITY as KRATY_IDENTITY,
    )
    from kraty_pygame.component.event_types import (
        KRATY_INVENTORY as KRATY_INVENTORY,
    )
    from kraty_pygame.component.event_types import (
        KRATY_LEADERBOARD as KRATY_LEADERBOARD,
    )
    from kraty_pygame.component.event_types import (
        KRATY_LOBBY as KRATY_LOBBY,
    )
    from kraty_pygame.component.event_types import (
        KRATY_MILESTONE as KRATY_MILESTONE,
    )
    from kraty_pygame.component.event_types import (
        KRATY_REQUEST_DONE as KRATY_REQUEST_DONE,
    )
    from kraty_pygame.component.event_types import (
        KRATY_REQUEST_FAILED as KRATY_REQUEST_FAILED,
    )

__all__ = [
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
    "KratyComponent",
]


def __getattr__(name: str) -> Any:
    if name == "KratyComponent":
        module = "kraty_pygame.component.component"
    elif name in __all__:
        module = "kraty_pygame.component.event_types"
    else:
        raise AttributeError(f"module 'kraty_pygame.component' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
