"""Quest: tap to score, milestones, the lobby filling up and a live mini board."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pygame

from .. import rules
from ..screens.base import Screen, split_columns, split_rows
from ..theme import GAP, PAD, PALETTE, approach, mix
from ..ui import Button, Chips, Particles, Ui, Widget, panel, pill, progress_bar, rounded

if TYPE_CHECKING:
    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState


class TapTarget(Widget):
    """The big orb: click (or Space) to score; squashes, glows and throws sparks."""

    def __init__(self, on_tap: Any, particles: Particles) -> None:
        super().__init__("quest.tap")
        self.on_tap = on_tap
        self.particles = particles
        self.enabled = False
        self._pulse = 0.0
        self._glow = 0.0

    @property
    def radius(self) -> int:
        """Radius of the clickable circle."""
        return min(self.rect.width, self.rect.height) // 2

    def hit(self, pos: tuple[int, int]) -> bool:
        """True when ``pos`` is on the orb."""
        dx, dy = pos[0] - self.rect.centerx, pos[1] - self.rect.centery
        return dx * dx + dy * dy <= self.radius * self.radius

    def tap(self, ui: Ui) -> None:
        """Score one tap (ignored while no attempt runs)."""
        if not self.enabled:
            ui.assets.play("error")
            return
        self._pulse = 1.0
        self._glow = 1.0
        ui.assets.play("tap")
        cx, cy = self.rect.center
        self.particles.burst(cx, cy - self.radius * 0.3, 6, speed=260)
        self.particles.label(cx, cy - self.radius - 10, "+1", PALETTE.gold)
        self.on_tap()

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.hit(event.pos):
            self.tap(ui)
            return True
        return False

    def update(self, dt: float, ui: Ui) -> None:
        self._pulse = approach(self._pulse, 0.0, 12, dt)
        self._glow = approach(self._glow, 0.0, 4, dt)

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        size = self.radius * 2
        if size <= 8:
            return
        breathe = 0.02 * math.sin(ui.time * 3) if self.enabled else 0.0
        scale = 1.0 - 0.08 * self._pulse + breathe
        drawn = max(8, round(size * scale))
        image = ui.assets.image("tap_orb", drawn)
        if not self.enabled:
            image = image.copy()
            image.set_alpha(110)
        if self._glow > 0.05:
            halo = round(size * (1.05 + 0.25 * (1 - self._glow)))
            ring = pygame.Surface((halo, halo), pygame.SRCALPHA)
            pygame.draw.circle(
                ring,
                (*PALETTE.accent_hi, round(90 * self._glow)),
                (halo // 2, halo // 2),
                halo // 2,
                6,
            )
            surface.blit(ring, ring.get_rect(center=self.rect.center))
        surface.blit(image, image.get_rect(center=self.rect.center))


class QuestScreen(Screen):
    """``events.start`` / ``progress(increment 1)`` / ``finish``, lobby and mini board."""

    name = "quest"
    title = "Quest"
    icon = "tab_quest"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        self.particles = Particles()
        self.chips = Chips(name="quest.events", on_select=actions.quest.choose)
        self.start = Button("Start", actions.quest.start, name="quest.start", variant="good")
        self.finish = Button("Finish", actions.quest.finish, name="quest.finish", variant="warn")
        self.collect = Button(
            "Collect rewards",
            actions.player.collect_all,
            name="quest.collect",
            variant="secondary",
            icon="crate",
            sound="coin",
        )
        self.target = TapTarget(actions.quest.tap, self.particles)
        for widget in (self.chips, self.target, self.start, self.finish, self.collect):
            self.add(widget)
        self._play = pygame.Rect(0, 0, 0, 0)
        self._right = pygame.Rect(0, 0, 0, 0)
        self._lobby = pygame.Rect(0, 0, 0, 0)
        self._board = pygame.Rect(0, 0, 0, 0)
        self._shown_score = 0.0
        self._seen_fired = 0
        # sparks and "+1" floaters stay inside the play panel, above the progress bar
        self.particle_area = pygame.Rect(0, 0, 0, 0)
        self.progress_label = pygame.Rect(0, 0, 0, 0)  # "16 / 30 taps", as last drawn

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        self.chips.rect = pygame.Rect(rect.x, rect.y, rect.width, 34)
        body = pygame.Rect(rect.x, rect.y + 44, rect.width, rect.height - 44)
        left, right = split_columns(body, [0.6, 0.4], GAP * 2)
        self._play = left
        self._right = right
        self._lobby, self._board = split_rows(right, [min(230, right.height // 2), None], GAP * 2)
        orb = max(80, min(left.width - 80, left.height - 250, 260))
        self.target.rect = pygame.Rect(0, 0, orb, orb)
        self.target.rect.center = (left.centerx, left.y + 96 + orb // 2)
        buttons = pygame.Rect(left.x + PAD, left.bottom - 52, left.width - 2 * PAD, 40)
        third = (buttons.width - 2 * GAP) // 3
        self.start.rect = pygame.Rect(buttons.x, buttons.y, third, 40)
        self.finish.rect = pygame.Rect(buttons.x + third + GAP, buttons.y, third, 40)
        self.collect.rect = pygame.Rect(
            buttons.x + 2 * (third + GAP),
            buttons.y,
            buttons.right - buttons.x - 2 * (third + GAP),
            40,
        )
        bar_top = self.target.rect.bottom + 16
        self.particle_area = pygame.Rect(
            left.x + 2, left.y + 2, left.width - 4, max(0, bar_top - 4 - (left.y + 2))
        )

    def handle_event(self, event: pygame.event.Event) -> bool:
        if (
            event.type == pygame.KEYDOWN
            and event.key == pygame.K_SPACE
            and self.ui.focus in (None, self.target)
        ):
            self.target.tap(self.ui)
            return True
        return super().handle_event(event)

    def update(self, dt: float) -> None:
        state = self.state
        quest = state.quest
        self.chips.set_items(
            [(e.event_key, e.display_name()) for e in state.events], quest.event_key
        )
        self.target.enabled = quest.phase == "playing"
        self.start.label = {
            "idle": "Start",
            "starting": "Starting\u2026",
            "lobby": "Waiting\u2026",
            "playing": "Running",
            "finished": "Play again",
        }[quest.phase]
        self.start.enabled = quest.phase in ("idle", "finished")
        self.finish.enabled = quest.phase == "playing"
        self.collect.enabled = bool(state.pending)
        self._shown_score = approach(self._shown_score, self.state.quest_score(), 14, dt)
        if len(quest.fired) > self._seen_fired:
            cx, cy = self.target.rect.center
            self.particles.burst(cx, cy, 40, speed=420)
        self._seen_fired = len(quest.fired)
        self.particles.update(dt)
        # the lobby card is tall only for lobby events; the live board gets the rest
        listing = state.listing(quest.event_key)
        lobby_event = quest.lobby is not None or (listing is not None and listing.is_lobby_matched)
        lobby_h = min(230, self._right.height // 2) if lobby_event else 86
        self._lobby, self._board = split_rows(self._right, [lobby_h, None], GAP * 2)
        super().update(dt)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        ui = self.ui
        state = self.state
        quest = state.quest
        listing = state.listing(quest.event_key)
        panel(surface, self._play)
        x = self._play.x + PAD + 6
        top = self._play.y + PAD
        title = listing.display_name() if listing is not None else quest.event_key
        ui.text(surface, title, (x, top), font=ui.fonts.title)
        phase_colors = {
            "idle": PALETTE.panel_hi,
            "starting": (92, 70, 22),
            "lobby": (40, 86, 160),
            "playing": (36, 92, 64),
            "finished": (80, 56, 140),
        }
        pill(
            ui,
            surface,
            quest.phase if quest.outcome is None else f"{quest.phase}: {quest.outcome}",
            (self._play.right - PAD - 4, top + 2),
            color=phase_colors[quest.phase],
            anchor="topright",
        )
        ui.text(
            surface,
            rules.format_score(round(self._shown_score)),
            (self._play.centerx, top + 26),
            font=ui.fonts.huge,
            anchor="midtop",
        )
        ui.text(
            surface,
            "score",
            (self._play.centerx, top + 78),
            font=ui.fonts.small,
            color=PALETTE.muted,
            anchor="midtop",
        )
        super().draw(surface)
        clip = surface.get_clip()
        surface.set_clip(self.particle_area.clip(clip))
        self.particles.draw(surface, ui)
        surface.set_clip(clip)
        self._draw_progress(surface, ui, listing)
        self._draw_lobby(surface, ui)
        self._draw_board(surface, ui)

    def _draw_progress(self, surface: pygame.Surface, ui: Ui, listing: Any) -> None:
        quest = self.state.quest
        metric = listing.metric_keys[0] if listing is not None and listing.metric_keys else ""
        value = self.state.quest_metric()
        target = rules.metric_target(listing)
        y = self.target.rect.bottom + 16
        bar = pygame.Rect(self._play.x + 40, y, self._play.width - 80, 12)
        if target:
            progress_bar(surface, bar, value / target, color=PALETTE.accent)
            self.progress_label = ui.text(
                surface,
                f"{rules.format_score(value)} / {rules.format_score(target)} {metric}",
                (bar.centerx, bar.bottom + 4),
                font=ui.fonts.small,
                color=PALETTE.muted,
                anchor="midtop",
            )
        y = bar.bottom + 26
        upcoming = rules.next_milestone(listing, {metric: value}) if listing is not None else None
        names = self.state.names()
        if upcoming is not None:
            text = (
                f"Next: {upcoming.key} at {rules.format_score(upcoming.threshold)} \u2192 "
                f"{rules.describe_entries(upcoming.entries, names)}"
            )
            icon = rules.entry_icon(upcoming.entries[0]) if upcoming.entries else "sparkle"
            width = ui.fonts.body.size(text)[0] + 30
            start_x = self._play.centerx - width // 2
            surface.blit(ui.assets.image(icon, 22), (start_x, y - 2))
            ui.text(surface, text, (start_x + 28, y), max_width=self._play.width - 60)
        elif listing is not None and listing.milestone_rewards:
            ui.text(
                surface,
                "Every milestone reached!",
                (self._play.centerx, y),
                color=PALETTE.good,
                anchor="midtop",
            )
        y += 28
        chip_x = self._play.x + 40
        for key in quest.fired[-6:]:
            chip = pill(ui, surface, key, (chip_x, y), color=(36, 92, 64), icon="sparkle")
            chip_x = chip.right + 6
        if quest.message:
            ui.text(
                surface,
                quest.message,
                (self._play.centerx, self.start.rect.y - 26),
                font=ui.fonts.small,
                color=PALETTE.warn,
                anchor="midtop",
                max_width=self._play.width - 40,
            )

    def _draw_lobby(self, surface: pygame.Surface, ui: Ui) -> None:
        rect = self._lobby
        panel(surface, rect)
        quest = self.state.quest
        listing = self.state.listing(quest.event_key)
        x, y = rect.x + PAD, rect.y + PAD
        ui.text(surface, "Lobby", (x, y), font=ui.fonts.title)
        lobby = quest.lobby
        if lobby is None:
            hint = (
                "This event matches players into lobbies; start to join one."
                if listing is not None and listing.is_lobby_matched
                else "No lobby: this event ranks everyone on one board."
            )
            for i, line in enumerate(ui.wrap(hint, ui.fonts.small, rect.width - 2 * PAD)[:3]):
                ui.text(
                    surface, line, (x, y + 34 + i * 18), font=ui.fonts.small, color=PALETTE.muted
                )
            return
        pill(
            ui,
            surface,
            lobby.status,
            (rect.right - PAD, y + 2),
            color=(40, 86, 160) if lobby.status == "forming" else (36, 92, 64),
            anchor="topright",
        )
        capacity = max(1, lobby.capacity)
        filled = lobby.filled_slots
        humans = min(lobby.participant_count, capacity)
        cell = min(56, (rect.width - 2 * PAD - (capacity - 1) * 8) // capacity)
        cy = y + 36
        for i in range(capacity):
            cell_rect = pygame.Rect(x + i * (cell + 8), cy, cell, cell)
            if i < humans:
                sprite, back = "seat_human", mix(PALETTE.panel_lo, PALETTE.human, 0.25)
            elif i < filled:
                sprite, back = "seat_bot", mix(PALETTE.panel_lo, PALETTE.bot, 0.25)
            else:
                sprite, back = "seat_empty", PALETTE.panel_lo
            rounded(surface, back, cell_rect, 8)
            surface.blit(ui.assets.image(sprite, cell - 12), (cell_rect.x + 6, cell_rect.y + 6))
            if i >= humans and i < filled:
                glyph = ui.assets.image("bot", cell // 2)
                surface.blit(glyph, (cell_rect.right - cell // 2, cell_rect.bottom - cell // 2))
        cy += cell + 12
        ui.text(
            surface,
            f"{humans} human + {filled - humans} bot = {filled}/{capacity} seats",
            (x, cy),
            font=ui.fonts.small,
        )
        cy += 20
        if lobby.status == "forming" and lobby.fill_by:
            left = self.state.seconds_until(lobby.fill_by)
            text = f"starts in {rules.countdown(left or 0)} (emulator clock)"
        elif lobby.ends_at:
            left = self.state.seconds_until(lobby.ends_at)
            text = rules.ends_phrase(left if left is not None else 0, "session ends")
        else:
            text = ""
        ui.text(surface, text, (x, cy), font=ui.fonts.small, color=PALETTE.muted)
        bar = pygame.Rect(x - 4, cy + 22, rect.width - 2 * PAD + 8, rect.bottom - cy - 30)
        if bar.height >= 30:
            self.actions.quest.lobby_bar.draw(surface, bar)  # the component's LobbyBar widget

    def _draw_board(self, surface: pygame.Surface, ui: Ui) -> None:
        """The component's ``LeaderboardPanel`` widget, fed by KRATY_LEADERBOARD events."""
        rect = self._board
        rounded(surface, PALETTE.shadow, rect.move(0, 3), 10)
        self.actions.boards.mini_board.draw(surface, rect)
        live = self.state.event_board.connection
        color = (
            PALETTE.good
            if live == "connected"
            else PALETTE.warn
            if live != "idle"
            else PALETTE.faint
        )
        dot = (rect.right - PAD - 6, rect.y + PAD + 10)
        pygame.draw.circle(surface, color, dot, 5)
        ui.text(
            surface,
            live,
            (dot[0] - 12, dot[1]),
            font=ui.fonts.small,
            color=PALETTE.muted,
            anchor="midright",
        )

    def snapshot(self) -> dict[str, Any]:
        quest = self.state.quest
        lobby = quest.lobby
        return {
            "screen": self.name,
            "event_key": quest.event_key,
            "phase": quest.phase,
            "attempt_id": quest.attempt_id,
            "score": self.state.quest_score(),
            "taps": quest.taps,
            "fired": list(quest.fired),
            "lobby": None
            if lobby is None
            else {
                "status": lobby.status,
                "capacity": lobby.capacity,
                "humans": lobby.participant_count,
                "bots": lobby.bot_slots,
                "filled": lobby.filled_slots,
            },
            "board": [
                {
                    "rank": r.rank,
                    "name": r.name,
                    "bot": r.is_bot,
                    "score": r.score,
                    "self": r.is_self,
                }
                for r in self.actions.boards.mini_board.rows[:8]
            ],
        }
