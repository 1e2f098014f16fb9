"""Grants, crate openings and the reward entries they carry.

Reward entries live here because a grant's ``contents`` is made of them; event
listings (``models/events.py``) reuse the same types for their reward previews.
"""

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from kraty_pygame.sdk.models._base import KratyModel, parse_iso

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "CollectAllFailure",
    "CollectAllResult",
    "Grant",
    "GrantContents",
    "OpenCrateResponse",
    "RangeSpec",
    "RewardEntryPreview",
]


@dataclass(frozen=True)
class RangeSpec(KratyModel):
    """A configured amount range ``{min, max, step?}``: rolled once per grant by the server."""

    min: int = 0
    max: int = 0
    step: Optional[int] = None


@dataclass(frozen=True)
class RewardEntryPreview(KratyModel):
    """One reward entry, a union tagged by ``type``.

    ``currency`` uses ``currency_key`` + ``amount``; ``item`` uses ``item_key`` +
    ``quantity`` (+ ``parameters``); ``crate`` uses ``crate_item_key`` + ``quantity``.
    ``amount`` / ``quantity`` are an ``int`` or, in configured previews, a
    :class:`RangeSpec`. Unknown entry types keep their fields in ``raw``.
    """

    type: str = ""
    currency_key: Optional[str] = None
    item_key: Optional[str] = None
    crate_item_key: Optional[str] = None
    amount: Union[int, RangeSpec] = 0
    quantity: Union[int, RangeSpec] = 0
    parameters: Optional[Dict[str, Any]] = None

    @property
    def resource_key(self) -> str:
        """The currency, item or crate key this entry pays out ("" when unknown)."""
        return self.currency_key or self.item_key or self.crate_item_key or ""

    @property
    def count(self) -> Union[int, RangeSpec]:
        """``amount`` for currencies, ``quantity`` for items and crates."""
        return self.amount if self.type == "currency" else self.quantity


@dataclass(frozen=True)
class GrantContents(KratyModel):
    """What a grant pays out: ``{"entries": [...]}``; other keys stay in ``raw``."""

    entries: List[RewardEntryPreview] = field(default_factory=list)


@dataclass(frozen=True)
class Grant(KratyModel):
    """A reward or crate grant. ``kind == "crate"`` must be opened, rewards claimed."""

    id: str = ""
    kind: str = ""
    contents: GrantContents = field(default_factory=GrantContents)
    source_kind: str = ""
    source_ref_id: Optional[str] = None
    parent_grant_id: Optional[str] = None
    status: str = ""
    rolled_at: Optional[str] = None
    claimed_at: Optional[str] = None
    expires_at: Optional[str] = None
    created_at: str = ""

    @property
    def is_crate(self) -> bool:
        """True for a crate grant (open it with ``grants.open``)."""
        return self.kind == "crate"

    @property
    def is_pending(self) -> bool:
        """True while the grant waits to be claimed or opened."""
        return self.status == "pending"

    @property
    def entries(self) -> List[RewardEntryPreview]:
        """Shortcut for ``contents.entries``."""
        return self.contents.entries

    @property
    def created_at_dt(self) -> Optional[datetime]:
        """``created_at`` as an aware datetime (None when absent)."""
        return parse_iso(self.created_at)

    @property
    def expires_at_dt(self) -> Optional[datetime]:
        """``expires_at`` as an aware datetime (None when absent)."""
        return parse_iso(self.expires_at)


@dataclass(frozen=True)
class OpenCrateResponse(KratyModel):
    """What ``grants.open`` returns: the crate (now claimed) and its rolled contents (a new
    pending reward grant)."""

    crate: Grant = field(default_factory=Grant)
    contents: Grant = field(default_factory=Grant)


@dataclass(frozen=True)
class CollectAllFailure:
    """One grant that ``collect_all`` could not claim or open, with the raised exception."""

    grant: Grant
    error: BaseException


@dataclass(frozen=True)
class CollectAllResult:
    """Outcome of ``grants.collect_all``: ``processed == opened + claimed + failures``."""

    processed: int = 0
    opened: List[OpenCrateResponse] = field(default_factory=list)
    claimed: List[Grant] = field(default_factory=list)
    failures: List[CollectAllFailure] = field(default_factory=list)

    @property
    def has_failures(self) -> bool:
        """True when at least one grant failed."""
        return len(self.failures) > 0
