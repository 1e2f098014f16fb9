"""A small immediate-feeling widget kit on plain pygame: buttons, text inputs, lists, tabs.

Widgets keep their own rect (set by the screen's ``layout``), react to pygame events
in ``handle_event`` (returning True when they used the event), animate in ``update``
and draw themselves in ``draw``. Every string reaches the font renderer through
:class:`TextRenderer`, which caches rendered text and replaces any registered secret
with bullets, so no screen can show a player secret even by mistake.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import pygame

from demo_game.assets import Assets
from demo_game.theme import PALETTE, RADIUS, RADIUS_SMALL, RGB, Fonts, Palette, approach, mix

MASK = "\u2022" * 8
T = TypeVar("T")
Anchor = Literal["topleft", "midleft", "center", "midright", "topright", "midtop", "midbottom"]
Variant = Literal["primary", "secondary", "ghost", "danger", "good", "warn"]


# --------------------------------------------------------------------------- text


class TextRenderer:
    """Renders strings (cached) and masks every registered secret before rendering."""

    def __init__(self, capacity: int = 3000) -> None:
        self._cache: OrderedDict[tuple[int, str, RGB], pygame.Surface] = OrderedDict()
        self._capacity = capacity
        self._secrets: set[str] = set()
        self.rendered_count = 0

    def register_secret(self, secret: str | None) -> None:
        """Never render ``secret`` (or any text containing it) from now on."""
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def mask(self, text: str) -> str:
        """``text`` with every registered secret replaced by bullets."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def render(self, font: pygame.font.Font, text: str, color: RGB) -> pygame.Surface:
        """A cached, antialiased rendering of ``text`` (secrets masked)."""
        if self._secrets:
            text = self.mask(text)
        key = (id(font), text, color)
        surface = self._cache.get(key)
        if surface is not None:
            self._cache.move_to_end(key)
            return surface
        surface = font.render(text, True, color)
        self.rendered_count += 1
        self._cache[key] = surface
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return surface

    def fit(self, font: pygame.font.Font, text: str, width: int) -> str:
        """``text`` (secrets masked) shortened with an ellipsis so it fits ``width`` pixels."""
        if self._secrets:
            text = self.mask(text)
        if width <= 0:
            return ""
        if font.size(text)[0] <= width:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if font.size(text[:mid] + "\u2026")[0] <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo] + "\u2026"


@dataclass
class Ui:
    """What widgets need to draw: fonts, images, colours, text renderer, clock, focus."""

    fonts: Fonts
    assets: Assets
    text_renderer: TextRenderer
    palette: Palette = PALETTE
    time: float = 0.0
    focus: Widget | None = None
    mouse: tuple[int, int] = (-1, -1)

    def text(
        self,
        surface: pygame.Surface,
        text: str,
        pos: tuple[int, int],
        *,
        font: pygame.font.Font | None = None,
        color: RGB | None = None,
        anchor: Anchor = "topleft",
        max_width: int | None = None,
    ) -> pygame.Rect:
        """Draw one line of text anchored at ``pos``; returns the rect it covered."""
        font = font or self.fonts.body
        text = self.text_renderer.mask(text)  # before measuring, too: a secret never reaches a font
        if max_width is not None:
            text = self.text_renderer.fit(font, text, max_width)
        rendered = self.text_renderer.render(font, text, color or self.palette.text)
        rect = rendered.get_rect(**{anchor: pos})
        surface.blit(rendered, rect)
        return rect

    def wrap(self, text: str, font: pygame.font.Font, width: int) -> list[str]:
        """Greedy word wrap into lines no wider than ``width``."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if font.size(candidate)[0] <= width or not line:
                    line = candidate
                else:
                    lines.append(line)
                    line = word
            lines.append(line)
        return lines


# --------------------------------------------------------------------------- drawing


def rounded(
    surface: pygame.Surface, color: RGB, rect: pygame.Rect, radius: int = RADIUS, width: int = 0
) -> None:
    """A filled (or outlined) rounded rectangle."""
    pygame.draw.rect(surface, color, rect, width, border_radius=radius)


def panel(
    surface: pygame.Surface,
    rect: pygame.Rect,
    *,
    color: RGB = PALETTE.panel,
    radius: int = RADIUS,
    border: RGB | None = PALETTE.border,
    shadow: bool = True,
) -> None:
    """A card: soft offset shadow, fill and a 1 px border."""
    if shadow:
        rounded(surface, PALETTE.shadow, rect.move(0, 3), radius)
    rounded(surface, color, rect, radius)
    if border is not None:
        rounded(surface, border, rect, radius, 1)


def pill(
    ui: Ui,
    surface: pygame.Surface,
    text: str,
    pos: tuple[int, int],
    *,
    color: RGB,
    text_color: RGB | None = None,
    icon: str | None = None,
    anchor: Anchor = "topleft",
    font: pygame.font.Font | None = None,
) -> pygame.Rect:
    """A small rounded badge (cost, tag, status) with an optional icon."""
    font = font or ui.fonts.small
    rendered = ui.text_renderer.render(font, text, text_color or ui.palette.text)
    icon_size = rendered.get_height() + 2
    width = rendered.get_width() + 14 + (icon_size + 4 if icon else 0)
    height = rendered.get_height() + 6
    rect = pygame.Rect(0, 0, width, height)
    setattr(rect, anchor, pos)
    rounded(surface, color, rect, height // 2)
    x = rect.x + 7
    if icon:
        surface.blit(ui.assets.image(icon, icon_size), (x, rect.centery - icon_size // 2))
        x += icon_size + 4
    surface.blit(rendered, (x, rect.y + 3))
    return rect


def progress_bar(
    surface: pygame.Surface,
    rect: pygame.Rect,
    fraction: float,
    *,
    color: RGB = PALETTE.accent,
    back: RGB = PALETTE.panel_lo,
) -> None:
    """A rounded horizontal bar filled to ``fraction`` (0..1)."""
    radius = rect.height // 2
    rounded(surface, back, rect, radius)
    fraction = max(0.0, min(1.0, fraction))
    if fraction > 0:
        filled = rect.copy()
        filled.width = max(rect.height, round(rect.width * fraction))
        rounded(surface, color, filled, radius)


# --------------------------------------------------------------------------- widgets


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


def _clicked(event: pygame.event.Event, rect: pygame.Rect) -> bool:
    return bool(
        event.type == pygame.MOUSEBUTTONUP and event.button == 1 and rect.collidepoint(event.pos)
    )


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
        return {
            "primary": palette.accent,
            "secondary": palette.panel_hi,
            "ghost": palette.panel,
            "danger": palette.bad,
            "good": palette.good,
            "warn": palette.warn,
        }[self.variant]

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
        base = {
            "primary": palette.accent,
            "secondary": palette.panel_hi,
            "ghost": palette.panel,
            "danger": palette.bad,
            "good": palette.good,
            "warn": palette.warn,
        }[action.variant]
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

    def tab_rect(self, index: int) -> pygame.Rect:
        """Screen rect of tab ``index``."""
        count = max(1, len(self.tabs))
        width = min(180, (self.rect.width - 24) // count)
        return pygame.Rect(
            self.rect.x + 12 + index * width, self.rect.y + 8, width - 6, self.rect.height - 16
        )

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
        self._indicator = approach(self._indicator, float(self.selected), 14, dt)
        self._hover = next(
            (i for i in range(len(self.tabs)) if self.tab_rect(i).collidepoint(ui.mouse)), -1
        )

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        palette = ui.palette
        if not self.tabs:
            return
        # sliding highlight behind the selected tab
        first = self.tab_rect(0)
        step = self.tab_rect(1).x - first.x if len(self.tabs) > 1 else 0
        slide = first.copy()
        slide.x = round(first.x + step * self._indicator)
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


class Particles:
    """Cheap sprite particles (sparks, floating "+1" labels) with gravity and fade."""

    @dataclass
    class _P:
        x: float
        y: float
        vx: float
        vy: float
        life: float
        total: float
        text: str | None
        color: RGB
        size: int
        gravity: float

    def __init__(self) -> None:
        self.items: list[Particles._P] = []
        self._seed = 12345

    def _rand(self) -> float:
        self._seed = (1103515245 * self._seed + 12345) & 0x7FFFFFFF
        return self._seed / 0x7FFFFFFF

    def burst(
        self,
        x: float,
        y: float,
        count: int,
        *,
        speed: float = 220,
        color: RGB = PALETTE.gold,
        size: int = 18,
    ) -> None:
        """Spray ``count`` sparks from (x, y)."""
        for _ in range(count):
            angle = self._rand() * math.tau
            v = speed * (0.4 + 0.6 * self._rand())
            life = 0.5 + 0.5 * self._rand()
            self.items.append(
                Particles._P(
                    x,
                    y,
                    math.cos(angle) * v,
                    math.sin(angle) * v - 80,
                    life,
                    life,
                    None,
                    color,
                    size,
                    380,
                )
            )

    def label(self, x: float, y: float, text: str, color: RGB = PALETTE.text) -> None:
        """A floating label that rises and fades."""
        drift = (self._rand() - 0.5) * 60
        self.items.append(Particles._P(x, y, drift, -120, 0.9, 0.9, text, color, 0, -40))

    def update(self, dt: float) -> None:
        """Move and age every particle."""
        alive = []
        for p in self.items:
            p.life -= dt
            if p.life <= 0:
                continue
            p.vy += p.gravity * dt
            p.x += p.vx * dt
            p.y += p.vy * dt
            alive.append(p)
        self.items = alive

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        """Draw every particle (alpha follows remaining life)."""
        for p in self.items:
            alpha = max(0, min(255, round(255 * p.life / p.total)))
            if p.text is not None:
                rendered = ui.text_renderer.render(ui.fonts.title, p.text, p.color).copy()
                rendered.set_alpha(alpha)
                surface.blit(rendered, rendered.get_rect(center=(round(p.x), round(p.y))))
            else:
                image = ui.assets.image("sparkle", p.size).copy()
                image.set_alpha(alpha)
                surface.blit(image, (round(p.x) - p.size // 2, round(p.y) - p.size // 2))


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
        self._rects = []
        x, y = self.rect.x, self.rect.y
        for key, label in self.items:
            width = ui.fonts.bold.size(label)[0] + 28
            if x + width > self.rect.right and x > self.rect.x:
                x = self.rect.x
                y += self.height + 6
            self._rects.append((pygame.Rect(x, y, width, self.height), key))
            x += width + 6

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
