"""kraty_pygame: the Kraty game-events platform for pygame games.

Three parts live in this package:

* :mod:`kraty_pygame.sdk` - the blocking SDK (``Kraty``); never imports pygame.
* :mod:`kraty_pygame.component` - ``KratyComponent``, the non-blocking pygame plugin.
* :mod:`kraty_pygame.emulator` - a local Kraty server (needs the ``emulator`` extra).

Every public name below resolves on first access, so ``import kraty_pygame`` stays
cheap and never imports pygame until a component name is used.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from kraty_pygame._version import __version__

if TYPE_CHECKING:  # pragma: no cover - names for type checkers; runtime is lazy
    from kraty_pygame.component import (
        KRATY_CONNECTION,
        KRATY_FRIENDS,
        KRATY_GRANTS,
        KRATY_IDENTITY,
        KRATY_INVENTORY,
        KRATY_LEADERBOARD,
        KRATY_LOBBY,
        KRATY_MILESTONE,
        KRATY_REQUEST_DONE,
        KRATY_REQUEST_FAILED,
        KratyComponent,
    )
    from kraty_pygame.sdk import (
        Kraty,
        KratyApiError,
        KratyCancelledError,
        KratyConfigError,
        KratyError,
        KratyErrorCode,
        KratyNetworkError,
        KratyPollTimeoutError,
        KratyProtocolError,
        KratyStreamError,
        KratyTimeoutError,
        RequestInfo,
        RetryConfig,
        SecretStoreError,
    )

logging.getLogger(__name__).addHandler(logging.NullHandler())

_SDK_NAMES = (
    "Kraty",
    "RetryConfig",
    "RequestInfo",
    "KratyError",
    "KratyConfigError",
    "KratyApiError",
    "KratyProtocolError",
    "KratyNetworkError",
    "KratyTimeoutError",
    "KratyCancelledError",
    "KratyPollTimeoutError",
    "KratyStreamError",
    "KratyErrorCode",
    "SecretStoreError",
)
_COMPONENT_NAMES = (
    "KratyComponent",
    "KRATY_REQUEST_DONE",
    "KRATY_REQUEST_FAILED",
    "KRATY_MILESTONE",
    "KRATY_GRANTS",
    "KRATY_LEADERBOARD",
    "KRATY_LOBBY",
    "KRATY_IDENTITY",
    "KRATY_CONNECTION",
    "KRATY_INVENTORY",
    "KRATY_FRIENDS",
)
_LAZY: dict[str, str] = {
    **{name: "kraty_pygame.sdk" for name in _SDK_NAMES},
    **{name: "kraty_pygame.component" for name in _COMPONENT_NAMES},
}

__all__ = ["__version__", *_SDK_NAMES, *_COMPONENT_NAMES]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kraty_pygame' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
