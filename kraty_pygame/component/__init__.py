"""The pygame layer: ``KratyComponent`` and the ``KRATY_*`` event ids (STYLE.md section 3).

This is the only part of the package that imports pygame. ``import kraty_pygame``
resolves these names lazily, so the SDK stays importable without pygame.
Handles, watchers, widgets and stats types live in the submodules
(``kraty_pygame.component.handles``, ``.watchers``, ``.widgets``, ``.component``).
"""

from __future__ import annotations

from kraty_pygame.component.component import KratyComponent
from kraty_pygame.component.event_types import (
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
