"""Sprite particles: sparks and floating labels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from ..theme import PALETTE, RGB
from ..ui.text import Ui


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
