"""Event listings, attempts and progress."""

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, Union

from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.models._base import KratyModel, localized, parse_iso
from kraty_pygame.sdk.models.grants import Grant, RangeSpec, RewardEntryPreview

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "PROGRESS_MODES",
    "Attempt",
    "EntryCost",
    "EntryCostCurrency",
    "EntryCostItem",
    "EventListing",
    "FinishAttemptResponse",
    "MilestoneFired",
    "MilestoneRewardPreview",
    "ProgressInput",
    "ProgressMode",
    "ProgressResponse",
    "RangeSpec",
    "RewardBundlePreview",
    "RewardEntryPreview",
    "RewardPolicySummary",
    "RewardTier",
    "StartAttemptResponse",
    "check_progress_mode",
]

ProgressMode = Literal["set", "increment"]


@dataclass(frozen=True)
class EntryCostCurrency(KratyModel):
    """A currency line of an entry cost."""

    key: str = ""
    amount: int = 0


@dataclass(frozen=True)
class EntryCostItem(KratyModel):
    """An item line of an entry cost."""

    key: str = ""
    quantity: int = 0


@dataclass(frozen=True)
class EntryCost(KratyModel):
    """What ``events.start`` charges atomically; empty lists mean free."""

    currencies: List[EntryCostCurrency] = field(default_factory=list)
    items: List[EntryCostItem] = field(default_factory=list)

    @property
    def is_free(self) -> bool:
        """True when nothing is charged."""
        return not self.currencies and not self.items


@dataclass(frozen=True)
class RewardBundlePreview(KratyModel):
    """A named set of reward entries (used by reward policies)."""

    key: str = ""
    name: Union[str, Dict[str, str]] = ""
    entries: List[RewardEntryPreview] = field(default_factory=list)

    def display_name(self, locale: str = "en") -> str:
        """``name`` rendered for ``locale``."""
        return localized(self.name, locale)


@dataclass(frozen=True)
class MilestoneRewardPreview(KratyModel):
    """A milestone of an event: crossing ``threshold`` on ``metric_key`` pays ``entries``."""

    key: str = ""
    metric_key: str = ""
    threshold: float = 0.0
    entries: List[RewardEntryPreview] = field(default_factory=list)


@dataclass(frozen=True)
class RewardTier(KratyModel):
    """A rank range of a ``rank_scaled`` reward policy."""

    from_rank: int = 0
    to_rank: int = 0
    bundle: Optional[RewardBundlePreview] = None


@dataclass(frozen=True)
class RewardPolicySummary(KratyModel):
    """End-of-window rewards: ``none``, ``fixed_bundle``, ``rank_scaled``, ``shared_pool``, ..."""

    type: str = "none"
    bundle: Optional[RewardBundlePreview] = None
    tiers: List[RewardTier] = field(default_factory=list)
    pool: Optional[float] = None
    currency_key: Optional[str] = None


@dataclass(frozen=True)
class EventListing(KratyModel):
    """One event the player can start now (``events.list_for_player``)."""

    event_key: str = ""
    name: Union[str, Dict[str, str]] = ""
    window_id: str = ""
    starts_at: str = ""
    ends_at: str = ""
    leaderboard_id: Optional[str] = None
    current_attempt_id: Optional[str] = None
    type: str = "single_metric"
    leaderboard_mode: str = "global"
    metrics: List[Dict[str, Any]] = field(default_factory=list)
    entry_requirement: Optional[Dict[str, Any]] = None
    entry_cost: Optional[EntryCost] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    milestone_rewards: List[MilestoneRewardPreview] = field(default_factory=list)
    reward_policy: RewardPolicySummary = field(default_factory=RewardPolicySummary)

    @property
    def is_lobby_matched(self) -> bool:
        """True for ``lobby_matched`` events: ``start`` may answer ``lobby_forming``."""
        return self.leaderboard_mode == "lobby_matched"

    @property
    def is_free(self) -> bool:
        """True when the event has no entry cost."""
        return self.entry_cost is None or self.entry_cost.is_free

    @property
    def metric_keys(self) -> List[str]:
        """The ``key`` of every metric definition, in order."""
        return [str(m.get("key", "")) for m in self.metrics]

    def display_name(self, locale: str = "en") -> str:
        """``name`` rendered for ``locale``."""
        return localized(self.name, locale)

    @property
    def starts_at_dt(self) -> Optional[datetime]:
        """``starts_at`` as an aware datetime."""
        return parse_iso(self.starts_at)

    @property
    def ends_at_dt(self) -> Optional[datetime]:
        """``ends_at`` as an aware datetime."""
        return parse_iso(self.ends_at)


@dataclass(frozen=True)
class Attempt(KratyModel):
    """A player's run at an event window."""

    id: str = ""
    event_id: str = ""
    event_window_id: str = ""
    leaderboard_id: str = ""
    player_id: str = ""
    started_at: str = ""
    ends_at: str = ""
    completed_at: Optional[str] = None
    metrics: Dict[str, float] = field(default_factory=dict)
    metrics_raw: Dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    status: str = ""

    @property
    def is_in_progress(self) -> bool:
        """True while progress can still be reported."""
        return self.status == "in_progress"

    @property
    def is_completed(self) -> bool:
        """True once the targets were met (or the server force-completed it)."""
        return self.status in ("completed", "force_completed")

    @property
    def started_at_dt(self) -> Optional[datetime]:
        """``started_at`` as an aware datetime."""
        return parse_iso(self.started_at)

    @property
    def ends_at_dt(self) -> Optional[datetime]:
        """``ends_at`` as an aware datetime."""
        return parse_iso(self.ends_at)

    @property
    def completed_at_dt(self) -> Optional[datetime]:
        """``completed_at`` as an aware datetime (None while running)."""
        return parse_iso(self.completed_at)


@dataclass(frozen=True)
class StartAttemptResponse(KratyModel):
    """What ``events.start`` returns: the attempt, its leaderboard and the window's end."""

    attempt: Attempt = field(default_factory=Attempt)
    leaderboard_id: str = ""
    window_ends_at: str = ""


@dataclass(frozen=True)
class MilestoneFired(KratyModel):
    """A milestone crossed by one progress update, with the pending grants it created."""

    key: str = ""
    grants: List[Grant] = field(default_factory=list)


@dataclass(frozen=True)
class ProgressResponse(KratyModel):
    """What ``events.progress`` returns: the attempt and the milestones this update fired."""

    attempt: Attempt = field(default_factory=Attempt)
    milestones_fired: List[MilestoneFired] = field(default_factory=list)


@dataclass(frozen=True)
class FinishAttemptResponse(KratyModel):
    """What ``events.finish`` returns: the attempt and ``outcome`` (``completed``/``expired``)."""

    attempt: Attempt = field(default_factory=Attempt)
    outcome: str = ""


PROGRESS_MODES: Tuple[str, ...] = ("set", "increment")
"""The values ``mode`` accepts: ``set`` overwrites a metric, ``increment`` adds to it."""


def check_progress_mode(mode: object, where: str = "progress()") -> None:
    """Raise ``KratyConfigError`` naming ``mode`` unless it is ``"set"`` or ``"increment"``.

    There is no default: ``set`` and ``increment`` give very different totals, so the
    caller says which one it means (as the TypeScript SDK requires).
    """
    if mode is None:
        raise KratyConfigError(
            f'{where}: mode is required: pass mode="set" (overwrite the metric) or '
            'mode="increment" (add to it)'
        )
    if mode not in PROGRESS_MODES:
        raise KratyConfigError(f'{where}: mode must be "set" or "increment", got {mode!r}')


@dataclass(frozen=True)
class ProgressInput:
    """Body of ``events.progress``: ``set`` overwrites, ``increment`` adds.

    Attributes:
        mode: ``"set"`` or ``"increment"``; required (no default).
        metric_value: single-metric form; applies to the event's first metric.
        metrics: multi-metric form ``{metric_key: value}``.
        occurred_at: ISO timestamp override for replays.
        idempotency_key: caller key; generated per call when None.

    Raises:
        KratyConfigError: ``mode`` is not ``"set"`` or ``"increment"``.
    """

    mode: ProgressMode
    metric_value: Optional[float] = None
    metrics: Optional[Dict[str, float]] = None
    occurred_at: Optional[str] = None
    idempotency_key: Optional[str] = None

    def __post_init__(self) -> None:
        check_progress_mode(self.mode, "ProgressInput")

    def to_body(self) -> Dict[str, Any]:
        """The JSON body (camelCase, unset fields omitted, no idempotency key)."""
        body: Dict[str, Any] = {"mode": self.mode}
        if self.metric_value is not None:
            body["metricValue"] = self.metric_value
        if self.metrics is not None:
            body["metrics"] = dict(self.metrics)
        if self.occurred_at is not None:
            body["occurredAt"] = self.occurred_at
        return body
