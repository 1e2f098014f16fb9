"""Leaderboard DTOs: per-event boards, keyed boards and typed live-stream events.

Per-event (window / session) boards are ``EventLeaderboard`` (the original SDK's
``Leaderboard``); keyed cross-event boards are ``Leaderboard``. Live stream events
arrive as ``LeaderboardStreamEvent(kind, data)`` with
``data`` decoded into the model of its kind.
"""

from dataclasses import field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from kraty_pygame.sdk.errors import KratyProtocolError
from kraty_pygame.sdk.models._base import KratyModel, parse_iso, wire_name

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "BoardSegment",
    "BoardStandings",
    "EventLeaderboard",
    "FinalStanding",
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
    "LeaderboardStreamEvent",
    "LeaderboardStreamKind",
    "ProgressionCutoff",
    "ProgressionLimits",
    "StreamEventData",
]


@dataclass(frozen=True)
class LeaderboardSelf(KratyModel):
    """The caller's own placement (JSON ``self``); present only with a self context."""

    rank: int = 0
    score: float = 0.0


@dataclass(frozen=True)
class ProgressionCutoff(KratyModel):
    """How many places promote (or relegate), and the item that tracks divisions."""

    places: int = 0
    item_key: str = ""


@dataclass(frozen=True)
class ProgressionLimits(KratyModel):
    """Promotion / relegation cut-offs of a board (v0.19.0+); either may be absent."""

    promotion: Optional[ProgressionCutoff] = None
    relegation: Optional[ProgressionCutoff] = None


@dataclass(frozen=True)
class LeaderboardEntry(KratyModel):
    """One row of a board.

    ``participant_id`` is the platform's internal id (player UUID or bot id), not the
    external player id. ``avatar`` is the current field; older backends send
    ``avatarUrl``, which is used when ``avatar`` is absent (``avatar_url`` keeps the
    legacy value as sent).
    """

    participant_id: str = ""
    kind: str = ""
    name: Optional[str] = None
    avatar: Optional[str] = None
    avatar_url: Optional[str] = None
    score: float = 0.0
    rank: int = 0
    is_self: bool = False
    country: Optional[str] = None
    anonymized_name: Optional[str] = None
    anonymized_avatar: Optional[str] = None
    progression: Dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.avatar is None and self.avatar_url is not None:
            object.__setattr__(self, "avatar", self.avatar_url)

    @property
    def is_bot(self) -> bool:
        """True for a bot row."""
        return self.kind == "bot"


@dataclass(frozen=True)
class EventLeaderboard(KratyModel):
    """A per-event-window (or per-session) board, read by UUID."""

    leaderboard_id: str = ""
    mode: str = ""
    finalized: bool = False
    finalized_reason: Optional[str] = None
    entries: List[LeaderboardEntry] = field(default_factory=list)
    self_entry: Optional[LeaderboardSelf] = field(default=None, metadata=wire_name("self"))
    progression: Optional[ProgressionLimits] = None
    joined: bool = False


@dataclass(frozen=True)
class Leaderboard(KratyModel):
    """A keyed cross-event board (``leaderboards.read`` and ``leaderboards.join``).

    ``leaderboard_id`` also accepts the pre-v0.10.0 field ``sharedLeaderboardId``.
    ``segment`` is ``None`` or ``""`` for unsegmented boards.
    """

    key: str = ""
    leaderboard_id: str = ""
    shared_leaderboard_id: Optional[str] = None
    scope: str = ""
    reset_cadence: str = ""
    score_aggregation: str = ""
    segment: Optional[str] = None
    period: str = ""
    entries: List[LeaderboardEntry] = field(default_factory=list)
    self_entry: Optional[LeaderboardSelf] = field(default=None, metadata=wire_name("self"))
    progression: Optional[ProgressionLimits] = None
    joined: bool = False

    def __post_init__(self) -> None:
        if not self.leaderboard_id and self.shared_leaderboard_id:
            object.__setattr__(self, "leaderboard_id", self.shared_leaderboard_id)

    @property
    def period_dt(self) -> Optional[datetime]:
        """``period`` as an aware datetime (None when empty)."""
        return parse_iso(self.period) if self.period else None


@dataclass(frozen=True)
class LeaderboardPeriod(KratyModel):
    """One past period of a keyed board."""

    period_started_at: str = ""
    period_ended_at: str = ""

    @property
    def period_started_at_dt(self) -> Optional[datetime]:
        """Start as an aware datetime."""
        return parse_iso(self.period_started_at) if self.period_started_at else None

    @property
    def period_ended_at_dt(self) -> Optional[datetime]:
        """End as an aware datetime."""
        return parse_iso(self.period_ended_at) if self.period_ended_at else None


@dataclass(frozen=True)
class LeaderboardPeriods(KratyModel):
    """Past periods of a keyed board, newest first (``leaderboards.list_periods``)."""

    key: str = ""
    leaderboard_id: str = ""
    shared_leaderboard_id: Optional[str] = None
    current_period_started_at: str = ""
    periods: List[LeaderboardPeriod] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.leaderboard_id and self.shared_leaderboard_id:
            object.__setattr__(self, "leaderboard_id", self.shared_leaderboard_id)


@dataclass(frozen=True)
class LeaderboardScoreResult(KratyModel):
    """Result of ``submit_score``; ``rank`` is None when not (yet) ranked."""

    leaderboard_id: str = ""
    score: float = 0.0
    rank: Optional[int] = None


@dataclass(frozen=True)
class BoardSegment(KratyModel):
    """One segment (division or context bucket) of a standings read."""

    segment: str = ""
    participated: bool = False
    self_rank: Optional[int] = None
    entries: List[LeaderboardEntry] = field(default_factory=list)


@dataclass(frozen=True)
class BoardStandings(KratyModel):
    """Multi-segment standings of a keyed board (``leaderboards.standings``)."""

    key: str = ""
    leaderboard_id: str = ""
    shared_leaderboard_id: Optional[str] = None
    scope: str = ""
    reset_cadence: str = ""
    score_aggregation: str = ""
    period: str = ""
    segments: List[BoardSegment] = field(default_factory=list)
    segments_truncated: bool = False

    def __post_init__(self) -> None:
        if not self.leaderboard_id and self.shared_leaderboard_id:
            object.__setattr__(self, "leaderboard_id", self.shared_leaderboard_id)


# --- live stream ------------------------------------------------------------------


class LeaderboardStreamKind(StrEnum):
    """The stream event kinds this SDK knows. Unknown kinds still pass through as str."""

    READY = "ready"
    SCORE_UPDATE = "score_update"
    FINALIZED = "finalized"
    CLOSED = "closed"
    SNAPSHOT = "snapshot"
    """Synthesised by the SDK after a reconnect: the re-read board (data: EventLeaderboard)."""
    PARSE_ERROR = "parse-error"
    """A frame whose data was not JSON or did not fit its kind (data: dict with ``raw``)."""


@dataclass(frozen=True)
class LeaderboardReady(KratyModel):
    """``ready``: the server is subscribed; progress posted from now on is observed."""

    leaderboard_id: str = ""
    server_time: str = ""


@dataclass(frozen=True)
class LeaderboardScoreUpdate(KratyModel):
    """``score_update``: a participant's score or rank changed.

    ``subscribe()`` synthesises these from snapshot polls (only the leaderboard id,
    participant id, score and rank are then filled).
    """

    leaderboard_id: str = ""
    participant_id: str = ""
    kind: str = ""
    name: Optional[str] = None
    score: float = 0.0
    rank: int = 0
    previous_rank: Optional[int] = None


@dataclass(frozen=True)
class FinalStanding(KratyModel):
    """One row of the final standings carried by ``finalized``."""

    participant_id: str = ""
    rank: int = 0
    score: float = 0.0
    name: Optional[str] = None
    kind: str = ""


@dataclass(frozen=True)
class LeaderboardFinalized(KratyModel):
    """``finalized``: the board ended (``reason`` ``window_closed`` / ``session_terminated``)."""

    leaderboard_id: str = ""
    event_id: str = ""
    reason: str = ""
    standings: List[FinalStanding] = field(default_factory=list)
    occurred_at: str = ""


@dataclass(frozen=True)
class LeaderboardClosed(KratyModel):
    """``closed``: the server ends the stream after this event."""

    reason: str = ""


StreamEventData = Union[
    LeaderboardReady,
    LeaderboardScoreUpdate,
    LeaderboardFinalized,
    LeaderboardClosed,
    EventLeaderboard,
    Dict[str, Any],
]
"""What ``LeaderboardStreamEvent.data`` holds: the model of a known kind, else the dict."""

_KIND_MODELS: Dict[str, Any] = {
    LeaderboardStreamKind.READY: LeaderboardReady,
    LeaderboardStreamKind.SCORE_UPDATE: LeaderboardScoreUpdate,
    LeaderboardStreamKind.FINALIZED: LeaderboardFinalized,
    LeaderboardStreamKind.CLOSED: LeaderboardClosed,
}


@dataclass(frozen=True)
class LeaderboardStreamEvent:
    """One event of a live board: ``kind`` is the SSE ``event:`` name.

    ``data`` is ``LeaderboardReady`` / ``LeaderboardScoreUpdate`` /
    ``LeaderboardFinalized`` / ``LeaderboardClosed`` for the known kinds,
    ``EventLeaderboard`` for the SDK's own ``snapshot`` kind, and the decoded JSON
    object for any other kind (newer servers may add kinds). ``raw`` is the JSON
    object as received (empty for a synthesised snapshot).
    """

    kind: str
    data: StreamEventData
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_sse(cls, kind: str, payload: Dict[str, Any]) -> "LeaderboardStreamEvent":
        """Decode one parsed SSE frame; a frame that doesn't fit its kind becomes ``parse-error``.

        Raises nothing: a malformed frame must not end a stream that runs for hours.
        """
        model = _KIND_MODELS.get(kind)
        if model is None:
            return cls(kind=kind, data=payload, raw=payload)
        try:
            data = model.from_wire(payload, path=kind)
        except KratyProtocolError as exc:
            return cls._bad_frame(kind, payload, exc)
        return cls(kind=kind, data=data, raw=payload)

    @classmethod
    def _bad_frame(
        cls, kind: str, payload: Dict[str, Any], exc: BaseException
    ) -> "LeaderboardStreamEvent":
        data: Dict[str, Any] = {"raw": payload, "kind": kind, "error": str(exc)}
        return cls(kind=LeaderboardStreamKind.PARSE_ERROR.value, data=data, raw=payload)

    @property
    def is_terminal(self) -> bool:
        """True for ``closed``: nothing follows it."""
        return self.kind == LeaderboardStreamKind.CLOSED
