"""The game configuration model, as frozen dataclasses.

:func:`kraty_pygame.emulator.config.loader.load_config` builds a :class:`GameConfig`
from a TOML file and validates every key; this module only holds the shapes.
Reward entries are kept in their wire form (``{"type": "currency", "currencyKey": …}``)
because that is how they travel in grants and listings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

Localized = str | dict[str, str]
RewardEntry = dict[str, Any]
Condition = dict[str, Any]


@dataclass(frozen=True)
class EmulatorSection:
    """``[emulator]``: server options (CLI flags win over these)."""

    host: str = "127.0.0.1"
    port: int = 8787
    rng_seed: int = 1234
    database: str = ""
    clock: str = "real"
    start_time: datetime | None = None
    sse_heartbeat_s: float = 15.0
    rate_limit_per_minute: int = 0
    latency_ms: int = 0
    fail_rate: float = 0.0
    break_after_commit_rate: float = 0.0
    max_body_bytes: int = 1_048_576
    control_plane: bool | None = None


@dataclass(frozen=True)
class GameSection:
    """``[game]``."""

    id: str = "game_demo"
    name: str = "Kraty Demo"
    studio_id: str = "studio_demo"
    inventory_management: str = "platform"
    timezone: str = "UTC"
    grant_default_ttl_days: float = 14
    lobby_fill_strategy: str = "fill_with_bots"


@dataclass(frozen=True)
class ApiKeyConfig:
    """``[[api_keys]]``: ``{prefix}.{secret}`` keys with a permission set and environment."""

    key: str
    permission_set: str
    environment: str

    @property
    def prefix(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class DerivedFrom:
    """A derived progression resource: ``level = count of thresholds <= economy``."""

    economy: str
    thresholds: tuple[int, ...]


@dataclass(frozen=True)
class CurrencyConfig:
    """``[[currencies]]``: currencies and progression resources."""

    key: str
    name: Localized
    kind: str = "currency"
    icon_url: str | None = None
    description: Localized | None = None
    client_writable: bool = False
    derived_from: DerivedFrom | None = None
    level_rewards: dict[int, tuple[RewardEntry, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemConfig:
    """``[[items]]``."""

    key: str
    name: Localized
    description: Localized | None = None
    item_type: str = "misc"
    rarity: str | None = None
    tags: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    icon_url: str | None = None
    crate: str | None = None


@dataclass(frozen=True)
class CrateRow:
    """One weighted row of a crate roll table."""

    weight: float
    entries: tuple[RewardEntry, ...]


@dataclass(frozen=True)
class CrateConfig:
    """``[crates.<name>]``: guaranteed entries plus ``rolls`` weighted draws."""

    key: str
    rolls: int = 1
    allow_duplicates: bool = True
    guaranteed: tuple[RewardEntry, ...] = ()
    table: tuple[CrateRow, ...] = ()


@dataclass(frozen=True)
class RewardBundleConfig:
    """``[reward_bundles.<key>]``."""

    key: str
    name: Localized
    entries: tuple[RewardEntry, ...]


@dataclass(frozen=True)
class ScheduleConfig:
    """``[events.schedule]``: how an event's windows are produced.

    ``start`` is absolute; ``start_offset_s`` is relative to the emulator epoch (the
    emulator clock's reading when the database was created or last reset), which
    keeps windows date-independent. Exactly one of them is set for ``once`` and
    ``recurring`` schedules.
    """

    kind: str = "always"
    start: datetime | None = None
    start_offset_s: float | None = None
    duration_s: float = 0
    every_s: float = 0
    window_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricConfig:
    """``[[events.metrics]]``."""

    key: str
    target: float | None = None
    cap: float | None = None
    cap_at_target: bool = False
    reset_on: str | None = None
    score_per_unit: float = 1.0
    max_increment_per_call: float | None = None
    max_rate_per_second: float | None = None


@dataclass(frozen=True)
class MilestoneConfig:
    """``[[events.milestones]]``."""

    key: str
    metric: str
    threshold: float
    grant_kind: str
    entries: tuple[RewardEntry, ...]


@dataclass(frozen=True)
class RewardTier:
    from_rank: int
    to_rank: int
    bundle: str | None


@dataclass(frozen=True)
class RewardPolicyConfig:
    """``[events.reward_policy]`` (applied at finalization)."""

    type: str = "none"
    bundle: str | None = None
    tiers: tuple[RewardTier, ...] = ()
    pool: int | None = None
    currency_key: str | None = None
    winners: int = 1


@dataclass(frozen=True)
class LobbyConfig:
    """``[events.lobby]`` for ``lobby_matched`` events."""

    capacity: int
    fill_timeout_s: float
    fill_bots: bool
    fill_strategy: str
    bot_fill_delay_s: float
    bot_drip_interval_s: float
    session_duration_s: float
    end_trigger: str = "timer"
    bot_score_per_minute: tuple[float, float] = (10.0, 30.0)
    bot_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntryCost:
    currencies: tuple[tuple[str, int], ...] = ()
    items: tuple[tuple[str, int], ...] = ()

    @property
    def is_free(self) -> bool:
        return not self.currencies and not self.items


@dataclass(frozen=True)
class EventConfig:
    """``[[events]]``."""

    key: str
    name: Localized
    type: str = "single_metric"
    leaderboard_mode: str = "global"
    enabled: bool = True
    timezone: str = "UTC"
    attempt_duration_s: float = 600
    max_attempts_per_window: int = 0
    max_attempts_per_day: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    entry_cost: EntryCost = field(default_factory=EntryCost)
    entry_requirement: Condition | None = None
    unlock_condition: Condition | None = None
    metrics: tuple[MetricConfig, ...] = ()
    milestones: tuple[MilestoneConfig, ...] = ()
    reward_policy: RewardPolicyConfig = field(default_factory=RewardPolicyConfig)
    lobby: LobbyConfig | None = None

    @property
    def is_lobby_matched(self) -> bool:
        return self.leaderboard_mode == "lobby_matched"

    def metric(self, key: str) -> MetricConfig | None:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        return None


@dataclass(frozen=True)
class LeaderboardConfig:
    """``[[leaderboards]]``: keyed cross-event boards."""

    key: str
    name: Localized | None = None
    scope: str = "game"
    reset_cadence: str = "never"
    score_aggregation: str = "best"
    client_scoring: bool = True
    contributes_from: tuple[str, ...] = ()
    segmentation: dict[str, Any] = field(default_factory=lambda: {"kind": "none"})


@dataclass(frozen=True)
class SeedGrant:
    """A pending grant seeded for a player (or every new player)."""

    kind: str
    source_kind: str
    entries: tuple[RewardEntry, ...]
    expires_in_s: float | None = None


@dataclass(frozen=True)
class SeedPlayer:
    """``[[seed.players]]``."""

    external_id: str
    secret: str | None = None
    name: str | None = None
    avatar: str | None = None
    country: str | None = None
    wallet: dict[str, int] = field(default_factory=dict)
    inventory: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    pending_grants: tuple[SeedGrant, ...] = ()
    banned: bool = False


@dataclass(frozen=True)
class SeedBot:
    """``[[seed.bots]]``: fake competitors placed on boards (keyed board keys or event keys)."""

    name: str
    boards: tuple[str, ...]
    score: float = 0
    country: str | None = None
    avatar: str | None = None


@dataclass(frozen=True)
class NewPlayerConfig:
    """``[seed.new_player]``: applied to every fresh ``register``."""

    wallet: dict[str, int] = field(default_factory=dict)
    inventory: dict[str, int] = field(default_factory=dict)
    synthetic_names: tuple[str, ...] = ()
    pending_grants: tuple[SeedGrant, ...] = ()


DEFAULT_PRESENCE_INTERVAL_S: Final = 30.0


@dataclass(frozen=True)
class FriendsConfig:
    """``[friends]``: presence timing.

    Attributes:
        presence_interval_s: the heartbeat interval clients should use (30 s).
        presence_ttl_s: a player is online while the last heartbeat is younger than
            this (default 1.5 x the interval: one missed beat ends the presence).
    """

    presence_interval_s: float = DEFAULT_PRESENCE_INTERVAL_S
    presence_ttl_s: float = DEFAULT_PRESENCE_INTERVAL_S * 1.5


@dataclass(frozen=True)
class GiftableResourceConfig:
    """One entry of ``[gifting] resources``."""

    type: str  # "currency" | "item"
    key: str
    max_amount: int = 1
    costs_sender: bool = False


@dataclass(frozen=True)
class GiftingConfig:
    """``[gifting]``; disabled unless ``enabled = true``."""

    enabled: bool = False
    cooldown_seconds: float = 3600.0
    daily_send_limit: int = 0  # 0 = unlimited (wire: null)
    resources: tuple[GiftableResourceConfig, ...] = ()

    def resource(self, type_: str, key: str) -> GiftableResourceConfig | None:
        for resource in self.resources:
            if resource.type == type_ and resource.key == key:
                return resource
        return None


@dataclass(frozen=True)
class PlatformConfig:
    """Both sections together."""

    friends: FriendsConfig = field(default_factory=FriendsConfig)
    gifting: GiftingConfig = field(default_factory=GiftingConfig)



@dataclass(frozen=True)
class GameConfig:
    """A whole validated config file."""

    source: str
    emulator: EmulatorSection = field(default_factory=EmulatorSection)
    game: GameSection = field(default_factory=GameSection)
    api_keys: tuple[ApiKeyConfig, ...] = ()
    currencies: tuple[CurrencyConfig, ...] = ()
    items: tuple[ItemConfig, ...] = ()
    crates: dict[str, CrateConfig] = field(default_factory=dict)
    reward_bundles: dict[str, RewardBundleConfig] = field(default_factory=dict)
    events: tuple[EventConfig, ...] = ()
    leaderboards: tuple[LeaderboardConfig, ...] = ()
    seed_players: tuple[SeedPlayer, ...] = ()
    seed_bots: tuple[SeedBot, ...] = ()
    new_player: NewPlayerConfig = field(default_factory=NewPlayerConfig)
    #: ``[friends]`` and ``[gifting]``.
    platform: PlatformConfig = field(default_factory=PlatformConfig)

    def api_key(self, key: str) -> ApiKeyConfig | None:
        for entry in self.api_keys:
            if entry.key == key:
                return entry
        return None

    def event(self, key: str) -> EventConfig | None:
        for event in self.events:
            if event.key == key:
                return event
        return None

    def currency(self, key: str) -> CurrencyConfig | None:
        for currency in self.currencies:
            if currency.key == key:
                return currency
        return None

    def item(self, key: str) -> ItemConfig | None:
        for item in self.items:
            if item.key == key:
                return item
        return None

    def leaderboard(self, key: str) -> LeaderboardConfig | None:
        for board in self.leaderboards:
            if board.key == key:
                return board
        return None
