"""Friends, presence and gifting DTOs.

``display_identity`` on these DTOs is the identity to show for that player (the
display identity, or the anonymized one when the player never set a name).
``progression`` is present only when the read asked for it (``progression=[...]``).
"""

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Dict, List, Optional, Union

from kraty_pygame.sdk.models._base import KratyModel, parse_iso
from kraty_pygame.sdk.models.players import PlayerIdentity

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "BlockedPlayer",
    "Friend",
    "FriendCode",
    "FriendPlayer",
    "FriendRequest",
    "FriendRequests",
    "FriendSearchResult",
    "Gift",
    "GiftCatalog",
    "GiftableResource",
    "PlayerPresence",
    "SendFriendRequestResult",
]


@dataclass(frozen=True)
class FriendCode(KratyModel):
    """The player's own friend code (6 characters, stable forever)."""

    friend_code: str = ""
    display_identity: Optional[PlayerIdentity] = None
    progression: Optional[Dict[str, float]] = None


@dataclass(frozen=True)
class PlayerPresence(KratyModel):
    """The caller's presence after a heartbeat."""

    online: bool = False
    last_active_at: Optional[str] = None
    status: Optional[str] = None

    @property
    def last_active_at_dt(self) -> Optional[datetime]:
        """``last_active_at`` as an aware datetime."""
        return parse_iso(self.last_active_at)


@dataclass(frozen=True)
class Friend(KratyModel):
    """A friend with presence; ``gift_cooldown_until`` is set while a gift to them
    would be refused (v0.24.0+, None when they can be gifted now or gifting is off)."""

    external_player_id: str = ""
    display_identity: Optional[PlayerIdentity] = None
    friends_since: str = ""
    online: bool = False
    last_active_at: Optional[str] = None
    status: Optional[str] = None
    progression: Optional[Dict[str, float]] = None
    gift_cooldown_until: Optional[str] = None

    @property
    def name(self) -> str:
        """The name to show ("" when the player has none)."""
        return self.display_identity.name if self.display_identity is not None else ""

    @property
    def gift_cooldown_until_dt(self) -> Optional[datetime]:
        """``gift_cooldown_until`` as an aware datetime."""
        return parse_iso(self.gift_cooldown_until)


@dataclass(frozen=True)
class FriendPlayer(KratyModel):
    """The other player of a friend request or a gift."""

    external_player_id: str = ""
    display_identity: Optional[PlayerIdentity] = None
    progression: Optional[Dict[str, float]] = None


@dataclass(frozen=True)
class FriendRequest(KratyModel):
    """A pending request; ``direction`` is ``incoming`` or ``outgoing``."""

    request_id: str = ""
    direction: str = ""
    player: FriendPlayer = field(default_factory=FriendPlayer)
    created_at: str = ""

    @property
    def is_incoming(self) -> bool:
        """True for a request someone sent to you (accept or decline it)."""
        return self.direction == "incoming"


@dataclass(frozen=True)
class FriendRequests(KratyModel):
    """Pending requests both ways."""

    incoming: List[FriendRequest] = field(default_factory=list)
    outgoing: List[FriendRequest] = field(default_factory=list)


@dataclass(frozen=True)
class FriendSearchResult(KratyModel):
    """A player found by name, id or friend code.

    ``relationship``: ``none``, ``friends``, ``request_incoming`` or ``request_outgoing``.
    """

    external_player_id: str = ""
    display_identity: Optional[PlayerIdentity] = None
    relationship: str = "none"
    progression: Optional[Dict[str, float]] = None


@dataclass(frozen=True)
class SendFriendRequestResult(KratyModel):
    """What ``friends.add`` returns: ``status`` ``pending`` (``request`` set) or
    ``accepted`` (``friend`` set: they had already asked you, so both requests became
    a friendship)."""

    status: str = ""
    request: Optional[FriendRequest] = None
    friend: Optional[Friend] = None

    @property
    def is_accepted(self) -> bool:
        """True when the request made you friends at once."""
        return self.status == "accepted"


@dataclass(frozen=True)
class BlockedPlayer(KratyModel):
    """A player you blocked."""

    external_player_id: str = ""
    display_identity: Optional[PlayerIdentity] = None
    blocked_at: str = ""


@dataclass(frozen=True)
class GiftableResource(KratyModel):
    """Something friends may gift each other (``type`` ``currency`` or ``item``)."""

    type: str = ""
    key: str = ""
    name: Union[str, Dict[str, str]] = ""
    icon_url: Optional[str] = None
    economy_kind: Optional[str] = None
    rarity: Optional[str] = None
    max_amount: int = 0
    costs_sender: bool = False


@dataclass(frozen=True)
class GiftCatalog(KratyModel):
    """The game's gifting rules and what may be gifted.

    ``daily_send_limit`` is None when unlimited; ``sent_today`` counts the caller's gifts.
    """

    enabled: bool = False
    cooldown_seconds: float = 0.0
    daily_send_limit: Optional[int] = None
    sent_today: int = 0
    resources: List[GiftableResource] = field(default_factory=list)


@dataclass(frozen=True)
class Gift(KratyModel):
    """A gift; the recipient's pending grant ``grant_id`` pays it out on claim.

    ``direction`` is ``incoming`` (inbox) or ``outgoing`` (sent); ``player`` is the
    other side. ``status``: ``pending``, ``claimed``, ``expired`` or ``failed``.
    """

    gift_id: str = ""
    grant_id: str = ""
    direction: str = ""
    player: FriendPlayer = field(default_factory=FriendPlayer)
    type: str = ""
    resource_key: str = ""
    amount: int = 0
    message: Optional[str] = None
    status: str = ""
    sent_at: str = ""
    claimed_at: Optional[str] = None
    expires_at: Optional[str] = None

    @property
    def is_pending(self) -> bool:
        """True while the gift waits to be claimed."""
        return self.status == "pending"

    @property
    def sent_at_dt(self) -> Optional[datetime]:
        """``sent_at`` as an aware datetime."""
        return parse_iso(self.sent_at)


# Wire wrappers (the resource client unwraps them).


@dataclass(frozen=True)
class _FriendList(KratyModel):
    friends: List[Friend] = field(default_factory=list)


@dataclass(frozen=True)
class _SearchResults(KratyModel):
    results: List[FriendSearchResult] = field(default_factory=list)


@dataclass(frozen=True)
class _FriendEnvelope(KratyModel):
    friend: Friend = field(default_factory=Friend)


@dataclass(frozen=True)
class _BlockList(KratyModel):
    blocked: List[BlockedPlayer] = field(default_factory=list)


@dataclass(frozen=True)
class _BlockEnvelope(KratyModel):
    blocked: BlockedPlayer = field(default_factory=BlockedPlayer)


@dataclass(frozen=True)
class _GiftList(KratyModel):
    gifts: List[Gift] = field(default_factory=list)


@dataclass(frozen=True)
class _GiftEnvelope(KratyModel):
    gift: Gift = field(default_factory=Gift)
