"""Events: every event the player can see, with cost badge, countdown and lock state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame

from .. import rules
from ..screens.base import Screen, split_columns
from ..theme import GAP, PAD, PALETTE
from ..ui import Button, RowAction, ScrollList, Ui, panel, pill

if TYPE_CHECKING:
    from kraty_pygame.sdk import EventListing

    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState


class EventsScreen(Screen):
    """The events list (``events.list_for_player``) and the selected event's rewards."""

    name = "events"
    title = "Events"
    icon = "tab_events"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        self.refresh = Button(
            "Refresh", actions.quest.refresh_events, name="events.refresh", variant="secondary"
        )
        self.list: ScrollList[EventListing] = ScrollList(
            self._draw_row,
            name="events.list",
            row_height=86,
            actions=self._actions,
            on_activate=self._select,
            empty_text="Loading events\u2026",
            action_width=92,
        )
        self.add(self.refresh)
        self.add(self.list)
        self._detail = pygame.Rect(0, 0, 0, 0)
        self._header = pygame.Rect(0, 0, 0, 0)

    # ------------------------------------------------------------------ layout

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        self._header = pygame.Rect(rect.x, rect.y, rect.width, 44)
        body = pygame.Rect(rect.x, rect.y + 52, rect.width, rect.height - 52)
        left, right = split_columns(body, [0.62, 0.38], GAP * 2)
        self.list.rect = left
        self._detail = right
        self.refresh.rect = pygame.Rect(0, 0, 110, 34)
        self.refresh.rect.midright = (left.right, self._header.centery)

    def on_enter(self) -> None:
        self.actions.quest.refresh_events()

    # ------------------------------------------------------------------ behaviour

    def _actions(self, listing: EventListing) -> list[RowAction[EventListing]]:
        locked = self.lock_reason(listing) is not None
        label = "Resume" if listing.current_attempt_id else "Play"
        return [
            RowAction("play", label, self._play, "good" if not locked else "secondary", not locked)
        ]

    def _play(self, listing: EventListing) -> None:
        self.actions.quest.choose(listing.event_key)
        self.app.select_named("quest")
        self.actions.quest.start()

    def _select(self, listing: EventListing) -> None:
        self.list.selected = self.list.items.index(listing)

    def lock_reason(self, listing: EventListing) -> str | None:
        """Why the player cannot start ``listing`` (None when they can)."""
        state = self.state
        return rules.lock_reason(
            listing, state.wallet_map(), state.inventory_map(), state.exhausted, state.names()
        )

    def update(self, dt: float) -> None:
        self.list.set_items(self.state.events)
        if self.list.selected < 0 and self.list.items:
            self.list.selected = 0
        super().update(dt)

    # ------------------------------------------------------------------ drawing

    def _draw_row(
        self, surface: pygame.Surface, rect: pygame.Rect, listing: EventListing, index: int, ui: Ui
    ) -> None:
        reason = self.lock_reason(listing)
        icon = "lock" if reason else ("seat_human" if listing.is_lobby_matched else "tab_quest")
        surface.blit(ui.assets.image(icon, 40), (rect.x + 12, rect.y + 10))
        x = rect.x + 64
        width = self.list.content_width() - 70
        name_rect = ui.text(
            surface,
            listing.display_name(),
            (x, rect.y + 10),
            font=ui.fonts.title,
            max_width=width - 160,
        )
        tag_x = name_rect.right + 10
        for text, color in self._tags(listing):
            if tag_x > x + width - 40:
                break
            tag = pill(ui, surface, text, (tag_x, rect.y + 12), color=color)
            tag_x = tag.right + 6
        cost = rules.cost_label(listing.entry_cost)
        cost_color = (36, 92, 64) if cost == "free" else (92, 70, 22)
        icon_key = (
            listing.entry_cost.currencies[0].key
            if listing.entry_cost and listing.entry_cost.currencies
            else ""
        )
        pill(
            ui,
            surface,
            cost,
            (x, rect.y + 42),
            color=cost_color,
            icon=rules.resource_icon(icon_key) if icon_key else None,
        )
        remaining = self.state.seconds_until(listing.ends_at)
        clock_x = x + 130
        surface.blit(ui.assets.image("clock", 16), (clock_x, rect.y + 45))
        ui.text(
            surface,
            rules.ends_phrase(remaining),
            (clock_x + 22, rect.y + 44),
            font=ui.fonts.small,
            color=PALETTE.muted,
        )
        if reason:
            ui.text(
                surface,
                reason,
                (x + 270, rect.y + 44),
                font=ui.fonts.small,
                color=PALETTE.warn,
                max_width=width - 270,
            )
        elif listing.current_attempt_id:
            ui.text(
                surface,
                "attempt in progress",
                (x + 270, rect.y + 44),
                font=ui.fonts.small,
                color=PALETTE.good,
            )

    @staticmethod
    def _tags(listing: EventListing) -> list[tuple[str, tuple[int, int, int]]]:
        tags = [(listing.type.replace("_", " "), PALETTE.panel_hi)]
        if listing.is_lobby_matched:
            tags.append(("lobby", (40, 86, 160)))
        return tags

    def draw(self, surface: pygame.Surface) -> None:
        ui = self.ui
        state = self.state
        ui.text(surface, "Live events", (self._header.x, self._header.y + 2), font=ui.fonts.big)
        who = state.player_label() if state.player_id else "\u2026"
        subtitle = f"{len(state.events)} open for {who}"
        ui.text(
            surface,
            subtitle,
            (self._header.x + 200, self._header.y + 14),
            color=PALETTE.muted,
            max_width=self.refresh.rect.x - self._header.x - 210,
        )
        super().draw(surface)
        self._draw_detail(surface, ui)

    def _draw_detail(self, surface: pygame.Surface, ui: Ui) -> None:
        rect = self._detail
        panel(surface, rect)
        items = self.list.items
        if not items or not (0 <= self.list.selected < len(items)):
            return
        listing = items[self.list.selected]
        names = self.state.names()
        x, y = rect.x + PAD + 4, rect.y + PAD
        width = rect.width - 2 * PAD - 8
        ui.text(surface, listing.display_name(), (x, y), font=ui.fonts.title, max_width=width)
        y += 30
        facts = [
            ("key", listing.event_key),
            ("mode", listing.leaderboard_mode),
            ("metrics", ", ".join(self._metric_text(m) for m in listing.metrics) or "-"),
            ("cost", rules.cost_label(listing.entry_cost)),
            ("window", listing.window_id or "-"),
        ]
        reason = self.lock_reason(listing)
        if reason:
            facts.append(("locked", reason))
        for label, value in facts:
            ui.text(surface, label, (x, y), font=ui.fonts.small, color=PALETTE.faint)
            for line in ui.wrap(value, ui.fonts.small, width - 70)[:2]:
                ui.text(surface, line, (x + 70, y), font=ui.fonts.small)
                y += 18
            y += 2
        y += 8
        ui.text(surface, "Milestones", (x, y), font=ui.fonts.bold)
        y += 24
        for milestone in sorted(listing.milestone_rewards, key=lambda m: m.threshold):
            if y > rect.bottom - 60:
                break
            entry_icon = rules.entry_icon(milestone.entries[0]) if milestone.entries else "sparkle"
            surface.blit(ui.assets.image(entry_icon, 22), (x, y - 2))
            ui.text(
                surface,
                f"{rules.format_score(milestone.threshold)} {milestone.metric_key}",
                (x + 30, y),
                font=ui.fonts.small,
                color=PALETTE.muted,
            )
            ui.text(
                surface,
                rules.describe_entries(milestone.entries, names),
                (x + 120, y),
                font=ui.fonts.small,
                max_width=width - 120,
            )
            y += 26
        if not listing.milestone_rewards:
            ui.text(surface, "none", (x, y), font=ui.fonts.small, color=PALETTE.faint)
            y += 24
        y += 6
        if y < rect.bottom - 40:
            ui.text(surface, "End-of-window rewards", (x, y), font=ui.fonts.bold)
            y += 24
            for line in rules.describe_policy(listing.reward_policy, names):
                if y > rect.bottom - 24:
                    break
                ui.text(
                    surface, line, (x, y), font=ui.fonts.small, color=PALETTE.muted, max_width=width
                )
                y += 20

    @staticmethod
    def _metric_text(metric: dict[str, Any]) -> str:
        key = str(metric.get("key", "?"))
        target = metric.get("target")
        return f"{key} \u2192 {target}" if target is not None else key

    def snapshot(self) -> dict[str, Any]:
        rows = []
        for listing in self.state.events:
            remaining = self.state.seconds_until(listing.ends_at)
            rows.append(
                {
                    "event_key": listing.event_key,
                    "name": listing.display_name(),
                    "type": listing.type,
                    "lobby": listing.is_lobby_matched,
                    "cost": rules.cost_label(listing.entry_cost),
                    "countdown": rules.countdown(remaining) if remaining is not None else None,
                    "ends": rules.ends_phrase(remaining),
                    "locked": self.lock_reason(listing),
                    "in_progress": bool(listing.current_attempt_id),
                }
            )
        return {"screen": self.name, "events": rows}
