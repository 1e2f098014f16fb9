"""Loads the demo's fonts, images and sounds from ``assets/`` (with fallbacks).

Images missing on disk are drawn on the spot by :mod:`demo_game.assets_gen`; a
missing font falls back to pygame's built-in one; sounds are optional: when the
mixer cannot start (no audio device, ``--mute``) :meth:`Assets.play` does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame

from . import assets_gen
from .theme import Fonts

log = logging.getLogger(__name__)

ASSETS_DIR = assets_gen.ASSETS_DIR


def _font(path: Path, size: int) -> pygame.font.Font:
    if path.is_file():
        return pygame.font.Font(str(path), size)
    return pygame.font.Font(None, round(size * 1.3))


def load_fonts(root: Path = ASSETS_DIR, scale: float = 1.0) -> Fonts:
    """Open the DejaVu faces at the demo's sizes (pygame's default font if absent)."""
    fonts = root / "fonts"
    sans, bold, mono = (
        fonts / "DejaVuSans.ttf",
        fonts / "DejaVuSans-Bold.ttf",
        fonts / "DejaVuSansMono.ttf",
    )

    def px(n: int) -> int:
        return max(8, round(n * scale))

    return Fonts(
        small=_font(sans, px(12)),
        body=_font(sans, px(14)),
        bold=_font(bold, px(14)),
        title=_font(bold, px(19)),
        big=_font(bold, px(28)),
        huge=_font(bold, px(46)),
        mono=_font(mono, px(12)),
    )


class Assets:
    """Fonts, images (cached per size) and sounds for the running game."""

    def __init__(self, root: Path = ASSETS_DIR, *, sound: bool = True) -> None:
        self.root = root
        self.fonts = load_fonts(root)
        self._images: dict[str, pygame.Surface] = {}
        self._scaled: dict[tuple[str, int], pygame.Surface] = {}
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self.mixer_ok = False
        self.muted = not sound
        if sound:
            self._start_mixer()

    # ---------------------------------------------------------------- images

    def image(self, name: str, size: int | None = None) -> pygame.Surface:
        """The sprite ``name`` (``assets/images/<name>.png``), square ``size`` if given."""
        if size is not None:
            key = (name, size)
            cached = self._scaled.get(key)
            if cached is None:
                base = self.image(name)
                cached = pygame.transform.smoothscale(base, (size, size))
                self._scaled[key] = cached
            return cached
        surface = self._images.get(name)
        if surface is None:
            surface = self._load_image(name)
            self._images[name] = surface
        return surface

    def _load_image(self, name: str) -> pygame.Surface:
        path = self.root / "images" / f"{name}.png"
        try:
            surface = pygame.image.load(str(path)) if path.is_file() else None
        except pygame.error:
            log.warning("could not read %s; drawing it instead", path)
            surface = None
        if surface is None:
            surface = assets_gen.draw_sprite(name)
        if pygame.display.get_surface() is not None:
            surface = surface.convert_alpha()
        return surface

    # ---------------------------------------------------------------- sounds

    def _start_mixer(self) -> None:
        try:
            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=assets_gen.SAMPLE_RATE, size=-16, channels=1)
        except pygame.error as exc:
            log.info("no audio (%s): the demo runs silent", exc)
            return
        self.mixer_ok = True
        for path in sorted((self.root / "sounds").glob("*.wav")):
            try:
                self._sounds[path.stem] = pygame.mixer.Sound(str(path))
            except pygame.error:
                log.warning("could not read %s", path)
        for sound in self._sounds.values():
            sound.set_volume(0.5)

    def play(self, name: str) -> None:
        """Play a short effect; silent without a mixer or when muted."""
        if self.muted or not self.mixer_ok:
            return
        sound = self._sounds.get(name)
        if sound is not None:
            sound.play()

    def close(self) -> None:
        """Stop the mixer if this object started it."""
        if self.mixer_ok:
            pygame.mixer.quit()
            self.mixer_ok = False
