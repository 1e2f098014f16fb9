"""``ScrollList``: a clipped, smoothly scrolling list with per-row action buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pygame

from ..theme import RADIUS_SMALL, approach, mix
from ..ui.draw import rounded
from ..ui.text import Ui
from ..ui.widgets import Variant, Widget, variant_color

T = TypeVar("T")


@dataclass
class RowAction(Generic[T]):
    """A small button drawn at the right end of a list row."""

    name: str
    label: str
    on_click: Callable[[T], None]
    variant: Variant = "secondary"
    enabled: bool = True


@dataclass
class _RowHit(Generic[T]):
    rect: pygame.Rect
    index: int
    action: RowAction[T] | None


class ScrollList(Widget, Generic[T]):
    """A clipped, smoothly scrolling list of rows with optional per-row action buttons."""

    focusable = True

    def __init__(
        self,
        draw_row: Callable[[pygame.Surface, pygame.Rect, T, int, Ui], None],
        *,
        name: str = "",
        row_height: int = 44,
        actions: Callable[[T], Sequence[RowAction[T]]] | None = None,
        on_activate: Callable[[T], None] | None = None,
        empty_text: str = "Nothing here yet.",
        action_width: int = 84,
    ) -> None:
        super().__init__(name)
        self.items: list[T] = []
        self.draw_row = draw_row
        self.row_height = row_height
        self.actions = actions
        self.on_activate = on_activate
        self.empty_text = empty_text
        self.action_width = action_width
        self.selected = -1
        self.scroll = 0.0
        self._shown = 0.0
        self._hits: list[_RowHit[T]] = []
        self._pressed: _RowHit[T] | None = None
        self._flash: dict[tuple[int, str], float] = {}

    def set_items(self, items: Sequence[T]) -> None:
        """Replace the rows (keeps the scroll position when possible)."""
        self.items = list(items)
        if self.selected >= len(self.items):
            self.selected = len(self.items) - 1
        self._clamp()

    def _max_scroll(self) -> float:
        return max(0.0, len(self.items) * self.row_height - self.rect.height + 4)

    def _clamp(self) -> None:
        self.scroll = max(0.0, min(self._max_scroll(), self.scroll))

    def scroll_to(self, index: int) -> None:
        """Bring row ``index`` into view."""
        top = index * self.row_height
        if top < self.scroll:
            self.scroll = top
        elif top + self.row_height > self.scroll + self.rect.height:
            self.scroll = top + self.row_height - self.rect.height + 4
        self._clamp()
        self._shown = self.scroll

    def row_rect(self, index: int) -> pygame.Rect:
        """Screen rect of row ``index`` at the current scroll position."""
        y = self.rect.y + 2 + index * self.row_height - round(self._shown)
        return pygame.Rect(self.rect.x + 2, y, self.rect.width - 14, self.row_height - 4)

    def action_rect(self, index: int, action_name: str) -> pygame.Rect | None:
        """Where the action button ``action_name`` of row ``index`` is drawn (scrolls to it)."""
        if not (0 <= index < len(self.items)) or self.actions is None:
            return None
        self.scroll_to(index)
        row = self.row_rect(index)
        for rect, action in self._action_rects(row, self.items[index]):
            if action.name == action_name:
                return rect
        return None

    def _action_rects(self, row: pygame.Rect, item: T) -> list[tuple[pygame.Rect, RowAction[T]]]:
        if self.actions is None:
            return []
        out: list[tuple[pygame.Rect, RowAction[T]]] = []
        x = row.right - 6
        h = min(30, row.height - 10)
        for action in reversed(list(self.actions(item))):
            rect = pygame.Rect(0, 0, self.action_width, h)
            rect.midright = (x, row.centery)
            out.append((rect, action))
            x = rect.x - 6
        out.reverse()
        return out

    def content_width(self) -> int:
        """Width left for row content once the action buttons are drawn."""
        count = 0
        if self.actions is not None and self.items:
            count = max(len(self.actions(item)) for item in self.items)
        return self.rect.width - 14 - count * (self.action_width + 6)

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if not self.visible:
            return False
        if event.type == pygame.MOUSEWHEEL:
            if self.rect.collidepoint(ui.mouse):
                self.scroll -= event.y * self.row_height * 1.5
                self._clamp()
                return True
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if not self.rect.collidepoint(event.pos):
                return False
            ui.focus = self
            self._pressed = self._hit(event.pos)
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            pressed, self._pressed = self._pressed, None
            if pressed is None or not self.rect.collidepoint(event.pos):
                return False
            hit = self._hit(event.pos)
            if hit is None or hit.index != pressed.index or hit.action is not pressed.action:
                return True
            self.selected = hit.index
            item = self.items[hit.index]
            if hit.action is not None:
                if hit.action.enabled:
                    self._flash[(hit.index, hit.action.name)] = 1.0
                    ui.assets.play("tap")
                    hit.action.on_click(item)
                else:
                    ui.assets.play("error")
            elif self.on_activate is not None:
                self.on_activate(item)
            return True
        if event.type == pygame.KEYDOWN and self.focused(ui) and self.items:
            if event.key == pygame.K_DOWN:
                self.selected = min(len(self.items) - 1, self.selected + 1)
                self.scroll_to(self.selected)
                return True
            if event.key == pygame.K_UP:
                self.selected = max(0, self.selected - 1)
                self.scroll_to(self.selected)
                return True
        return False

    def activate(self, ui: Ui) -> None:
        if 0 <= self.selected < len(self.items):
            item = self.items[self.selected]
            if self.on_activate is not None:
                self.on_activate(item)
            elif self.actions is not None:
                enabled = [a for a in self.actions(item) if a.enabled]
                if enabled:
                    enabled[0].on_click(item)

    def _hit(self, pos: tuple[int, int]) -> _RowHit[T] | None:
        for hit in self._hits:
            if hit.rect.collidepoint(pos) and hit.action is not None:
                return hit
        for hit in self._hits:
            if hit.rect.collidepoint(pos):
                return hit
        return None

    def update(self, dt: float, ui: Ui) -> None:
        self._shown = approach(self._shown, self.scroll, 16, dt)
        if abs(self._shown - self.scroll) < 0.5:
            self._shown = self.scroll
        for key in list(self._flash):
            self._flash[key] -= dt * 4
            if self._flash[key] <= 0:
                del self._flash[key]

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        if not self.visible or self.rect.width <= 0:
            return
        palette = ui.palette
        self._hits = []
        if not self.items:
            ui.text(
                surface,
                self.empty_text,
                (self.rect.centerx, self.rect.y + 24),
                color=palette.faint,
                anchor="midtop",
            )
            return
        clip = surface.get_clip()
        surface.set_clip(self.rect.clip(clip))
        first = max(0, int(self._shown // self.row_height))
        last = min(len(self.items), first + self.rect.height // self.row_height + 2)
        for index in range(first, last):
            row = self.row_rect(index)
            item = self.items[index]
            hovered = row.collidepoint(ui.mouse)
            color = palette.panel_hi if index == self.selected else palette.panel
            if hovered:
                color = mix(color, (255, 255, 255), 0.04)
            rounded(surface, color, row, RADIUS_SMALL)
            if index == self.selected and self.focused(ui):
                rounded(surface, palette.accent2, row, RADIUS_SMALL, 1)
            self.draw_row(surface, row, item, index, ui)
            self._hits.append(_RowHit(row, index, None))
            for rect, action in self._action_rects(row, item):
                self._hits.append(_RowHit(rect, index, action))
                self._draw_action(surface, ui, rect, action, self._flash.get((index, action.name)))
        surface.set_clip(clip)
        max_scroll = self._max_scroll()
        if max_scroll > 0:
            track = pygame.Rect(self.rect.right - 6, self.rect.y + 2, 4, self.rect.height - 4)
            rounded(surface, palette.panel_lo, track, 2)
            thumb_h = max(
                24, round(track.height * self.rect.height / (max_scroll + self.rect.height))
            )
            thumb_y = track.y + round((track.height - thumb_h) * (self._shown / max_scroll))
            rounded(surface, palette.border, pygame.Rect(track.x, thumb_y, 4, thumb_h), 2)

    def _draw_action(
        self,
        surface: pygame.Surface,
        ui: Ui,
        rect: pygame.Rect,
        action: RowAction[T],
        flash: float | None,
    ) -> None:
        palette = ui.palette
        base = variant_color(palette, action.variant)
        if not action.enabled:
            base = mix(base, palette.panel_lo, 0.65)
        if rect.collidepoint(ui.mouse) and action.enabled:
            base = mix(base, (255, 255, 255), 0.12)
        if flash:
            base = mix(base, (255, 255, 255), 0.5 * flash)
        rounded(surface, base, rect, RADIUS_SMALL)
        rounded(surface, palette.border, rect, RADIUS_SMALL, 1)
        dark = action.variant in ("good", "warn")
        color = (20, 24, 32) if dark else (palette.text if action.enabled else palette.faint)
        ui.text(
            surface,
            action.label,
            rect.center,
            font=ui.fonts.small,
            color=color,
            anchor="center",
            max_width=rect.width - 8,
        )
