"""Wallet holdings, debits and progression."""

from dataclasses import field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from kraty_pygame.sdk.models._base import KratyModel

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "DebitWalletInput",
    "DebitWalletResult",
    "DerivedProgress",
    "PlayerWalletHolding",
    "ProgressWalletResult",
    "WalletList",
]


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
    """What ``wallet.debit`` returns: ``balance`` left; ``applied`` is False on a replay."""

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
    """The wrapper ``{"wallet": [...]}``; ``wallet.list`` returns ``wallet``."""

    wallet: List[PlayerWalletHolding] = field(default_factory=list)


@dataclass(frozen=True)
class DerivedProgress(KratyModel):
    """A resource derived from the one progressed (e.g. ``level`` from ``xp``), moved in
    the same write; ``grant_ids`` are the pending reward grants of the levels reached."""

    economy_key: str = ""
    previous: int = 0
    current: int = 0
    delta: int = 0
    grant_ids: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProgressWalletResult(KratyModel):
    """What ``wallet.progress`` returns: ``balance`` after the move, the derived resources.

    ``applied`` is False on an idempotent replay.
    """

    economy_key: str = ""
    balance: int = 0
    applied: bool = False
    derived: List[DerivedProgress] = field(default_factory=list)

    @property
    def grant_ids(self) -> List[str]:
        """Every reward grant created by levels reached in this write."""
        return [grant_id for d in self.derived for grant_id in d.grant_ids]
