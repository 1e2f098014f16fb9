"""Drawing helpers: rounded rects, cards, pills, progress bars."""

from __future__ import annotations

import pygame

from ..theme import PALETTE, RADIUS, RGB
from ..ui.text import Anchor, Ui


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
