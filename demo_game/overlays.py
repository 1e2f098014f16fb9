"""The crate reveal: a modal that shakes the crate, bursts it open and shows the loot."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from kraty_pygame.sdk import RewardEntryPreview

from . import rules
from .theme import PALETTE
from .ui import Particles, Ui, rounded


@dataclass(frozen=True)
class Loot:
    """One line of a crate's contents: sprite and words."""

    icon: str
    text: str


class CrateReveal:
    """Modal crate opening: shake (0.7 s), burst, then the rolled entries fly in.

    Closes on a click, Enter or Esc once the loot is shown (or after ``auto_close``
    seconds, so an unattended demo moves on).
    """

    SHAKE = 0.7
    BURST = 0.35

    def __init__(self, title: str, loot: list[Loot], *, auto_close: float = 8.0) -> None:
        self.title = title
        self.loot = loot
        self.age = 0.0
        self.finished = False
        self.auto_close = auto_close
        self.particles = Particles()
        self._burst_done = False
        self._pending_burst = False
        self._closing = 0.0

    @property
    def revealed(self) -> bool:
        """True once the contents are on screen (clicks close it from then on)."""
        return self.age >= self.SHAKE + self.BURST

    def close(self) -> None:
        """Start fading out."""
        if self._closing == 0.0:
            self._closing = 0.001

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool:
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self.revealed:
            self.close()
            return True
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_SPACE):
            if self.revealed:
                self.close()
            return True
        return event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP)

    def update(self, dt: float, ui: Ui) -> None:
        self.age += dt
        if not self._burst_done and self.age >= self.SHAKE:
            self._burst_done = True
            self._pending_burst = True
            ui.assets.play("crate_open")
        if self._closing > 0:
            self._closing += dt
            if self._closing > 0.25:
                self.finished = True
        elif self.age > self.auto_close:
            self.close()
        self.particles.update(dt)

    def draw(self, surface: pygame.Surface, ui: Ui) -> None:
        w, h = surface.get_size()
        fade = 1.0 - min(1.0, self._closing / 0.25) if self._closing else 1.0
        veil = pygame.Surface((w, h), pygame.SRCALPHA)
        veil.fill((8, 9, 14, round(190 * min(1.0, self.age * 5) * fade)))
        surface.blit(veil, (0, 0))
        card = pygame.Rect(0, 0, min(560, w - 60), min(440, h - 60))
        card.center = (w // 2, h // 2)
        layer = pygame.Surface(card.size, pygame.SRCALPHA)
        local = layer.get_rect()
        rounded(layer, PALETTE.panel, local, 16)
        rounded(layer, PALETTE.border, local, 16, 1)
        ui.text(layer, self.title, (local.centerx, 18), font=ui.fonts.title, anchor="midtop")
        center = (local.centerx, 150)
        if self.age < self.SHAKE:
            shake = math.sin(self.age * 60) * 6 * (self.age / self.SHAKE)
            tilt = math.sin(self.age * 45) * 8 * (self.age / self.SHAKE)
            crate = pygame.transform.rotate(ui.assets.image("crate", 120), tilt)
            layer.blit(crate, crate.get_rect(center=(center[0] + shake, center[1])))
        else:
            if self._pending_burst:
                self._pending_burst = False
                self.particles.burst(card.x + center[0], card.y + center[1], 60, speed=480)
            spin = (self.age - self.SHAKE) * 40
            glow = min(1.0, (self.age - self.SHAKE) * 3)
            rays = pygame.transform.rotate(ui.assets.image("rays", 260), spin)
            rays.set_alpha(round(230 * glow))
            layer.blit(rays, rays.get_rect(center=center))
            pop = min(1.0, (self.age - self.SHAKE) / self.BURST)
            size = round(120 * (0.8 + 0.2 * math.sin(pop * math.pi / 2)))
            opened = ui.assets.image("crate_open", max(8, size))
            layer.blit(opened, opened.get_rect(center=center))
        if self.revealed:
            y = 240
            for index, item in enumerate(self.loot[:5]):
                appear = min(1.0, (self.age - self.SHAKE - self.BURST - index * 0.15) * 4)
                if appear <= 0:
                    continue
                x_off = round((1 - appear) * 60)
                row = pygame.Rect(60 + x_off, y, local.width - 120, 34)
                rounded(layer, PALETTE.panel_hi, row, 8)
                layer.blit(ui.assets.image(item.icon, 26), (row.x + 10, row.y + 4))
                ui.text(
                    layer,
                    item.text,
                    (row.x + 46, row.centery),
                    font=ui.fonts.bold,
                    anchor="midleft",
                )
                y += 40
            if not self.loot:
                ui.text(layer, "(empty)", (local.centerx, y), color=PALETTE.muted, anchor="midtop")
            ui.text(
                layer,
                "click or press Enter to continue",
                (local.centerx, local.bottom - 16),
                font=ui.fonts.small,
                color=PALETTE.faint,
                anchor="midbottom",
            )
        appear = min(1.0, self.age * 6)
        layer.set_alpha(round(255 * appear * fade))
        scale = 0.9 + 0.1 * appear
        if scale < 0.999:
            layer = pygame.transform.smoothscale(
                layer, (round(card.width * scale), round(card.height * scale))
            )
        surface.blit(layer, layer.get_rect(center=card.center))
        self.particles.draw(surface, ui)


def loot_from_entries(entries: list[RewardEntryPreview], names: dict[str, str]) -> list[Loot]:
    """Loot lines for a grant's reward entries."""
    return [Loot(rules.entry_icon(e), rules.describe_entry(e, names)) for e in entries]
