"""Lobbies of lobby-matched events."""

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from kraty_pygame.sdk.models._base import KratyModel, parse_iso

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["Lobby"]


@dataclass(frozen=True)
class Lobby(KratyModel):
    """A lobby read with ``lobbies.read``; ``bot_slots`` is the server's projection."""

    id: str = ""
    event_id: str = ""
    event_window_id: str = ""
    leaderboard_id: Optional[str] = None
    mode: str = ""
    status: str = ""
    capacity: int = 0
    fill_by: Optional[str] = None
    participant_count: int = 0
    bot_slots: int = 0
    started_at: Optional[str] = None
    ends_at: Optional[str] = None

    @property
    def filled_slots(self) -> int:
        """Seats taken by humans and projected bots, clamped to ``capacity``."""
        return min(self.participant_count + self.bot_slots, self.capacity)

    @property
    def is_forming(self) -> bool:
        """True while the lobby is still filling."""
        return self.status == "forming"

    @property
    def is_active(self) -> bool:
        """True once the lobby started (retry ``events.start`` now)."""
        return self.status == "active"

    @property
    def fill_by_dt(self) -> Optional[datetime]:
        """``fill_by`` as an aware datetime."""
        return parse_iso(self.fill_by)

    @property
    def started_at_dt(self) -> Optional[datetime]:
        """``started_at`` as an aware datetime."""
        return parse_iso(self.started_at)

    @property
    def ends_at_dt(self) -> Optional[datetime]:
        """``ends_at`` as an aware datetime."""
        return parse_iso(self.ends_at)
