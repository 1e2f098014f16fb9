"""Inventory holdings and item consumption (PROTOCOL E11-E12)."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kraty_pygame.sdk.models._base import KratyModel

__all__ = ["ConsumeItemInput", "ConsumeItemResult", "InventoryList", "PlayerItemHolding"]


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
    """E12 success: ``quantity`` left after the consume; ``applied`` is False on a replay."""

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
    """The E11 wrapper ``{"items": [...]}``; ``inventory.list`` returns ``items``."""

    items: List[PlayerItemHolding] = field(default_factory=list)
