"""The game configuration as frozen pydantic models, one per TOML table.

Each model validates its own table: types, ranges, choices, unknown keys and the rules
between its own fields. Rules that need the whole file (references between tables,
duplicate keys) live in :mod:`kraty_pygame.emulator.config.checks`. Reward entries and
conditions are kept in their wire form (``{"type": "currency", "currencyKey": …}``)
because that is how they travel in grants and listings.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    Tag,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kraty_pygame.emulator.clock import check_reachable, parse_iso

Localized = str | dict[str, str]
RewardEntry = dict[str, Any]
Condition = dict[str, Any]

KEY_PATTERN: Final = r"^[A-Za-z0-9_\-.:]{1,64}$"
EVENT_BOARD_ID_RE: Final = re.compile(
    r"^(lb_[0-9a-f]{12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
FILL_STRATEGIES: Final = ("fill_with_bots", "start_short", "wait_full")
DEFAULT_PRESENCE_INTERVAL_S: Final = 30.0


def problem(message: str, at: str = "") -> PydanticCustomError:
    """A validation error with our own message; ``at`` extends the key path (``.tiers``)."""
    return PydanticCustomError("config", "{message}", {"message": message, "at": at})


def type_name(value: Any) -> str:
    """The TOML name of a value's type, for messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    for kind, name in ((str, "string"), (list, "array"), (dict, "table"), (datetime, "datetime")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


# ---------------------------------------------------------------- field types


def _localized(value: Any) -> Localized:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(isinstance(t, str) for t in value.values()):
        return {str(k): str(v) for k, v in value.items()}
    raise problem(f"expected a string or a {{ locale = text }} table, got {type_name(value)}")


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    raise problem(f"expected an RFC 3339 time, got {value!r}")


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise problem(f"unknown time zone {value!r}") from None
    return value


def _rate(value: float) -> float:
    if not 0 <= value <= 1:
        raise problem("must be between 0 and 1")
    return value


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value  # an int stays an int, as written
    raise problem(f"expected a number, got {type_name(value)}")


def at_least(low: float) -> AfterValidator:
    """A lower bound with the message ``must be >= low, got value``."""

    def check(value: float) -> float:
        if value < low:
            raise problem(f"must be >= {low}, got {value}")
        return value

    return AfterValidator(check)


def _empty_is_none(value: str | None) -> str | None:
    return value or None


Int = Annotated[int, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
Positive = Annotated[int, Strict(), Field(ge=1)]
Num = Annotated[float, PlainValidator(_number)]
NonNegative = Annotated[Num, at_least(0)]
#: A number the emulator computes with as a float (``5`` becomes ``5.0``).
_AS_FLOAT: Final = AfterValidator(float)
Float = Annotated[Num, _AS_FLOAT]
NonNegativeFloat = Annotated[Num, at_least(0), _AS_FLOAT]
Str = Annotated[str, Strict()]
Bool = Annotated[bool, Strict()]
Key = Annotated[str, Strict(), StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[Localized, PlainValidator(_localized)]
Time = Annotated[datetime, PlainValidator(_time)]
Zone = Annotated[str, Strict(), AfterValidator(_zone)]
Rate = Annotated[Num, AfterValidator(_rate)]
Amounts = dict[str, Count]


class _Table(BaseModel):
    """One TOML table: unknown keys are errors, values never change after loading."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- reward entries


class _Range(_Table):
    min: Count
    max: Count
    step: Positive | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.max < self.min:
            raise problem(f"max ({self.max}) is below min ({self.min})")
        return self


def _amount_kind(value: Any) -> str | None:
    if isinstance(value, dict | _Range):
        return "~range"
    if isinstance(value, int) and not isinstance(value, bool):
        return "~count"
    return None


Amount = Annotated[
    Annotated[Positive, Tag("~count")] | Annotated[_Range, Tag("~range")],
    Discriminator(_amount_kind, custom_error_type="amount", custom_error_message="amount"),
]


class _CurrencyEntry(_Table):
    type: Literal["currency"]
    currency_key: Key = Field(alias="currencyKey")
    amount: Amount = 1


class _ItemEntry(_Table):
    type: Literal["item"]
    item_key: Key = Field(alias="itemKey")
    quantity: Amount = 1
    parameters: dict[str, Any] | None = None


class _CrateEntry(_Table):
    type: Literal["crate"]
    crate_item_key: Key = Field(alias="crateItemKey")
    quantity: Amount = 1


def _entry_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else None
    return f"~{kind}" if kind in ("currency", "item", "crate") else None


def _wire(entry: BaseModel) -> RewardEntry:
    return entry.model_dump(by_alias=True, exclude_none=True)


if TYPE_CHECKING:
    Entry = RewardEntry
else:
    Entry = Annotated[
        Annotated[_CurrencyEntry, Tag("~currency")]
        | Annotated[_ItemEntry, Tag("~item")]
        | Annotated[_CrateEntry, Tag("~crate")],
        Discriminator(_entry_kind, custom_error_type="entry", custom_error_message="entry"),
        AfterValidator(_wire),
    ]
Entries = tuple[Entry, ...]


# ---------------------------------------------------------------- conditions


def _key(table: dict[str, Any], name: str, at: str) -> str:
    value = table.get(name)
    if name not in table:
        raise problem("is required", f"{at}.{name}")
    if not isinstance(value, str):
        raise problem(f"expected a string, got {type_name(value)}", f"{at}.{name}")
    if not re.match(KEY_PATTERN, value):
        raise problem(f"{value!r} is not a valid key (letters, digits, _-.:)", f"{at}.{name}")
    return value


def _int(value: Any, low: int, at: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise problem(f"expected an integer, got {type_name(value)}", at)
    if value < low:
        raise problem(f"must be >= {low}, got {value}", at)
    return value


_CONDITION_OPS: Final = "all, any, not, item, balance or context"


def _condition(value: Any, at: str = "") -> Condition:
    if not isinstance(value, dict) or len(value) != 1:
        raise problem(f"a condition is a table with exactly one of {_CONDITION_OPS}", at)
    ((op, arg),) = value.items()
    here = f"{at}.{op}"
    if op in ("all", "any"):
        if not isinstance(arg, list):
            raise problem("expected an array of conditions", here)
        return {op: [_condition(child, f"{here}[{i}]") for i, child in enumerate(arg)]}
    if op == "not":
        return {"not": _condition(arg, here)}
    if op in ("item", "balance"):
        if not isinstance(arg, dict):
            raise problem(f"expected a table, got {type_name(arg)}", here)
        unknown = sorted(set(arg) - {"key", "min"})
        if unknown:
            raise problem("unknown key", f"{here}.{unknown[0]}")
        key, low = _key(arg, "key", here), _int(arg.get("min", 1), 0, f"{here}.min")
        return {op: {"key": key, "min": low}}
    if op == "context":
        if not isinstance(arg, dict):
            raise problem(f"expected a table, got {type_name(arg)}", here)
        unknown = sorted(set(arg) - {"field", "equals"})
        if unknown:
            raise problem("unknown key", f"{here}.{unknown[0]}")
        if not isinstance(arg.get("field"), str):
            raise problem("expected a string", f"{here}.field")
        if "equals" not in arg:
            raise problem("is required", f"{here}.equals")
        return {"context": {"field": arg["field"], "equals": arg["equals"]}}
    raise problem(f"unknown condition (use {_CONDITION_OPS})", here)


ConditionField = Annotated[Condition, PlainValidator(_condition)]


# ---------------------------------------------------------------- sections


class EmulatorSection(_Table):
    """``[emulator]``: server options (CLI flags win over these)."""

    host: Str = "127.0.0.1"
    port: Count = 8787
    rng_seed: Int = 1234
    database: Str = ""
    clock: Literal["real", "manual"] = "real"
    start_time: Time | None = None
    sse_heartbeat_s: Annotated[Num, at_least(0.05)] = 15.0
    rate_limit_per_minute: Count = 0
    latency_ms: Count = 0
    fail_rate: Rate = 0.0
    break_after_commit_rate: Rate = 0.0
    max_body_bytes: Annotated[Int, Field(ge=64)] = 1_048_576
    control_plane: Bool | None = None

    @model_validator(mode="after")
    def _reachable(self) -> EmulatorSection:
        if self.start_time is not None:
            try:
                check_reachable(self.start_time.astimezone(UTC))
            except ValueError as exc:
                raise problem(str(exc), ".start_time") from None
        return self


class GameSection(_Table):
    """``[game]``."""

    id: Key = "game_demo"
    name: Str = "Kraty Demo"
    studio_id: Key = "studio_demo"
    inventory_management: Literal["platform", "studio", "permissive"] = "platform"
    timezone: Zone = "UTC"
    grant_default_ttl_days: NonNegative = 14
    lobby_fill_strategy: Literal["fill_with_bots", "start_short", "wait_full"] = "fill_with_bots"


def _api_key(value: str) -> str:
    if value.count(".") < 1 or value.startswith(".") or value.endswith("."):
        raise problem("an API key has the form {prefix}.{secret}")
    return value


class ApiKeyConfig(_Table):
    """``[[api_keys]]``: ``{prefix}.{secret}`` keys with a permission set and environment."""

    key: Annotated[Str, AfterValidator(_api_key)]
    permission_set: Literal["client_sdk", "server_integration"]
    environment: Literal["test", "dev", "staging", "live"] = "test"

    @property
    def prefix(self) -> str:
        return self.key.split(".", 1)[0]


def _ascending(values: tuple[int, ...]) -> tuple[int, ...]:
    if list(values) != sorted(values):
        raise problem("must be in ascending order")
    return values


class DerivedFrom(_Table):
    """A derived progression resource: ``level = count of thresholds <= economy``."""

    economy: Key
    thresholds: Annotated[tuple[Int, ...], AfterValidator(_ascending)]


class CurrencyConfig(_Table):
    """``[[currencies]]``: currencies and progression resources."""

    key: Key
    name: Text
    kind: Literal["currency", "progression"] = "currency"
    icon_url: Annotated[Str | None, AfterValidator(_empty_is_none)] = None
    description: Text | None = None
    client_writable: Bool = False
    derived_from: DerivedFrom | None = None
    level_rewards: dict[Annotated[int, Field(ge=0)], Entries] = Field(default_factory=dict)


class ItemConfig(_Table):
    """``[[items]]``."""

    key: Key
    name: Text
    description: Text | None = None
    item_type: Str = "misc"
    rarity: Str | None = None
    tags: tuple[Str, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)
    icon_url: Annotated[Str | None, AfterValidator(_empty_is_none)] = None
    crate: Key | None = None


class CrateRow(_Table):
    """One weighted row of a crate roll table."""

    weight: NonNegativeFloat
    entries: Entries = ()


class CrateConfig(_Table):
    """``[crates.<name>]``: guaranteed entries plus ``rolls`` weighted draws."""

    key: str
    rolls: Count = 1
    allow_duplicates: Bool = True
    guaranteed: Entries = ()
    table: tuple[CrateRow, ...] = ()

    @model_validator(mode="after")
    def _drawable(self) -> CrateConfig:
        weighted = len([row for row in self.table if row.weight > 0])
        if self.rolls > 0 and not weighted:
            raise problem("needs at least one row with a positive weight", ".table")
        if not self.allow_duplicates and self.rolls > weighted:
            raise problem("more rolls than rows while allow_duplicates = false", ".rolls")
        return self


class RewardBundleConfig(_Table):
    """``[reward_bundles.<key>]``."""

    key: str
    name: Text
    entries: Entries = ()


# ---------------------------------------------------------------- events


class ScheduleConfig(_Table):
    """``[events.schedule]``: how an event's windows are produced.

    ``start`` is absolute; ``start_offset_s`` is relative to the emulator epoch (the
    emulator clock's reading when the database was created or last reset), which
    keeps windows date-independent. Exactly one of them is set for ``once`` and
    ``recurring`` schedules.
    """

    kind: Literal["always", "once", "recurring"] = "always"
    start: Time | None = None
    start_offset_s: Num | None = None
    duration_s: NonNegativeFloat = 0.0
    every_s: NonNegativeFloat = 0.0
    window_metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleConfig:
        kind, timed = self.kind, self.start is not None or self.start_offset_s is not None
        if kind in ("once", "recurring"):
            if (self.start is None) == (self.start_offset_s is None):
                raise problem(f"a {kind} schedule needs exactly one of start or start_offset_s")
            if not self.duration_s:
                raise problem(f"a {kind} schedule needs a positive duration_s", ".duration_s")
        elif timed or self.duration_s:
            raise problem("an 'always' schedule takes no start, start_offset_s or duration_s")
        if kind == "recurring" and (not self.every_s or self.every_s < self.duration_s):
            raise problem("a recurring schedule needs every_s >= duration_s", ".every_s")
        if kind != "recurring" and self.every_s:
            raise problem("only recurring schedules take every_s", ".every_s")
        return self


class MetricConfig(_Table):
    """``[[events.metrics]]``."""

    key: Key
    target: NonNegative | None = None
    cap: NonNegative | None = None
    cap_at_target: Bool = False
    reset_on: Annotated[Str | None, AfterValidator(_empty_is_none)] = None
    score_per_unit: Float = 1.0
    max_increment_per_call: NonNegative | None = None
    max_rate_per_second: NonNegative | None = None


class MilestoneConfig(_Table):
    """``[[events.milestones]]``."""

    key: Key
    metric: Key
    threshold: NonNegativeFloat
    grant_kind: Literal["reward", "crate"] = "reward"
    entries: Entries = ()


class RewardTier(_Table):
    """One rank range of a ``rank_scaled`` reward policy."""

    from_rank: Positive
    to_rank: Positive
    bundle: Key | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RewardTier:
        if self.to_rank < self.from_rank:
            raise problem("to_rank is below from_rank")
        return self


class RewardPolicyConfig(_Table):
    """``[events.reward_policy]`` (applied at finalization)."""

    type: Literal["none", "fixed_bundle", "rank_scaled", "shared_pool"] = "none"
    bundle: Key | None = None
    tiers: tuple[RewardTier, ...] = ()
    pool: Positive | None = None
    currency_key: Key | None = None
    winners: Positive = 1

    @model_validator(mode="after")
    def _complete(self) -> RewardPolicyConfig:
        if self.type == "fixed_bundle" and self.bundle is None:
            raise problem("fixed_bundle needs a bundle", ".bundle")
        if self.type == "rank_scaled" and not self.tiers:
            raise problem("rank_scaled needs tiers", ".tiers")
        if self.type == "shared_pool" and (self.pool is None or self.currency_key is None):
            raise problem("shared_pool needs pool and currency_key")
        return self


def _score_range(value: tuple[float, float]) -> tuple[float, float]:
    if value[0] > value[1]:
        raise problem("expected [low, high] numbers with low <= high")
    return value


def _context(info: ValidationInfo, name: str, default: str) -> str:
    value = (info.context or {}).get(name)
    return value if isinstance(value, str) else default


class LobbyConfig(_Table):
    """``[events.lobby]`` for ``lobby_matched`` events."""

    capacity: Positive
    fill_timeout_s: NonNegativeFloat
    fill_bots: Bool
    fill_strategy: Literal["fill_with_bots", "start_short", "wait_full"]
    bot_fill_delay_s: NonNegativeFloat
    bot_drip_interval_s: Annotated[Num, at_least(0.001), _AS_FLOAT]
    session_duration_s: Annotated[Num, at_least(1), _AS_FLOAT]
    end_trigger: Literal["timer", "first_to_target"] = "timer"
    bot_score_per_minute: Annotated[tuple[Float, Float], AfterValidator(_score_range)] = (
        10.0,
        30.0,
    )
    bot_names: tuple[Str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        values = {
            "fill_timeout_s": 30.0,
            "fill_bots": True,
            "fill_strategy": _context(info, "fill_strategy", FILL_STRATEGIES[0]),
            "bot_fill_delay_s": 0.0,
            "session_duration_s": 120.0,
            **data,
        }
        numbers = [values.get(k) for k in ("fill_timeout_s", "bot_fill_delay_s", "capacity")]
        if "bot_drip_interval_s" not in values and all(
            isinstance(n, int | float) and not isinstance(n, bool) for n in numbers
        ):
            timeout, delay, capacity = numbers
            values["bot_drip_interval_s"] = max(timeout - delay, 0.001) / max(1, capacity - 1)  # type: ignore[operator]
        return values


class EntryCost(_Table):
    """``[events.entry_cost]``: what starting an attempt costs."""

    currencies: tuple[tuple[str, int], ...] = ()
    items: tuple[tuple[str, int], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _rows(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        result = dict(data)
        for name, count in (("currencies", "amount"), ("items", "quantity")):
            rows = data.get(name)
            if isinstance(rows, list):
                result[name] = [
                    _cost_row(row, f".{name}[{i}]", count) for i, row in enumerate(rows)
                ]
        return result

    @property
    def is_free(self) -> bool:
        return not self.currencies and not self.items


def _cost_row(row: Any, at: str, count: str) -> tuple[str, int]:
    if not isinstance(row, dict):
        raise problem(f"expected a table, got {type_name(row)}", at)
    unknown = sorted(set(row) - {"key", count})
    if unknown:
        raise problem("unknown key", f"{at}.{unknown[0]}")
    if count not in row:
        raise problem("is required", f"{at}.{count}")
    return _key(row, "key", at), _int(row[count], 1, f"{at}.{count}")


class EventConfig(_Table):
    """``[[events]]``."""

    key: Key
    name: Text
    type: Literal["single_metric", "multi_metric"] = "single_metric"
    leaderboard_mode: Literal["global", "global_segmented", "grouped", "lobby_matched"] = "global"
    enabled: Bool = True
    timezone: Zone = "UTC"
    attempt_duration_s: Annotated[Num, at_least(1), _AS_FLOAT] = 600.0
    max_attempts_per_window: Count = 0
    max_attempts_per_day: Count = 0
    metadata: dict[str, Any] = Field(default_factory=dict)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    entry_cost: EntryCost = Field(default_factory=EntryCost)
    entry_requirement: ConditionField | None = None
    unlock_condition: ConditionField | None = None
    metrics: tuple[MetricConfig, ...] = ()
    milestones: tuple[MilestoneConfig, ...] = ()
    reward_policy: RewardPolicyConfig = Field(default_factory=RewardPolicyConfig)
    lobby: LobbyConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _game_timezone(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "timezone" not in data:
            return {**data, "timezone": _context(info, "timezone", "UTC")}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EventConfig:
        metric_keys = [m.key for m in self.metrics]
        if not self.metrics:
            raise problem("an event needs at least one metric", ".metrics")
        if self.type == "single_metric" and len(self.metrics) > 1:
            raise problem("single_metric events have exactly one metric", ".type")
        if self.is_lobby_matched and self.lobby is None:
            raise problem("a lobby_matched event needs a [events.lobby] table", ".lobby")
        if self.lobby is not None and not self.is_lobby_matched:
            raise problem("only lobby_matched events take a lobby table", ".lobby")
        if len(set(metric_keys)) != len(metric_keys):
            raise problem("duplicate metric key", ".metrics")
        for i, metric in enumerate(self.metrics):
            if metric.reset_on is not None and metric.reset_on not in metric_keys:
                at = f".metrics[{i}].reset_on"
                raise problem(f"unknown sibling metric {metric.reset_on!r}", at)
        seen: set[str] = set()
        for i, milestone in enumerate(self.milestones):
            if milestone.metric not in metric_keys:
                at = f".milestones[{i}].metric"
                raise problem(f"unknown metric {milestone.metric!r}", at)
            if milestone.key in seen:
                raise problem("duplicate milestone key", f".milestones[{i}].key")
            seen.add(milestone.key)
        return self

    @property
    def is_lobby_matched(self) -> bool:
        return self.leaderboard_mode == "lobby_matched"

    def metric(self, key: str) -> MetricConfig | None:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        return None


# ---------------------------------------------------------------- keyed leaderboards


class _Limit(_Table):
    places: Positive
    item_key: Key


class _Segmentation(_Table):
    kind: Literal["none", "context", "progression"] = "none"
    field: Str | None = None
    buckets: Annotated[list[Str], Field(min_length=1)] | None = None
    economy: Key | None = None
    divisions: Annotated[list[Str], Field(min_length=1)] | None = None
    promotion: _Limit | None = None
    relegation: _Limit | None = None

    @model_validator(mode="after")
    def _complete(self) -> _Segmentation:
        needs = {"context": ("field", "buckets"), "progression": ("economy", "divisions")}
        for name in needs.get(self.kind, ()):
            if getattr(self, name) is None:
                raise problem("is required", f".{name}")
        return self


def _not_a_board_id(key: str) -> str:
    if EVENT_BOARD_ID_RE.match(key):
        raise problem("a board key must not look like an event-board id (lb_<12 hex> or a UUID)")
    return key


def _raw(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_unset=True) or {"kind": "none"}


if TYPE_CHECKING:
    Segmentation = dict[str, Any]
else:
    Segmentation = Annotated[_Segmentation, AfterValidator(_raw)]


class LeaderboardConfig(_Table):
    """``[[leaderboards]]``: keyed cross-event boards."""

    key: Annotated[Key, AfterValidator(_not_a_board_id)]
    name: Text | None = None
    scope: Literal["game", "studio"] = "game"
    reset_cadence: Literal["never", "weekly", "monthly"] = "never"
    score_aggregation: Literal["best", "latest", "sum"] = "best"
    client_scoring: Bool = True
    contributes_from: tuple[Str, ...] = ()
    segmentation: Segmentation = Field(default_factory=lambda: {"kind": "none"})


# ---------------------------------------------------------------- seeded content


class SeedGrant(_Table):
    """A pending grant seeded for a player (or every new player)."""

    kind: Literal["reward", "crate"] = "reward"
    source_kind: Str = "admin"
    entries: Entries = ()
    expires_in_s: Annotated[Num, at_least(1)] | None = None


def _secret(value: str | None) -> str | None:
    if value is not None and len(value) < 8:
        raise problem("a player secret needs at least 8 characters")
    return value


class SeedPlayer(_Table):
    """``[[seed.players]]``."""

    external_id: Str
    secret: Annotated[Str | None, AfterValidator(_secret)] = None
    name: Str | None = None
    avatar: Str | None = None
    country: Str | None = None
    wallet: Amounts = Field(default_factory=dict)
    inventory: Amounts = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    pending_grants: tuple[SeedGrant, ...] = ()
    banned: Bool = False


class SeedBot(_Table):
    """``[[seed.bots]]``: fake competitors placed on boards (keyed board keys or event keys)."""

    name: Str
    boards: tuple[Str, ...] = ()
    score: Float = 0.0
    country: Str | None = None
    avatar: Str | None = None


class NewPlayerConfig(_Table):
    """``[seed.new_player]``: applied to every fresh ``register``."""

    wallet: Amounts = Field(default_factory=dict)
    inventory: Amounts = Field(default_factory=dict)
    synthetic_names: tuple[Str, ...] = ()
    pending_grants: tuple[SeedGrant, ...] = ()


class SeedSection(_Table):
    """``[seed]``."""

    players: tuple[SeedPlayer, ...] = ()
    bots: tuple[SeedBot, ...] = ()
    new_player: NewPlayerConfig = Field(default_factory=NewPlayerConfig)


# ---------------------------------------------------------------- platform features


class FriendsConfig(_Table):
    """``[friends]``: presence timing.

    Attributes:
        presence_interval_s: the heartbeat interval clients should use (30 s).
        presence_ttl_s: a player is online while the last heartbeat is younger than
            this (default 1.5 x the interval: one missed beat ends the presence).
    """

    presence_interval_s: Annotated[Num, at_least(0.05), _AS_FLOAT] = DEFAULT_PRESENCE_INTERVAL_S
    presence_ttl_s: Annotated[Num, at_least(0.05), _AS_FLOAT] = DEFAULT_PRESENCE_INTERVAL_S * 1.5

    @model_validator(mode="before")
    @classmethod
    def _ttl_follows_interval(cls, data: Any) -> Any:
        interval = data.get("presence_interval_s") if isinstance(data, dict) else None
        if isinstance(interval, int | float) and not isinstance(interval, bool):
            return {"presence_ttl_s": interval * 1.5, **data}
        return data


class GiftableResourceConfig(_Table):
    """One entry of ``[gifting] resources``."""

    type: Literal["currency", "item"]
    key: Key
    max_amount: Positive = 1
    costs_sender: Bool = False


class GiftingConfig(_Table):
    """``[gifting]``; disabled unless ``enabled = true``."""

    enabled: Bool = False
    cooldown_seconds: NonNegativeFloat = 3600.0
    daily_send_limit: Count = 0  # 0 = unlimited (wire: null)
    resources: tuple[GiftableResourceConfig, ...] = ()

    def resource(self, type_: str, key: str) -> GiftableResourceConfig | None:
        for resource in self.resources:
            if resource.type == type_ and resource.key == key:
                return resource
        return None


class PlatformConfig(_Table):
    """Both sections together."""

    friends: FriendsConfig = Field(default_factory=FriendsConfig)
    gifting: GiftingConfig = Field(default_factory=GiftingConfig)


# ---------------------------------------------------------------- the whole file


def _keyed(tables: Any) -> Any:
    """``[crates.<name>]`` tables get their name as ``key``."""
    if not isinstance(tables, dict):
        return tables
    named: dict[str, Any] = {}
    for name, table in tables.items():
        if isinstance(table, dict) and "key" in table:
            raise problem("unknown key", f".{name}.key")
        named[name] = {**table, "key": name} if isinstance(table, dict) else table
    return named


def _named(tables: Any) -> Any:
    """``[reward_bundles.<key>]`` tables get their key, and it is their name by default."""
    named = _keyed(tables)
    if not isinstance(named, dict):
        return named
    return {
        key: {"name": key, **table} if isinstance(table, dict) else table
        for key, table in named.items()
    }


class ConfigFile(_Table):
    """A config file exactly as its TOML tables are laid out."""

    emulator: EmulatorSection = Field(default_factory=EmulatorSection)
    game: GameSection = Field(default_factory=GameSection)
    api_keys: tuple[ApiKeyConfig, ...] = ()
    currencies: tuple[CurrencyConfig, ...] = ()
    items: tuple[ItemConfig, ...] = ()
    crates: Annotated[dict[str, CrateConfig], BeforeValidator(_keyed)] = Field(default_factory=dict)
    reward_bundles: Annotated[dict[str, RewardBundleConfig], BeforeValidator(_named)] = Field(
        default_factory=dict
    )
    events: tuple[EventConfig, ...] = ()
    leaderboards: tuple[LeaderboardConfig, ...] = ()
    seed: SeedSection = Field(default_factory=SeedSection)
    friends: FriendsConfig = Field(default_factory=FriendsConfig)
    gifting: GiftingConfig = Field(default_factory=GiftingConfig)


class GameConfig(_Table):
    """A whole validated config file."""

    source: str
    emulator: EmulatorSection = Field(default_factory=EmulatorSection)
    game: GameSection = Field(default_factory=GameSection)
    api_keys: tuple[ApiKeyConfig, ...] = ()
    currencies: tuple[CurrencyConfig, ...] = ()
    items: tuple[ItemConfig, ...] = ()
    crates: dict[str, CrateConfig] = Field(default_factory=dict)
    reward_bundles: dict[str, RewardBundleConfig] = Field(default_factory=dict)
    events: tuple[EventConfig, ...] = ()
    leaderboards: tuple[LeaderboardConfig, ...] = ()
    seed_players: tuple[SeedPlayer, ...] = ()
    seed_bots: tuple[SeedBot, ...] = ()
    new_player: NewPlayerConfig = Field(default_factory=NewPlayerConfig)
    #: ``[friends]`` and ``[gifting]``.
    platform: PlatformConfig = Field(default_factory=PlatformConfig)

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
