"""The tab bar at the top of the window."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from ..theme import RADIUS, approach
from ..ui.draw import rounded
from ..ui.text import Ui
from ..ui.widgets import Widget


@dataclass
class Tab:
    """One entry of the tab bar."""

    name: str
    title: str
    icon: str
    enabled: bool = True


class TabBar(Widget):
    """The top navigation bar: icon + title + hotkey number, with a sliding indicator."""

    def __init__(self, tabs: Sequence[Tab], on_select: Callable[[int], None] | None = None) -> None:
        super().__init__("tabs")
        self.tabs = list(tabs)
        self.on_select = on_select
        self.selected = 0
        self._indicator = 0.0
        self._hover = -1
        self._needed: list[int] = []  # each tab's width for its whole title (set by update)

    def tab_rect(self, index: int) -> pygame.Rect:
        """Screen rect of tab ``index``: as wide as its title needs, the spare room shared
        equally (tabs shrink in proportion only when the bar is too narrow for them)."""
        widths = self._widths()
        x = self.rect.x + 12 + sum(widths[:index])
        return pygame.Rect(x, self.rect.y + 8, widths[index] - 6, self.rect.height - 16)

    def _widths(self) -> list[int]:
        count = max(1, len(self.tabs))
        room = max(count, self.rect.width - 24)
        needed = self._needed if len(self._needed) == len(self.tabs) else []
        if not needed:
            return [min(180, room // count)] * count
        total = sum(needed)
        if total > room:  # too narrow: shrink every tab in proportion
            return [max(1, room * n // total) for n in needed]
        spare = (room - total) // count
        return [min(max(n, 180), n + spare) for n in needed]

    def measure(self, ui: Ui) -> None:
        """Record the width each title needs (icon, gap, bold title, padding)."""
        self._needed = [10 + 26 + 10 + ui.fonts.bold.size(t.title)[0] + 16 + 6 for t in self.tabs]

    def title_fits(self, index: int, ui: Ui) -> bool:
        """True when tab ``index`` shows its whole title (no ellipsis)."""
        rect = self.tab_rect(index)
        room = rect.right - (rect.x + 10 + 26 + 10) - 6
        return ui.fonts.bold.size(self.tabs[index].title)[0] <= room

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            for index, tab in enumerate(self.tabs):
                if tab.enabled and self.tab_rect(index).collidepoint(event.pos):
                    if self.on_select is not None:
                        self.on_select(index)
                    return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            return any(self.tab_rect(i).collidepoint(event.pos) for i in range(len(self.tabs)))
        return False

    def update(self, dt: float, ui: Ui) -> None:
        if len(self._needed) != len(self.tabs):
            self.measure(ui)
        self._indicator = approach(self._indicator, float(self.selected), 14, dt)
        self._hover = next(
            (i for i in range(len(self.tabs)) if self.tab_rect(i).collidepoint(ui.mouse)), -1
        )

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        palette = ui.palette
        if not self.tabs:
            return
        if len(self._needed) != len(self.tabs):
            self.measure(ui)
        # sliding highlight behind the selected tab (between two tabs while it moves)
        low = max(0, min(len(self.tabs) - 1, int(self._indicator)))
        high = min(len(self.tabs) - 1, low + 1)
        share = min(1.0, max(0.0, self._indicator - low))
        a, b = self.tab_rect(low), self.tab_rect(high)
        slide = pygame.Rect(
            round(a.x + (b.x - a.x) * share),
            a.y,
            round(a.width + (b.width - a.width) * share),
            a.height,
        )
        rounded(surface, palette.panel_hi, slide, RADIUS)
        underline = pygame.Rect(slide.x + 14, slide.bottom - 4, slide.width - 28, 3)
        rounded(surface, palette.accent, underline, 2)
        for index, tab in enumerate(self.tabs):
            rect = self.tab_rect(index)
            if index == self._hover and index != self.selected:
                rounded(surface, palette.panel, rect, RADIUS)
            icon_size = 26
            lift = 2 if index == self.selected else 0
            x = rect.x + 10
            image = ui.assets.image(tab.icon, icon_size)
            if not tab.enabled:
                image = image.copy()
                image.set_alpha(90)
            icon_rect = surface.blit(image, (x, rect.centery - icon_size // 2 - lift))
            key = pygame.Rect(0, 0, 14, 14)
            key.center = (icon_rect.right - 1, icon_rect.bottom - 1)
            rounded(surface, palette.bg, key, 4)
            ui.text(
                surface,
                str(index + 1),
                key.center,
                font=ui.fonts.small,
                color=palette.muted,
                anchor="center",
            )
            color = palette.text if index == self.selected else palette.muted
            if not tab.enabled:
                color = palette.faint
            ui.text(
                surface,
                tab.title,
                (x + icon_size + 10, rect.centery - lift),
                font=ui.fonts.bold,
                color=color,
                anchor="midleft",
                max_width=rect.right - (x + icon_size + 10) - 6,
            )
