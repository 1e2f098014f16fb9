"""The Kraty side of the game: issues component calls and turns KRATY_* events into state.

Every SDK operation goes through the ``KratyComponent`` (non-blocking handles whose
``on_done`` callbacks run inside ``component.update()`` on the main thread); live data
comes from the component's watchers (pending grants, the event board stream, the
lobby) as pygame events. The main thread never waits on the network: even the
emulator's clock and fault controls run on a small control thread of their own.
Main-thread time spent in Kraty calls is measured with ``time.thread_time()``.

The session owns the player (identity, wallet, inventory, grants), the events list,
the Debug screen's calls and the frame hooks; the quest (``quest_flow``), the boards
(``board_feed``), the emulator's controls (``emulator_controls``), friends and gifts
(``friends_flow``), the live inventory and server clock (``player_live``) and the
second player of the Friends screen (``rival``) are its parts.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import pygame

from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_FRIENDS,
    KRATY_GRANTS,
    KRATY_IDENTITY,
    KRATY_INVENTORY,
    KRATY_LEADERBOARD,
    KRATY_LOBBY,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KRATY_SYNC,
)
from kraty_pygame.component.handles import HandleStatus, RequestHandle
from kraty_pygame.component.watchers import Watcher
from kraty_pygame.component.widgets import SyncBadge, ToastStack
from kraty_pygame.sdk import (
    CollectAllResult,
    ConsumeItemResult,
    EventListing,
    Grant,
    Identity,
    OpenCrateResponse,
    PlayerIdentity,
    PlayerItemHolding,
    PlayerWalletHolding,
)

from . import rules
from .app import App
from .backend import Backend
from .board_feed import BoardFeed
from .emulator_controls import EmulatorControls
from .friends_flow import FriendsFlow
from .overlays import CrateReveal, loot_from_entries
from .player_live import PlayerLive, with_quantity
from .quest_flow import QuestFlow
from .rival import Rival
from .rules import describe_error, jsonable
from .state import DemoState, KeyedBoardState, LogEntry
from .theme import PALETTE, widget_theme
from .timing import FrameMeter

log = logging.getLogger(__name__)

T = TypeVar("T")

SEEDED_PLAYER_ID = "player_42"
# The emulator's seeded demo player: a public, documented test secret (PROTOCOL A.8).
SEEDED_PLAYER_SECRET = "kps_demo_player_42_secret"  # noqa: S105


class Session:
    """Owns the game state and every Kraty call the screens ask for."""

    def __init__(self, app: App, backend: Backend, meter: FrameMeter) -> None:
        self.app = app
        self.backend = backend
        self.component = backend.component
        self.meter = meter
        self.state = DemoState(server_label=backend.label, faults_on=backend.faults_on)
        self.widget_theme = widget_theme()
        self.toasts = ToastStack(
            self.widget_theme,
            anchor="bottomright",
            margin=10,
            names=self.state.display_name_of,  # catalog names, not raw item keys
        )
        # "3 rewards waiting to sync": writes the outbox holds while the game is offline
        self.sync_badge = SyncBadge(self.widget_theme, noun=("write", "writes"))
        self._grants_watcher: Watcher | None = None
        self.signed_out = False
        self._switching = False
        self.closing = False
        self._refresh_due: dict[str, float] = {}
        self._clock = 0.0
        self.requests_submitted = 0
        self.boards = BoardFeed(self)
        self.quest = QuestFlow(self)
        self.emulator = EmulatorControls(self)
        self.friends = FriendsFlow(self)
        self.live = PlayerLive(self)
        self.rival = Rival(self)
        if backend.emulator is not None:
            # a backend's key is never shown, even the emulator's public test one
            app.text_renderer.register_secret(backend.emulator.server_api_key)

    # ================================================================== plumbing

    def call(
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
                self.default_error(finished.operation, finished.error)

        handle.on_done(done)
        return handle

    def default_error(self, operation: str, error: BaseException) -> None:
        log.info("%s failed: %s", operation, describe_error(error))
        self.app.notify(f"{operation}: {describe_error(error)}", "bad")

    def start(self) -> None:
        """First calls: catalog, identity, then the player's data and the grants watcher."""
        self.call(self.component.catalog.read, self._got_catalog)
        self._resolve_identity()
        self.emulator.read_clock()  # the component syncs the server clock by itself

    def _got_catalog(self, catalog: Any) -> None:
        self.state.catalog = catalog

    def _resolve_identity(self) -> None:
        self.signed_out = False
        self.call(self.component.ensure_identity, self._identity_ready)

    def _identity_ready(self, identity: Identity) -> None:
        self._switching = False
        self.state.player_id = identity.external_player_id
        self.state.has_secret = bool(identity.secret)
        self.app.text_renderer.register_secret(identity.secret)
        synthetic = self.component.kraty.synthetic_identity  # a property: no I/O
        if synthetic is not None and synthetic.name:
            self.state.synthetic_name = synthetic.name
        kraty = self.component.kraty
        self.call(
            lambda: self.component.call(kraty.players.get_identity),
            self._got_display_identity,
            lambda error: log.info("players.get_identity: %s", describe_error(error)),
        )
        self.refresh_player()
        self.refresh_events()
        self.boards.load_keyed(quiet=True)
        self._start_grants_watcher()
        self.live.start()
        self.friends.start()

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
            if self._grants_watcher is not None:
                self._grants_watcher.stop()
        self._grants_watcher = None
        self.boards.stop_watchers()
        self.quest.stop_watchers()
        self.friends.stop_watchers()
        self.live.stop_watchers()

    # ================================================================== frame hooks

    def update(self) -> None:
        """Once per frame, before ``pygame.event.get()``."""
        self.component.update()
        self._drain_telemetry()
        self.emulator.fetch_wire_logs()
        self.emulator.drain()
        self.rival.drain()

    def animate(self, dt: float) -> None:
        """Age toasts, board flashes and scheduled refreshes."""
        self._clock += dt
        self.toasts.update(dt)
        self.friends.tick(dt)
        self.live.tick(dt)
        self.rival.tick(dt)
        self.quest.lobby_bar.update(dt)
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

    def schedule(self, name: str, delay: float = 0.0) -> None:
        """Refresh ``player`` or ``events`` soon (several requests within a frame merge)."""
        self._refresh_due.setdefault(name, self._clock + delay)

    def draw_overlays(self, surface: pygame.Surface) -> None:
        """The component's toast stack, in the bottom right of the content area, clear
        of the screen's buttons."""
        area = self.app.content_rect().clip(surface.get_rect())
        if area.width > 0 and area.height > 0:
            avoid = [r.move(-area.x, -area.y) for r in self.app.screen.keep_clear()]
            self.toasts.draw(surface.subsurface(area), avoid)
            if self.sync_badge.visible:  # top right, beside the screen's own header row
                width, _ = self.sync_badge.size()
                self.sync_badge.draw(surface, (area.right - width - 10, area.y + 8))

    def status_parts(self) -> list[tuple[str, tuple[int, int, int]]]:
        """Status bar: server, player, live state, retries, faults, frame cost."""
        state = self.state
        parts: list[tuple[str, tuple[int, int, int]]] = [
            (state.server_label, PALETTE.muted),
            (f"player {state.player_label()}", PALETTE.text),
            (f"board {state.event_board.connection}", PALETTE.muted),
            (
                f"{state.retries_seen} retries",
                PALETTE.warn if state.retries_seen else PALETTE.faint,
            ),
        ]
        if state.faults_on:
            parts.append(("faults ON (30% 503)", PALETTE.bad))
        stats = self.component.stats
        if stats.online is False:
            parts.append(("OFFLINE", PALETTE.bad))
        if stats.pending_writes:
            parts.append((f"{stats.pending_writes} waiting to sync", PALETTE.warn))
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
        if kind in (KRATY_GRANTS, KRATY_FRIENDS, KRATY_INVENTORY) and self._switching:
            return True  # a stopped watcher's last report belongs to the previous player
        # the component's drop-in widgets take the events they understand
        self.toasts.handle_event(event)
        self.sync_badge.handle_event(event)
        self.boards.mini_board.handle_event(event)
        self.quest.lobby_bar.handle_event(event)
        if kind == KRATY_MILESTONE:
            self._on_milestone(event)
        elif kind == KRATY_GRANTS:
            self._on_grants(event)
        elif kind == KRATY_LEADERBOARD:
            self.boards.on_leaderboard(event)
        elif kind == KRATY_LOBBY:
            self.quest.on_lobby(event)
        elif kind == KRATY_IDENTITY:
            self._on_identity(event)
        elif kind == KRATY_CONNECTION:
            self._on_connection(event)
        elif kind == KRATY_FRIENDS:
            self.friends.on_friends_event(event)
        elif kind == KRATY_INVENTORY:
            self.live.on_inventory(event)
        elif kind == KRATY_SYNC:
            self._on_sync(event)
        elif kind not in (KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED):
            return False
        return True

    def _on_sync(self, event: pygame.event.Event) -> None:
        """The outbox's news worth a notice (counts go to the badge and status bar)."""
        notices = {
            "synced": ("A write from an earlier session synced", "good"),
            "failed": ("A write from an earlier session was refused", "bad"),
            "unknown": ("A write's outcome can no longer be known", "warn"),
            "held": ("The server refused this player's secret: writes kept", "bad"),
            "run_synced": ("The offline run reached the server", "good"),
            "run_failed": ("The server refused the offline run", "bad"),
            "corrupt": ("A damaged outbox journal was set aside", "warn"),
            "foreign": ("Writes of another server are kept aside", "warn"),
        }
        notice = notices.get(str(event.kind))
        if notice is None:
            return
        text, tone = notice
        error = getattr(event, "error", None)
        self.app.notify(f"{text}: {describe_error(error)}" if error else text, tone)
        if event.kind == "synced":
            self.schedule("player", 0.3)

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
        if self.signed_out:
            return
        self.call(self.component.events.list_for_player, self._got_events)

    def _got_events(self, events: list[EventListing]) -> None:
        self.quest.expire_caps()
        self.state.events = list(events)
        self.state.events_loaded = True
        if self.state.event_board.leaderboard_id is None:
            self.boards.ensure()

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

    # ================================================================== player

    def refresh_player(self) -> None:
        """``wallet.list``, ``inventory.list`` and ``grants.list_pending``."""
        if self.signed_out:
            return
        self.call(self.component.wallet.list, self._got_wallet)
        self.call(self.component.inventory.list, self._got_inventory)
        self.call(self.component.grants.list_pending, self._got_pending)

    def _got_wallet(self, wallet: list[PlayerWalletHolding]) -> None:
        self.state.wallet = list(wallet)

    def _got_inventory(self, inventory: list[PlayerItemHolding]) -> None:
        self.state.inventory = list(inventory)

    def _got_pending(self, pending: list[Grant]) -> None:
        self.state.pending = list(pending)

    def consume(self, item_key: str) -> None:
        """``inventory.consume(item, quantity=1)``."""
        self.call(
            lambda: self.component.inventory.consume(item_key, quantity=1, reason="demo"),
            self._consumed,
        )

    def _consumed(self, result: ConsumeItemResult) -> None:
        name = self.state.names().get(result.item_key, rules.pretty_key(result.item_key))
        # the answer says what is left: show it now (the live stream skips our own writes)
        self.state.inventory = with_quantity(self.state.inventory, result.item_key, result.quantity)
        self.state.consumed.append(result.item_key)
        self.app.notify(f"Used {name}: {result.quantity} left", "good")
        self.schedule("player")
        self.schedule("events")

    def claim(self, grant_id: str) -> None:
        """``grants.claim``."""
        self.call(lambda: self.component.grants.claim(grant_id), self._claimed)

    def _claimed(self, grant: Grant) -> None:
        self.state.claimed_grants.append(grant.id)
        self.state.pending = [g for g in self.state.pending if g.id != grant.id]
        self.app.notify(
            f"Claimed {rules.describe_entries(grant.entries, self.state.names())}", "good"
        )
        self.app.assets.play("coin")
        self.schedule("player")
        self.schedule("events")

    def open_crate(self, grant_id: str) -> None:
        """``grants.open``: the crate reveal shows the rolled contents."""
        self.call(lambda: self.component.grants.open(grant_id), self._opened)

    def _opened(self, response: OpenCrateResponse) -> None:
        self.state.opened_crates.append(response.crate.id)
        self.state.pending = [g for g in self.state.pending if g.id != response.crate.id]
        names = self.state.names()
        self.app.open_overlay(
            CrateReveal("Crate opened!", loot_from_entries(response.contents.entries, names))
        )
        self.schedule("player", 0.2)

    def collect_all(self) -> None:
        """``grants.collect_all``: claim every reward and open every crate."""
        self.call(self.component.grants.collect_all, self._collected)

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
        self.schedule("player", 0.2)

    # ================================================================== identity

    def sign_out(self) -> None:
        """``logout()``: forget the player (the next sign-in or new player resumes play)."""
        self._switching = True
        self._stop_watchers()
        self.signed_out = True
        self.call(self.component.logout, lambda _: self.app.notify("Signed out", "info"))
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
            server_grants=keep.server_grants,
            time_sync=keep.time_sync,
            time_synced_at=keep.time_synced_at,
            time_syncs=keep.time_syncs,
            keyed=KeyedBoardState(key=keep.keyed.key),
        )
        self.boards.self_ids = set()

    def sign_in(self, external_player_id: str, secret: str) -> None:
        """``sign_in(external_player_id=…, secret=…)`` then reload everything."""
        if not external_player_id or not secret:
            self.app.notify("Sign in needs a player id and a secret.", "warn")
            return
        self.app.text_renderer.register_secret(secret)
        self._switching = True
        self._stop_watchers()
        self._reset_player_state()
        self.call(
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
        self.call(self.component.logout, lambda _: self._resolve_identity())

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

        handle = self.call(make, ok, failed)
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

    @property
    def has_emulator(self) -> bool:
        """True when the demo runs its own emulator (clock and faults can be driven)."""
        return self.emulator.available

    def close(self) -> None:
        """Stop starting new work and the control thread (the backend closes the component)."""
        self.closing = True
        self.emulator.close()
        self.rival.close()
