"""``LobbyBar``: a lobby filling bar (humans, bots, empty seats) fed by ``KRATY_LOBBY``."""

from __future__ import annotations

from typing import Any

import pygame

from kraty_pygame.component.event_types import KRATY_LOBBY
from kraty_pygame.component.widgets.theme import TextCache, WidgetTheme

__all__ = ["LobbyBar"]


class LobbyBar:
    """Shows how full a forming lobby is; seats fill smoothly as bots drip in.

    Args:
        lobby_id: only events of this lobby are taken (``None``: any lobby).
        theme: colours and fonts.
        speed: seats per second the animated fill moves.
    """

    def __init__(
        self,
        lobby_id: str | None = None,
        theme: WidgetTheme | None = None,
        *,
        speed: float = 2.0,
    ) -> None:
        self.lobby_id = lobby_id
        self.theme = theme or WidgetTheme()
        self.speed = speed
        self.lobby: Any = None
        self.shown = 0.0
        self._text = TextCache(self.theme)

    @property
    def capacity(self) -> int:
        """Seats in the lobby (0 before the first state)."""
        return int(getattr(self.lobby, "capacity", 0) or 0)

    @property
    def humans(self) -> int:
        """Players seated."""
        return min(int(getattr(self.lobby, "participant_count", 0) or 0), self.capacity)

    @property
    def filled(self) -> int:
        """Seats taken by humans and (projected) bots, at most the capacity."""
        bots = int(getattr(self.lobby, "bot_slots", 0) or 0)
        return min(self.humans + bots, self.capacity)

    @property
    def status(self) -> str:
        """``forming``, ``active``, ``closed`` or ``""`` before the first state."""
        return str(getattr(self.lobby, "status", "") or "")

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Take a ``KRATY_LOBBY`` event of this lobby; True if it did."""
        if event.type != KRATY_LOBBY:
            return False
        if self.lobby_id is not None and getattr(event.lobby, "id", None) != self.lobby_id:
            return False
        self.set_lobby(event.lobby)
        return True

    def set_lobby(self, lobby: Any) -> None:
        """Show a ``Lobby`` state."""
        self.lobby = lobby

    def update(self, dt: float) -> None:
        """Move the animated fill toward the current seat count (``dt`` in seconds)."""
        target = float(self.filled)
        step = self.speed * max(dt, 0.0)
        if self.shown < target:
            self.shown = min(target, self.shown + step)
        else:
            self.shown = max(target, self.shown - step)

    def label(self) -> str:
        """The caption: who is seated, or the final state."""
        if self.lobby is None:
            return "Looking for a lobby…"
        if self.status == "active":
            return f"Lobby full: {self.filled}/{self.capacity} - go!"
        if self.status == "closed":
            return "Lobby closed"
        bots = self.filled - self.humans
        extra = f" + {bots} bot{'s' if bots != 1 else ''}" if bots else ""
        return f"Finding players: {self.humans}{extra} / {self.capacity}"

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Draw the bar and its caption into ``rect`` of ``surface``."""
        theme = self.theme
        pad = theme.padding
        panel = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.rect(panel, theme.background, panel.get_rect(), border_radius=theme.radius)
        caption_colour = theme.success if self.status == "active" else theme.text
        if self.status == "closed":
            caption_colour = theme.danger
        caption = self._text.fit(self.label(), caption_colour, rect.width - 2 * pad)
        panel.blit(caption, (pad, pad))
        top = pad + caption.get_height() + 4
        track = pygame.Rect(pad, top, rect.width - 2 * pad, max(rect.height - top - pad, 6))
        pygame.draw.rect(panel, theme.empty, track, border_radius=theme.radius)
        seats = self.capacity
        if seats > 0:
            seat_w = track.width / seats
            humans_w = int(seat_w * min(self.humans, self.shown))
            shown_w = int(seat_w * self.shown)
            if shown_w > 0:
                bots = pygame.Rect(track.x, track.y, shown_w, track.height)
                pygame.draw.rect(panel, theme.bot, bots, border_radius=theme.radius)
            if humans_w > 0:
                people = pygame.Rect(track.x, track.y, humans_w, track.height)
                pygame.draw.rect(panel, theme.accent, people, border_radius=theme.radius)
            for seat in range(1, seats):
                x = track.x + int(seat * seat_w)
                pygame.draw.line(panel, theme.background, (x, track.y), (x, track.bottom - 1), 2)
        surface.blit(panel, rect)
