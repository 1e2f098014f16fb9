"""Draw the demo game's sprites and synthesise its sounds.

Everything in ``assets/images`` and ``assets/sounds`` comes from this module: shapes
are drawn with plain pygame at four times their size and scaled down smoothly (cheap
anti-aliasing), sounds are sums of sine/triangle/noise voices with envelopes, written
with the standard library's :mod:`wave`. Run ``python -m demo_game.assets_gen`` to
regenerate the files; in a clone the game also calls :func:`draw_sprite` directly
when a PNG is missing. This module stays out of the wheel: installs use the files.
"""

from __future__ import annotations

import argparse
import math
import os
import struct
import sys
import wave
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

Color = tuple[int, int, int] | tuple[int, int, int, int]
Point = tuple[float, float]

SUPERSAMPLE: Final = 4
SAMPLE_RATE: Final = 22050

ASSETS_DIR: Final = Path(__file__).resolve().parent / "assets"

# Palette shared with demo_game.theme (kept here too so the generator stands alone).
GOLD: Final = (255, 196, 61)
GOLD_DARK: Final = (196, 132, 24)
GOLD_LIGHT: Final = (255, 234, 150)
WOOD: Final = (164, 104, 56)
WOOD_DARK: Final = (108, 64, 32)
WOOD_LIGHT: Final = (200, 140, 84)
STEEL: Final = (168, 178, 196)
STEEL_DARK: Final = (96, 104, 124)
RED: Final = (232, 72, 88)
RED_DARK: Final = (150, 32, 52)
BLUE: Final = (86, 156, 255)
BLUE_DARK: Final = (40, 86, 178)
CYAN: Final = (90, 220, 232)
PURPLE: Final = (170, 110, 255)
PURPLE_DARK: Final = (100, 56, 180)
GREEN: Final = (92, 214, 140)
ORANGE: Final = (255, 146, 72)
ORANGE_DARK: Final = (186, 86, 30)
WHITE: Final = (245, 247, 252)
INK: Final = (28, 32, 44)
GREY: Final = (120, 128, 148)
GREY_DARK: Final = (64, 70, 88)


class _Pen:
    """Draws in logical coordinates (0..size) on a supersampled canvas."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.surface = pygame.Surface((size * SUPERSAMPLE, size * SUPERSAMPLE), pygame.SRCALPHA)

    def _p(self, point: Point) -> tuple[int, int]:
        return round(point[0] * SUPERSAMPLE), round(point[1] * SUPERSAMPLE)

    def _n(self, value: float) -> int:
        return max(1, round(value * SUPERSAMPLE))

    def _layer(self, color: Color) -> pygame.Surface:
        """Where to draw ``color``: translucent colours go on a scratch layer that is then
        blended in (pygame's draw functions replace pixels; alpha 0 still cuts holes)."""
        if len(color) == 4 and 0 < color[3] < 255:
            return pygame.Surface(self.surface.get_size(), pygame.SRCALPHA)
        return self.surface

    def _merge(self, layer: pygame.Surface) -> None:
        if layer is not self.surface:
            self.surface.blit(layer, (0, 0))

    def circle(self, color: Color, center: Point, radius: float, width: float = 0) -> None:
        layer = self._layer(color)
        pygame.draw.circle(
            layer, color, self._p(center), self._n(radius), self._n(width) if width else 0
        )
        self._merge(layer)

    def ellipse(
        self, color: Color, rect: tuple[float, float, float, float], width: float = 0
    ) -> None:
        x, y, w, h = rect
        layer = self._layer(color)
        pygame.draw.ellipse(
            layer,
            color,
            pygame.Rect(*self._p((x, y)), self._n(w), self._n(h)),
            self._n(width) if width else 0,
        )
        self._merge(layer)

    def rect(
        self,
        color: Color,
        rect: tuple[float, float, float, float],
        radius: float = 0,
        width: float = 0,
    ) -> None:
        x, y, w, h = rect
        layer = self._layer(color)
        pygame.draw.rect(
            layer,
            color,
            pygame.Rect(*self._p((x, y)), self._n(w), self._n(h)),
            self._n(width) if width else 0,
            border_radius=self._n(radius) if radius else 0,
        )
        self._merge(layer)

    def polygon(self, color: Color, points: Sequence[Point], width: float = 0) -> None:
        layer = self._layer(color)
        pygame.draw.polygon(
            layer, color, [self._p(p) for p in points], self._n(width) if width else 0
        )
        self._merge(layer)

    def line(self, color: Color, start: Point, end: Point, width: float = 1) -> None:
        pygame.draw.line(self.surface, color, self._p(start), self._p(end), self._n(width))
        # round caps
        self.circle(color, start, width / 2)
        self.circle(color, end, width / 2)

    def arc(
        self,
        color: Color,
        rect: tuple[float, float, float, float],
        start: float,
        stop: float,
        width: float,
    ) -> None:
        x, y, w, h = rect
        layer = self._layer(color)
        pygame.draw.arc(
            layer,
            color,
            pygame.Rect(*self._p((x, y)), self._n(w), self._n(h)),
            start,
            stop,
            self._n(width),
        )
        self._merge(layer)

    def finish(self) -> pygame.Surface:
        return pygame.transform.smoothscale(self.surface, (self.size, self.size))


def _star_points(cx: float, cy: float, outer: float, inner: float, tips: int = 5) -> list[Point]:
    points: list[Point] = []
    for i in range(tips * 2):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / tips
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _shade(color: Color, factor: float) -> tuple[int, int, int]:
    r, g, b = color[0], color[1], color[2]
    if factor >= 1:
        return (
            round(r + (255 - r) * (factor - 1)),
            round(g + (255 - g) * (factor - 1)),
            round(b + (255 - b) * (factor - 1)),
        )
    return round(r * factor), round(g * factor), round(b * factor)


# --------------------------------------------------------------------------- sprites


def coin(size: int = 64) -> pygame.Surface:
    """A gold coin with a raised star."""
    pen = _Pen(size)
    c = size / 2
    pen.circle(GOLD_DARK, (c, c + 2), c - 3)
    pen.circle(GOLD, (c, c), c - 4)
    pen.circle(GOLD_DARK, (c, c), c - 11, width=2)
    pen.polygon(GOLD_LIGHT, _star_points(c, c + 1, c - 17, (c - 17) * 0.45))
    pen.polygon(GOLD_DARK, _star_points(c, c + 1, c - 17, (c - 17) * 0.45), width=1.2)
    pen.arc((255, 255, 255, 170), (8, 8, size - 16, size - 16), 1.9, 2.9, 2.5)
    return pen.finish()


def gem(size: int = 64) -> pygame.Surface:
    """A cut blue gem."""
    pen = _Pen(size)
    s = size
    top, girdle, bottom = s * 0.18, s * 0.40, s * 0.88
    left, right = s * 0.12, s * 0.88
    crown_l, crown_r = s * 0.30, s * 0.70
    pen.polygon(
        BLUE_DARK,
        [(crown_l, top), (crown_r, top), (right, girdle), (s / 2, bottom), (left, girdle)],
    )
    pen.polygon(CYAN, [(crown_l, top), (crown_r, top), (s * 0.62, girdle), (s * 0.38, girdle)])
    pen.polygon(BLUE, [(left, girdle), (s * 0.38, girdle), (s / 2, bottom)])
    pen.polygon((140, 200, 255), [(s * 0.38, girdle), (s * 0.62, girdle), (s / 2, bottom)])
    pen.polygon(BLUE, [(s * 0.62, girdle), (right, girdle), (s / 2, bottom)])
    pen.polygon((200, 240, 255), [(crown_l, top), (s * 0.38, girdle), (left, girdle)])
    pen.polygon(
        WHITE,
        [(crown_l, top), (crown_r, top), (right, girdle), (s / 2, bottom), (left, girdle)],
        width=1,
    )
    return pen.finish()


def xp_star(size: int = 64) -> pygame.Surface:
    """A purple experience star."""
    pen = _Pen(size)
    c = size / 2
    pen.polygon(PURPLE_DARK, _star_points(c, c + 2, c - 3, (c - 3) * 0.5))
    pen.polygon(PURPLE, _star_points(c, c, c - 4, (c - 4) * 0.5))
    pen.polygon((214, 186, 255), _star_points(c, c, c - 15, (c - 15) * 0.5))
    return pen.finish()


def crate(size: int = 64) -> pygame.Surface:
    """A closed wooden crate with steel corners and a gold band."""
    pen = _Pen(size)
    s = size
    pen.rect(WOOD_DARK, (5, 11, s - 10, s - 14), radius=5)
    pen.rect(WOOD, (7, 13, s - 14, s - 18), radius=4)
    for y in (24, 36, 48):
        pen.line(WOOD_DARK, (9, y), (s - 9, y), 1.5)
    pen.rect(WOOD_LIGHT, (7, 13, s - 14, 8), radius=3)
    pen.rect(GOLD, (s / 2 - 5, 11, 10, s - 14))
    pen.rect(GOLD_DARK, (s / 2 - 5, 11, 10, s - 14), width=1.2)
    pen.rect(GOLD_LIGHT, (s / 2 - 4, 30, 8, 9), radius=2)
    pen.circle(INK, (s / 2, 34), 1.6)
    for x, y in ((5, 11), (s - 15, 11), (5, s - 13), (s - 15, s - 13)):
        pen.rect(STEEL, (x, y, 10, 10), radius=2)
        pen.circle(STEEL_DARK, (x + 5, y + 5), 1.5)
    return pen.finish()


def crate_open(size: int = 64) -> pygame.Surface:
    """The crate with its lid thrown back and light pouring out."""
    pen = _Pen(size)
    s = size
    for i in range(7):
        angle = -math.pi / 2 + (i - 3) * 0.32
        tip = (s / 2 + math.cos(angle) * s * 0.5, 30 + math.sin(angle) * s * 0.5)
        side = 0.08
        a = (s / 2 + math.cos(angle - side) * s * 0.46, 30 + math.sin(angle - side) * s * 0.46)
        b = (s / 2 + math.cos(angle + side) * s * 0.46, 30 + math.sin(angle + side) * s * 0.46)
        pen.polygon((255, 236, 150, 120), [(s / 2, 32), a, tip, b])
    pen.polygon(WOOD_DARK, [(6, 26), (s - 6, 26), (s - 12, 6), (12, 6)])
    pen.polygon(WOOD_LIGHT, [(8, 24), (s - 8, 24), (s - 13, 8), (13, 8)])
    pen.rect(GOLD_LIGHT, (9, 26, s - 18, 6), radius=2)
    pen.rect(WOOD_DARK, (5, 30, s - 10, s - 33), radius=5)
    pen.rect(WOOD, (7, 32, s - 14, s - 37), radius=4)
    for y in (42, 52):
        pen.line(WOOD_DARK, (9, y), (s - 9, y), 1.5)
    pen.rect(GOLD, (s / 2 - 5, 30, 10, s - 33))
    for x in (5, s - 15):
        pen.rect(STEEL, (x, s - 13, 10, 10), radius=2)
    return pen.finish()


def potion(size: int = 64) -> pygame.Surface:
    """A round red health potion with a cork."""
    pen = _Pen(size)
    s = size
    pen.rect(WOOD_LIGHT, (s / 2 - 6, 4, 12, 9), radius=3)
    pen.rect((200, 220, 240, 200), (s / 2 - 7, 11, 14, 12), radius=2)
    pen.circle((200, 220, 240, 220), (s / 2, 40), 21)
    pen.circle(RED_DARK, (s / 2, 41), 18)
    pen.circle(RED, (s / 2, 43), 15)
    pen.rect(RED, (s / 2 - 17, 35, 34, 8))
    pen.ellipse((255, 150, 160), (s / 2 - 14, 32, 28, 7))
    pen.circle((255, 255, 255, 200), (s / 2 - 8, 34), 4)
    pen.circle((255, 255, 255, 140), (s / 2 + 7, 52), 2)
    pen.line(WHITE, (s / 2 - 4, 48), (s / 2 + 4, 48), 2.5)
    pen.line(WHITE, (s / 2, 44), (s / 2, 52), 2.5)
    return pen.finish()


def badge(size: int = 64) -> pygame.Surface:
    """The hunter badge: a shield with crossed arrows and a star."""
    pen = _Pen(size)
    s = size
    shield = [(s / 2, 4), (s - 8, 12), (s - 10, 36), (s / 2, s - 4), (10, 36), (8, 12)]
    pen.polygon(GREEN, shield)
    inner = [(s / 2, 9), (s - 13, 15), (s - 15, 35), (s / 2, s - 10), (15, 35), (13, 15)]
    pen.polygon((36, 120, 80), inner)
    pen.line(GOLD_LIGHT, (18, 46), (46, 18), 2.5)
    pen.line(GOLD_LIGHT, (18, 18), (46, 46), 2.5)
    pen.polygon(GOLD, _star_points(s / 2, s / 2 - 1, 11, 5))
    pen.polygon(WHITE, shield, width=1.5)
    return pen.finish()


def bot(size: int = 64, color: Color = ORANGE) -> pygame.Surface:
    """A robot head: the glyph for bot participants."""
    pen = _Pen(size)
    s = size
    pen.line(_shade(color, 0.7), (s / 2, 14), (s / 2, 6), 3)
    pen.circle(color, (s / 2, 6), 4)
    pen.rect(_shade(color, 0.6), (6, 14, s - 12, s - 20), radius=12)
    pen.rect(color, (8, 15, s - 16, s - 24), radius=11)
    pen.rect(INK, (15, 24, s - 30, 16), radius=8)
    pen.circle(CYAN, (s / 2 - 8, 32), 4.5)
    pen.circle(CYAN, (s / 2 + 8, 32), 4.5)
    pen.rect(_shade(color, 0.6), (s / 2 - 9, 45, 18, 4), radius=2)
    pen.rect(_shade(color, 0.8), (2, 28, 6, 12), radius=2)
    pen.rect(_shade(color, 0.8), (s - 8, 28, 6, 12), radius=2)
    return pen.finish()


def player(size: int = 64, color: Color = BLUE) -> pygame.Surface:
    """A person: the glyph for human participants."""
    pen = _Pen(size)
    s = size
    pen.ellipse(_shade(color, 0.7), (8, 34, s - 16, s - 22))
    pen.ellipse(color, (10, 35, s - 20, s - 24))
    pen.rect((0, 0, 0, 0), (0, s - 6, s, 6))
    pen.circle(_shade(color, 0.7), (s / 2, 22), 14)
    pen.circle(_shade(color, 1.25), (s / 2, 21), 12.5)
    return _clip_bottom(pen.finish(), 4)


def _clip_bottom(surface: pygame.Surface, pixels: int) -> pygame.Surface:
    w, h = surface.get_size()
    surface.fill((0, 0, 0, 0), pygame.Rect(0, h - pixels, w, pixels))
    return surface


def lock(size: int = 64) -> pygame.Surface:
    """A padlock (locked events)."""
    pen = _Pen(size)
    s = size
    pen.arc(STEEL, (s / 2 - 14, 6, 28, 34), 0, math.pi, 6)
    pen.rect(STEEL, (s / 2 - 14, 20, 6, 10))
    pen.rect(STEEL, (s / 2 + 8, 20, 6, 10))
    pen.rect(GOLD_DARK, (8, 27, s - 16, s - 31), radius=7)
    pen.rect(GOLD, (10, 28, s - 20, s - 34), radius=6)
    pen.circle(INK, (s / 2, 41), 5)
    pen.polygon(INK, [(s / 2 - 3, 42), (s / 2 + 3, 42), (s / 2 + 2, 52), (s / 2 - 2, 52)])
    return pen.finish()


def seat(size: int = 64, fill: Color | None = None) -> pygame.Surface:
    """A lobby seat; outline only when empty."""
    pen = _Pen(size)
    s = size
    color = fill if fill is not None else GREY_DARK
    if fill is None:
        pen.rect(GREY, (8, 6, s - 16, 32), radius=10, width=2.5)
        pen.rect(GREY, (4, 34, s - 8, 14), radius=6, width=2.5)
        pen.line(GREY, (12, 48), (12, s - 6), 3)
        pen.line(GREY, (s - 12, 48), (s - 12, s - 6), 3)
    else:
        pen.rect(_shade(color, 0.7), (8, 6, s - 16, 32), radius=10)
        pen.rect(color, (10, 8, s - 20, 28), radius=9)
        pen.rect(_shade(color, 0.8), (4, 34, s - 8, 14), radius=6)
        pen.line(STEEL_DARK, (12, 48), (12, s - 6), 3)
        pen.line(STEEL_DARK, (s - 12, 48), (s - 12, s - 6), 3)
    return pen.finish()


def flag(size: int = 64) -> pygame.Surface:
    """Tab icon: events."""
    pen = _Pen(size)
    pen.line(STEEL, (14, 8), (14, 58), 4)
    pen.polygon(RED, [(16, 9), (52, 14), (44, 24), (54, 34), (16, 32)])
    return pen.finish()


def target(size: int = 64) -> pygame.Surface:
    """Tab icon: quest."""
    pen = _Pen(size)
    c = size / 2
    pen.circle(RED, (c, c), c - 4)
    pen.circle(WHITE, (c, c), c - 11)
    pen.circle(RED, (c, c), c - 18)
    pen.circle(WHITE, (c, c), c - 25)
    return pen.finish()


def trophy(size: int = 64) -> pygame.Surface:
    """Tab icon: leaderboards."""
    pen = _Pen(size)
    s = size
    pen.arc(GOLD_DARK, (4, 12, 20, 20), math.pi / 2, 3 * math.pi / 2, 3.5)
    pen.arc(GOLD_DARK, (s - 24, 12, 20, 20), -math.pi / 2, math.pi / 2, 3.5)
    pen.polygon(
        GOLD, [(14, 8), (s - 14, 8), (s - 18, 30), (s / 2 + 4, 40), (s / 2 - 4, 40), (18, 30)]
    )
    pen.rect(GOLD_DARK, (s / 2 - 4, 38, 8, 10))
    pen.rect(WOOD, (16, 48, s - 32, 10), radius=3)
    pen.arc(GOLD_LIGHT, (20, 10, 14, 22), math.pi * 0.9, math.pi * 1.4, 2)
    return pen.finish()


def wrench(size: int = 64) -> pygame.Surface:
    """Tab icon: debug."""
    pen = _Pen(size)
    pen.line(STEEL, (18, 46), (42, 22), 9)
    pen.circle(STEEL, (45, 19), 13)
    pen.circle((0, 0, 0, 0), (51, 13), 7)
    pen.polygon((0, 0, 0, 0), [(46, 12), (58, 0), (64, 6), (52, 18)])
    pen.circle(STEEL, (16, 48), 9)
    pen.circle(GREY_DARK, (16, 48), 3.5)
    return pen.finish()


def friends(size: int = 64) -> pygame.Surface:
    """Tab icon: friends (the later sixth screen)."""
    pen = _Pen(size)
    pen.circle(GREEN, (42, 20), 10)
    pen.ellipse(GREEN, (26, 32, 32, 30))
    pen.circle(BLUE, (22, 24), 11)
    pen.ellipse(BLUE, (4, 37, 36, 30))
    return _clip_bottom(pen.finish(), 4)


def clock(size: int = 64) -> pygame.Surface:
    """A small clock for window countdowns."""
    pen = _Pen(size)
    c = size / 2
    pen.circle(STEEL, (c, c), c - 4)
    pen.circle(INK, (c, c), c - 9)
    pen.line(WHITE, (c, c), (c, 16), 4)
    pen.line(CYAN, (c, c), (c + 12, c + 6), 4)
    pen.circle(WHITE, (c, c), 3)
    return pen.finish()


def tap_orb(size: int = 192) -> pygame.Surface:
    """The quest screen's big tap target: a glowing orb with a hand-drawn spark."""
    pen = _Pen(size)
    c = size / 2
    for i in range(10, 0, -1):
        alpha = 14 + (10 - i) * 4
        pen.circle((120, 90, 255, alpha), (c, c), c * (0.62 + i * 0.038))
    pen.circle(PURPLE_DARK, (c, c + 4), c * 0.64)
    pen.circle(PURPLE, (c, c), c * 0.62)
    pen.circle((150, 96, 240), (c, c + c * 0.06), c * 0.52)
    pen.ellipse((230, 214, 255, 150), (c - c * 0.38, c - c * 0.52, c * 0.76, c * 0.36))
    pen.polygon(GOLD_LIGHT, _star_points(c, c + 6, c * 0.28, c * 0.11, tips=4))
    return pen.finish()


def rays(size: int = 256) -> pygame.Surface:
    """A burst of soft golden light rays (spun behind an opening crate)."""
    pen = _Pen(size)
    c = size / 2
    for i in range(12):
        angle = i * math.tau / 12
        half = 0.11
        tip = c * 0.98
        points = [
            (c, c),
            (c + math.cos(angle - half) * tip, c + math.sin(angle - half) * tip),
            (c + math.cos(angle + half) * tip, c + math.sin(angle + half) * tip),
        ]
        pen.polygon((255, 222, 120, 70 if i % 2 else 110), points)
    for radius, alpha in ((c * 0.45, 60), (c * 0.3, 90), (c * 0.18, 130)):
        pen.circle((255, 240, 190, alpha), (c, c), radius)
    return pen.finish()


def sparkle(size: int = 24) -> pygame.Surface:
    """A four-pointed spark used by particles."""
    pen = _Pen(size)
    c = size / 2
    pen.polygon(GOLD_LIGHT, _star_points(c, c, c - 1, c * 0.22, tips=4))
    pen.circle(WHITE, (c, c), c * 0.2)
    return pen.finish()


def app_icon(size: int = 64) -> pygame.Surface:
    """Window icon: the orb on a rounded tile."""
    tile = _Pen(size)
    tile.rect((34, 38, 58), (0, 0, size, size), radius=14)
    surface = tile.finish()
    orb = pygame.transform.smoothscale(tap_orb(192), (size + 8, size + 8))
    surface.blit(orb, (-4, -2))
    return surface


SPRITES: Final[dict[str, Callable[[], pygame.Surface]]] = {
    "coin": coin,
    "gem": gem,
    "xp": xp_star,
    "crate": crate,
    "crate_open": crate_open,
    "potion": potion,
    "badge": badge,
    "bot": bot,
    "player": player,
    "player_self": lambda: player(color=GREEN),
    "lock": lock,
    "seat_empty": seat,
    "seat_human": lambda: seat(fill=BLUE),
    "seat_bot": lambda: seat(fill=ORANGE),
    "tab_events": flag,
    "tab_quest": target,
    "tab_leaderboards": trophy,
    "tab_player": lambda: player(color=CYAN),
    "tab_debug": wrench,
    "tab_friends": friends,
    "clock": clock,
    "tap_orb": tap_orb,
    "sparkle": sparkle,
    "rays": rays,
    "icon": app_icon,
}


def draw_sprite(name: str) -> pygame.Surface:
    """Draw one named sprite (a key of :data:`SPRITES`)."""
    return SPRITES[name]()


# --------------------------------------------------------------------------- sounds


def _noise() -> Iterator[float]:
    """Deterministic white noise in [-1, 1] (a small LCG: same file on every run)."""
    state = 0x2545F491
    while True:
        state = (1103515245 * state + 12345) & 0x7FFFFFFF
        yield state / 0x3FFFFFFF - 1.0


def _tone(freq: float, t: float, shape: str = "sine") -> float:
    phase = (freq * t) % 1.0
    if shape == "triangle":
        return 4 * abs(phase - 0.5) - 1
    if shape == "square":
        return 1.0 if phase < 0.5 else -1.0
    return math.sin(2 * math.pi * phase)


def _render(duration: float, voice: Callable[[float], float]) -> list[float]:
    return [voice(i / SAMPLE_RATE) for i in range(round(duration * SAMPLE_RATE))]


def tap_sound() -> list[float]:
    """A short soft click with a falling pitch."""

    def voice(t: float) -> float:
        env = math.exp(-t * 70)
        return 0.55 * env * _tone(1100 - 3000 * t, t) + 0.15 * env * _tone(2200, t)

    return _render(0.07, voice)


def milestone_sound() -> list[float]:
    """A rising three-note arpeggio with a held last note."""
    notes = ((0.0, 1046.5), (0.09, 1318.5), (0.18, 1568.0))

    def voice(t: float) -> float:
        out = 0.0
        for start, freq in notes:
            if t >= start:
                local = t - start
                decay = 9 if start < 0.18 else 4
                env = min(1.0, local * 200) * math.exp(-local * decay)
                out += 0.32 * env * (_tone(freq, local, "triangle") + 0.3 * _tone(freq * 2, local))
        return out

    return _render(0.75, voice)


def crate_sound() -> list[float]:
    """Wood creak (filtered noise), a rising sweep, then a bright chime."""
    noise = _noise()
    smooth = 0.0

    def voice(t: float) -> float:
        nonlocal smooth
        smooth += 0.18 * (next(noise) - smooth)
        creak = 0.45 * smooth * math.exp(-((t - 0.05) ** 2) / 0.002) if t < 0.25 else 0.0
        sweep = 0.0
        if 0.1 <= t < 0.45:
            local = t - 0.1
            sweep = 0.25 * math.sin(math.pi * local / 0.35) * _tone(300 + 1600 * local, local)
        chime = 0.0
        if t >= 0.42:
            local = t - 0.42
            env = math.exp(-local * 5)
            chime = (
                0.3
                * env
                * (_tone(1760, local) + 0.5 * _tone(2637, local) + 0.25 * _tone(3520, local))
            )
        return creak + sweep + chime

    return _render(1.0, voice)


def coin_sound() -> list[float]:
    """Two quick bright notes: a claim."""

    def voice(t: float) -> float:
        freq, local = (1975.5, t) if t < 0.06 else (2637.0, t - 0.06)
        return 0.35 * math.exp(-local * 14) * _tone(freq, local, "square") * 0.6

    return _render(0.4, voice)


def error_sound() -> list[float]:
    """Two low buzzes: a refused action."""

    def voice(t: float) -> float:
        gate = 1.0 if (t % 0.12) < 0.08 else 0.0
        return 0.25 * gate * _tone(160, t, "square") * math.exp(-t * 3)

    return _render(0.24, voice)


SOUNDS: Final[dict[str, Callable[[], list[float]]]] = {
    "tap": tap_sound,
    "milestone": milestone_sound,
    "crate_open": crate_sound,
    "coin": coin_sound,
    "error": error_sound,
}


def write_wav(path: Path, samples: Sequence[float]) -> None:
    """Write mono 16-bit PCM at :data:`SAMPLE_RATE` (samples clipped to [-1, 1])."""
    frames = b"".join(struct.pack("<h", round(max(-1.0, min(1.0, s)) * 32000)) for s in samples)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)


# --------------------------------------------------------------------------- CLI


def generate(root: Path = ASSETS_DIR) -> list[Path]:
    """Write every sprite and sound under ``root``; returns the files written."""
    images, sounds = root / "images", root / "sounds"
    images.mkdir(parents=True, exist_ok=True)
    sounds.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, draw in SPRITES.items():
        path = images / f"{name}.png"
        pygame.image.save(draw(), str(path))
        written.append(path)
    for name, synth in SOUNDS.items():
        path = sounds / f"{name}.wav"
        write_wav(path, synth())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Regenerate the demo's images and sounds; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m demo_game.assets_gen", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=ASSETS_DIR, help="assets folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    for path in generate(args.out):  # drawing on plain Surfaces needs no pygame.init()
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
