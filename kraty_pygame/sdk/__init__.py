"""The blocking Kraty SDK (``requests``-based; never imports pygame).

``Kraty`` is the facade a program holds; see docs/getting-started.md.
"""

import logging

from kraty_pygame.sdk._deadline import CancelToken
from kraty_pygame.sdk.errors import (
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
    SecretStoreError,
    is_lobby_forming,
)
from kraty_pygame.sdk.identity import (
    FileSecretStore,
    Identity,
    IdentityManager,
    InMemorySecretStore,
    KeyringSecretStore,
    SecretStore,
)
from kraty_pygame.sdk.kraty import Kraty
from kraty_pygame.sdk.models import PlayerIdentity, PlayerRegistration, SyntheticIdentity, localized
from kraty_pygame.sdk.options import RequestInfo, RetryConfig
from kraty_pygame.sdk.transport import KratyClient

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "CancelToken",
    "FileSecretStore",
    "Identity",
    "IdentityManager",
    "InMemorySecretStore",
    "KeyringSecretStore",
    "Kraty",
    "KratyApiError",
    "KratyCancelledError",
    "KratyClient",
    "KratyConfigError",
    "KratyError",
    "KratyErrorCode",
    "KratyNetworkError",
    "KratyPollTimeoutError",
    "KratyProtocolError",
    "KratyStreamError",
    "KratyTimeoutError",
    "PlayerIdentity",
    "PlayerRegistration",
    "RequestInfo",
    "RetryConfig",
    "SecretStore",
    "SecretStoreError",
    "SyntheticIdentity",
    "is_lobby_forming",
    "localized",
]
