"""Colours, sizes and fonts: one dark theme for every screen of the demo."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import pygame

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """The demo's colours (dark background, two accents, status colours)."""

    bg: RGB = (17, 19, 28)
    bg_top: RGB = (26, 29, 44)
    panel: RGB = (30, 34, 50)
    panel_hi: RGB = (40, 45, 66)
    panel_lo: RGB = (23, 26, 39)
    border: RGB = (56, 62, 88)
    text: RGB = (236, 239, 248)
    muted: RGB = (142, 150, 176)
    faint: RGB = (92, 99, 124)
    accent: RGB = (124, 92, 255)
    accent_hi: RGB = (156, 130, 255)
    accent2: RGB = (56, 200, 220)
    good: RGB = (80, 208, 132)
    warn: RGB = (255, 186, 72)
    bad: RGB = (242, 88, 104)
    gold: RGB = (255, 196, 61)
    human: RGB = (86, 156, 255)
    bot: RGB = (255, 146, 72)
    self_row: RGB = (52, 74, 64)
    shadow: RGB = (8, 9, 14)


PALETTE: Final = Palette()

RADIUS: Final = 10
RADIUS_SMALL: Final = 6
PAD: Final = 12
GAP: Final = 8
TAB_BAR_HEIGHT: Final = 64
STATUS_BAR_HEIGHT: Final = 28
MIN_WINDOW: Final = (800, 560)
DEFAULT_WINDOW: Final = (1180, 760)


@dataclass
class Fonts:
    """The font objects every screen draws with."""

    small: pygame.font.Font
    body: pygame.font.Font
    bold: pygame.font.Font
    title: pygame.font.Font
    big: pygame.font.Font
    huge: pygame.font.Font
    mono: pygame.font.Font


def lerp(a: float, b: float, t: float) -> float:
    """Linear interpolation."""
    return a + (b - a) * t


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Blend two colours (``t`` = 0 gives ``a``)."""
    t = max(0.0, min(1.0, t))
    return (round(lerp(a[0], b[0], t)), round(lerp(a[1], b[1], t)), round(lerp(a[2], b[2], t)))


def approach(value: float, target: float, rate: float, dt: float) -> float:
    """Exponential ease of ``value`` towards ``target`` (``rate`` per second)."""
    return value + (target - value) * (1.0 - math.exp(-rate * dt))
