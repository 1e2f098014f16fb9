"""``WidgetTheme``: colours, fonts and spacing shared by the drop-in widgets."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

import pygame

__all__ = ["Color", "TextCache", "WidgetTheme"]

Color = tuple[int, int, int] | tuple[int, int, int, int]

_TEXT_CACHE_SIZE: Final = 256


@dataclass(frozen=True)
class WidgetTheme:
    """How the widgets look. Every field has a default; override what you need.

    Attributes:
        font_path: a TTF/OTF file, or ``None`` for pygame's default font.
        font_size: body text size in pixels. Default 18.
        title_size: title text size in pixels. Default 22.
        text: body text colour. Default near-white.
        muted: secondary text (bots, captions). Default grey.
        background: panel and toast fill, RGBA. Default dark, slightly transparent.
        border: panel outline. Default slate.
        accent: highlights, humans in the lobby bar, milestone toasts. Default amber.
        success: grant toasts, an active lobby. Default green.
        danger: error toasts, a closed lobby. Default red.
        self_row: background of the player's own leaderboard row. Default blue.
        bot: bot seats in the lobby bar. Default grey-blue.
        empty: empty seats and bar track. Default dark grey.
        radius: corner radius in pixels. Default 8.
        padding: inner spacing in pixels. Default 8.
        toast_width: width of a toast in pixels. Default 300.
        toast_seconds: how long a toast stays before fading. Default 3.0.
        fade_seconds: how long the fade-out takes. Default 0.4.
    """

    font_path: str | None = None
    font_size: int = 18
    title_size: int = 22
    text: Color = (236, 238, 244)
    muted: Color = (150, 156, 172)
    background: Color = (22, 24, 32, 225)
    border: Color = (72, 78, 96)
    accent: Color = (255, 190, 40)
    success: Color = (86, 204, 122)
    danger: Color = (232, 86, 86)
    self_row: Color = (52, 84, 150)
    bot: Color = (110, 124, 150)
    empty: Color = (52, 56, 68)
    radius: int = 8
    padding: int = 8
    toast_width: int = 300
    toast_seconds: float = 3.0
    fade_seconds: float = 0.4
    _fonts: dict[int, pygame.font.Font] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def font(self, size: int | None = None) -> pygame.font.Font:
        """The theme's font at ``size`` pixels (body size by default); cached."""
        px = self.font_size if size is None else size
        cached = self._fonts.get(px)
        if cached is None:
            if not pygame.font.get_init():
                pygame.font.init()
            cached = pygame.font.Font(self.font_path, px)
            self._fonts[px] = cached
        return cached


class TextCache:
    """Rendered text surfaces, reused across frames (rendering text every frame is slow)."""

    def __init__(self, theme: WidgetTheme, size: int = _TEXT_CACHE_SIZE) -> None:
        self._theme = theme
        self._size = size
        self._cache: OrderedDict[tuple[str, Color, int], pygame.Surface] = OrderedDict()
        self._fitted: OrderedDict[tuple[str, Color, int, int], pygame.Surface] = OrderedDict()

    def render(self, text: str, color: Color, size: int | None = None) -> pygame.Surface:
        """``text`` in ``color`` at ``size`` pixels, anti-aliased."""
        px = self._theme.font_size if size is None else size
        key = (text, color, px)
        surface = self._cache.get(key)
        if surface is None:
            surface = self._theme.font(px).render(text, True, color)
            self._cache[key] = surface
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return surface

    def fit(self, text: str, color: Color, width: int, size: int | None = None) -> pygame.Surface:
        """Like :meth:`render`, shortened with an ellipsis to fit ``width`` pixels.

        The result is cached per text, colour, width and size, so a long name costs
        its measuring once, not every frame.
        """
        px = self._theme.font_size if size is None else size
        key = (text, color, width, px)
        fitted = self._fitted.get(key)
        if fitted is not None:
            self._fitted.move_to_end(key)
            return fitted
        fitted = self._fit(text, color, width, px)
        self._fitted[key] = fitted
        if len(self._fitted) > self._size:
            self._fitted.popitem(last=False)
        return fitted

    def _fit(self, text: str, color: Color, width: int, px: int) -> pygame.Surface:
        font = self._theme.font(px)
        if font.size(text)[0] <= width or len(text) <= 1:
            return self.render(text, color, px)
        # binary search for the longest prefix that fits with the ellipsis
        low, high = 1, len(text) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if font.size(text[:middle] + "…")[0] <= width:
                low = middle
            else:
                high = middle - 1
        return self.render(text[:low] + "…", color, px)
