"""The Kraty side of the game: issues component calls and turns KRATY_* events into state.

Every SDK operation goes through the ``KratyComponent`` (non-blocking handles whose
``on_done`` callbacks run inside ``component.update()`` on the main thread); live data
comes from the component's watchers (pending grants, the event board stream, the
lobby) as pygame events. The main thread never waits on the network: even the
emulator's clock and fault controls run on a small control thread of their own.
Main-thread time spent in Kraty calls is measured with ``time.thread_time()``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import pygame

from demo_game import rules
from demo_game.app import App
from demo_game.assets import ASSETS_DIR
from demo_game.backend import Backend
from demo_game.overlays import CrateReveal, loot_from_entries
from demo_game.state import BoardState, DemoState, KeyedBoardState, LogEntry, QuestState
from demo_game.theme import PALETTE
from demo_game.timing import FrameMeter
from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_GRANTS,
    KRATY_IDENTITY,
    KRATY_LEADERBOARD,
    KRATY_LOBBY,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
)
from kraty_pygame.component.handles import HandleStatus, RequestHandle
from kraty_pygame.component.watchers import Watcher
from kraty_pygame.component.widgets import LeaderboardPanel, LobbyBar, ToastStack, WidgetTheme
from kraty_pygame.sdk import (
    CollectAllResult,
    ConsumeItemResult,
    EventLeaderboard,
    EventListing,
    FinishAttemptResponse,
    Grant,
    Identity,
    KratyApiError,
    KratyError,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardPeriods,
    Lobby,
    OpenCrateResponse,
    PlayerIdentity,
    PlayerItemHolding,
    PlayerWalletHolding,
    ProgressResponse,
    StartAttemptResponse,
    is_lobby_forming,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SEEDED_PLAYER_ID = "player_42"
# The emulator's seeded demo player: a public, documented test secret (PROTOCOL A.8).
SEEDED_PLAYER_SECRET = "kps_demo_player_42_secret"  # noqa: S105
KEYED_BOARD = "weekly_global"
BOARD_LIMIT = 10
FAULT_RATE = 0.3


def describe_error(error: BaseException) -> str:
    """A short, secret-free description of a failed call."""
    if isinstance(error, KratyApiError):
        return f"{error.code} ({error.status}): {error.message}"
    if isinstance(error, KratyError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def jsonable(value: Any) -> Any:
    """A JSON-friendly view of an SDK result (models show their raw wire JSON)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict) and raw:
        return raw
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, BaseException):
        return describe_error(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "raw"
        }
    return repr(value)


def widget_theme() -> WidgetTheme:
    """The component widgets' theme, matched to the demo's palette and font."""
    font = ASSETS_DIR / "fonts" / "DejaVuSans.ttf"
    return WidgetTheme(
        font_path=str(font) if font.is_file() else None,
        font_size=14,
        title_size=17,
        text=PALETTE.text,
        muted=PALETTE.muted,
        background=(*PALETTE.panel, 242),
        border=PALETTE.border,
        accent=PALETTE.gold,
        success=PALETTE.good,
        danger=PALETTE.bad,
        self_row=PALETTE.self_row,
        bot=(150, 96, 60),
        empty=PALETTE.panel_lo,
        radius=10,
        padding=10,
        toast_width=330,
        toast_seconds=3.0,
    )


def _wire_receiver(
    entry: LogEntry, wanted: set[tuple[str, str]], keys: set[str]
) -> Callable[[Any], None]:
    """Keep the emulator's log records of ``entry``'s attempts (secrets redacted).

    Writes are matched exactly by their idempotency key; reads (no key) by method and
    path, keeping the latest as many records as the call made attempts (a best effort:
    a watcher may have read the same path meanwhile).
    """

    def got(records: Any) -> None:
        matching = [
            r
            for r in records
            if (str(r.get("method", "")).upper(), r.get("path")) in wanted
            and (not keys or r.get("idempotencyKey") in keys)
        ]
        keep = max(1, len(entry.attempts)) if not keys else 6
        entry.wire = [rules.redact(r) for r in matching[-keep:]]
        entry.wire_state = "done"

    return got


class Session:
    """Owns the game state and every Kraty call the screens ask for."""

    def __init__(self, app: App, backend: Backend, meter: FrameMeter) -> None:
        self.app = app
        self.backend = backend
        self.component = backend.component
        self.meter = meter
        self.state = DemoState(server_label=backend.label, faults_on=backend.faults_on)
        self.widget_theme = widget_theme()
        self.toasts = ToastStack(self.widget_theme, anchor="bottomright", margin=10)
        self.mini_board = LeaderboardPanel(None, self.widget_theme, rows=8, title="Live board")
        self.lobby_bar = LobbyBar(None, self.widget_theme)
        self._grants_watcher: Watcher | None = None
        self._board_watcher: Watcher | None = None
        self._lobby_watcher: Watcher | None = None
        self._self_ids: set[str] = set()
        self._exhausted_until: dict[tuple[str, str], float] = {}
        self._control = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-control")
        self._control_jobs: list[tuple[Future[Any], Callable[[Any], None], str]] = []
        self._signed_out = False
        self._switching = False
        self.closing = False
        self._refresh_due: dict[str, float] = {}
        self._clock = 0.0
        self.requests_submitted = 0

    # ================================================================== plumbing

    def _call(
        self,
        make: Callable[[], RequestHandle[T]],
        on_ok: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> RequestHandle[T] | None:
        """Submit a component call (measured) and route its result to a callback.

        Returns None once the game is shutting down (callbacks that run inside
        ``component.close()`` must not start new work).
        """
        if self.closing:
            return None
        with self.meter.measure():
            handle = make()
        self.requests_submitted += 1

        def done(finished: RequestHandle[T]) -> None:
            if finished.error is None:
                if on_ok is not None:
                    on_ok(cast(T, finished.result))
            elif on_error is not None:
                on_error(finished.error)
            else:
                self._default_error(finished.operation, finished.error)

        handle.on_done(done)
        return handle

    def _default_error(self, operation: str, error: BaseException) -> None:
        log.info("%s failed: %s", operation, describe_error(error))
        self.app.notify(f"{operation}: {describe_error(error)}", "bad")

    def start(self) -> None:
        """First calls: catalog, identity, then the player's data and the grants watcher."""
        self._call(self.component.catalog.read, self._got_catalog)
        self._resolve_identity()
        if self.backend.emulator is not None:
            self._control_call("now", lambda e: e.now(), self._got_emulator_time)

    def _got_catalog(self, catalog: Any) -> None:
        self.state.catalog = catalog

    def _resolve_identity(self) -> None:
        self._signed_out = False
        self._call(self.component.ensure_identity, self._identity_ready)

    def _identity_ready(self, identity: Identity) -> None:
        self._switching = False
        self.state.player_id = identity.external_player_id
        self.state.has_secret = bool(identity.secret)
        self.app.text_renderer.register_secret(identity.secret)
        synthetic = self.component.kraty.synthetic_identity  # a property: no I/O
        if synthetic is not None and synthetic.name:
            self.state.synthetic_name = synthetic.name
        kraty = self.component.kraty
        self._call(
            lambda: self.component.call(kraty.players.get_identity),
            self._got_display_identity,
            lambda error: log.info("players.get_identity: %s", describe_error(error)),
        )
        self.refresh_player()
        self.refresh_events()
        self.load_keyed_board(quiet=True)
        self._start_grants_watcher()

    def _got_display_identity(self, identity: PlayerIdentity | None) -> None:
        if identity is not None and identity.name:
            self.state.display_name = identity.name
            self.state.country = identity.country

    def _start_grants_watcher(self) -> None:
        if self.closing:
            return
        if self._grants_watcher is not None:
            self._grants_watcher.stop()
        with self.meter.measure():
            self._grants_watcher = self.component.watch_grants(
                start=2.0, grow=1.5, max_interval=10.0
            )

    def _stop_watchers(self) -> None:
        with self.meter.measure():
            for watcher in (self._grants_watcher, self._board_watcher, self._lobby_watcher):
                if watcher is not None:
                    watcher.stop()
        self._grants_watcher = self._board_watcher = self._lobby_watcher = None

    # ================================================================== frame hooks

    def update(self) -> None:
        """Once per frame, before ``pygame.event.get()``."""
        self.component.update()
        self._drain_telemetry()
        self._fetch_wire_logs()
        self._drain_control()

    def animate(self, dt: float) -> None:
        """Age toasts, board flashes and scheduled refreshes."""
        self._clock += dt
        self.toasts.update(dt)
        self.lobby_bar.update(dt)
        flash = self.state.event_board.flash
        for key in list(flash):
            flash[key] -= dt * 1.5
            if flash[key] <= 0:
                del flash[key]
        for name, due in list(self._refresh_due.items()):
            if self._clock >= due:
                del self._refresh_due[name]
                if name == "player":
                    self.refresh_player()
                elif name == "events":
                    self.refresh_events()

    def _schedule(self, name: str, delay: float = 0.0) -> None:
        """Refresh ``player`` or ``events`` soon (several requests within a frame merge)."""
        self._refresh_due.setdefault(name, self._clock + delay)

    def draw_overlays(self, surface: pygame.Surface) -> None:
        """The component's toast stack, over the top right of the content area."""
        area = self.app.content_rect().clip(surface.get_rect())
        if area.width > 0 and area.height > 0:
            self.toasts.draw(surface.subsurface(area))

    def status_parts(self) -> list[tuple[str, tuple[int, int, int]]]:
        """Status bar: server, player, live state, retries, faults, frame cost."""
        state = self.state
        parts: list[tuple[str, tuple[int, int, int]]] = [
            (state.server_label, PALETTE.muted),
            (f"player {state.player_id or 'signed out'}", PALETTE.text),
            (f"board {state.event_board.connection}", PALETTE.muted),
            (
                f"{state.retries_seen} retries",
                PALETTE.warn if state.retries_seen else PALETTE.faint,
            ),
        ]
        if state.faults_on:
            parts.append(("faults ON (30% 503)", PALETTE.bad))
        cost = self.meter.summary()
        parts.append((f"Kraty p99 {cost.p99_ms:.2f} ms/frame", PALETTE.faint))
        return parts

    def _drain_telemetry(self) -> None:
        telemetry = self.backend.telemetry
        if not telemetry:
            return
        state = self.state
        now = time.monotonic()
        open_entries = [
            e
            for e in state.log
            if e.route is not None
            and e.handle is not None
            and e.handle.status is not HandleStatus.QUEUED  # running, or just finished
            and (e.finished is None or now - e.finished < 0.5)
        ]
        while telemetry:
            info = telemetry.popleft()
            state.telemetry.append(info)
            if info.attempt > 1:
                state.retries_seen += 1
            if not info.ok:
                state.failed_attempts_seen += 1
            path = urlsplit(info.url).path
            for entry in open_entries:
                assert entry.route is not None
                method, pattern = entry.route
                if method in ("", info.method.upper()) and re.search(pattern, path):
                    entry.attempts.append(info)
                    break

    # ================================================================== pygame events

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Consume the component's KRATY_* events; False for anything else."""
        kind = event.type
        if kind == KRATY_GRANTS and self._switching:
            return True  # a stopped watcher's last report belongs to the previous player
        # the component's drop-in widgets take the events they understand
        self.toasts.handle_event(event)
        self.mini_board.handle_event(event)
        self.lobby_bar.handle_event(event)
        if kind == KRATY_MILESTONE:
            self._on_milestone(event)
        elif kind == KRATY_GRANTS:
            self._on_grants(event)
        elif kind == KRATY_LEADERBOARD:
            self._on_leaderboard(event)
        elif kind == KRATY_LOBBY:
            self._on_lobby(event)
        elif kind == KRATY_IDENTITY:
            self._on_identity(event)
        elif kind == KRATY_CONNECTION:
            self._on_connection(event)
        elif kind not in (KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED):
            return False
        return True

    def _on_milestone(self, event: pygame.event.Event) -> None:
        quest = self.state.quest
        milestone = event.milestone
        if event.attempt_id == quest.attempt_id and milestone.key not in quest.fired:
            quest.fired.append(milestone.key)
        self.app.assets.play("milestone")
        self._merge_pending(list(milestone.grants))

    def _on_grants(self, event: pygame.event.Event) -> None:
        self._merge_pending(list(event.grants))

    def _merge_pending(self, grants: list[Grant]) -> list[Grant]:
        known = {g.id for g in self.state.pending}
        fresh = [g for g in grants if g.id not in known and g.status in ("", "pending")]
        self.state.pending.extend(fresh)
        return fresh

    def _on_identity(self, event: pygame.event.Event) -> None:
        player = event.external_player_id
        reason = str(event.reason)
        if "refus" in reason or "invalid" in reason:
            self.app.notify(f"Kraty refused the secret of {player}; sign in again.", "bad")
        if player:
            self.state.player_id = player

    def _on_connection(self, event: pygame.event.Event) -> None:
        source, value = str(event.source), str(event.state)
        self.state.connections[source] = value
        board = self.state.event_board
        if board.leaderboard_id and source.endswith(board.leaderboard_id):
            board.connection = value

    # ================================================================== events list

    def refresh_events(self) -> None:
        """``events.list_for_player()``."""
        if self._signed_out:
            return
        self._call(self.component.events.list_for_player, self._got_events)

    def _got_events(self, events: list[EventListing]) -> None:
        now = datetime.now(UTC).timestamp() + self.state.clock_offset_s
        for slot, until in list(self._exhausted_until.items()):
            if now >= until:  # the cap has reset: unlock
                del self._exhausted_until[slot]
                self.state.exhausted.pop(slot, None)
        self.state.events = list(events)
        self.state.events_loaded = True
        if self.state.event_board.leaderboard_id is None:
            self.ensure_event_board()

    def seconds_until(self, iso: str | None) -> float | None:
        """Seconds from the server's now (emulator clock offset applied) to ``iso``."""
        if not iso:
            return None
        try:
            moment = datetime.fromisoformat(iso[:-1] + "+00:00" if iso.endswith("Z") else iso)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        now = datetime.now(UTC).timestamp() + self.state.clock_offset_s
        return moment.timestamp() - now

    # ================================================================== quest

    def choose_event(self, event_key: str) -> None:
        """Pick the quest's event; a run in progress stays open on the server (Start resumes it)."""
        quest = self.state.quest
        if event_key == quest.event_key:
            return
        if self._lobby_watcher is not None:
            with self.meter.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None
        self.state.quest = QuestState(event_key=event_key)
        listing = self.state.listing(event_key)
        if listing is not None and listing.leaderboard_id and not listing.is_lobby_matched:
            self.watch_event_board(listing.leaderboard_id)

    def start_quest(self) -> None:
        """``events.start`` (a lobby event answers ``lobby_forming`` until the lobby fills)."""
        quest = self.state.quest
        if quest.phase in ("starting", "playing") or self._signed_out:
            return
        key = quest.event_key
        if quest.phase == "finished":
            self.state.quest = quest = QuestState(event_key=key)
        quest.phase = "starting"
        quest.message = ""
        self._call(
            lambda: self.component.events.start(key),
            lambda response: self._started(key, response),
            lambda error: self._start_failed(key, error),
        )

    def _started(self, key: str, response: StartAttemptResponse) -> None:
        quest = self.state.quest
        if quest.event_key != key:
            return
        attempt = response.attempt
        if quest.attempt_id != attempt.id:
            quest.fired = []
            quest.taps = 0
        quest.attempt = attempt
        quest.phase = "playing" if attempt.status in ("", "in_progress") else "finished"
        if quest.phase == "finished":
            quest.outcome = attempt.status
        if self._lobby_watcher is not None:
            with self.meter.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None
        if attempt.player_id:
            self._self_ids.add(attempt.player_id)
            # the widget marks rows of this participant id as the player's own
            self.mini_board.self_participant_id = attempt.player_id
        board_id = response.leaderboard_id or attempt.leaderboard_id
        if board_id:
            self.watch_event_board(board_id)
        self._schedule("player")
        self._schedule("events")

    def _start_failed(self, key: str, error: BaseException) -> None:
        quest = self.state.quest
        if quest.event_key != key:
            return
        if is_lobby_forming(error) and isinstance(error, KratyApiError):
            lobby_id = str((error.details or {}).get("lobbyId", ""))
            quest.phase = "lobby"
            quest.lobby_id = lobby_id or None
            if lobby_id and self._lobby_watcher is None and not self.closing:
                self.lobby_bar = LobbyBar(lobby_id, self.widget_theme)
                self._call(lambda: self.component.lobbies.read(lobby_id), self._got_lobby)
                with self.meter.measure():
                    self._lobby_watcher = self.component.watch_lobby(
                        lobby_id, interval=1.0, timeout=300.0
                    )
            return
        quest.phase = "idle"
        quest.message = describe_error(error)
        if isinstance(error, KratyApiError) and error.code in (
            "max_attempts_reached",
            "max_daily_attempts_reached",
        ):
            listing = self.state.listing(key)
            if listing is not None:
                slot = (key, listing.window_id)
                self.state.exhausted[slot] = "attempts used up: " + error.message
                # a window cap lasts the window; a daily cap until the next midnight (UTC,
                # the demo config's timezone) on the server's clock
                now = datetime.now(UTC).timestamp() + self.state.clock_offset_s
                until = now + 86400 - now % 86400
                if error.code == "max_attempts_reached":
                    until = now + (self.seconds_until(listing.ends_at) or 86400.0)
                self._exhausted_until[slot] = until
        self.app.notify(f"Start {key}: {describe_error(error)}", "bad")
        self.app.assets.play("error")

    def _got_lobby(self, lobby: Lobby) -> None:
        quest = self.state.quest
        if quest.lobby_id == lobby.id:
            quest.lobby = lobby
            self.lobby_bar.set_lobby(lobby)

    def _on_lobby(self, event: pygame.event.Event) -> None:
        lobby: Lobby = event.lobby
        quest = self.state.quest
        if quest.lobby_id != lobby.id:
            return
        quest.lobby = lobby
        if event.active and quest.phase == "lobby":
            self._lobby_watcher = None
            quest.phase = "idle"
            self.app.notify("Lobby full: the match starts!", "good")
            self.start_quest()
        elif lobby.status not in ("forming", "active") and quest.phase == "lobby":
            quest.phase = "idle"
            quest.message = f"lobby {lobby.status}"

    def tap(self) -> None:
        """One tap: ``events.progress(increment, 1)`` (the component batches bursts)."""
        quest = self.state.quest
        attempt_id = quest.attempt_id
        if quest.phase != "playing" or attempt_id is None:
            return
        key = quest.event_key
        quest.taps += 1
        quest.unconfirmed_taps += 1
        self._call(
            lambda: self.component.events.progress(
                key, attempt_id, mode="increment", metric_value=1
            ),
            self._progressed,
            self._progress_failed,
        )

    def _progressed(self, response: ProgressResponse) -> None:
        quest = self.state.quest
        quest.unconfirmed_taps = max(0, quest.unconfirmed_taps - 1)
        attempt = response.attempt
        if attempt.id != quest.attempt_id:
            return
        current = quest.attempt
        if current is None or attempt.score >= current.score or attempt.status != current.status:
            quest.attempt = attempt
        if attempt.status not in ("", "in_progress") and quest.phase == "playing":
            quest.phase = "finished"
            quest.outcome = attempt.status
            quest.unconfirmed_taps = 0
            self.app.notify(
                f"Attempt {attempt.status}: score {rules.format_score(attempt.score)}", "good"
            )
            self._schedule("events")
            self._schedule("player", 0.3)

    def _progress_failed(self, error: BaseException) -> None:
        quest = self.state.quest
        quest.unconfirmed_taps = max(0, quest.unconfirmed_taps - 1)
        if isinstance(error, KratyApiError) and error.code == "attempt_finished":
            if quest.phase == "playing":
                quest.phase = "finished"
                quest.outcome = "ended"
                quest.unconfirmed_taps = 0
            return
        quest.message = describe_error(error)

    def finish_quest(self) -> None:
        """``events.finish`` ("cash out" the run)."""
        quest = self.state.quest
        attempt_id = quest.attempt_id
        if quest.phase != "playing" or attempt_id is None:
            return
        key = quest.event_key
        self._call(lambda: self.component.events.finish(key, attempt_id), self._finished)

    def _finished(self, response: FinishAttemptResponse) -> None:
        quest = self.state.quest
        if response.attempt.id != quest.attempt_id:
            return
        quest.attempt = response.attempt
        quest.phase = "finished"
        quest.outcome = response.outcome or response.attempt.status
        quest.unconfirmed_taps = 0
        self.app.notify(f"Run finished: {quest.outcome}", "good")
        self._schedule("events")
        self._schedule("player", 0.3)

    def quest_metric(self) -> float:
        """The primary metric including taps not confirmed yet."""
        quest = self.state.quest
        listing = self.state.listing(quest.event_key)
        key = listing.metric_keys[0] if listing is not None and listing.metric_keys else ""
        return quest.metric_value(key) + quest.unconfirmed_taps

    def quest_score(self) -> float:
        """The score including taps not confirmed yet (optimistic, one point per tap)."""
        quest = self.state.quest
        return quest.confirmed_score + (quest.unconfirmed_taps if quest.phase == "playing" else 0)

    # ================================================================== event board

    def watch_event_board(self, leaderboard_id: str) -> None:
        """Follow ``leaderboard_id`` live (snapshot + stream), replacing the previous board."""
        board = self.state.event_board
        if self.closing or (
            board.leaderboard_id == leaderboard_id and self._board_watcher is not None
        ):
            return
        with self.meter.measure():
            if self._board_watcher is not None:
                self._board_watcher.stop()
            self._board_watcher = self.component.watch_leaderboard(
                leaderboard_id, limit=BOARD_LIMIT, include_self=True, poll_interval=5.0
            )
        self.state.event_board = BoardState(leaderboard_id=leaderboard_id, connection="connecting")
        self.mini_board = LeaderboardPanel(
            leaderboard_id,
            self.widget_theme,
            rows=8,
            title="Live board",
            self_participant_id=next(iter(self._self_ids), None),
        )

    def watch_event_board_of(self, event_key: str) -> None:
        """Show the board of ``event_key`` (its lobby board when the quest plays it)."""
        quest = self.state.quest
        if (
            quest.event_key == event_key
            and quest.attempt is not None
            and quest.attempt.leaderboard_id
        ):
            self.watch_event_board(quest.attempt.leaderboard_id)
            return
        listing = self.state.listing(event_key)
        if listing is not None and listing.leaderboard_id:
            self.watch_event_board(listing.leaderboard_id)
        else:
            self.app.notify(
                "That event has no board yet (lobby boards appear once a lobby starts).", "warn"
            )

    def ensure_event_board(self) -> None:
        """Watch some board when none is followed yet (the quest's, else the first event's)."""
        if self._board_watcher is not None:
            return
        quest = self.state.quest
        if quest.attempt is not None and quest.attempt.leaderboard_id:
            self.watch_event_board(quest.attempt.leaderboard_id)
            return
        for listing in sorted(self.state.events, key=lambda e: e.event_key != quest.event_key):
            if listing.leaderboard_id and not listing.is_lobby_matched:
                self.watch_event_board(listing.leaderboard_id)
                return

    def refresh_event_board(self) -> None:
        """A one-off ``event_leaderboards.read`` of the followed board."""
        board_id = self.state.event_board.leaderboard_id
        if board_id is None:
            self.ensure_event_board()
            return
        self._call(
            lambda: self.component.event_leaderboards.read(
                board_id, limit=BOARD_LIMIT, include_self=True
            ),
            lambda board: self._board_snapshot(board_id, board),
        )

    def board_choices(self) -> list[tuple[str, str]]:
        """Events whose board can be shown, as chip items."""
        quest = self.state.quest
        out = []
        for listing in self.state.events:
            if listing.leaderboard_id and not listing.is_lobby_matched:
                out.append((listing.event_key, listing.display_name()))
            elif quest.event_key == listing.event_key and quest.attempt is not None:
                out.append((listing.event_key, listing.display_name() + " (lobby)"))
        return out

    def event_board_choice(self) -> str | None:
        """The chip key of the board being shown."""
        board_id = self.state.event_board.leaderboard_id
        quest = self.state.quest
        if quest.attempt is not None and quest.attempt.leaderboard_id == board_id:
            return quest.event_key
        for listing in self.state.events:
            if listing.leaderboard_id == board_id:
                return listing.event_key
        return None

    def self_participant_ids(self) -> set[str]:
        """Participant ids that are this player (the internal player id)."""
        return self._self_ids

    def _on_leaderboard(self, event: pygame.event.Event) -> None:
        board = self.state.event_board
        if event.leaderboard_id != board.leaderboard_id:
            return
        kind = str(event.kind)
        if kind == "snapshot" and event.board is not None:
            self._board_snapshot(event.leaderboard_id, event.board)
            board.connection = board.connection if board.connection != "connecting" else "connected"
        elif kind == "score_update" and event.entry is not None:
            self._board_update(event.entry)
        elif kind == "finalized":
            board.finalized = True
            board.finalized_reason = str(getattr(event.board, "reason", "") or "") or None
            self.app.notify("The board was finalized: rewards are on their way.", "good")
            self._schedule("player", 0.5)
        elif kind == "closed":
            board.connection = "closed"

    def _board_snapshot(self, board_id: str, snapshot: EventLeaderboard) -> None:
        board = self.state.event_board
        if board.leaderboard_id != board_id:
            return
        board.board = snapshot
        board.entries = list(snapshot.entries)
        for entry in snapshot.entries:
            if entry.is_self:
                self._self_ids.add(entry.participant_id)
                if entry.name:
                    self.state.player_name = entry.name
        if snapshot.self_entry is not None:
            board.self_rank = snapshot.self_entry.rank
            board.self_score = snapshot.self_entry.score
        board.finalized = board.finalized or snapshot.finalized

    def _board_update(self, update: Any) -> None:
        board = self.state.event_board
        pid = str(update.participant_id)
        entries = board.entries
        existing = next((i for i, e in enumerate(entries) if e.participant_id == pid), None)
        if existing is not None:
            old = entries[existing]
            entries[existing] = dataclasses.replace(
                old,
                score=float(update.score),
                rank=int(update.rank or old.rank),
                name=update.name or old.name,
            )
        else:
            entries.append(
                LeaderboardEntry(
                    participant_id=pid,
                    kind=str(update.kind or "player"),
                    name=update.name,
                    score=float(update.score),
                    rank=int(update.rank or len(entries) + 1),
                )
            )
        entries.sort(key=lambda e: (e.rank, -e.score))
        del entries[50:]
        board.updates += 1
        board.flash[pid] = 1.0
        if pid in self._self_ids:
            board.self_rank = int(update.rank) if update.rank else board.self_rank
            board.self_score = float(update.score)

    def board_rows(self, limit: int) -> list[tuple[LeaderboardEntry, bool]]:
        """Top ``limit`` rows of the followed board, plus the player's row if it is lower."""
        board = self.state.event_board
        rows = [(e, e.is_self or e.participant_id in self._self_ids) for e in board.entries[:limit]]
        if board.self_rank is not None and not any(is_self for _, is_self in rows):
            mine = LeaderboardEntry(
                participant_id=next(iter(self._self_ids), "self"),
                kind="player",
                name=self.state.player_name or "you",
                score=board.self_score or 0.0,
                rank=board.self_rank,
                is_self=True,
            )
            if len(rows) >= limit:
                rows = rows[: max(0, limit - 1)]
            rows.append((mine, True))
        return rows

    # ================================================================== keyed board

    def load_keyed_board(self, period: str | None = None, *, quiet: bool = False) -> None:
        """``leaderboards.read(weekly_global, period=…)`` and ``list_periods``."""
        if self._signed_out:
            return
        keyed = self.state.keyed
        keyed.period = period
        key = keyed.key

        def failed(error: BaseException) -> None:
            if not quiet:
                self._default_error("leaderboards.read", error)

        self._call(
            lambda: self.component.leaderboards.read(
                key, period=period, include_self=True, limit=BOARD_LIMIT
            ),
            lambda board: self._got_keyed(period, board),
            failed,
        )
        self._call(
            lambda: self.component.leaderboards.list_periods(key, limit=5),
            self._got_periods,
            failed,
        )

    def _got_keyed(self, period: str | None, board: Leaderboard) -> None:
        keyed = self.state.keyed
        if keyed.period == period:
            keyed.board = board
            for entry in board.entries:
                if entry.is_self:
                    self._self_ids.add(entry.participant_id)
                    if entry.name:
                        self.state.player_name = entry.name

    def _got_periods(self, periods: LeaderboardPeriods) -> None:
        self.state.keyed.periods = periods

    # ================================================================== player

    def refresh_player(self) -> None:
        """``wallet.list``, ``inventory.list`` and ``grants.list_pending``."""
        if self._signed_out:
            return
        self._call(self.component.wallet.list, self._got_wallet)
        self._call(self.component.inventory.list, self._got_inventory)
        self._call(self.component.grants.list_pending, self._got_pending)

    def _got_wallet(self, wallet: list[PlayerWalletHolding]) -> None:
        self.state.wallet = list(wallet)

    def _got_inventory(self, inventory: list[PlayerItemHolding]) -> None:
        self.state.inventory = list(inventory)

    def _got_pending(self, pending: list[Grant]) -> None:
        self.state.pending = list(pending)

    def consume(self, item_key: str) -> None:
        """``inventory.consume(item, quantity=1)``."""
        self._call(
            lambda: self.component.inventory.consume(item_key, quantity=1, reason="demo"),
            self._consumed,
        )

    def _consumed(self, result: ConsumeItemResult) -> None:
        name = self.state.names().get(result.item_key, rules.pretty_key(result.item_key))
        self.state.consumed.append(result.item_key)
        self.app.notify(f"Used {name}: {result.quantity} left", "good")
        self._schedule("player")
        self._schedule("events")

    def claim(self, grant_id: str) -> None:
        """``grants.claim``."""
        self._call(lambda: self.component.grants.claim(grant_id), self._claimed)

    def _claimed(self, grant: Grant) -> None:
        self.state.claimed_grants.append(grant.id)
        self.state.pending = [g for g in self.state.pending if g.id != grant.id]
        self.app.notify(
            f"Claimed {rules.describe_entries(grant.entries, self.state.names())}", "good"
        )
        self.app.assets.play("coin")
        self._schedule("player")
        self._schedule("events")

    def open_crate(self, grant_id: str) -> None:
        """``grants.open``: the crate reveal shows the rolled contents."""
        self._call(lambda: self.component.grants.open(grant_id), self._opened)

    def _opened(self, response: OpenCrateResponse) -> None:
        self.state.opened_crates.append(response.crate.id)
        self.state.pending = [g for g in self.state.pending if g.id != response.crate.id]
        names = self.state.names()
        self.app.open_overlay(
            CrateReveal("Crate opened!", loot_from_entries(response.contents.entries, names))
        )
        self._schedule("player", 0.2)

    def collect_all(self) -> None:
        """``grants.collect_all``: claim every reward and open every crate."""
        self._call(self.component.grants.collect_all, self._collected)

    def _collected(self, result: CollectAllResult) -> None:
        state = self.state
        state.claimed_grants.extend(g.id for g in result.claimed)
        state.opened_crates.extend(o.crate.id for o in result.opened)
        names = state.names()
        if result.opened:
            entries = [e for o in result.opened for e in o.contents.entries]
            self.app.open_overlay(
                CrateReveal(
                    f"{len(result.opened)} crate(s) opened!", loot_from_entries(entries, names)
                )
            )
        text = f"Collected {len(result.claimed)} reward(s), opened {len(result.opened)} crate(s)"
        if result.has_failures:
            text += f", {len(result.failures)} failed"
        self.app.notify(text, "bad" if result.has_failures else "good")
        self.app.assets.play("coin")
        self._schedule("player", 0.2)

    # ================================================================== identity

    def sign_out(self) -> None:
        """``logout()``: forget the player (the next sign-in or new player resumes play)."""
        self._switching = True
        self._stop_watchers()
        self._signed_out = True
        self._call(self.component.logout, lambda _: self.app.notify("Signed out", "info"))
        self._reset_player_state()

    def _reset_player_state(self) -> None:
        keep = self.state
        self.state = DemoState(
            server_label=keep.server_label,
            catalog=keep.catalog,
            telemetry=keep.telemetry,
            retries_seen=keep.retries_seen,
            failed_attempts_seen=keep.failed_attempts_seen,
            log=keep.log,
            connections=keep.connections,
            clock_offset_s=keep.clock_offset_s,
            emulator_now=keep.emulator_now,
            faults_on=keep.faults_on,
            latency_ms=keep.latency_ms,
            keyed=KeyedBoardState(key=keep.keyed.key),
        )
        self._self_ids = set()

    def sign_in(self, external_player_id: str, secret: str) -> None:
        """``sign_in(external_player_id=…, secret=…)`` then reload everything."""
        if not external_player_id or not secret:
            self.app.notify("Sign in needs a player id and a secret.", "warn")
            return
        self.app.text_renderer.register_secret(secret)
        self._switching = True
        self._stop_watchers()
        self._reset_player_state()
        self._call(
            lambda: self.component.sign_in(external_player_id=external_player_id, secret=secret),
            lambda _: self._signed_in(external_player_id),
        )

    def _signed_in(self, external_player_id: str) -> None:
        self.app.notify(f"Signed in as {external_player_id}", "good")
        self._resolve_identity()

    def sign_in_seeded(self) -> None:
        """Sign in as the emulator's seeded ``player_42``."""
        self.sign_in(SEEDED_PLAYER_ID, SEEDED_PLAYER_SECRET)

    def new_player(self) -> None:
        """``logout()`` then ``ensure_identity()``: a fresh ``kp_`` player."""
        self._switching = True
        self._stop_watchers()
        self._reset_player_state()
        self._call(self.component.logout, lambda _: self._resolve_identity())

    # ================================================================== emulator request log

    def _fetch_wire_logs(self) -> None:
        """Ask the emulator for the raw requests of finished debug calls (off the main thread)."""
        for entry in self.state.log:
            if entry.wire_state != "wanted":
                continue
            entry.wire_state = "fetching"
            wanted = {(a.method.upper(), urlsplit(a.url).path) for a in entry.attempts}
            keys = {a.idempotency_key for a in entry.attempts if a.idempotency_key}

            self._control_call(
                "requests",
                lambda e: e.recent_requests(limit=60),
                _wire_receiver(entry, wanted, keys),
            )

    # ================================================================== emulator controls

    @property
    def has_emulator(self) -> bool:
        """True when the demo runs its own emulator (clock and faults can be driven)."""
        return self.backend.emulator is not None

    def _control_call(
        self, label: str, job: Callable[[Any], Any], on_ok: Callable[[Any], None]
    ) -> None:
        emulator = self.backend.emulator
        if emulator is None:
            self.app.notify("No emulator: these controls need the embedded emulator.", "warn")
            return
        future = self._control.submit(job, emulator)
        self._control_jobs.append((future, on_ok, label))

    def _drain_control(self) -> None:
        if not self._control_jobs:
            return
        still: list[tuple[Future[Any], Callable[[Any], None], str]] = []
        for future, on_ok, label in self._control_jobs:
            if not future.done():
                still.append((future, on_ok, label))
                continue
            error = future.exception()
            if error is not None:
                self.app.notify(f"emulator {label}: {error}", "bad")
            else:
                on_ok(future.result())
        self._control_jobs = still

    def _got_emulator_time(self, now: datetime) -> None:
        self.state.clock_offset_s = now.timestamp() - datetime.now(UTC).timestamp()
        self.state.emulator_now = now.isoformat(timespec="seconds")

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator clock forward (lobbies fill, windows close, grants expire)."""

        def moved(now: datetime) -> None:
            self._got_emulator_time(now)
            self.app.notify(
                f"Emulator clock +{rules.countdown(seconds)} \u2192 {now:%H:%M:%S}", "info"
            )
            self._schedule("events", 0.1)

        self._control_call("advance", lambda e: e.advance_clock(seconds), moved)

    def set_faults(
        self, *, fail_rate: float | None = None, latency_ms: int | None = None, seed: int = 7
    ) -> None:
        """Switch the emulator's fault injection (retryable 503s, added latency)."""
        state = self.state
        rate = (FAULT_RATE if state.faults_on else 0.0) if fail_rate is None else fail_rate
        latency = state.latency_ms if latency_ms is None else latency_ms

        def done(_: Any) -> None:
            state.faults_on = rate > 0
            state.latency_ms = latency
            self.app.notify(
                f"Faults: {round(rate * 100)}% 503, {latency} ms latency",
                "warn" if rate or latency else "info",
            )

        self._control_call(
            "faults", lambda e: e.set_faults(latency_ms=latency, fail_rate=rate, seed=seed), done
        )

    def toggle_faults(self) -> None:
        """30 % retryable 503s on / off."""
        self.set_faults(fail_rate=0.0 if self.state.faults_on else FAULT_RATE)

    def promote_lobby(self) -> None:
        """Force the forming lobby to start now."""
        lobby_id = self.state.quest.lobby_id
        if not lobby_id:
            self.app.notify("No forming lobby.", "warn")
            return
        self._control_call("promote", lambda e: e.promote_lobby(lobby_id), lambda _: None)

    def finalize_event(self, event_key: str) -> None:
        """Close the event's window now (the board sends ``finalized``)."""
        self._control_call(
            "finalize",
            lambda e: e.finalize_event(event_key),
            lambda _: self._schedule("events", 0.2),
        )

    # ================================================================== debug panel

    def debug_call(
        self,
        operation: str,
        request: str,
        make: Callable[[], RequestHandle[Any]],
        *,
        then: Callable[[Any], None] | None = None,
        after: Callable[[LogEntry], None] | None = None,
        route: tuple[str, str] | None = None,
    ) -> LogEntry:
        """Run one SDK call for the debug panel and record request, response and attempts.

        ``route`` (HTTP method, path regex) ties the ``on_request`` telemetry rows of
        this call to it; other calls and watchers run at the same time.
        """
        entry = LogEntry(operation=operation, request=request, route=route)
        self.state.log.append(entry)

        def ok(result: Any) -> None:
            entry.status = "ok"
            entry.response = jsonable(result)
            entry.finished = self._now()
            entry.wire_state = "wanted" if self.has_emulator else "none"
            if then is not None:
                then(result)
            if after is not None:
                after(entry)

        def failed(error: BaseException) -> None:
            entry.status = "failed"
            entry.error = describe_error(error)
            details = getattr(error, "details", None)
            entry.response = {"error": describe_error(error), "details": jsonable(details)}
            entry.finished = self._now()
            entry.wire_state = "wanted" if self.has_emulator else "none"
            if after is not None:
                after(entry)

        handle = self._call(make, ok, failed)
        if handle is None:
            entry.status = "failed"
            entry.error = "the game is closing"
        else:
            entry.handle = handle
            entry.status = "running" if handle.status is HandleStatus.RUNNING else "queued"
        return entry

    @staticmethod
    def _now() -> float:
        return time.monotonic()

    def close(self) -> None:
        """Stop starting new work and the control thread (the backend closes the component)."""
        self.closing = True
        self._control.shutdown(wait=True, cancel_futures=True)
