"""Inventory holdings, item consumption and live inventory events."""

from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from kraty_pygame.sdk.models._base import KratyModel
from kraty_pygame.sdk.models.grants import GrantContents

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "ConsumeItemInput",
    "ConsumeItemResult",
    "GrantCreated",
    "InventoryChange",
    "InventoryList",
    "InventoryReady",
    "InventoryStreamEvent",
    "InventoryStreamKind",
    "PlayerItemHolding",
    "WalletChange",
]


@dataclass(frozen=True)
class PlayerItemHolding(KratyModel):
    """One inventory row (quantity > 0; empty rows are omitted by the server)."""

    item_key: str = ""
    quantity: int = 0
    metadata: Dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class ConsumeItemResult(KratyModel):
    """What ``inventory.consume`` returns: ``quantity`` left; ``applied`` is False on a replay."""

    item_key: str = ""
    quantity: int = 0
    applied: bool = False


@dataclass(frozen=True)
class ConsumeItemInput:
    """Body of ``inventory.consume``.

    Attributes:
        quantity: how many to consume (positive; the server answers 400 otherwise).
        reason: optional ledger / audit tag.
        idempotency_key: caller key; generated per call when None.
    """

    quantity: int
    reason: Optional[str] = None
    idempotency_key: Optional[str] = None

    def to_body(self) -> Dict[str, Any]:
        """The JSON body (no idempotency key; the transport stamps it)."""
        body: Dict[str, Any] = {"quantity": self.quantity}
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class InventoryList(KratyModel):
    """The wrapper ``{"items": [...]}``; ``inventory.list`` returns ``items``."""

    items: List[PlayerItemHolding] = field(default_factory=list)


# --- live inventory (v0.20.0+) -----------------------------------------------------------


class InventoryStreamKind(StrEnum):
    """``kind`` of an :class:`InventoryStreamEvent` (other kinds pass through as text)."""

    READY = "ready"
    INVENTORY_CHANGED = "inventory_changed"
    WALLET_CHANGED = "wallet_changed"
    GRANT_CREATED = "grant_created"
    PARSE_ERROR = "parse-error"


@dataclass(frozen=True)
class InventoryReady(KratyModel):
    """``ready``: the stream is subscribed; later writes will be seen."""

    external_player_id: str = ""


@dataclass(frozen=True)
class InventoryChange(KratyModel):
    """``inventory_changed``: an item quantity moved (``quantity`` is the amount after).

    ``origin``: ``client`` (this game's own writes), ``server``, ``admin`` or ``engine``.
    """

    item_key: str = ""
    delta: int = 0
    quantity: int = 0
    reason: Optional[str] = None
    origin: Optional[str] = None
    ledger_id: Any = None
    occurred_at: str = ""


@dataclass(frozen=True)
class WalletChange(KratyModel):
    """``wallet_changed``: a balance moved (``balance`` is the amount after)."""

    economy_key: str = ""
    delta: int = 0
    balance: int = 0
    reason: Optional[str] = None
    origin: Optional[str] = None
    ledger_id: Any = None
    occurred_at: str = ""


@dataclass(frozen=True)
class GrantCreated(KratyModel):
    """``grant_created``: a new grant for the player (list pending grants to collect it)."""

    grant_id: str = ""
    grant_kind: str = ""
    source_kind: str = ""
    contents: GrantContents = field(default_factory=GrantContents)
    occurred_at: str = ""


InventoryEventData = Union[
    InventoryReady, InventoryChange, WalletChange, GrantCreated, Dict[str, Any]
]

_EVENT_MODELS: Dict[str, Any] = {
    InventoryStreamKind.READY.value: InventoryReady,
    InventoryStreamKind.INVENTORY_CHANGED.value: InventoryChange,
    InventoryStreamKind.WALLET_CHANGED.value: WalletChange,
    InventoryStreamKind.GRANT_CREATED.value: GrantCreated,
}


@dataclass(frozen=True)
class InventoryStreamEvent:
    """One event of ``inventory.live()`` / ``inventory.watch()``.

    ``data`` is the typed model of the kind (:class:`InventoryChange`,
    :class:`WalletChange`, :class:`GrantCreated`, :class:`InventoryReady`), or the
    plain dict for kinds this SDK does not know. ``raw`` is the event's JSON object
    with ``kind`` merged in, as the reference SDKs hand it to a watcher. Treat every
    event as "refresh": REST reads stay authoritative.
    """

    kind: str
    data: InventoryEventData
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def origin(self) -> Optional[str]:
        """Who made the change (``client`` = this game's own writes); None if not a change."""
        origin = getattr(self.data, "origin", None)
        if isinstance(origin, str):
            return origin
        value = self.raw.get("origin")
        return value if isinstance(value, str) else None

    @property
    def is_own_write(self) -> bool:
        """True for changes made through ``/sdk/v1`` by the player (``origin == "client"``)."""
        return self.origin == "client"

    @classmethod
    def from_sse(cls, kind: str, data: Dict[str, Any]) -> "InventoryStreamEvent":
        """Decode one SSE message (unknown kinds keep their dict).

        Raises:
            KratyProtocolError: a known kind whose data does not fit its model.
        """
        merged = {**data, "kind": kind}
        model = _EVENT_MODELS.get(kind)
        if model is None:
            return cls(kind=kind, data=merged, raw=merged)
        return cls(kind=kind, data=model.from_wire(data, f"event.{kind}"), raw=merged)
