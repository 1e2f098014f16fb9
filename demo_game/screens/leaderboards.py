"""Leaderboards: the live event board (top 10 + pinned self row) and the keyed board."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame

from .. import rules
from ..screens.base import Screen
from ..theme import PAD, PALETTE, mix
from ..ui import Button, Chips, Ui, panel, pill, rounded

if TYPE_CHECKING:
    from kraty_pygame.sdk import LeaderboardEntry

    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState

TOP = 10


class LeaderboardsScreen(Screen):
    """``event_leaderboards.read`` + the live stream; ``leaderboards.read`` / ``list_periods``."""

    name = "leaderboards"
    title = "Leaderboards"
    icon = "tab_leaderboards"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        self.mode = "event"
        self.modes = Chips(name="boards.mode", on_select=self._mode)
        self.boards = Chips(name="boards.event", on_select=actions.boards.watch_event)
        self.periods = Chips(name="boards.period", on_select=self._period)
        self.refresh = Button("Refresh", self._refresh, name="boards.refresh", variant="secondary")
        for widget in (self.modes, self.boards, self.periods, self.refresh):
            self.add(widget)
        self._card = pygame.Rect(0, 0, 0, 0)

    def _mode(self, key: str) -> None:
        self.mode = key
        if key == "keyed":
            self.actions.boards.load_keyed()

    def _period(self, key: str) -> None:
        self.actions.boards.load_keyed(period=None if key == "current" else key)

    def _refresh(self) -> None:
        if self.mode == "keyed":
            self.actions.boards.load_keyed(period=self.state.keyed.period)
        else:
            self.actions.boards.refresh()

    def on_enter(self) -> None:
        if self.mode == "keyed":
            self.actions.boards.load_keyed(period=self.state.keyed.period)
        else:
            self.actions.boards.ensure()

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        self.modes.rect = pygame.Rect(rect.x, rect.y, rect.width - 130, 34)
        self.refresh.rect = pygame.Rect(rect.right - 110, rect.y, 110, 34)
        self.boards.rect = pygame.Rect(rect.x, rect.y + 44, rect.width, 32)
        self.periods.rect = self.boards.rect.copy()
        self._card = pygame.Rect(rect.x, rect.y + 88, rect.width, rect.height - 88)

    def update(self, dt: float) -> None:
        state = self.state
        key = state.keyed.key
        self.modes.set_items([("event", "Event board"), ("keyed", key)], self.mode)
        self.boards.visible = self.mode == "event"
        self.periods.visible = self.mode == "keyed"
        board_items = self.actions.boards.choices()
        self.boards.set_items(board_items, self.actions.boards.choice())
        periods = [("current", "Current period")]
        if state.keyed.periods is not None:
            for period in state.keyed.periods.periods[:5]:
                periods.append(
                    (period.period_started_at, "Week of " + period.period_started_at[:10])
                )
        self.periods.set_items(periods, state.keyed.period or "current")
        super().update(dt)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        panel(surface, self._card)
        if self.mode == "event":
            self._draw_event(surface)
        else:
            self._draw_keyed(surface)

    def _header(self, surface: pygame.Surface, title: str, subtitle: str) -> int:
        ui = self.ui
        x, y = self._card.x + PAD + 4, self._card.y + PAD
        ui.text(surface, title, (x, y), font=ui.fonts.title)
        ui.text(
            surface,
            subtitle,
            (x, y + 28),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=self._card.width - 260,
        )
        return y + 56

    def _draw_event(self, surface: pygame.Surface) -> None:
        ui = self.ui
        board = self.state.event_board
        status = "finalized" if board.finalized else board.connection
        subtitle = f"board {board.leaderboard_id or '-'} \u00b7 {board.updates} live updates" + (
            f" \u00b7 {board.finalized_reason}" if board.finalized_reason else ""
        )
        y = self._header(surface, "Event board", subtitle)
        color = PALETTE.good if status == "connected" else PALETTE.warn
        dot = (self._card.right - PAD - 10, self._card.y + PAD + 12)
        pygame.draw.circle(surface, color, dot, 6)
        ui.text(
            surface,
            f"live: {status}",
            (dot[0] - 14, dot[1]),
            font=ui.fonts.small,
            color=PALETTE.muted,
            anchor="midright",
        )
        entries = board.entries[:TOP]
        self._draw_rows(surface, y, entries, self.actions.boards.self_ids, board.flash)
        self._draw_pinned(surface, board.self_rank, board.self_score)

    def _draw_keyed(self, surface: pygame.Surface) -> None:
        keyed = self.state.keyed
        board = keyed.board
        if board is None:
            self._header(surface, keyed.key, "loading\u2026")
            return
        subtitle = (
            f"{board.reset_cadence} \u00b7 {board.score_aggregation} \u00b7 "
            f"period {board.period[:10] if board.period else '-'}"
        )
        y = self._header(surface, keyed.key, subtitle)
        entries = board.entries[:TOP]
        self._draw_rows(surface, y, entries, self.actions.boards.self_ids, {})
        own = board.self_entry
        self._draw_pinned(surface, own.rank if own else None, own.score if own else None)

    def _draw_rows(
        self,
        surface: pygame.Surface,
        y: int,
        entries: list[LeaderboardEntry],
        self_ids: set[str],
        flash: dict[str, float],
    ) -> None:
        ui = self.ui
        card = self._card
        row_h = max(26, min(36, (card.bottom - y - 70) // TOP))
        if not entries:
            ui.text(surface, "No entries yet.", (card.x + PAD + 4, y), color=PALETTE.faint)
        for entry in entries:
            is_self = entry.is_self or entry.participant_id in self_ids
            row = pygame.Rect(card.x + PAD, y, card.width - 2 * PAD, row_h - 4)
            glow = flash.get(entry.participant_id, 0.0)
            base = PALETTE.self_row if is_self else PALETTE.panel_hi
            rounded(surface, mix(base, PALETTE.accent, glow * 0.5), row, 6)
            self._draw_entry(surface, ui, row, entry, is_self=is_self)
            y += row_h

    def _draw_entry(
        self,
        surface: pygame.Surface,
        ui: Ui,
        row: pygame.Rect,
        entry: LeaderboardEntry,
        *,
        is_self: bool,
    ) -> None:
        rank = entry.rank
        medal = {1: PALETTE.gold, 2: (200, 206, 220), 3: (214, 140, 80)}.get(rank)
        ui.text(
            surface,
            f"#{rank}",
            (row.x + 12, row.centery),
            font=ui.fonts.bold,
            color=medal or PALETTE.muted,
            anchor="midleft",
        )
        glyph = "bot" if entry.kind == "bot" else ("player_self" if is_self else "player")
        size = row.height - 6
        surface.blit(ui.assets.image(glyph, size), (row.x + 64, row.centery - size // 2))
        name = entry.name or entry.participant_id[:12]
        label = ui.text(
            surface,
            name + ("  (you)" if is_self else ""),
            (row.x + 72 + size, row.centery),
            anchor="midleft",
            max_width=row.width - 260,
        )
        pill(
            ui,
            surface,
            entry.kind,
            (label.right + 10, row.centery),
            color=mix(PALETTE.panel, PALETTE.bot if entry.kind == "bot" else PALETTE.human, 0.45),
            anchor="midleft",
        )
        ui.text(
            surface,
            rules.format_score(entry.score),
            (row.right - 14, row.centery),
            font=ui.fonts.title,
            anchor="midright",
        )

    def _draw_pinned(self, surface: pygame.Surface, rank: int | None, score: float | None) -> None:
        ui = self.ui
        card = self._card
        row = pygame.Rect(card.x + PAD, card.bottom - PAD - 40, card.width - 2 * PAD, 40)
        rounded(surface, PALETTE.self_row, row, 8)
        rounded(surface, PALETTE.good, row, 8, 1)
        surface.blit(ui.assets.image("player_self", 30), (row.x + 10, row.y + 5))
        state = self.state
        who = state.player_label() if state.player_id else "you"
        if rank is None:
            text = f"{who}: not ranked on this board yet"
        else:
            text = f"You ({who}) \u2014 rank #{rank}"
        ui.text(
            surface,
            text,
            (row.x + 50, row.centery),
            font=ui.fonts.bold,
            anchor="midleft",
            max_width=row.width - 180,
        )
        if score is not None:
            ui.text(
                surface,
                rules.format_score(score),
                (row.right - 14, row.centery),
                font=ui.fonts.title,
                anchor="midright",
            )

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        board = state.event_board
        keyed = state.keyed.board
        own = keyed.self_entry if keyed is not None else None
        return {
            "screen": self.name,
            "mode": self.mode,
            "event_board": {
                "leaderboard_id": board.leaderboard_id,
                "connection": board.connection,
                "updates": board.updates,
                "entries": [
                    {"rank": e.rank, "name": e.name, "kind": e.kind, "score": e.score}
                    for e in board.entries[:TOP]
                ],
                "self": None
                if board.self_rank is None
                else {"rank": board.self_rank, "score": board.self_score},
            },
            "keyed_board": None
            if keyed is None
            else {
                "key": keyed.key,
                "period": keyed.period,
                "entries": [
                    {"rank": e.rank, "name": e.name, "kind": e.kind, "score": e.score}
                    for e in keyed.entries[:TOP]
                ],
                "self": None if own is None else {"rank": own.rank, "score": own.score},
                "periods": [
                    p.period_started_at
                    for p in (state.keyed.periods.periods if state.keyed.periods else [])
                ],
            },
        }
