"""The pygame layer: ``KratyComponent`` and the ``KRATY_*`` event ids.

This is the only part of the package that imports pygame. Every name below resolves on
first access, so ``import kraty_pygame.component`` (or a pygame-free submodule:
``.worker``, ``.handles``, ``.jobs``, ``.results``, ``.batching``, ``.watchers``,
``.platform_watchers``, ``.errors``, ``.stats``) does not load pygame; the component,
the event ids and the widgets load it when first used.

What a game needs is re-exported here: the component, the event ids, request handles,
the watcher classes, the close report and stats, the component's errors, and the
drop-in widgets with their theme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Final as _Final

from kraty_pygame import _environment
from kraty_pygame._lazy import lazy_exports as _lazy_exports

# classic pygame laid over pygame-ce breaks both: say so now, not as odd errors later
_environment.warn_about_pygame()

if _TYPE_CHECKING:  # pragma: no cover - names for type checkers; runtime is lazy
    from kraty_pygame.component.board_watcher import LeaderboardWatcher as LeaderboardWatcher
    from kraty_pygame.component.component import KratyComponent as KratyComponent
    from kraty_pygame.component.errors import (
        KratyAttemptEndedError as KratyAttemptEndedError,
    )
    from kraty_pygame.component.errors import (
        KratyClockNotSyncedError as KratyClockNotSyncedError,
    )
    from kraty_pygame.component.errors import (
        KratyComponentClosedError as KratyComponentClosedError,
    )
    from kraty_pygame.component.errors import KratyComponentError as KratyComponentError
    from kraty_pygame.component.errors import KratyQueueFullError as KratyQueueFullError
    from kraty_pygame.component.errors import KratyThreadError as KratyThreadError
    from kraty_pygame.component.event_types import (
        ALL_EVENT_TYPES as ALL_EVENT_TYPES,
    )
    from kraty_pygame.component.event_types import (
        KRATY_ATTEMPT as KRATY_ATTEMPT,
    )
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
    from kraty_pygame.component.event_types import (
        KRATY_SYNC as KRATY_SYNC,
    )
    from kraty_pygame.component.event_types import event_name as event_name
    from kraty_pygame.component.handles import HandleStatus as HandleStatus
    from kraty_pygame.component.handles import RequestHandle as RequestHandle
    from kraty_pygame.component.platform_watchers import FriendsWatcher as FriendsWatcher
    from kraty_pygame.component.platform_watchers import InventoryWatcher as InventoryWatcher
    from kraty_pygame.component.platform_watchers import PresenceWatcher as PresenceWatcher
    from kraty_pygame.component.stats import ComponentStats as ComponentStats
    from kraty_pygame.component.watchers import ConnectionState as ConnectionState
    from kraty_pygame.component.watchers import GrantsWatcher as GrantsWatcher
    from kraty_pygame.component.watchers import LobbyWatcher as LobbyWatcher
    from kraty_pygame.component.watchers import Watcher as Watcher
    from kraty_pygame.component.widgets import LeaderboardPanel as LeaderboardPanel
    from kraty_pygame.component.widgets import LobbyBar as LobbyBar
    from kraty_pygame.component.widgets import PanelRow as PanelRow
    from kraty_pygame.component.widgets import SyncBadge as SyncBadge
    from kraty_pygame.component.widgets import Toast as Toast
    from kraty_pygame.component.widgets import ToastStack as ToastStack
    from kraty_pygame.component.widgets import WidgetTheme as WidgetTheme
    from kraty_pygame.component.worker import CloseReport as CloseReport
    from kraty_pygame.sdk.errors import is_lobby_forming as is_lobby_forming

_EVENTS: _Final = "kraty_pygame.component.event_types"
_ERRORS: _Final = "kraty_pygame.component.errors"
_WATCHERS: _Final = "kraty_pygame.component.watchers"
_PLATFORM: _Final = "kraty_pygame.component.platform_watchers"
_WIDGETS: _Final = "kraty_pygame.component.widgets"

#: Where each public name lives (resolved lazily by ``__getattr__``).
_HOMES: _Final[dict[str, str]] = {
    "ALL_EVENT_TYPES": _EVENTS,
    "KRATY_ATTEMPT": _EVENTS,
    "KRATY_CONNECTION": _EVENTS,
    "KRATY_FRIENDS": _EVENTS,
    "KRATY_GRANTS": _EVENTS,
    "KRATY_IDENTITY": _EVENTS,
    "KRATY_INVENTORY": _EVENTS,
    "KRATY_LEADERBOARD": _EVENTS,
    "KRATY_LOBBY": _EVENTS,
    "KRATY_MILESTONE": _EVENTS,
    "KRATY_REQUEST_DONE": _EVENTS,
    "KRATY_REQUEST_FAILED": _EVENTS,
    "KRATY_SYNC": _EVENTS,
    "event_name": _EVENTS,
    "KratyComponent": "kraty_pygame.component.component",
    "ComponentStats": "kraty_pygame.component.stats",
    "CloseReport": "kraty_pygame.component.worker",
    "HandleStatus": "kraty_pygame.component.handles",
    "RequestHandle": "kraty_pygame.component.handles",
    "KratyAttemptEndedError": _ERRORS,
    "KratyClockNotSyncedError": _ERRORS,
    "KratyComponentClosedError": _ERRORS,
    "KratyComponentError": _ERRORS,
    "KratyQueueFullError": _ERRORS,
    "KratyThreadError": _ERRORS,
    "ConnectionState": _WATCHERS,
    "GrantsWatcher": _WATCHERS,
    "LobbyWatcher": _WATCHERS,
    "Watcher": _WATCHERS,
    "LeaderboardWatcher": "kraty_pygame.component.board_watcher",
    "FriendsWatcher": _PLATFORM,
    "InventoryWatcher": _PLATFORM,
    "PresenceWatcher": _PLATFORM,
    "LeaderboardPanel": _WIDGETS,
    "LobbyBar": _WIDGETS,
    "PanelRow": _WIDGETS,
    "Toast": _WIDGETS,
    "ToastStack": _WIDGETS,
    "SyncBadge": _WIDGETS,
    "WidgetTheme": _WIDGETS,
    "is_lobby_forming": "kraty_pygame.sdk.errors",
}

__all__ = [
    "ALL_EVENT_TYPES",
    "KRATY_ATTEMPT",
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
    "KRATY_SYNC",
    "CloseReport",
    "ComponentStats",
    "ConnectionState",
    "FriendsWatcher",
    "GrantsWatcher",
    "HandleStatus",
    "InventoryWatcher",
    "KratyAttemptEndedError",
    "KratyClockNotSyncedError",
    "KratyComponent",
    "KratyComponentClosedError",
    "KratyComponentError",
    "KratyQueueFullError",
    "KratyThreadError",
    "LeaderboardPanel",
    "LeaderboardWatcher",
    "LobbyBar",
    "LobbyWatcher",
    "PanelRow",
    "PresenceWatcher",
    "RequestHandle",
    "SyncBadge",
    "Toast",
    "ToastStack",
    "Watcher",
    "WidgetTheme",
    "event_name",
    "is_lobby_forming",
]


__getattr__, __dir__ = _lazy_exports(__name__, _HOMES, __all__, globals())
