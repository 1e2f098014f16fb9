"""Basic widgets: the ``Widget`` base, buttons, text inputs, chip rows, text views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import pygame

from ..theme import RADIUS, RADIUS_SMALL, RGB, Palette, approach, mix
from ..ui.draw import rounded
from ..ui.text import MASK, Ui

Variant = Literal["primary", "secondary", "ghost", "danger", "good", "warn"]


def variant_color(palette: Palette, variant: Variant) -> RGB:
    """The fill colour of a button variant."""
    return {
        "primary": palette.accent,
        "secondary": palette.panel_hi,
        "ghost": palette.panel,
        "danger": palette.bad,
        "good": palette.good,
        "warn": palette.warn,
    }[variant]


class Widget:
    """Base widget: a rect, a name the tour can find it by, focus and visibility."""

    focusable = False

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.visible = True
        self.enabled = True

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        """React to one pygame event; True when it was used."""
        return False

    def update(self, dt: float, ui: Ui) -> None:
        """Advance animations by ``dt`` seconds."""

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        """Draw onto ``surface``."""

    def activate(self, ui: Ui) -> None:
        """What Enter does while this widget has the keyboard focus."""

    def focused(self, ui: Ui) -> bool:
        """True while this widget holds the keyboard focus."""
        return ui.focus is self


class Button(Widget):
    """A rounded button with hover, press and focus feedback."""

    focusable = True

    def __init__(
        self,
        label: str,
        on_click: Callable[[], None] | None = None,
        *,
        name: str = "",
        icon: str | None = None,
        variant: Variant = "primary",
        font: Literal["body", "bold", "small", "title"] = "bold",
        sound: str | None = "tap",
    ) -> None:
        super().__init__(name or label)
        self.label = label
        self.on_click = on_click
        self.icon = icon
        self.variant = variant
        self.font_name = font
        self.sound = sound
        self._hover = 0.0
        self._press = 0.0
        self._armed = False
        self.clicks = 0

    def _base(self, palette: Palette) -> RGB:
        return variant_color(palette, self.variant)

    def click(self, ui: Ui) -> None:
        """Run the action as if the button had been clicked."""
        if not self.enabled:
            ui.assets.play("error")
            return
        self._press = 1.0
        self.clicks += 1
        if self.sound:
            ui.assets.play(self.sound)
        if self.on_click is not None:
            self.on_click()

    def activate(self, ui: Ui) -> None:
        self.click(ui)

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if not self.visible:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.rect.collidepoint(event.pos):
                self._armed = True
                self._press = 0.6
                return True
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            armed, self._armed = self._armed, False
            if armed and self.rect.collidepoint(event.pos):
                ui.focus = self
                self.click(ui)
                return True
        return False

    def update(self, dt: float, ui: Ui) -> None:
        hovering = self.visible and self.rect.collidepoint(ui.mouse)
        self._hover = approach(self._hover, 1.0 if hovering else 0.0, 18, dt)
        self._press = approach(self._press, 0.0, 10, dt)

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        if not self.visible or self.rect.width <= 0:
            return
        palette = ui.palette
        base = self._base(palette)
        if not self.enabled:
            color = mix(base, palette.panel_lo, 0.65)
        else:
            color = mix(base, (255, 255, 255), 0.12 * self._hover)
        shrink = round(3 * self._press)
        rect = self.rect.inflate(-shrink * 2, -shrink * 2)
        rounded(surface, palette.shadow, rect.move(0, 2), RADIUS_SMALL + 2)
        rounded(surface, color, rect, RADIUS_SMALL + 2)
        if self.variant in ("ghost", "secondary"):
            rounded(surface, palette.border, rect, RADIUS_SMALL + 2, 1)
        if self.focused(ui):
            rounded(surface, palette.accent2, rect.inflate(4, 4), RADIUS_SMALL + 4, 2)
        font = getattr(ui.fonts, self.font_name)
        text_color = palette.text if self.enabled else palette.faint
        if self.variant in ("good", "warn"):
            text_color = (20, 24, 32)
        content_w = font.size(self.label)[0]
        icon_size = font.get_height() + 4
        if self.icon:
            content_w += icon_size + 6
        x = rect.centerx - min(content_w, rect.width - 12) // 2
        if self.icon:
            surface.blit(ui.assets.image(self.icon, icon_size), (x, rect.centery - icon_size // 2))
            x += icon_size + 6
        ui.text(
            surface,
            self.label,
            (x, rect.centery),
            font=font,
            color=text_color,
            anchor="midleft",
            max_width=rect.right - x - 6,
        )


class TextInput(Widget):
    """A one-line text field; ``masked`` shows bullets instead of the characters."""

    focusable = True

    def __init__(
        self,
        value: str = "",
        *,
        name: str = "",
        label: str = "",
        placeholder: str = "",
        masked: bool = False,
        on_submit: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(name or label)
        self.value = value
        self.label = label
        self.placeholder = placeholder
        self.masked = masked
        self.on_submit = on_submit
        self.cursor = len(value)

    def set(self, value: str) -> None:
        """Replace the text (cursor to the end)."""
        self.value = value
        self.cursor = len(value)

    def activate(self, ui: Ui) -> None:
        if self.on_submit is not None:
            self.on_submit(self.value)

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if not self.visible:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.rect.collidepoint(event.pos):
                ui.focus = self
                return True
            return False
        if not self.focused(ui):
            return False
        if event.type == pygame.TEXTINPUT:
            self.value = self.value[: self.cursor] + event.text + self.value[self.cursor :]
            self.cursor += len(event.text)
            return True
        if event.type == pygame.KEYDOWN:
            key = event.key
            if key == pygame.K_BACKSPACE:
                if self.cursor > 0:
                    self.value = self.value[: self.cursor - 1] + self.value[self.cursor :]
                    self.cursor -= 1
            elif key == pygame.K_DELETE:
                self.value = self.value[: self.cursor] + self.value[self.cursor + 1 :]
            elif key == pygame.K_LEFT:
                self.cursor = max(0, self.cursor - 1)
            elif key == pygame.K_RIGHT:
                self.cursor = min(len(self.value), self.cursor + 1)
            elif key == pygame.K_HOME:
                self.cursor = 0
            elif key == pygame.K_END:
                self.cursor = len(self.value)
            elif key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.activate(ui)
            elif key in (pygame.K_ESCAPE, pygame.K_TAB):
                return False  # focus handling belongs to the app
            else:
                # printable keys arrive as TEXTINPUT; swallow them here so that typing
                # "1" into a field never switches tabs
                return bool(event.unicode and event.unicode.isprintable())
            return True
        return False

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        if not self.visible or self.rect.width <= 0:
            return
        palette = ui.palette
        focused = self.focused(ui)
        rounded(surface, palette.panel_lo, self.rect, RADIUS_SMALL)
        rounded(surface, palette.accent if focused else palette.border, self.rect, RADIUS_SMALL, 1)
        font = ui.fonts.mono
        inner = self.rect.inflate(-14, 0)
        label_w = 0
        if self.label:
            label_rect = ui.text(
                surface,
                self.label,
                (inner.x, inner.centery),
                font=ui.fonts.small,
                color=palette.muted,
                anchor="midleft",
            )
            label_w = label_rect.width + 8
        x = inner.x + label_w
        shown = MASK if self.masked and self.value else self.value
        if not self.value:
            ui.text(
                surface,
                self.placeholder,
                (x, inner.centery),
                font=font,
                color=palette.faint,
                anchor="midleft",
                max_width=inner.right - x,
            )
        else:
            ui.text(
                surface,
                shown,
                (x, inner.centery),
                font=font,
                anchor="midleft",
                max_width=inner.right - x,
            )
        if focused and int(ui.time * 2) % 2 == 0:
            before = MASK if self.masked and self.value else self.value[: self.cursor]
            cx = min(inner.right - 2, x + font.size(before)[0] + 1)
            pygame.draw.line(
                surface, palette.accent2, (cx, inner.centery - 8), (cx, inner.centery + 8), 2
            )


class Chips(Widget):
    """A row of selectable chips (event picker, board picker, period picker)."""

    focusable = True

    def __init__(
        self,
        *,
        name: str,
        on_select: Callable[[str], None] | None = None,
        height: int = 30,
    ) -> None:
        super().__init__(name)
        self.items: list[tuple[str, str]] = []
        self.selected: str | None = None
        self.on_select = on_select
        self.height = height
        self._rects: list[tuple[pygame.Rect, str]] = []
        self._cursor = 0

    def set_items(self, items: Sequence[tuple[str, str]], selected: str | None) -> None:
        """Replace the chips: ``(key, label)`` pairs, and the selected key."""
        self.items = list(items)
        self.selected = selected

    def rect_of(self, key: str, ui: Ui) -> pygame.Rect | None:
        """Where chip ``key`` is drawn."""
        self._layout(ui)
        return next((r for r, k in self._rects if k == key), None)

    def _layout(self, ui: Ui) -> None:
        """Chips wrap onto more rows when the widget's rect is tall enough for them;
        otherwise they shrink to share one row, so no chip is drawn outside the rect."""
        self._rects = []
        widths = [ui.fonts.bold.size(label)[0] + 28 for _, label in self.items]
        rows_allowed = max(1, (self.rect.height + 6) // (self.height + 6))
        x, y, row = self.rect.x, self.rect.y, 1
        placed: list[tuple[pygame.Rect, str]] = []
        for (key, _), width in zip(self.items, widths, strict=True):
            if x + width > self.rect.right and x > self.rect.x:
                x, y, row = self.rect.x, y + self.height + 6, row + 1
            placed.append((pygame.Rect(x, y, width, self.height), key))
            x += width + 6
        if row <= rows_allowed or not widths:
            self._rects = placed
            return
        room = self.rect.width - 6 * (len(widths) - 1)
        total = sum(widths)
        x = self.rect.x
        for (key, _), width in zip(self.items, widths, strict=True):
            shrunk = max(12, room * width // total)
            self._rects.append((pygame.Rect(x, self.rect.y, shrunk, self.height), key))
            x += shrunk + 6

    def _choose(self, key: str) -> None:
        self.selected = key
        if self.on_select is not None:
            self.on_select(key)

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if not self.visible:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            return any(r.collidepoint(event.pos) for r, _ in self._rects)
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            for rect, key in self._rects:
                if rect.collidepoint(event.pos):
                    ui.focus = self
                    ui.assets.play("tap")
                    self._choose(key)
                    return True
        if event.type == pygame.KEYDOWN and self.focused(ui) and self.items:
            keys = [k for k, _ in self.items]
            index = keys.index(self.selected) if self.selected in keys else -1
            if event.key in (pygame.K_DOWN, pygame.K_UP):
                step = 1 if event.key == pygame.K_DOWN else -1
                self._choose(keys[(index + step) % len(keys)])
                return True
        return False

    def activate(self, ui: Ui) -> None:
        if self.items:
            keys = [k for k, _ in self.items]
            index = keys.index(self.selected) if self.selected in keys else -1
            self._choose(keys[(index + 1) % len(keys)])

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        if not self.visible:
            return
        self._layout(ui)
        palette = ui.palette
        labels = dict(self.items)
        for rect, key in self._rects:
            chosen = key == self.selected
            hovered = rect.collidepoint(ui.mouse)
            color = palette.accent if chosen else (palette.panel_hi if hovered else palette.panel)
            rounded(surface, color, rect, rect.height // 2)
            if not chosen:
                rounded(surface, palette.border, rect, rect.height // 2, 1)
            ui.text(
                surface,
                labels[key],
                rect.center,
                font=ui.fonts.bold,
                color=palette.text if chosen else palette.muted,
                anchor="center",
                max_width=rect.width - 8,
            )
        if self.focused(ui) and self._rects:
            union = self._rects[0][0].unionall([r for r, _ in self._rects])
            rounded(surface, palette.accent2, union.inflate(8, 8), RADIUS, 1)


class TextView(Widget):
    """A scrollable block of monospaced text (raw JSON in the debug panel)."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.lines: list[str] = []
        self.scroll = 0
        self.title = ""

    def set_text(self, text: str, title: str = "") -> None:
        """Replace the text (scroll back to the top when it changed)."""
        lines = text.splitlines() or [""]
        if lines != self.lines:
            self.lines = lines
            self.scroll = 0
        self.title = title

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if event.type == pygame.MOUSEWHEEL and self.rect.collidepoint(ui.mouse):
            self.scroll = max(0, min(len(self.lines) - 3, self.scroll - event.y * 3))
            return True
        return False

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        palette = ui.palette
        rounded(surface, palette.panel_lo, self.rect, RADIUS_SMALL)
        rounded(surface, palette.border, self.rect, RADIUS_SMALL, 1)
        font = ui.fonts.mono
        line_h = font.get_linesize()
        y = self.rect.y + 6
        if self.title:
            ui.text(
                surface, self.title, (self.rect.x + 8, y), font=ui.fonts.small, color=palette.muted
            )
            y += line_h + 4
        clip = surface.get_clip()
        surface.set_clip(self.rect.clip(clip))
        for line in self.lines[self.scroll :]:
            if y > self.rect.bottom - line_h:
                break
            color = palette.text
            stripped = line.lstrip()
            if stripped.startswith('"') and '":' in stripped:
                color = palette.accent2
            ui.text(
                surface,
                line,
                (self.rect.x + 8, y),
                font=font,
                color=color,
                max_width=self.rect.width - 16,
            )
            y += line_h
        surface.set_clip(clip)
