"""Inventory, wallet and paid starts end to end: atomic charges, idempotent replays, races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError
from kraty_pygame.sdk.models.inventory import ConsumeItemInput
from kraty_pygame.sdk.models.wallet import DebitWalletInput, DebitWalletResult

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def _gold(kraty: Kraty) -> int:
    return next((w.balance for w in kraty.wallet.list() if w.economy_key == "gold"), 0)


@pytest.mark.operation("inventory.list", "wallet.list")
def test_new_player_holdings_are_unwrapped_lists(kraty: Kraty) -> None:
    """Unwrapped lists end to end: ``data.items`` and ``data.wallet`` come back as plain lists."""
    items = kraty.inventory.list()
    wallet = kraty.wallet.list()
    assert {i.item_key: i.quantity for i in items} == {"health_potion": 1}
    assert {w.economy_key: w.balance for w in wallet}["gold"] == 200
    assert all(i.created_at and i.updated_at for i in items)


def test_paid_start_replayed_with_its_key_charges_once(
    kraty: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    assert _gold(kraty) == 200
    first = kraty.events.start("bounty_hunt", idempotency_key="paid-start-1")
    assert _gold(kraty) == 150
    replay = kraty.events.start("bounty_hunt", idempotency_key="paid-start-1")
    assert replay.attempt.id == first.attempt.id
    assert _gold(kraty) == 150
    bodies = [
        r
        for r in kraty_emulator.recent_requests(limit=50)
        if str(r.get("path", "")).endswith("/events/bounty_hunt/start")
    ]
    assert len(bodies) == 2  # two HTTP calls, one charge


def test_paid_start_with_a_generated_key_is_charged_per_attempt(kraty: Kraty) -> None:
    first = kraty.events.start("bounty_hunt")
    kraty.events.finish("bounty_hunt", first.attempt.id)
    kraty.events.start("bounty_hunt")
    assert _gold(kraty) == 100


def test_two_concurrent_debits_that_overdraw_leave_exactly_one_applied(
    make_kraty: Callable[..., Kraty],
) -> None:
    owner = make_kraty()
    identity = owner.ensure_identity()
    assert _gold(owner) == 200
    # two devices of the same player, each with its own connection pool
    devices = [
        make_kraty(
            active_external_player_id=identity.external_player_id, player_secret=identity.secret
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    results: list[DebitWalletResult | BaseException] = []
    lock = threading.Lock()

    def spend(device: Kraty) -> None:
        barrier.wait(10)
        try:
            outcome: DebitWalletResult | BaseException = device.wallet.debit("gold", amount=150)
        except BaseException as exc:  # collected and asserted below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=spend, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)

    applied = [r for r in results if isinstance(r, DebitWalletResult)]
    refused = [r for r in results if isinstance(r, KratyApiError)]
    assert len(applied) == 1 and applied[0].applied and applied[0].balance == 50
    assert len(refused) == 1 and refused[0].is_conflict and refused[0].status == 409
    assert _gold(owner) == 50


def test_two_concurrent_consumes_of_the_last_item(make_kraty: Callable[..., Kraty]) -> None:
    owner = make_kraty()
    identity = owner.ensure_identity()
    devices = [
        make_kraty(
            active_external_player_id=identity.external_player_id, player_secret=identity.secret
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def consume(device: Kraty) -> None:
        barrier.wait(10)
        try:
            outcomes.append(device.inventory.consume("health_potion", quantity=1))
        except KratyApiError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=consume, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    errors = [o for o in outcomes if isinstance(o, KratyApiError)]
    assert len(outcomes) == 2 and len(errors) == 1 and errors[0].is_conflict
    assert owner.inventory.list() == []  # zero rows are omitted


@pytest.mark.operation("inventory.consume", "wallet.debit")
def test_consume_and_debit_take_objects_or_keywords_and_replay(kraty: Kraty) -> None:
    potion = kraty.inventory.consume(
        "health_potion", ConsumeItemInput(quantity=1, reason="heal", idempotency_key="heal-1")
    )
    assert potion.applied and potion.quantity == 0 and potion.item_key == "health_potion"
    replay = kraty.inventory.consume(
        "health_potion", quantity=1, reason="heal", idempotency_key="heal-1"
    )
    assert not replay.applied and replay.quantity == 0

    spent = kraty.wallet.debit("gold", DebitWalletInput(amount=30, reason="shop"))
    assert spent.applied and spent.balance == 170 and spent.economy_key == "gold"
    again = kraty.wallet.debit("gold", amount=20, idempotency_key="shop-2")
    same = kraty.wallet.debit("gold", amount=20, idempotency_key="shop-2")
    assert again.applied and not same.applied and same.balance == again.balance == 150
    assert _gold(kraty) == 150


def test_invalid_quantity_is_a_validation_error(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.wallet.debit("gold", amount=0)
    assert info.value.status == 400 and info.value.is_validation_failed
    with pytest.raises(KratyApiError) as unknown:
        kraty.inventory.consume("no_such_item", quantity=1)
    assert unknown.value.is_not_found


@pytest.mark.operation("catalog.read")
def test_catalog_lists_the_demo_items_and_currencies(kraty: Kraty) -> None:
    catalog = kraty.catalog.read()
    assert {"health_potion", "hunter_badge", "crate_gold"} <= {i.key for i in catalog.items}
    assert {"gold", "gems", "xp", "level"} <= {c.key for c in catalog.currencies}
    potion = catalog.item("health_potion")
    assert potion is not None and potion.item_type_key == "consumable"
    assert potion.display_name() == "Health Potion"
    xp = catalog.currency("xp")
    assert xp is not None and xp.kind == "progression"
    assert kraty.active_external_player_id is None  # key-only read: no player registered
