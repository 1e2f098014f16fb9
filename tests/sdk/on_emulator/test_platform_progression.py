"""Wallet progression with derived levels, and client self-grants."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import Kraty, KratyApiError, KratyConfigError, RewardEntryPreview
from tests.support.platform_backend import client_for, custom_config, emulator_with

pytestmark = pytest.mark.emulator


def _balance(kraty: Kraty, key: str) -> int:
    return next((w.balance for w in kraty.wallet.list() if w.economy_key == key), 0)


@pytest.mark.operation("wallet.progress")
def test_wallet_progress_moves_derived_levels_and_pays_level_rewards(kraty: Kraty) -> None:
    # Demo config: level = count of [0, 100, 250, 500, 1000] <= xp; reaching level 2 pays 50 gold.
    first = kraty.wallet.progress("xp", amount=60, reason="quest")
    assert (first.economy_key, first.balance, first.applied) == ("xp", 60, True)
    [level] = first.derived
    assert (level.economy_key, level.previous, level.current, level.delta) == ("level", 1, 1, 0)
    assert level.grant_ids == [] and _balance(kraty, "level") == 1

    up = kraty.wallet.progress("xp", amount=200)  # 260 xp: levels 2 and 3 at once
    [level] = up.derived
    assert (level.previous, level.current, level.delta) == (1, 3, 2)
    assert len(up.grant_ids) == 1  # only level 2 has a reward in the demo config
    [grant] = [g for g in kraty.grants.list_pending() if g.id in up.grant_ids]
    assert grant.source_kind == "level_up" and grant.entries[0].currency_key == "gold"
    kraty.grants.claim(grant.id)
    assert _balance(kraty, "gold") == 250 and _balance(kraty, "level") == 3

    down = kraty.wallet.progress("xp", amount=-1000)  # a rollback stops at zero
    assert down.balance == 0 and down.derived[0].current == 1 and _balance(kraty, "level") == 1
    again = kraty.wallet.progress("xp", amount=150)  # level 2 again: not paid twice
    assert again.derived[0].current == 2 and again.grant_ids == []

    replay = kraty.wallet.progress("xp", amount=5, idempotency_key="xp-once")
    assert kraty.wallet.progress("xp", amount=5, idempotency_key="xp-once").applied is False
    assert replay.applied and _balance(kraty, "xp") == 155


def test_wallet_progress_only_for_client_writable_progression(kraty: Kraty) -> None:
    for key in ("gold", "level"):  # a currency; a derived (not client-writable) resource
        with pytest.raises(KratyApiError) as refused:
            kraty.wallet.progress(key, amount=1)
        assert refused.value.is_forbidden and refused.value.status == 403
    with pytest.raises(KratyApiError) as unknown:
        kraty.wallet.progress("mana", amount=1)
    assert unknown.value.is_not_found
    with pytest.raises(KratyConfigError):
        kraty.wallet.progress("xp", amount=1.5)  # type: ignore[arg-type]


def test_self_grant_needs_permissive_inventory(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as refused:
        kraty.grants.grant([{"type": "currency", "currencyKey": "gold", "amount": 5}])
    assert refused.value.is_inventory_not_permissive and refused.value.status == 403
    assert _balance(kraty, "gold") == 200


@pytest.fixture(scope="module")
def permissive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEmulator]:
    """An emulator whose game has ``inventory_management = "permissive"``."""
    with emulator_with(custom_config(tmp_path_factory.mktemp("cfg"), permissive=True)) as emu:
        yield emu


@pytest.mark.operation("grants.grant")
def test_self_grant_in_permissive_mode_deposits_at_once(permissive: EmbeddedEmulator) -> None:
    with client_for(permissive) as kraty:
        grant = kraty.grants.grant(
            [
                {"type": "currency", "currencyKey": "gold", "amount": 40},
                RewardEntryPreview(type="item", item_key="health_potion", quantity=2),
            ],
            metadata={"quest": "tutorial"},
        )
        assert grant.status == "claimed" and grant.source_kind == "client" and grant.claimed_at
        assert _balance(kraty, "gold") == 240
        potions = {i.item_key: i.quantity for i in kraty.inventory.list()}["health_potion"]
        assert potions == 3
        assert kraty.grants.list_pending() == []

        crate = kraty.grants.grant(
            [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}], kind="crate"
        )
        assert crate.is_crate and crate.is_pending  # opened like any crate
        opened = kraty.grants.open(crate.id)
        assert opened.contents.parent_grant_id == crate.id

        for bad in (
            [{"type": "currency", "currencyKey": "mana", "amount": 1}],
            [{"type": "item", "itemKey": "health_potion", "quantity": 0}],
            [{"type": "badge"}],
        ):
            with pytest.raises(KratyApiError) as invalid:
                kraty.grants.grant(bad)
            assert invalid.value.is_validation_failed
        with pytest.raises(KratyConfigError):
            kraty.grants.grant([])
