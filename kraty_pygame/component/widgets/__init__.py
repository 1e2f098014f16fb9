"""Drop-in widgets drawn with plain pygame onto any surface, styled by a ``WidgetTheme``.

* :class:`ToastStack` - milestone and grant toasts (``KRATY_MILESTONE``, ``KRATY_GRANTS``).
* :class:`LeaderboardPanel` - a live top-N table (``KRATY_LEADERBOARD``).
* :class:`LobbyBar` - a lobby filling bar (``KRATY_LOBBY``).
* :class:`SyncBadge` - "3 rewards waiting to sync" (``KRATY_SYNC``).

Each has ``handle_event(event) -> bool`` for the game's event loop and a ``draw``
method; a game may use any of them or none.
"""

from __future__ import annotations

from kraty_pygame.component.widgets.leaderboard import LeaderboardPanel, PanelRow
from kraty_pygame.component.widgets.lobby import LobbyBar
from kraty_pygame.component.widgets.sync import SyncBadge
from kraty_pygame.component.widgets.theme import TextCache, WidgetTheme
from kraty_pygame.component.widgets.toasts import (
    Toast,
    ToastStack,
    catalog_names,
    describe_grants,
)

__all__ = [
    "LeaderboardPanel",
    "LobbyBar",
    "PanelRow",
    "SyncBadge",
    "TextCache",
    "Toast",
    "ToastStack",
    "WidgetTheme",
    "catalog_names",
    "describe_grants",
]
