"""``kraty.wallet``: list balances, debit them, move progression."""

from __future__ import annotations

import builtins
from typing import Any

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.models.wallet import (
    DebitWalletInput,
    DebitWalletResult,
    PlayerWalletHolding,
    ProgressWalletResult,
    WalletList,
)
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["WalletClient"]


def _rows(data: Any) -> builtins.list[PlayerWalletHolding]:
    return WalletList.from_wire(data, "data").wallet


class WalletClient(ResourceClient):
    """Wallet of the active player (or of ``as_``). There is no client credit."""

    @operation(
        "wallet",
        write=False,
        http="GET /players/{player}/wallet",
        official="wallet.list({as})",
    )
    def list(self, *, as_: str | None = None) -> builtins.list[PlayerWalletHolding]:
        """Every economy the player has touched, zero balances included."""
        return self._client.request_decoded(*self._route(as_), _rows)

    @operation(
        "wallet",
        write=True,
        durable=True,
        http="POST /players/{player}/wallet/{economy_key}/debit",
        official="wallet.debit(economyKey, input, {as})",
    )
    def debit(
        self,
        economy_key: str,
        input: DebitWalletInput | None = None,
        *,
        amount: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> DebitWalletResult:
        """Debit a balance atomically; pass a :class:`DebitWalletInput` or ``amount=`` (not both).

        A replay of the same idempotency key returns the first result with ``applied=False``.

        Raises:
            KratyApiError: ``is_conflict`` (409, balance too low — not
                ``is_insufficient_entry_cost``), ``is_validation_failed``, ``is_not_found``.
            TypeError: neither or both of ``input`` and ``amount`` were given.
        """
        if input is None:
            if amount is None:
                raise TypeError("debit(): pass a DebitWalletInput or amount=")
            input = DebitWalletInput(amount=amount, reason=reason)
        elif amount is not None or reason is not None:
            raise TypeError("debit(): pass either a DebitWalletInput or keyword fields, not both")
        return self._client.request_decoded(
            *self._route(as_, economy_key=economy_key),
            DebitWalletResult.from_wire,
            body=input.to_body(),
            idempotency_key=idempotency_key or input.idempotency_key,
        )

    @operation(
        "wallet",
        write=True,
        durable=True,
        http="POST /players/{player}/wallet/{economy_key}/progress",
        official="wallet.progress(economyKey, {amount}, {as}) (v0.20)",
    )
    def progress(
        self,
        economy_key: str,
        *,
        amount: int,
        reason: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> ProgressWalletResult:
        """Move a client-writable progression resource (``xp``) by ``amount`` (v0.20.0+).

        A negative amount rolls back (never below zero). Resources derived from it
        (``level``) move in the same write; each level reached creates its reward
        grants (``result.derived[i].grant_ids``; collect them like any grant).

        Raises:
            KratyApiError: ``is_forbidden`` (403) when the resource is not a
                client-writable progression resource; ``is_not_found`` (unknown key).
        """
        if not _is_int(amount):
            raise KratyConfigError("amount must be an int")
        body: dict[str, Any] = {"amount": amount}
        if reason is not None:
            body["reason"] = reason
        return self._client.request_decoded(
            *self._route(as_, economy_key=economy_key),
            ProgressWalletResult.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
