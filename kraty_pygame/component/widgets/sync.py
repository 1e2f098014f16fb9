"""``SyncBadge``: "3 rewards waiting to sync", fed by ``KRATY_SYNC`` and ``KRATY_CONNECTION``."""

from __future__ import annotations

import pygame

from kraty_pygame.component.event_types import KRATY_CONNECTION, KRATY_SYNC
from kraty_pygame.component.widgets.theme import TextCache, WidgetTheme

__all__ = ["SyncBadge"]


class SyncBadge:
    """A small badge telling the player how many writes wait for the server.

    Feed it the game's events with :meth:`handle_event` (``KRATY_SYNC`` carries the
    pending count, ``KRATY_CONNECTION`` with source ``calls`` the online state), or set
    :attr:`pending` yourself from ``component.stats.pending_writes``. Nothing is drawn
    while nothing waits and the game is online.

    Args:
        theme: colours and fonts.
        noun: what the waiting writes are called on screen (singular, plural).
    """

    def __init__(
        self,
        theme: WidgetTheme | None = None,
        *,
        noun: tuple[str, str] = ("reward", "rewards"),
    ) -> None:
        self.theme = theme or WidgetTheme()
        self.noun = noun
        self.pending = 0
        self.online: bool | None = None
        self.last_error: BaseException | None = None
        self._text = TextCache(self.theme)

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Take a ``KRATY_SYNC`` event or the calls' ``KRATY_CONNECTION``; True if it did."""
        if event.type == KRATY_SYNC:
            pending = getattr(event, "pending", None)
            if isinstance(pending, int) and pending >= 0:
                self.pending = pending
            if getattr(event, "kind", "") in {"failed", "unknown", "held"}:
                self.last_error = getattr(event, "error", None)
            return True
        if event.type == KRATY_CONNECTION and getattr(event, "source", "") == "calls":
            self.online = getattr(event, "state", "") == "online"
            return True
        return False

    @property
    def visible(self) -> bool:
        """True when there is something to show: writes waiting, or the game is offline."""
        return self.pending > 0 or self.online is False

    def label(self) -> str:
        """The text: ``"3 rewards waiting to sync"``, ``"Offline"`` or ``"All synced"``."""
        if self.pending > 0:
            singular, plural = self.noun
            noun = singular if self.pending == 1 else plural
            text = f"{self.pending} {noun} waiting to sync"
            return f"{text} (offline)" if self.online is False else text
        return "Offline" if self.online is False else "All synced"

    def size(self) -> tuple[int, int]:
        """The badge's size in pixels for the current label (to place it)."""
        text = self._text.render(self.label(), self.theme.text)
        pad = self.theme.padding
        return text.get_width() + 2 * pad + 14, text.get_height() + 2 * pad

    def draw(self, surface: pygame.Surface, pos: tuple[int, int]) -> pygame.Rect | None:
        """Draw the badge with its top-left corner at ``pos``; returns its rect (or None)."""
        if not self.visible:
            return None
        theme = self.theme
        pad = theme.padding
        colour = theme.danger if self.online is False else theme.accent
        text = self._text.render(self.label(), theme.text)
        rect = pygame.Rect(pos, self.size())
        card = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.rect(card, theme.background, card.get_rect(), border_radius=theme.radius)
        pygame.draw.circle(card, colour, (pad + 4, rect.height // 2), 5)
        card.blit(text, (pad + 14, pad))
        surface.blit(card, rect)
        return rect
