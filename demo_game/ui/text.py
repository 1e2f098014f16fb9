"""Text: the masking, caching renderer and the ``Ui`` drawing context."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pygame

from ..assets import Assets
from ..theme import PALETTE, RGB, Fonts, Palette

if TYPE_CHECKING:
    from ..ui.widgets import Widget

MASK = "\u2022" * 8
Anchor = Literal["topleft", "midleft", "center", "midright", "topright", "midtop", "midbottom"]


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
