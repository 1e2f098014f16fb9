"""``kraty.inventory`` over a recording transport: unwrapped list, consume forms."""

from __future__ import annotations

import pytest

from kraty_pygame.sdk import (
    ConsumeItemInput,
    KratyApiError,
    KratyProtocolError,
)
from tests.support.recording import (
    KratyOnRecording,
    err,
    ok,
)

HOLDING = {
    "itemKey": "health_potion",
    "quantity": 3,
    "metadata": {"roll": 7},
    "createdAt": "2026-06-16T09:20:00.000Z",
    "updatedAt": "2026-06-16T09:25:00.000Z",
}
RESULT = {"itemKey": "health_potion", "quantity": 2, "applied": True}
CONSUME = "/sdk/v1/players/p1/inventory/health_potion/consume"


def test_list_unwraps_items(make: KratyOnRecording) -> None:
    """``data.items`` comes back as the list."""
    kraty, http = make(ok({"items": [HOLDING]}))
    items = kraty.inventory.list()
    assert [(i.item_key, i.quantity, i.metadata) for i in items] == [
        ("health_potion", 3, {"roll": 7})
    ]
    assert (http.calls[0].method, http.calls[0].path) == ("GET", "/sdk/v1/players/p1/inventory")


def test_list_of_a_studio_managed_game_is_empty(make: KratyOnRecording) -> None:
    kraty, _http = make(ok({"items": []}))
    assert kraty.inventory.list() == []


def test_list_rejects_a_bare_array(make: KratyOnRecording) -> None:
    kraty, _http = make(ok([HOLDING]))
    with pytest.raises(KratyProtocolError) as info:
        kraty.inventory.list()
    assert info.value.field == "data"


def test_consume_with_keywords(make: KratyOnRecording) -> None:
    kraty, http = make(ok(RESULT))
    result = kraty.inventory.consume("health_potion", quantity=1, reason="heal")
    assert (result.item_key, result.quantity, result.applied) == ("health_potion", 2, True)
    assert (http.calls[0].method, http.calls[0].path) == ("POST", CONSUME)
    assert http.calls[0].json == {"quantity": 1, "reason": "heal", "idempotencyKey": "gen"}


def test_consume_with_an_input_object_and_its_key(make: KratyOnRecording) -> None:
    kraty, http = make(ok({**RESULT, "applied": False}))
    result = kraty.inventory.consume(
        "health_potion", ConsumeItemInput(quantity=2, idempotency_key="use-1")
    )
    assert not result.applied
    assert http.calls[0].json == {"quantity": 2, "idempotencyKey": "use-1"}


def test_consume_argument_errors(make: KratyOnRecording) -> None:
    kraty, http = make()
    with pytest.raises(TypeError):
        kraty.inventory.consume("health_potion")
    with pytest.raises(TypeError):
        kraty.inventory.consume("health_potion", ConsumeItemInput(quantity=1), quantity=2)
    assert http.calls == []


def test_consume_shortfall_is_a_conflict(make: KratyOnRecording) -> None:
    kraty, http = make(err(409, "conflict", "not enough health_potion"))
    with pytest.raises(KratyApiError) as info:
        kraty.inventory.consume("health_potion", quantity=9)
    assert info.value.is_conflict and not info.value.is_insufficient_entry_cost
    assert len(http.calls) == 1


def test_consume_as_another_player(make: KratyOnRecording) -> None:
    kraty, http = make(ok(RESULT))
    kraty.inventory.consume("health_potion", quantity=1, as_="p 2")
    assert http.calls[0].path == "/sdk/v1/players/p%202/inventory/health_potion/consume"
