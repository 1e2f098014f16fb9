"""``kraty.wallet`` over a recording transport: unwrapped list, debit forms, and a
shortfall that is a conflict."""

from __future__ import annotations

import pytest

from kraty_pygame.sdk import (
    DebitWalletInput,
    KratyApiError,
)
from tests.support.recording import (
    KratyOnRecording,
    err,
    ok,
)

ROWS = [
    {"economyKey": "gold", "balance": 150, "metadata": {}, "createdAt": "t", "updatedAt": "t"},
    {"economyKey": "xp", "balance": 0, "metadata": {}, "createdAt": "t", "updatedAt": "t"},
]
RESULT = {"economyKey": "gold", "balance": 50, "applied": True}
DEBIT = "/sdk/v1/players/p1/wallet/gold/debit"


def test_list_unwraps_wallet(make: KratyOnRecording) -> None:
    """``data.wallet`` comes back as the list, zero balances included."""
    kraty, http = make(ok({"wallet": ROWS}))
    rows = kraty.wallet.list()
    assert [(r.economy_key, r.balance) for r in rows] == [("gold", 150), ("xp", 0)]
    assert (http.calls[0].method, http.calls[0].path) == ("GET", "/sdk/v1/players/p1/wallet")


def test_debit_with_keywords(make: KratyOnRecording) -> None:
    kraty, http = make(ok(RESULT))
    result = kraty.wallet.debit("gold", amount=100, reason="shop")
    assert (result.economy_key, result.balance, result.applied) == ("gold", 50, True)
    assert (http.calls[0].method, http.calls[0].path) == ("POST", DEBIT)
    assert http.calls[0].json == {"amount": 100, "reason": "shop", "idempotencyKey": "gen"}


def test_debit_with_an_input_object(make: KratyOnRecording) -> None:
    kraty, http = make(ok(RESULT))
    kraty.wallet.debit("gold", DebitWalletInput(amount=100, idempotency_key="buy-1"))
    assert http.calls[0].json == {"amount": 100, "idempotencyKey": "buy-1"}


def test_debit_argument_errors(make: KratyOnRecording) -> None:
    kraty, http = make()
    with pytest.raises(TypeError):
        kraty.wallet.debit("gold")
    with pytest.raises(TypeError):
        kraty.wallet.debit("gold", DebitWalletInput(amount=1), reason="x")
    assert http.calls == []


def test_debit_shortfall_is_conflict_not_insufficient_entry_cost(make: KratyOnRecording) -> None:
    """A debit shortfall is a 409 conflict, not ``insufficient_entry_cost``."""
    kraty, http = make(err(409, "conflict", "wallet debit on 0 balance"))
    with pytest.raises(KratyApiError) as info:
        kraty.wallet.debit("gold", amount=100)
    assert info.value.is_conflict and info.value.status == 409
    assert info.value.is_insufficient_entry_cost is False
    assert len(http.calls) == 1  # 409 is never retried
