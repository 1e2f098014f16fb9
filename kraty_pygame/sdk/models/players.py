"""Player DTOs: registration and the public identity."""

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from kraty_pygame.sdk.models._base import KratyModel, parse_iso

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["PlayerIdentity", "PlayerRegistration", "SyntheticIdentity"]


@dataclass(frozen=True)
class SyntheticIdentity(KratyModel):
    """A generated display identity (v0.10.0+)."""

    name: str = ""
    avatar: Optional[str] = None


@dataclass(frozen=True)
class PlayerIdentity(KratyModel):
    """A player's public identity: display name, avatar, country."""

    name: str = ""
    avatar: Optional[str] = None
    country: Optional[str] = None


@dataclass(frozen=True)
class PlayerRegistration(KratyModel):
    """Answer of ``players.register``; ``secret`` is only ever returned here.

    The secret never appears in ``repr``.
    """

    player_id: str = ""
    external_player_id: str = ""
    secret: str = field(default="", repr=False)
    secret_prefix: Optional[str] = None
    registered_at: Optional[str] = None
    country: Optional[str] = None
    synthetic_identity: Optional[SyntheticIdentity] = None
    display_identity: Optional[PlayerIdentity] = None
    anonymized_identity: Optional[PlayerIdentity] = None

    @property
    def registered_at_dt(self) -> Optional[datetime]:
        """``registered_at`` as an aware datetime."""
        return parse_iso(self.registered_at)
