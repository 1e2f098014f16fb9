"""Live inventory through the SDK against the embedded emulator (the inventory stream).

Acceptance (SDK side): an inventory change made through ``/server/v1`` reaches an
``inventory.watch`` handler, and the player's own consume is filtered out when
``ignore_own_writes=True``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import (
    GrantCreated,
    InventoryChange,
    InventoryStreamEvent,
    Kraty,
    KratyApiError,
    KratyStreamError,
    WalletChange,
)
from tests.support.platform_backend import WAIT, server_post, wait_for

pytestmark = pytest.mark.emulator


def _is_change(event: InventoryStreamEvent) -> bool:
    return event.kind != "ready"


@pytest.mark.operation("inventory.watch")
def test_server_change_reaches_watch_and_own_consume_is_filtered(
    kraty_emulator: EmbeddedEmulator, kraty: Kraty
) -> None:
    player = kraty.ensure_identity().external_player_id
    filtered: queue.Queue[InventoryStreamEvent] = queue.Queue()
    everything: queue.Queue[InventoryStreamEvent] = queue.Queue()
    stop_filtered = kraty.inventory.watch(filtered.put, ignore_own_writes=True)
    stop_all = kraty.inventory.watch(everything.put)
    try:
        for q in (filtered, everything):
            assert q.get(timeout=WAIT).kind == "ready"  # subscribed: later writes are seen

        kraty.inventory.consume("health_potion", quantity=1)  # the game's own write
        server_post(
            kraty_emulator,
            f"/players/{player}/inventory/health_potion/grant",
            {
                "quantity": 2,
                "reason": "support_refund",
            },
        )

        own = wait_for(everything, _is_change)
        assert isinstance(own.data, InventoryChange) and own.is_own_write
        assert (own.data.delta, own.data.quantity, own.data.origin) == (-1, 0, "client")
        server_side = wait_for(everything, _is_change)

        arrived = wait_for(filtered, _is_change)  # the consume never reaches this handler
        for event in (arrived, server_side):
            assert event.kind == "inventory_changed" and isinstance(event.data, InventoryChange)
            assert event.data.item_key == "health_potion" and event.origin == "server"
            assert (event.data.delta, event.data.quantity) == (2, 2)
            assert event.data.reason == "support_refund" and event.data.ledger_id
            assert event.raw["kind"] == "inventory_changed"
        assert filtered.empty()
    finally:
        stop_filtered()
        stop_all()
    stop_filtered()  # idempotent


@pytest.mark.operation("inventory.live")
def test_wallet_and_grant_events(kraty_emulator: EmbeddedEmulator, kraty: Kraty) -> None:
    player = kraty.ensure_identity().external_player_id
    with kraty.inventory.live() as stream:
        events = iter(stream)
        assert next(events).kind == "ready"
        server_post(kraty_emulator, f"/players/{player}/wallet/gold/credit", {"amount": 30})
        credit = next(events)
        assert isinstance(credit.data, WalletChange)
        assert (credit.data.economy_key, credit.data.delta, credit.data.balance) == (
            "gold",
            30,
            230,
        )
        grant = server_post(
            kraty_emulator,
            f"/players/{player}/grants",
            {
                "idempotencyKey": "refund-1",
                "kind": "reward",
                "sourceKind": "api",
                "entries": [{"type": "currency", "currencyKey": "gems", "amount": 5}],
            },
        )
        created = next(events)
        assert isinstance(created.data, GrantCreated)
        assert created.data.grant_id == grant["id"] and created.data.grant_kind == "reward"
        assert created.data.contents.entries[0].currency_key == "gems"
        kraty.grants.claim(grant["id"])
        claimed = next(events)
        assert isinstance(claimed.data, WalletChange) and claimed.data.economy_key == "gems"
        assert claimed.origin == "engine"  # a claim's deposit is the platform's doing
    assert stream.is_cancelled


def test_cancel_from_another_thread_ends_a_silent_stream(kraty: Kraty) -> None:
    stream = kraty.inventory.live()
    seen: list[str] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            seen.extend(event.kind for event in stream)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    stream.cancel()
    reader.join(WAIT)
    assert not reader.is_alive() and errors == []
    assert seen in ([], ["ready"])
    stream.cancel()  # idempotent


def test_watch_reports_a_dropped_stream_once(
    kraty_emulator: EmbeddedEmulator, kraty: Kraty
) -> None:
    events: queue.Queue[InventoryStreamEvent] = queue.Queue()
    errors: queue.Queue[BaseException] = queue.Queue()
    stop = kraty.inventory.watch(events.put, on_error=errors.put)
    try:
        assert events.get(timeout=WAIT).kind == "ready"
        kraty_emulator.reset()  # ends every stream with closed {"reason": "reset"}
        closed = wait_for(events, lambda e: e.kind == "closed")
        assert closed.raw == {"reason": "reset", "kind": "closed"}
    finally:
        stop()
    assert errors.empty()  # a closed stream is an orderly end, not an error


def test_stream_needs_the_player_secret(
    make_kraty: Callable[..., Kraty], kraty_emulator: EmbeddedEmulator
) -> None:
    intruder = make_kraty(active_external_player_id="player_42", player_secret="kps_wrong_secret")
    with pytest.raises(KratyApiError) as refused:
        intruder.inventory.live()
    assert refused.value.is_player_secret_invalid
    with pytest.raises(KratyApiError):
        intruder.inventory.watch(lambda _event: None)
    del kraty_emulator


def test_stream_drop_raises_stream_error(kraty_emulator: EmbeddedEmulator, kraty: Kraty) -> None:
    stream = kraty.inventory.live(read_timeout=0.5)
    events = iter(stream)
    assert next(events).kind == "ready"
    with pytest.raises(KratyStreamError):
        next(events)  # no heartbeat within 0.5 s: the read times out, the stream is dead
    del kraty_emulator


def test_watch_calls_on_error_once_when_the_stream_dies(
    kraty_emulator: EmbeddedEmulator, kraty: Kraty
) -> None:
    errors: queue.Queue[BaseException] = queue.Queue()
    stop = kraty.inventory.watch(lambda _event: None, on_error=errors.put, read_timeout=0.5)
    try:
        assert isinstance(errors.get(timeout=WAIT), KratyStreamError)
    finally:
        stop()
    assert errors.empty()
    del kraty_emulator
