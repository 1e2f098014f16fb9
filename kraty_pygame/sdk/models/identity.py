"""Player identity and metadata DTOs.

``players.set_identity`` / ``get_identity`` / ``get_anonymized_identity`` return one
:class:`~kraty_pygame.sdk.models.players.PlayerIdentity`; the whole answer (both
identities) stays reachable as :class:`PlayerIdentities`.
"""

from dataclasses import field
from typing import TYPE_CHECKING, Any, Dict, Optional

from kraty_pygame.sdk.models._base import KratyModel
from kraty_pygame.sdk.models.players import PlayerIdentity

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["PlayerIdentities", "PlayerMetadata"]


@dataclass(frozen=True)
class PlayerIdentities(KratyModel):
    """Both identities of a player: the display identity (what the player chose; None
    until set) and the anonymized identity (the immutable synthetic-pool one).

    ``external_player_id`` is only on the PUT answer.
    """

    external_player_id: str = ""
    display_identity: Optional[PlayerIdentity] = None
    anonymized_identity: Optional[PlayerIdentity] = None


@dataclass(frozen=True)
class PlayerMetadata(KratyModel):
    """The player's metadata after a replace or a merge."""

    external_player_id: str = ""
    metadata: Dict[str, Any] = field(default_factory=dict)
