"""``kraty.inventory``: list and consume items (PROTOCOL E11-E12)."""

from __future__ import annotations

import builtins
from typing import Any

from kraty_pygame.sdk.models.inventory import (
    ConsumeItemInput,
    ConsumeItemResult,
    InventoryList,
    PlayerItemHolding,
)
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["InventoryClient"]


def _items(data: Any) -> builtins.list[PlayerItemHolding]:
    return InventoryList.from_wire(data, "data").items


class InventoryClient(ResourceClient):
    """Platform-managed inventory of the active player (or of ``as_``)."""

    def list(self, *, as_: str | None = None) -> builtins.list[PlayerItemHolding]:
        """Items held (quantity > 0); empty for studio-managed games. Order is not guaranteed."""
        return self._client.request_decoded("GET", self._player_path(as_, "inventory"), _items)

    def consume(
        self,
        item_key: str,
        input: ConsumeItemInput | None = None,
        *,
        quantity: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> ConsumeItemResult:
        """Consume items atomically; pass a :class:`ConsumeItemInput` or ``quantity=`` (not both).

        A replay of the same idempotency key returns the first result with ``applied=False``.

        Raises:
            KratyApiError: ``is_conflict`` (409, not enough), ``is_validation_failed``
                (quantity <= 0), ``is_not_found`` (unknown item).
            TypeError: neither or both of ``input`` and ``quantity`` were given.
        """
        if input is None:
            if quantity is None:
                raise TypeError("consume(): pass a ConsumeItemInput or quantity=")
            input = ConsumeItemInput(quantity=quantity, reason=reason)
        elif quantity is not None or reason is not None:
            raise TypeError("consume(): pass either a ConsumeItemInput or keyword fields, not both")
        return self._client.request_decoded(
            "POST",
            self._player_path(as_, "inventory", item_key, "consume"),
            ConsumeItemResult.from_wire,
            body=input.to_body(),
            idempotency_key=idempotency_key or input.idempotency_key,
        )
