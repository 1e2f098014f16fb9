"""Every error the seed names, reproduced from the demo config and caught by its typed getter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError, KratyErrorCode, is_lobby_forming

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def _gold(kraty: Kraty) -> int:
    return next((w.balance for w in kraty.wallet.list() if w.economy_key == "gold"), 0)


def _burn_attempts(kraty: Kraty, event_key: str, count: int) -> None:
    for _ in range(count):
        attempt = kraty.events.start(event_key).attempt
        kraty.events.finish(event_key, attempt.id)


def test_lobby_forming_is_a_202_with_the_lobby_id(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("quick_brawl")
    err = info.value
    assert err.status == 202 and err.is_lobby_forming and is_lobby_forming(err)
    assert err.code == KratyErrorCode.LOBBY_FORMING
    assert isinstance(err.details["lobbyId"], str) and err.details["lobbyId"]


def test_insufficient_entry_cost_charges_nothing(kraty: Kraty) -> None:
    kraty.wallet.debit("gold", amount=_gold(kraty) - 20)  # 20 gold left, bounty_hunt costs 50
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("bounty_hunt")
    err = info.value
    assert err.status == 402 and err.is_insufficient_entry_cost
    assert not err.is_conflict
    assert _gold(kraty) == 20


def test_player_secret_invalid(make_kraty: Callable[..., Kraty]) -> None:
    impostor = make_kraty(active_external_player_id="player_42", player_secret="kps_wrong")
    with pytest.raises(KratyApiError) as info:
        impostor.grants.list_pending()
    assert info.value.status == 401 and info.value.is_player_secret_invalid
    assert "kps_wrong" not in str(info.value) and "kps_wrong" not in repr(info.value)


def test_player_already_registered(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.players.register("player_42")
    assert info.value.status == 409 and info.value.is_player_already_registered


def test_entry_requirement_failed(kraty_42: Kraty) -> None:
    """player_42 passes elite_trial's unlock (xp >= 10) but loses the hunter_badge it requires."""
    kraty_42.inventory.consume("hunter_badge", quantity=1)
    with pytest.raises(KratyApiError) as info:
        kraty_42.events.start("elite_trial")
    assert info.value.status == 403 and info.value.is_entry_requirement_failed


def test_unlock_condition_failed(kraty: Kraty) -> None:
    """A new player has no xp, so elite_trial is still hidden."""
    assert "elite_trial" not in {e.event_key for e in kraty.events.list_for_player()}
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("elite_trial")
    assert info.value.status == 403 and info.value.is_unlock_condition_failed


def test_no_active_window(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("winter_cup")
    assert info.value.status == 409 and info.value.is_no_active_window
    assert info.value.code == KratyErrorCode.NO_ACTIVE_WINDOW


def test_event_disabled(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("coming_soon")
    assert info.value.status == 409 and info.value.is_event_disabled


def test_max_attempts_reached_is_not_retried(
    kraty_42: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    _burn_attempts(kraty_42, "bounty_hunt", 3)
    with pytest.raises(KratyApiError) as info:
        kraty_42.events.start("bounty_hunt")
    assert info.value.status == 429 and info.value.is_max_attempts_reached
    assert info.value.code == KratyErrorCode.MAX_ATTEMPTS_REACHED
    starts = [
        r
        for r in kraty_emulator.recent_requests(limit=200)
        if str(r.get("path", "")).endswith("/events/bounty_hunt/start")
    ]
    assert len(starts) == 4  # three successful starts + one refusal, never retried


def test_max_daily_attempts_reached(kraty: Kraty) -> None:
    _burn_attempts(kraty, "daily_duel", 2)
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("daily_duel")
    assert info.value.status == 429 and info.value.is_max_daily_attempts_reached


def test_unknown_event_is_not_found(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("no_such_event")
    assert info.value.status == 404 and info.value.is_not_found


def test_invalid_metric(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    with pytest.raises(KratyApiError) as info:
        kraty.events.progress("tap_frenzy", attempt.id, mode="set", metrics={"not_a_metric": 1})
    assert info.value.status == 400 and info.value.is_invalid_metric


def test_wallet_and_inventory_shortfalls_are_conflicts(kraty: Kraty) -> None:
    """A debit shortfall is 409 conflict, never insufficient_entry_cost."""
    with pytest.raises(KratyApiError) as debit:
        kraty.wallet.debit("gold", amount=_gold(kraty) + 1)
    assert debit.value.status == 409 and debit.value.is_conflict
    assert not debit.value.is_insufficient_entry_cost
    with pytest.raises(KratyApiError) as consume:
        kraty.inventory.consume("health_potion", quantity=99)
    assert consume.value.status == 409 and consume.value.is_conflict


def test_unknown_grant_is_not_found(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.grants.claim("gr_000000000000")
    assert info.value.status == 404 and info.value.is_not_found


def test_same_key_different_body_is_an_idempotency_conflict(kraty: Kraty) -> None:
    kraty.wallet.debit("gold", amount=1, idempotency_key="dup-key")
    with pytest.raises(KratyApiError) as info:
        kraty.wallet.debit("gold", amount=2, idempotency_key="dup-key")
    assert info.value.status == 409 and info.value.is_idempotency_conflict
