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
from kraty_pygame.sdk.finalization import (
    FileMembershipStore,
    FinalizationReason,
    FinalizationResult,
    FinalizationTracker,
    InMemoryMembershipStore,
    MembershipRef,
    MembershipStore,
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
from kraty_pygame.sdk.models.catalog import Catalog, CatalogCurrency, CatalogItem
from kraty_pygame.sdk.models.events import (
    Attempt,
    EntryCost,
    EntryCostCurrency,
    EntryCostItem,
    EventListing,
    FinishAttemptResponse,
    MilestoneFired,
    MilestoneRewardPreview,
    ProgressInput,
    ProgressResponse,
    RewardBundlePreview,
    RewardPolicySummary,
    RewardTier,
    StartAttemptResponse,
)
from kraty_pygame.sdk.models.grants import (
    CollectAllFailure,
    CollectAllResult,
    Grant,
    GrantContents,
    OpenCrateResponse,
    RangeSpec,
    RewardEntryPreview,
)
from kraty_pygame.sdk.models.inventory import ConsumeItemInput, ConsumeItemResult, PlayerItemHolding
from kraty_pygame.sdk.models.leaderboards import (
    BoardSegment,
    BoardStandings,
    EventLeaderboard,
    FinalStanding,
    Leaderboard,
    LeaderboardClosed,
    LeaderboardEntry,
    LeaderboardFinalized,
    LeaderboardPeriod,
    LeaderboardPeriods,
    LeaderboardReady,
    LeaderboardScoreResult,
    LeaderboardScoreUpdate,
    LeaderboardSelf,
    LeaderboardStreamEvent,
    LeaderboardStreamKind,
    ProgressionCutoff,
    ProgressionLimits,
)
from kraty_pygame.sdk.models.lobbies import Lobby
from kraty_pygame.sdk.models.wallet import DebitWalletInput, DebitWalletResult, PlayerWalletHolding
from kraty_pygame.sdk.options import RequestInfo, RetryConfig
from kraty_pygame.sdk.polling import (
    Clock,
    SystemClock,
    poll_lobby_until_active,
    poll_pending_grants,
)
from kraty_pygame.sdk.resources.catalog import CatalogClient
from kraty_pygame.sdk.resources.event_leaderboards import EventLeaderboardsClient, Subscription
from kraty_pygame.sdk.resources.events import EventsClient
from kraty_pygame.sdk.resources.grants import GrantsClient
from kraty_pygame.sdk.resources.inventory import InventoryClient
from kraty_pygame.sdk.resources.leaderboards import LeaderboardsClient
from kraty_pygame.sdk.resources.lobbies import LobbiesClient
from kraty_pygame.sdk.resources.wallet import WalletClient
from kraty_pygame.sdk.streaming import (
    LeaderboardStream,
    ReconnectPolicy,
    StreamState,
    StreamStateChange,
)
from kraty_pygame.sdk.transport import KratyClient

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Attempt",
    "BoardSegment",
    "BoardStandings",
    "CancelToken",
    "Catalog",
    "CatalogClient",
    "CatalogCurrency",
    "CatalogItem",
    "Clock",
    "CollectAllFailure",
    "CollectAllResult",
    "ConsumeItemInput",
    "ConsumeItemResult",
    "DebitWalletInput",
    "DebitWalletResult",
    "EntryCost",
    "EntryCostCurrency",
    "EntryCostItem",
    "EventLeaderboard",
    "EventLeaderboardsClient",
    "EventListing",
    "EventsClient",
    "FileMembershipStore",
    "FileSecretStore",
    "FinalStanding",
    "FinalizationReason",
    "FinalizationResult",
    "FinalizationTracker",
    "FinishAttemptResponse",
    "Grant",
    "GrantContents",
    "GrantsClient",
    "Identity",
    "IdentityManager",
    "InMemoryMembershipStore",
    "InMemorySecretStore",
    "InventoryClient",
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
    "Leaderboard",
    "LeaderboardClosed",
    "LeaderboardEntry",
    "LeaderboardFinalized",
    "LeaderboardPeriod",
    "LeaderboardPeriods",
    "LeaderboardReady",
    "LeaderboardScoreResult",
    "LeaderboardScoreUpdate",
    "LeaderboardSelf",
    "LeaderboardStream",
    "LeaderboardStreamEvent",
    "LeaderboardStreamKind",
    "LeaderboardsClient",
    "LobbiesClient",
    "Lobby",
    "MembershipRef",
    "MembershipStore",
    "MilestoneFired",
    "MilestoneRewardPreview",
    "OpenCrateResponse",
    "PlayerIdentity",
    "PlayerItemHolding",
    "PlayerRegistration",
    "PlayerWalletHolding",
    "ProgressInput",
    "ProgressResponse",
    "ProgressionCutoff",
    "ProgressionLimits",
    "RangeSpec",
    "ReconnectPolicy",
    "RequestInfo",
    "RetryConfig",
    "RewardBundlePreview",
    "RewardEntryPreview",
    "RewardPolicySummary",
    "RewardTier",
    "SecretStore",
    "SecretStoreError",
    "StartAttemptResponse",
    "StreamState",
    "StreamStateChange",
    "Subscription",
    "SyntheticIdentity",
    "SystemClock",
    "WalletClient",
    "is_lobby_forming",
    "localized",
    "poll_lobby_until_active",
    "poll_pending_grants",
]
