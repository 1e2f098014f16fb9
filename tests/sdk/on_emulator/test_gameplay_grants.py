"""Grants and crates end to end: claim, open, collect_all (crates first), draining in two sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def _balances(kraty: Kraty) -> dict[str, int]:
    return {w.economy_key: w.balance for w in kraty.wallet.list()}


@pytest.mark.operation("grants.collect_all")
def test_collect_all_then_a_second_sweep_drains_crates_and_their_contents(
    kraty_42: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    pending = kraty_42.grants.list_pending()
    crates = [g for g in pending if g.is_crate]
    rewards = [g for g in pending if not g.is_crate]
    assert crates and rewards  # seeded: 100 gold + a gold crate

    first = kraty_42.grants.collect_all()
    assert first.processed == len(pending)
    assert first.processed == len(first.opened) + len(first.claimed) + len(first.failures)
    assert not first.has_failures
    assert {o.crate.id for o in first.opened} == {g.id for g in crates}
    assert {g.id for g in first.claimed} == {g.id for g in rewards}
    assert all(g.status == "claimed" for g in first.claimed)
    contents = {o.contents.id for o in first.opened}
    for opened in first.opened:
        assert opened.crate.status == "claimed"
        assert opened.contents.is_pending and opened.contents.parent_grant_id == opened.crate.id
        assert opened.contents.source_kind == "crate" and opened.contents.entries

    # crates first, then claims (opening a crate adds grants that the same sweep claims)
    actions = [
        str(r.get("path", ""))
        for r in kraty_emulator.recent_requests(limit=50)  # oldest first
        if str(r.get("path", "")).endswith(("/open", "/claim"))
    ]
    assert actions and all(a.endswith("/open") for a in actions[: len(crates)])

    # the rolled contents were not claimed in the same sweep; the next sweep drains them
    assert {g.id for g in kraty_42.grants.list_pending()} == contents
    second = kraty_42.grants.collect_all()
    assert {g.id for g in second.claimed} == contents and not second.has_failures
    assert kraty_42.grants.list_pending() == []
    assert kraty_42.grants.collect_all().processed == 0


@pytest.mark.operation("grants.claim")
def test_claim_deposits_and_is_idempotent(kraty_42: Kraty) -> None:
    reward = next(g for g in kraty_42.grants.list_pending() if not g.is_crate)
    gold = next(e for e in reward.entries if e.currency_key == "gold")
    assert isinstance(gold.amount, int)
    before = _balances(kraty_42)["gold"]
    claimed = kraty_42.grants.claim(reward.id)
    assert claimed.id == reward.id and claimed.status == "claimed" and claimed.claimed_at
    assert _balances(kraty_42)["gold"] == before + gold.amount
    again = kraty_42.grants.claim(reward.id)
    assert again.id == reward.id and again.status == "claimed"
    assert _balances(kraty_42)["gold"] == before + gold.amount  # deposited once


@pytest.mark.operation("grants.open")
def test_open_rolls_once(kraty_42: Kraty) -> None:
    crate = next(g for g in kraty_42.grants.list_pending() if g.is_crate)
    first = kraty_42.grants.open(crate.id)
    second = kraty_42.grants.open(crate.id)
    assert second.contents.id == first.contents.id
    assert second.contents.entries == first.contents.entries


def test_claiming_a_crate_is_a_conflict(kraty_42: Kraty) -> None:
    crate = next(g for g in kraty_42.grants.list_pending() if g.is_crate)
    with pytest.raises(KratyApiError) as info:
        kraty_42.grants.claim(crate.id)
    assert info.value.is_conflict


def test_collect_all_records_a_failure_and_continues(
    kraty_42: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    """A sweep goes on past failures, end to end: every claim fails (injected 503s), the
    crate still opens, nothing raises."""
    pending = kraty_42.grants.list_pending()
    kraty_emulator.set_faults(fail_rate=1.0, routes=["/sdk/v1/players/*/grants/*/claim"], seed=1)
    try:
        result = kraty_42.grants.collect_all()
    finally:
        kraty_emulator.set_faults()
    rewards = [g for g in pending if not g.is_crate]
    assert result.processed == len(pending)
    assert len(result.opened) == len(pending) - len(rewards) and result.claimed == []
    assert result.has_failures and [f.grant.id for f in result.failures] == [g.id for g in rewards]
    for failure in result.failures:
        assert isinstance(failure.error, KratyApiError)
        assert failure.error.is_code("service_unavailable") and failure.error.status == 503
    # the failed rewards are still pending and the next sweep collects them
    retry = kraty_42.grants.collect_all()
    assert {g.id for g in retry.claimed} >= {g.id for g in rewards} and not retry.has_failures


def test_milestone_grants_flow_into_holdings(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    update = kraty.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=30)
    assert update.attempt.status == "completed"
    potions_before = {i.item_key: i.quantity for i in kraty.inventory.list()}.get(
        "health_potion", 0
    )
    gold_before = _balances(kraty)["gold"]
    first = kraty.grants.collect_all()
    assert len(first.opened) == 1  # taps_15's crate
    assert not first.has_failures
    kraty.grants.collect_all()
    assert kraty.grants.list_pending() == []
    potions_after = {i.item_key: i.quantity for i in kraty.inventory.list()}.get("health_potion", 0)
    assert potions_after >= potions_before + 1  # taps_30 pays a health potion
    assert _balances(kraty)["gold"] >= gold_before + 10  # taps_5 pays 10 gold (+ crate gold)


@pytest.mark.operation("grants.list_pending")
def test_pending_grants_limit(kraty_42: Kraty) -> None:
    assert len(kraty_42.grants.list_pending(limit=1)) == 1
