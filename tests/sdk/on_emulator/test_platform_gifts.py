"""Friend gifting through the SDK against the embedded emulator (send, inbox, claim, cooldown).

Acceptance: two friends exchange a gift that respects its cooldown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import Kraty, KratyApiError
from tests.support.platform_backend import client_for, custom_config, emulator_with

pytestmark = pytest.mark.emulator


def _balance(kraty: Kraty, key: str) -> int:
    return next((w.balance for w in kraty.wallet.list() if w.economy_key == key), 0)


@pytest.fixture
def friends_pair(make_kraty: Callable[..., Kraty]) -> tuple[Kraty, Kraty]:
    """Two fresh players (200 gold each) who are friends."""
    alice, bob = make_kraty(), make_kraty()
    alice.friends.add(friend_code=bob.friends.get_code().friend_code)
    bob.friends.add(friend_code=alice.friends.get_code().friend_code)
    return alice, bob


@pytest.mark.operation(
    "friends.claim_gift",
    "friends.gift_catalog",
    "friends.gifts",
    "friends.send_gift",
    "friends.sent_gifts",
)
def test_friends_exchange_a_gift_that_respects_its_cooldown(
    kraty_emulator: EmbeddedEmulator, friends_pair: tuple[Kraty, Kraty]
) -> None:
    alice, bob = friends_pair
    bob_id = str(bob.active_external_player_id)
    catalog = alice.friends.gift_catalog()
    assert catalog.enabled and catalog.cooldown_seconds == 3600 and catalog.daily_send_limit == 5
    gold = next(r for r in catalog.resources if r.key == "gold")
    assert gold.type == "currency" and gold.max_amount == 50 and gold.costs_sender

    gift = alice.friends.send_gift(
        external_player_id=bob_id, type="currency", resource_key="gold", amount=25, message="gg!"
    )
    assert gift.direction == "outgoing" and gift.is_pending and gift.message == "gg!"
    assert gift.player.external_player_id == bob_id and gift.grant_id
    assert _balance(alice, "gold") == 175  # gold costs the sender
    assert alice.friends.gift_catalog().sent_today == 1

    # The cooldown: a second gift to Bob is refused until it passes; Bob can gift back.
    with pytest.raises(KratyApiError) as cooling:
        alice.friends.send_gift(
            external_player_id=bob_id, type="currency", resource_key="gold", amount=5
        )
    assert cooling.value.is_conflict and cooling.value.details["reason"] == "gift_cooldown"
    until = cooling.value.details["giftCooldownUntil"]
    friend_bob = alice.friends.list()[0]
    assert friend_bob.gift_cooldown_until == until and friend_bob.gift_cooldown_until_dt
    back = bob.friends.send_gift(
        friend_code=alice.friends.get_code().friend_code,
        type="item",
        resource_key="health_potion",
        amount=1,
    )
    assert back.resource_key == "health_potion"

    inbox = bob.friends.gifts(status="pending")
    assert [g.gift_id for g in inbox] == [gift.gift_id] and inbox[0].direction == "incoming"
    assert [g.gift_id for g in alice.friends.sent_gifts()] == [gift.gift_id]
    claimed = bob.friends.claim_gift(gift.gift_id)
    assert claimed.status == "claimed" and claimed.claimed_at
    assert _balance(bob, "gold") == 225
    assert bob.friends.claim_gift(gift.gift_id).status == "claimed"  # again: same row
    assert _balance(bob, "gold") == 225
    assert bob.friends.gifts(status="pending") == []

    # Alice's potion gift arrived as a pending grant: grants.claim pays it out too.
    potion = alice.friends.gifts()[0]
    alice.grants.claim(potion.grant_id)
    assert alice.friends.gifts()[0].status == "claimed"

    kraty_emulator.advance_clock(3600)
    assert alice.friends.list()[0].gift_cooldown_until is None
    again = alice.friends.send_gift(
        external_player_id=bob_id, type="currency", resource_key="gold", amount=5
    )
    assert again.is_pending
    assert [g.gift_id for g in bob.friends.gifts(limit=1)] == [again.gift_id]  # newest first


def test_gift_rules(make_kraty: Callable[..., Kraty], friends_pair: tuple[Kraty, Kraty]) -> None:
    alice, bob = friends_pair
    bob_id = str(bob.active_external_player_id)
    stranger = make_kraty()
    stranger.ensure_identity()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"external_player_id": str(stranger.active_external_player_id)}, "forbidden"),
        ({"external_player_id": bob_id, "resource_key": "gems"}, "validation_failed"),
        ({"external_player_id": bob_id, "amount": 51}, "validation_failed"),
        ({"external_player_id": bob_id, "amount": 0}, "validation_failed"),
        ({"external_player_id": bob_id, "message": "x" * 141}, "validation_failed"),
        ({"external_player_id": str(alice.active_external_player_id)}, "validation_failed"),
    ]
    for overrides, code in cases:
        args: dict[str, Any] = {"type": "currency", "resource_key": "gold", "amount": 1}
        args.update(overrides)
        with pytest.raises(KratyApiError) as refused:
            alice.friends.send_gift(**args)
        assert refused.value.code == code, overrides

    bob.friends.block(external_player_id=str(alice.active_external_player_id))
    with pytest.raises(KratyApiError) as blocked:
        alice.friends.send_gift(
            external_player_id=bob_id, type="currency", resource_key="gold", amount=1
        )
    assert blocked.value.is_player_blocked
    assert _balance(alice, "gold") == 200  # nothing was charged by refused gifts


def test_daily_send_limit(make_kraty: Callable[..., Kraty]) -> None:
    sender = make_kraty()
    code = sender.friends.get_code().friend_code
    for _ in range(5):
        friend = make_kraty()
        friend.friends.add(friend_code=code)
        sender.friends.accept(sender.friends.list_requests().incoming[0].request_id)
        sender.friends.send_gift(
            external_player_id=str(friend.active_external_player_id),
            type="currency",
            resource_key="gold",
            amount=1,
        )
    sixth = make_kraty()
    sixth.friends.add(friend_code=code)
    sender.friends.accept(sender.friends.list_requests().incoming[0].request_id)
    with pytest.raises(KratyApiError) as limit:
        sender.friends.send_gift(
            external_player_id=str(sixth.active_external_player_id),
            type="currency",
            resource_key="gold",
            amount=1,
        )
    assert limit.value.is_conflict and limit.value.details["reason"] == "daily_send_limit"
    assert sender.friends.gift_catalog().sent_today == 5


def test_gifting_disabled(tmp_path: Path) -> None:
    with (
        emulator_with(custom_config(tmp_path, gifting=False)) as emulator,
        client_for(emulator) as kraty,
    ):
        for call in (
            kraty.friends.gift_catalog,
            kraty.friends.gifts,
            kraty.friends.sent_gifts,
            lambda: kraty.friends.send_gift(
                external_player_id="player_42", type="currency", resource_key="gold", amount=1
            ),
        ):
            with pytest.raises(KratyApiError) as off:
                call()
            assert off.value.is_gifting_disabled and off.value.status == 403
        kraty.friends.add(external_player_id="player_42")
        assert kraty.friends.list_requests().outgoing[0].player.external_player_id == "player_42"
