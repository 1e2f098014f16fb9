"""What the demo knows about the player and the game: plain data the screens draw.

The Kraty side of the game (:mod:`demo_game.kraty`) writes it when calls finish and
KRATY_* events arrive; the screens only read it. Everything here is an SDK model or
plain data, never the component.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from kraty_pygame.sdk import (
    PRESENCE_HEARTBEAT_INTERVAL,
    Attempt,
    BlockedPlayer,
    Catalog,
    EventLeaderboard,
    EventListing,
    Friend,
    FriendCode,
    FriendRequest,
    Gift,
    GiftCatalog,
    Grant,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardPeriods,
    Lobby,
    PlayerItemHolding,
    PlayerPresence,
    PlayerWalletHolding,
    RequestInfo,
    TimeSync,
)

if TYPE_CHECKING:
    from kraty_pygame.component import ComponentStats

QuestPhase = Literal["idle", "starting", "lobby", "playing", "finished"]


@dataclass
class QuestState:
    """The tap-to-score run in progress."""

    event_key: str = "tap_frenzy"
    phase: QuestPhase = "idle"
    attempt: Attempt | None = None
    lobby: Lobby | None = None
    lobby_id: str | None = None
    taps: int = 0
    unconfirmed_taps: int = 0
    fired: list[str] = field(default_factory=list)
    outcome: str | None = None
    message: str = ""
    #: An offline run's placeholder attempt id, until the sync brings the server's.
    provisional_id: str | None = None

    @property
    def attempt_id(self) -> str | None:
        """The running attempt's id (the placeholder while an offline start syncs)."""
        if self.attempt is not None:
            return self.attempt.id
        return self.provisional_id

    @property
    def confirmed_score(self) -> float:
        """The score the server last reported."""
        return self.attempt.score if self.attempt is not None else 0.0

    def metric_value(self, key: str) -> float:
        """The server's value of metric ``key`` (raw; 0 before the first progress)."""
        if self.attempt is None:
            return 0.0
        return float(self.attempt.metrics_raw.get(key, self.attempt.metrics.get(key, 0.0)))


@dataclass
class BoardState:
    """A live event board: the last snapshot with stream updates merged in."""

    leaderboard_id: str | None = None
    board: EventLeaderboard | None = None
    entries: list[LeaderboardEntry] = field(default_factory=list)
    self_rank: int | None = None
    self_score: float | None = None
    updates: int = 0
    snapshots: int = 0  # full reads: the first one, and one after each reconnection
    connection: str = "idle"
    finalized: bool = False
    finalized_reason: str | None = None
    flash: dict[str, float] = field(default_factory=dict)


@dataclass
class KeyedBoardState:
    """The cross-event board (``weekly_global``) and its periods."""

    key: str = "weekly_global"
    board: Leaderboard | None = None
    periods: LeaderboardPeriods | None = None
    period: str | None = None  # None = current period


@dataclass
class FriendsState:
    """The player's social side: code, friends with presence, requests, blocks, gifts."""

    code: FriendCode | None = None
    friends: list[Friend] = field(default_factory=list)
    # progression balances by friend id, from the reads that asked for them (the
    # component's friends watcher polls the list without progression)
    progression: dict[str, dict[str, float]] = field(default_factory=dict)
    incoming: list[FriendRequest] = field(default_factory=list)
    outgoing: list[FriendRequest] = field(default_factory=list)
    blocked: list[BlockedPlayer] = field(default_factory=list)
    catalog: GiftCatalog | None = None
    gifting_off: str | None = None  # why gift calls are refused (gifting disabled)
    inbox: list[Gift] = field(default_factory=list)  # received, pending
    sent: list[Gift] = field(default_factory=list)
    # gift cooldown ends (ISO) by friend id: from the friend list, or from a refused send
    cooldowns: dict[str, str] = field(default_factory=dict)
    presence: PlayerPresence | None = None
    heartbeats: int = 0
    last_beat_at: float | None = None  # time.monotonic() of the latest accepted heartbeat
    loaded: bool = False
    watcher_updates: int = 0  # KRATY_FRIENDS events seen
    accepted: list[str] = field(default_factory=list)  # friendships made (by either side)
    gifts_sent: list[str] = field(default_factory=list)
    gifts_claimed: list[str] = field(default_factory=list)

    def friend(self, external_player_id: str) -> Friend | None:
        """The friend row of ``external_player_id``."""
        return next((f for f in self.friends if f.external_player_id == external_player_id), None)

    @property
    def next_beat_in(self) -> float | None:
        """Seconds until the presence watcher's next heartbeat (None before the first)."""
        if self.last_beat_at is None:
            return None
        return max(0.0, self.last_beat_at + PRESENCE_HEARTBEAT_INTERVAL - time.monotonic())


@dataclass
class RivalState:
    """The second player of the Friends screen (``player_7`` on another device)."""

    available: bool = False  # only with the demo's own emulator, where it is seeded
    name: str = "Demo Rival"
    code: str | None = None
    online: bool = False
    busy: int = 0  # actions still running
    actions: list[str] = field(default_factory=list)  # what it did, in order


@dataclass
class LiveChange:
    """One change the live inventory stream reported (``KRATY_INVENTORY``)."""

    kind: str  # inventory_changed | wallet_changed | grant_created
    key: str
    delta: int
    after: int
    origin: str
    reason: str
    age: float = 0.0
    seq: int = 0  # numbers the changes in arrival order


@dataclass
class LogEntry:
    """One debug-panel call: what was asked, what came back."""

    operation: str
    request: str
    status: str = "queued"
    response: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    attempts: list[RequestInfo] = field(default_factory=list)
    route: tuple[str, str] | None = None  # (HTTP method, path regex) of the call's request
    wire: list[dict[str, Any]] = field(default_factory=list)  # the emulator's request log
    wire_state: str = "none"  # none | wanted | fetching | done
    handle: Any = None  # the component's RequestHandle (its status tells queued from running)

    @property
    def duration_ms(self) -> float | None:
        """Wall time from submit to result, as the main loop saw it."""
        if self.finished is None:
            return None
        return (self.finished - self.started) * 1000.0


@dataclass
class DemoState:
    """Everything the screens draw."""

    server_label: str = ""
    player_id: str | None = None
    player_name: str | None = None  # as the boards show it
    display_name: str | None = None  # players.get_identity()
    synthetic_name: str | None = None  # kraty.synthetic_identity (a fresh kp_ player)
    country: str | None = None
    has_secret: bool = False
    events: list[EventListing] = field(default_factory=list)
    events_loaded: bool = False
    wallet: list[PlayerWalletHolding] = field(default_factory=list)
    inventory: list[PlayerItemHolding] = field(default_factory=list)
    pending: list[Grant] = field(default_factory=list)
    catalog: Catalog | None = None
    exhausted: dict[tuple[str, str], str] = field(default_factory=dict)
    quest: QuestState = field(default_factory=QuestState)
    event_board: BoardState = field(default_factory=BoardState)
    keyed: KeyedBoardState = field(default_factory=KeyedBoardState)
    telemetry: deque[RequestInfo] = field(default_factory=lambda: deque(maxlen=400))
    retries_seen: int = 0
    failed_attempts_seen: int = 0
    log: deque[LogEntry] = field(default_factory=lambda: deque(maxlen=60))
    connections: dict[str, str] = field(default_factory=dict)
    clock_offset_s: float = 0.0
    emulator_now: str | None = None
    faults_on: bool = False
    latency_ms: int = 0
    opened_crates: list[str] = field(default_factory=list)
    claimed_grants: list[str] = field(default_factory=list)
    consumed: list[str] = field(default_factory=list)
    server_grants: int = 0  # /server/v1 grants the Debug / Player button made
    friends: FriendsState = field(default_factory=FriendsState)
    live_changes: deque[LiveChange] = field(default_factory=lambda: deque(maxlen=8))
    time_sync: TimeSync | None = None  # kraty.last_time_sync after the latest sync_time()
    time_synced_at: float | None = None  # time.monotonic() of that sync
    time_syncs: int = 0
    # copied from the component once per frame (no I/O), so screens never need it
    server_now: datetime | None = None  # component.server_now() once the clock is synced
    stats: ComponentStats | None = None  # component.stats
    link_cut: bool = False  # the Debug screen's switch keeps the game offline
    has_emulator: bool = False  # the demo runs its own emulator (clock, faults, rival)
    signed_out: bool = False
    rival: RivalState = field(default_factory=RivalState)
    #: item / economy key -> seconds a holding row still glows after a live change
    glow: dict[str, float] = field(default_factory=dict)
    requests_done: int = 0  # KRATY_REQUEST_DONE events seen
    requests_failed: int = 0  # KRATY_REQUEST_FAILED events seen

    #: Fields about the game or this machine, not the player: a switch of player keeps them.
    KEPT: ClassVar[frozenset[str]] = frozenset(
        {
            "server_label", "catalog", "telemetry", "retries_seen", "failed_attempts_seen",
            "log", "connections", "clock_offset_s", "emulator_now", "faults_on",
            "latency_ms", "server_grants", "time_sync", "time_synced_at", "time_syncs",
            "server_now", "stats", "link_cut", "has_emulator", "rival", "requests_done",
            "requests_failed",
        }
    )

    def reset_player(self) -> None:
        """Forget the player (sign out, switch player) in place, so every holder of this
        object sees the change; the keyed board keeps its key."""
        key = self.keyed.key
        fresh = DemoState()
        for f in dataclasses.fields(self):
            if f.name not in self.KEPT:
                setattr(self, f.name, getattr(fresh, f.name))
        self.keyed = KeyedBoardState(key=key)

    def seconds_until(self, iso: str | None) -> float | None:
        """Seconds from the server's now to ``iso`` (the synced server clock; before the
        first sync, this machine's clock plus the emulator's offset)."""
        moment = parse_time(iso)
        if moment is None:
            return None
        if self.server_now is not None:
            return (moment - self.server_now).total_seconds()
        return moment.timestamp() - (datetime.now(UTC).timestamp() + self.clock_offset_s)

    def cooldown_left(self, external_player_id: str) -> float | None:
        """Seconds until ``external_player_id`` can be gifted again, or None."""
        left = self.seconds_until(self.friends.cooldowns.get(external_player_id))
        return left if left is not None and left > 0 else None

    def quest_metric(self) -> float:
        """The quest's primary metric, counting taps the server has not confirmed yet."""
        quest = self.quest
        listing = self.listing(quest.event_key)
        key = listing.metric_keys[0] if listing is not None and listing.metric_keys else ""
        return quest.metric_value(key) + quest.unconfirmed_taps

    def quest_score(self) -> float:
        """The quest's score, counting unconfirmed taps (one point each) while playing."""
        quest = self.quest
        return quest.confirmed_score + (quest.unconfirmed_taps if quest.phase == "playing" else 0)

    def wallet_map(self) -> dict[str, int]:
        """Balances by economy key."""
        return {h.economy_key: h.balance for h in self.wallet}

    def inventory_map(self) -> dict[str, int]:
        """Quantities by item key."""
        return {h.item_key: h.quantity for h in self.inventory}

    def listing(self, event_key: str) -> EventListing | None:
        """The events-list row of ``event_key``."""
        return next((e for e in self.events if e.event_key == event_key), None)

    def player_label(self) -> str:
        """How to show the active player: a name when one is known, else a short id."""
        name = self.display_name or self.synthetic_name or self.player_name
        if name:
            return name
        if self.player_id is None:
            return "signed out"
        pid = self.player_id
        return pid if len(pid) <= 12 else pid[:8] + "\u2026"

    def display_name_of(self, key: str) -> str:
        """The catalog's display name of an item or currency key (the key if unknown)."""
        return self.names().get(key, key)

    def names(self) -> dict[str, str]:
        """Display names of catalog items and currencies by key."""
        out: dict[str, str] = {}
        if self.catalog is not None:
            for item in self.catalog.items:
                out[item.key] = _text(item.name) or item.key
            for currency in self.catalog.currencies:
                out[currency.key] = (_text(currency.name) or currency.key).lower()
        return out


def parse_time(iso: str | None) -> datetime | None:
    """An ISO time from the server as an aware datetime (None when empty or malformed)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso[:-1] + "+00:00" if iso.endswith("Z") else iso)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("en") or next(iter(value.values()), ""))
    return ""
