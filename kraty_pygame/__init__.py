"""kraty_pygame: the Kraty game-events platform for pygame games.

Three parts live in this package:

* :mod:`kraty_pygame.sdk` - the blocking SDK (``Kraty``); never imports pygame.
* :mod:`kraty_pygame.component` - ``KratyComponent``, the non-blocking pygame plugin.
* :mod:`kraty_pygame.emulator` - a local Kraty server (needs the ``emulator`` extra).

Every public name below resolves on first access, so ``import kraty_pygame`` stays
cheap and never imports pygame until a component name is used.
"""

from __future__ import annotations

import logging as _logging
from typing import TYPE_CHECKING as _TYPE_CHECKING

from kraty_pygame._lazy import lazy_exports as _lazy_exports
from kraty_pygame._version import __version__

if _TYPE_CHECKING:  # pragma: no cover - names for type checkers; runtime is lazy
    from kraty_pygame.component import (
        KRATY_ATTEMPT as KRATY_ATTEMPT,
    )
    from kraty_pygame.component import (
        KRATY_CONNECTION as KRATY_CONNECTION,
    )
    from kraty_pygame.component import (
        KRATY_FRIENDS as KRATY_FRIENDS,
    )
    from kraty_pygame.component import (
        KRATY_GRANTS as KRATY_GRANTS,
    )
    from kraty_pygame.component import (
        KRATY_IDENTITY as KRATY_IDENTITY,
    )
    from kraty_pygame.component import (
        KRATY_INVENTORY as KRATY_INVENTORY,
    )
    from kraty_pygame.component import (
        KRATY_LEADERBOARD as KRATY_LEADERBOARD,
    )
    from kraty_pygame.component import (
        KRATY_LOBBY as KRATY_LOBBY,
    )
    from kraty_pygame.component import (
        KRATY_MILESTONE as KRATY_MILESTONE,
    )
    from kraty_pygame.component import (
        KRATY_REQUEST_DONE as KRATY_REQUEST_DONE,
    )
    from kraty_pygame.component import (
        KRATY_REQUEST_FAILED as KRATY_REQUEST_FAILED,
    )
    from kraty_pygame.component import (
        KratyComponent as KratyComponent,
    )
    from kraty_pygame.sdk import (
        Kraty as Kraty,
    )
    from kraty_pygame.sdk import (
        KratyApiError as KratyApiError,
    )
    from kraty_pygame.sdk import (
        KratyCancelledError as KratyCancelledError,
    )
    from kraty_pygame.sdk import (
        KratyConfigError as KratyConfigError,
    )
    from kraty_pygame.sdk import (
        KratyError as KratyError,
    )
    from kraty_pygame.sdk import (
        KratyErrorCode as KratyErrorCode,
    )
    from kraty_pygame.sdk import (
        KratyNetworkError as KratyNetworkError,
    )
    from kraty_pygame.sdk import (
        KratyPollTimeoutError as KratyPollTimeoutError,
    )
    from kraty_pygame.sdk import (
        KratyProtocolError as KratyProtocolError,
    )
    from kraty_pygame.sdk import (
        KratyStreamError as KratyStreamError,
    )
    from kraty_pygame.sdk import (
        KratyTimeoutError as KratyTimeoutError,
    )
    from kraty_pygame.sdk import (
        RequestInfo as RequestInfo,
    )
    from kraty_pygame.sdk import (
        RetryConfig as RetryConfig,
    )
    from kraty_pygame.sdk import (
        SecretStoreError as SecretStoreError,
    )

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

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
    "KRATY_ATTEMPT",
)
_LAZY: dict[str, str] = {
    **{name: "kraty_pygame.sdk" for name in _SDK_NAMES},
    **{name: "kraty_pygame.component" for name in _COMPONENT_NAMES},
}

__all__ = [
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
    "Kraty",
    "KratyApiError",
    "KratyCancelledError",
    "KratyComponent",
    "KratyConfigError",
    "KratyError",
    "KratyErrorCode",
    "KratyNetworkError",
    "KratyPollTimeoutError",
    "KratyProtocolError",
    "KratyStreamError",
    "KratyTimeoutError",
    "RequestInfo",
    "RetryConfig",
    "SecretStoreError",
    "__version__",
]


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__, globals())
