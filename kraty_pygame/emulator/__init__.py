"""The local Kraty emulator: FastAPI, uvicorn and SQLite speaking the Kraty wire protocol.

Needs the ``emulator`` extra; independent of :mod:`kraty_pygame.sdk` (it never imports
it). Public names: ``__all__``; see ``docs/emulator.md``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

_REQUIRED = ("fastapi", "uvicorn", "pydantic")
_missing = tuple(name for name in _REQUIRED if importlib.util.find_spec(name) is None)
if _missing:
    raise ImportError(
        "kraty_pygame.emulator needs the 'emulator' extra (missing: "
        + ", ".join(_missing)
        + "); install it with: pip install 'kraty_pygame[emulator]'"
    )

if TYPE_CHECKING:  # pragma: no cover
    from kraty_pygame.emulator.app import create_app
    from kraty_pygame.emulator.config.loader import ConfigError, load_config
    from kraty_pygame.emulator.control_client import EmulatorControl, EmulatorControlError
    from kraty_pygame.emulator.embedded import EmbeddedEmulator
    from kraty_pygame.emulator.settings import EmulatorSettings

__all__ = [
    "ConfigError",
    "EmbeddedEmulator",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorSettings",
    "create_app",
    "load_config",
]

_LAZY = MappingProxyType(
    {
        "create_app": "kraty_pygame.emulator.app",
        "EmbeddedEmulator": "kraty_pygame.emulator.embedded",
        "EmulatorControl": "kraty_pygame.emulator.control_client",
        "EmulatorControlError": "kraty_pygame.emulator.control_client",
        "EmulatorSettings": "kraty_pygame.emulator.settings",
        "load_config": "kraty_pygame.emulator.config.loader",
        "ConfigError": "kraty_pygame.emulator.config.loader",
    }
)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kraty_pygame.emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
