"""The game's Kraty side in one object: builds the features and runs them every frame.

The app calls :meth:`KratyHub.update` once per frame before ``pygame.event.get()``
(``component.update()`` runs the callbacks and posts the KRATY_* events), offers every
event to :meth:`KratyHub.handle_event`, and draws the component's toasts with
:meth:`KratyHub.draw_overlays`. The screens get the hub as
:class:`~demo_game.actions.GameActions` (verbs) and its ``state`` (plain data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from kraty_pygame.component import SyncBadge, ToastStack

from ..state import DemoState
from ..theme import PALETTE
from .boards import Boards
from .calls import Calls, Feedback, Refresher
from .debug import Debug
from .emulator import EmulatorControls
from .events import KratyEvents
from .friends import Friends
from .player import Player
from .quest import Quest
from .rival import Rival
from .widgets import widget_theme

#: How often the component's counters are copied for the status bar and the Debug screen
#: (reading them costs about 0.06 ms: once per frame would be most of the Kraty time).
STATS_EVERY_S = 0.2

if TYPE_CHECKING:
    from ..app import App
    from ..timing import FrameMeter
    from .client import Client


class KratyHub:
    """Owns the component's features (player, quest, boards, friends) and the demo's
    extras (the rival, the emulator's controls, the Debug screen's calls)."""

    def __init__(self, app: App, client: Client, meter: FrameMeter) -> None:
        self.app = app
        self.client = client
        self.component = client.component
        self.meter = meter
        self.state = DemoState(server_label=client.label, faults_on=client.faults_on)
        theme = widget_theme()
        self.toasts = ToastStack(
            theme,
            anchor="bottomright",
            margin=10,
            names=self.state.display_name_of,  # catalog names, not raw item keys
        )
        # "3 writes waiting to sync": what the outbox holds while the game is offline
        self.sync_badge = SyncBadge(theme, noun=("write", "writes"))
        register_secret = app.text_renderer.register_secret
        self.feedback = Feedback(
            notify=app.notify,
            play=app.assets.play,
            open_overlay=app.open_overlay,
            toasts=self.toasts,
            register_secret=register_secret,
        )
        self.calls = Calls(self.component, meter)
        self.refresher = Refresher()
        state, calls, feedback, refresher = self.state, self.calls, self.feedback, self.refresher
        self.boards = Boards(calls, state, feedback, refresher, theme)
        self.quest = Quest(calls, state, feedback, refresher, theme, boards=self.boards)
        self.friends = Friends(calls, state, feedback, refresher, activity=self._activity)
        self.player = Player(
            calls,
            state,
            feedback,
            refresher,
            on_ready=self._player_ready,
            on_switch=self._player_switching,
            on_gift_arrived=self.friends.poll_now,
        )
        refresher.register("events", self.quest.refresh_events)
        self.emulator = EmulatorControls(
            client.emulator,
            client.relay,
            state,
            app.notify,
            refresher,
            on_clock_moved=self.player.sync_time,
        )
        self.rival = Rival(client.emulator, state.rival, app.notify, register_secret)
        self.debug = Debug(calls, state, client.telemetry, self.emulator)
        self.events = KratyEvents(
            state,
            calls,
            feedback,
            self.sync_badge,
            player=self.player,
            quest=self.quest,
            boards=self.boards,
            friends=self.friends,
        )
        self._stats_age = 0.0
        self.state.stats = self.component.stats
        if client.emulator is not None:
            # a backend's key is never shown, even the emulator's public test one
            register_secret(client.emulator.server_api_key)

    # ================================================================== start and switch

    def start(self) -> None:
        """First calls: the catalog and the player (the rest follows from the player)."""
        self.player.start()
        self.emulator.read_clock()  # the component syncs the server clock by itself

    def _player_ready(self) -> None:
        self.quest.refresh_events()
        self.boards.load_keyed(quiet=True)
        self.friends.start()

    def _player_switching(self) -> None:
        self.boards.stop_watchers()
        self.quest.stop_watchers()
        self.friends.stop_watchers()
        self.boards.self_ids.clear()

    def _activity(self) -> str:
        """What the player is looking at, for the presence status."""
        return f"on the {self.app.screen.title} screen" if self.app.screens else "in the menu"

    # ================================================================== frame hooks

    def update(self) -> None:
        """Once per frame, before ``pygame.event.get()``."""
        self.component.update()
        self.debug.update()
        self.emulator.drain()
        self.rival.drain()

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Consume the component's KRATY_* events; False for anything else."""
        return self.events.handle(event)

    def animate(self, dt: float) -> None:
        """Age toasts, board flashes and scheduled reloads; copy the component's live
        figures (server clock, counters, link) into the state."""
        state = self.state
        self._stats_age += dt
        if self._stats_age >= STATS_EVERY_S:
            self._stats_age = 0.0
            with self.meter.measure():
                state.stats = self.component.stats
        state.link_cut = self.emulator.link_cut
        self.toasts.update(dt)
        self.player.tick(dt)
        self.friends.tick(dt)
        self.rival.tick(dt)
        self.quest.lobby_bar.update(dt)
        flash = state.event_board.flash
        for key in list(flash):
            flash[key] -= dt * 1.5
            if flash[key] <= 0:
                del flash[key]
        self.refresher.tick(dt)

    def draw_overlays(self, surface: pygame.Surface) -> None:
        """The component's toast stack, bottom right of the content area, clear of the
        screen's buttons, and the badge of writes waiting to sync."""
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
        stats = state.stats
        if stats is not None and stats.online is False:
            parts.append(("OFFLINE", PALETTE.bad))
        if stats is not None and stats.pending_writes:
            parts.append((f"{stats.pending_writes} waiting to sync", PALETTE.warn))
        cost = self.meter.summary()
        parts.append((f"Kraty p99 {cost.p99_ms:.2f} ms/frame", PALETTE.faint))
        return parts

    @property
    def has_emulator(self) -> bool:
        """True when the demo runs its own emulator (clock and faults can be driven)."""
        return self.emulator.available

    @property
    def requests_submitted(self) -> int:
        """Component calls made so far."""
        return self.calls.submitted

    def close(self) -> None:
        """Stop starting new work and the helper threads (the client closes the component)."""
        self.calls.closing = True
        self.emulator.close()
        self.rival.close()
