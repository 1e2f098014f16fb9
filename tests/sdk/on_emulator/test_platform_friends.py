"""Friends and presence through the SDK against the embedded emulator: friend codes,
requests, blocks and presence.

Acceptance: two players befriend each other through codes, see each other's presence
change within one heartbeat interval, and a blocked player cannot send a request.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import (
    PRESENCE_HEARTBEAT_INTERVAL,
    Friend,
    Kraty,
    KratyApiError,
    KratyConfigError,
)
from tests.support.platform_backend import PLAYER_7, PLAYER_7_SECRET

pytestmark = pytest.mark.emulator


def _friend(kraty: Kraty, external_id: str) -> Friend:
    return next(f for f in kraty.friends.list() if f.external_player_id == external_id)


@pytest.fixture
def pair(make_kraty: Callable[..., Kraty]) -> tuple[Kraty, Kraty]:
    """Two fresh players, not yet friends."""
    alice, bob = make_kraty(), make_kraty()
    alice.ensure_identity()
    bob.ensure_identity()
    return alice, bob


def _befriend(alice: Kraty, bob: Kraty) -> None:
    alice.friends.add(friend_code=bob.friends.get_code().friend_code)
    bob.friends.add(friend_code=alice.friends.get_code().friend_code)


@pytest.mark.operation("friends.add", "friends.get_code", "friends.list", "friends.list_requests")
def test_two_players_befriend_each_other_through_codes(pair: tuple[Kraty, Kraty]) -> None:
    alice, bob = pair
    alice_code, bob_code = alice.friends.get_code(), bob.friends.get_code()
    assert len(alice_code.friend_code) == 6 and alice_code.friend_code != bob_code.friend_code
    assert alice.friends.get_code().friend_code == alice_code.friend_code  # stable

    sent = alice.friends.add(friend_code=bob_code.friend_code)
    assert sent.status == "pending" and sent.request is not None
    assert sent.request.player.external_player_id == bob.active_external_player_id
    incoming = bob.friends.list_requests().incoming
    assert [r.request_id for r in incoming] == [sent.request.request_id]
    assert incoming[0].is_incoming and incoming[0].player.external_player_id == (
        alice.active_external_player_id
    )

    # Bob answers with Alice's code: the reciprocal request makes them friends at once.
    answer = bob.friends.add(friend_code=alice_code.friend_code.lower())
    assert answer.is_accepted and answer.friend is not None
    assert answer.friend.external_player_id == alice.active_external_player_id
    assert [f.external_player_id for f in alice.friends.list()] == [bob.active_external_player_id]
    assert [f.external_player_id for f in bob.friends.list()] == [alice.active_external_player_id]
    assert alice.friends.list_requests().outgoing == []

    with pytest.raises(KratyApiError) as already:
        alice.friends.add(external_player_id=str(bob.active_external_player_id))
    assert already.value.is_already_friends and already.value.status == 409


@pytest.mark.operation("friends.heartbeat")
def test_presence_changes_are_seen_within_one_heartbeat_interval(
    kraty_emulator: EmbeddedEmulator, pair: tuple[Kraty, Kraty]
) -> None:
    alice, bob = pair
    _befriend(alice, bob)
    assert not _friend(bob, str(alice.active_external_player_id)).online

    for me, friend in ((alice, bob), (bob, alice)):
        mine = str(me.active_external_player_id)
        beat = me.friends.heartbeat(status="in_menu")
        assert beat.online and beat.status == "in_menu"
        seen = _friend(friend, mine)
        assert seen.online and seen.status == "in_menu" and seen.last_active_at

        kraty_emulator.advance_clock(PRESENCE_HEARTBEAT_INTERVAL)
        me.friends.heartbeat(status="in_match")  # the next beat, one interval later
        seen = _friend(friend, mine)
        assert seen.online and seen.status == "in_match"
        me.friends.heartbeat()  # no status member: the status is kept
        assert _friend(friend, mine).status == "in_match"

        # The beats stop: one interval later the friend still shows online (the beat is
        # only just due); one more interval and the missed beat has ended the presence.
        kraty_emulator.advance_clock(PRESENCE_HEARTBEAT_INTERVAL)
        assert _friend(friend, mine).online
        kraty_emulator.advance_clock(PRESENCE_HEARTBEAT_INTERVAL)
        gone = _friend(friend, mine)
        assert not gone.online and gone.status is None and gone.last_active_at

    cleared = alice.friends.heartbeat(status=None)
    assert cleared.online and cleared.status is None


@pytest.mark.operation("friends.block", "friends.list_blocks", "friends.unblock")
def test_blocked_player_cannot_send_a_request(pair: tuple[Kraty, Kraty]) -> None:
    alice, bob = pair
    _befriend(alice, bob)
    alice_id, bob_id = str(alice.active_external_player_id), str(bob.active_external_player_id)

    blocked = bob.friends.block(external_player_id=alice_id)
    assert blocked.external_player_id == alice_id and blocked.blocked_at
    assert [b.external_player_id for b in bob.friends.list_blocks()] == [alice_id]
    assert alice.friends.list() == [] and bob.friends.list() == []  # friendship torn down

    for kraty, target in ((alice, bob), (bob, alice)):
        with pytest.raises(KratyApiError) as refused:
            kraty.friends.add(friend_code=target.friends.get_code().friend_code)
        assert refused.value.is_player_blocked and refused.value.status == 403
    assert alice.friends.search(bob_id) == []  # blocked players are not found either

    assert bob.friends.unblock(alice_id) is True
    assert bob.friends.list_blocks() == []
    assert alice.friends.add(external_player_id=bob_id).status == "pending"


@pytest.mark.operation(
    "friends.accept",
    "friends.cancel_request",
    "friends.decline",
    "friends.remove",
)
def test_requests_can_be_declined_cancelled_and_friends_removed(
    pair: tuple[Kraty, Kraty],
) -> None:
    alice, bob = pair
    bob_id = str(bob.active_external_player_id)
    first = alice.friends.add(external_player_id=bob_id)
    assert first.request is not None
    again = alice.friends.add(external_player_id=bob_id)  # still pending: the same request
    assert again.request is not None and again.request.request_id == first.request.request_id

    assert bob.friends.decline(first.request.request_id) is True
    assert bob.friends.list_requests().incoming == []
    with pytest.raises(KratyApiError) as gone:
        bob.friends.accept(first.request.request_id)
    assert gone.value.is_not_found

    second = alice.friends.add(external_player_id=bob_id)
    assert second.request is not None
    with pytest.raises(KratyApiError) as not_mine:
        bob.friends.cancel_request(second.request.request_id)  # only the sender cancels
    assert not_mine.value.is_not_found
    assert alice.friends.cancel_request(second.request.request_id) is True
    assert alice.friends.list_requests().outgoing == []

    third = alice.friends.add(external_player_id=bob_id)
    assert third.request is not None
    friend = bob.friends.accept(third.request.request_id)
    assert friend.external_player_id == alice.active_external_player_id and friend.friends_since
    assert bob.friends.remove(str(alice.active_external_player_id)) is True
    assert alice.friends.list() == []
    with pytest.raises(KratyApiError) as not_friends:
        bob.friends.remove(str(alice.active_external_player_id))
    assert not_friends.value.is_not_found


@pytest.mark.operation("friends.search")
def test_request_errors_and_search(make_kraty: Callable[..., Kraty], kraty_42: Kraty) -> None:
    with pytest.raises(KratyApiError) as myself:
        kraty_42.friends.add(friend_code=kraty_42.friends.get_code().friend_code)
    assert myself.value.is_cannot_friend_self and myself.value.status == 400
    with pytest.raises(KratyApiError) as bad_code:
        kraty_42.friends.add(friend_code="ZZZZZZ")
    assert bad_code.value.is_friend_code_invalid and bad_code.value.status == 404
    with pytest.raises(KratyApiError) as unknown:
        kraty_42.friends.add(external_player_id="nobody_here")
    assert unknown.value.is_not_found
    with pytest.raises(KratyConfigError):
        kraty_42.friends.add()

    rival = make_kraty(active_external_player_id=PLAYER_7, player_secret=PLAYER_7_SECRET)
    code = rival.friends.get_code(progression=["xp", "level"])
    assert code.display_identity is not None and code.display_identity.name == "Demo Rival"
    assert code.progression == {"xp": 120, "level": 2}

    by_name = kraty_42.friends.search("rival", progression=["level"])
    assert [(r.external_player_id, r.relationship) for r in by_name] == [(PLAYER_7, "none")]
    assert by_name[0].progression == {"level": 2}
    assert [r.external_player_id for r in kraty_42.friends.search(code.friend_code)] == [PLAYER_7]
    kraty_42.friends.add(external_player_id=PLAYER_7)
    assert kraty_42.friends.search("player_7")[0].relationship == "request_outgoing"
    assert rival.friends.search("hero")[0].relationship == "request_incoming"
    assert kraty_42.friends.search("") == []

    requests = rival.friends.list_requests(progression=["xp"])
    assert requests.incoming[0].player.progression == {"xp": 40}
    rival.friends.accept(requests.incoming[0].request_id)
    listed = kraty_42.friends.list(progression=["xp", "level"])
    assert listed[0].progression == {"xp": 120, "level": 2} and listed[0].name == "Demo Rival"
