"""Loads the demo's fonts, images and sounds from its ``assets/`` folder (with fallbacks).

The folder sits next to this module, in a clone and in an installed wheel alike. A
missing image is drawn on the spot (by :mod:`demo_game.assets_gen` in a clone, a plain
placeholder otherwise); a missing font falls back to pygame's built-in one; sounds are
optional: when the mixer cannot start (no audio device, ``--mute``) :meth:`Assets.play`
does nothing. :meth:`Assets.summary` says which of them were really loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

import pygame

from .theme import Fonts

log = logging.getLogger(__name__)

ASSETS_DIR: Final = Path(__file__).resolve().parent / "assets"
SAMPLE_RATE: Final = 22050
"""The rate the bundled WAV files were written at (the generator uses the same)."""
_PLACEHOLDER_SIZE: Final = 64


def _font(path: Path, size: int) -> pygame.font.Font:
    if path.is_file():
        return pygame.font.Font(str(path), size)
    return pygame.font.Font(None, round(size * 1.3))


def font_files(root: Path = ASSETS_DIR) -> dict[str, Path]:
    """The font file of each face of :class:`Fonts` (it may be missing on disk)."""
    fonts = root / "fonts"
    sans, bold, mono = (
        fonts / "DejaVuSans.ttf",
        fonts / "DejaVuSans-Bold.ttf",
        fonts / "DejaVuSansMono.ttf",
    )
    return {
        "small": sans,
        "body": sans,
        "bold": bold,
        "title": bold,
        "big": bold,
        "huge": bold,
        "mono": mono,
    }


def _placeholder(name: str) -> pygame.Surface:
    """A neutral tile for an image that is neither on disk nor drawable here."""
    surface = pygame.Surface((_PLACEHOLDER_SIZE, _PLACEHOLDER_SIZE), pygame.SRCALPHA)
    pygame.draw.rect(surface, (120, 128, 148), surface.get_rect(), border_radius=12)
    return surface


def _draw_missing(name: str) -> pygame.Surface:
    try:
        from . import assets_gen  # noqa: PLC0415 - in a clone only; not shipped in the wheel
    except ImportError:
        return _placeholder(name)
    if name not in assets_gen.SPRITES:
        return _placeholder(name)
    return assets_gen.draw_sprite(name)


def load_fonts(root: Path = ASSETS_DIR, scale: float = 1.0) -> Fonts:
    """Open the DejaVu faces at the demo's sizes (pygame's default font if absent)."""
    files = font_files(root)
    missing = sorted({str(path) for path in files.values() if not path.is_file()})
    if missing:
        log.warning("fonts missing, pygame's default font stands in: %s", ", ".join(missing))

    def px(n: int) -> int:
        return max(8, round(n * scale))

    sizes = {"small": 12, "body": 14, "bold": 14, "title": 19, "big": 28, "huge": 46, "mono": 12}
    return Fonts(**{face: _font(files[face], px(size)) for face, size in sizes.items()})


class Assets:
    """Fonts, images (cached per size) and sounds for the running game."""

    def __init__(self, root: Path = ASSETS_DIR, *, sound: bool = True) -> None:
        self.root = root
        self.fonts = load_fonts(root)
        self._font_files = {
            face: str(path) if path.is_file() else None for face, path in font_files(root).items()
        }
        self._images: dict[str, pygame.Surface] = {}
        self._scaled: dict[tuple[str, int], pygame.Surface] = {}
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self._drawn: set[str] = set()
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
            self._drawn.add(name)
            surface = _draw_missing(name)
        if pygame.display.get_surface() is not None:
            surface = surface.convert_alpha()
        return surface

    # ---------------------------------------------------------------- sounds

    def _start_mixer(self) -> None:
        try:
            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=SAMPLE_RATE, size=-16, channels=1)
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

    def summary(self) -> dict[str, Any]:
        """What was really loaded: font files, sounds, images read vs drawn (JSON-ready)."""
        return {
            "root": str(self.root),
            "fonts": dict(self._font_files),
            "mixer": self.mixer_ok,
            "muted": self.muted,
            "sounds": sorted(self._sounds),
            "images_read": sorted(set(self._images) - self._drawn),
            "images_drawn": sorted(self._drawn),
        }

    def close(self) -> None:
        """Stop the mixer if this object started it."""
        if self.mixer_ok:
            pygame.mixer.quit()
            self.mixer_ok = False
