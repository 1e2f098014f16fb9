"""The screen protocol every tab implements, plus small layout helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame

from ..ui import Button, Ui, Widget

if TYPE_CHECKING:
    from ..app import App


class Screen:
    """One tab of the demo: owns widgets, lays them out, draws from the shared state."""

    name = "screen"
    title = "Screen"
    icon = "tab_events"

    def __init__(self, app: App) -> None:
        self.app = app
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.widgets: list[Widget] = []

    @property
    def ui(self) -> Ui:
        """The shared drawing context."""
        return self.app.ui

    def add(self, widget: Widget) -> Widget:
        """Register a widget (drawn, updated and focus-cycled in this order)."""
        self.widgets.append(widget)
        return widget

    def find(self, name: str) -> Widget:
        """The widget called ``name`` (the tour clicks widgets by name)."""
        for widget in self.widgets:
            if widget.name == name:
                return widget
        raise KeyError(f"{self.name}: no widget named {name!r}")

    def focusables(self) -> list[Widget]:
        """Widgets Tab / arrows can move the keyboard focus to, in order."""
        return [w for w in self.widgets if w.focusable and w.visible and w.rect.width > 0]

    def layout(self, rect: pygame.Rect) -> None:
        """Place widgets inside ``rect`` (called on start and on every window resize)."""
        self.rect = rect

    def on_enter(self) -> None:
        """Called when the tab becomes visible."""

    def keep_clear(self) -> list[pygame.Rect]:
        """Rects that toasts and notices must not cover: every visible button."""
        return [
            w.rect
            for w in self.widgets
            if isinstance(w, Button) and w.visible and w.rect.width > 0
        ]

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Offer the event to widgets (topmost first); True when one used it."""
        return any(widget.handle_event(event, self.ui) for widget in reversed(self.widgets))

    def update(self, dt: float) -> None:
        """Animate widgets."""
        for widget in self.widgets:
            widget.update(dt, self.ui)

    def draw(self, surface: pygame.Surface) -> None:
        """Draw the widgets (screens draw their cards first, then call this)."""
        for widget in self.widgets:
            widget.draw(surface, self.ui)

    def snapshot(self) -> dict[str, Any]:
        """What the screen currently shows, as plain data (the tour's report and tests)."""
        return {"screen": self.name}


def split_columns(rect: pygame.Rect, fractions: list[float], gap: int) -> list[pygame.Rect]:
    """Cut ``rect`` into columns whose widths follow ``fractions`` (summing to 1)."""
    usable = rect.width - gap * (len(fractions) - 1)
    out: list[pygame.Rect] = []
    x = rect.x
    for i, fraction in enumerate(fractions):
        width = rect.right - x if i == len(fractions) - 1 else round(usable * fraction)
        out.append(pygame.Rect(x, rect.y, width, rect.height))
        x += width + gap
    return out


def split_rows(rect: pygame.Rect, heights: list[int | None], gap: int) -> list[pygame.Rect]:
    """Cut ``rect`` into rows; ``None`` heights share what the fixed ones leave."""
    fixed = sum(h for h in heights if h is not None)
    flexible = [h for h in heights if h is None]
    rest = max(0, rect.height - fixed - gap * (len(heights) - 1))
    share = rest // len(flexible) if flexible else 0
    out: list[pygame.Rect] = []
    y = rect.y
    for h in heights:
        height = share if h is None else h
        out.append(pygame.Rect(rect.x, y, rect.width, height))
        y += height + gap
    return out
