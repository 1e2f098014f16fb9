"""Wallet holdings and debits (PROTOCOL E13-E14)."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kraty_pygame.sdk.models._base import KratyModel

__all__ = ["DebitWalletInput", "DebitWalletResult", "PlayerWalletHolding", "WalletList"]


@dataclass(frozen=True)
class PlayerWalletHolding(KratyModel):
    """One wallet row: a currency or progression balance (kind is on the catalog row)."""

    economy_key: str = ""
    balance: int = 0
    metadata: Dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class DebitWalletResult(KratyModel):
    """E14 success: ``balance`` after the debit; ``applied`` is False on a replay."""

    economy_key: str = ""
    balance: int = 0
    applied: bool = False


@dataclass(frozen=True)
class DebitWalletInput:
    """Body of ``wallet.debit``.

    Attributes:
        amount: how much to debit (positive).
        reason: optional ledger / audit tag.
        idempotency_key: caller key; generated per call when None.
    """

    amount: int
    reason: Optional[str] = None
    idempotency_key: Optional[str] = None

    def to_body(self) -> Dict[str, Any]:
        """The JSON body (no idempotency key; the transport stamps it)."""
        body: Dict[str, Any] = {"amount": self.amount}
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class WalletList(KratyModel):
    """The E13 wrapper ``{"wallet": [...]}``; ``wallet.list`` returns ``wallet``."""

    wallet: List[PlayerWalletHolding] = field(default_factory=list)
