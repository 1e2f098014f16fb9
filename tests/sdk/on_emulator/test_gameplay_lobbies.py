"""Lobby-matched starts end to end: lobby_forming, bot_slots growing with the clock, retry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import (
    Kraty,
    KratyApiError,
    KratyPollTimeoutError,
    poll_lobby_until_active,
)
from kraty_pygame.sdk.errors import KratyCancelledError

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator

# demo config: quick_brawl capacity 4, fill_timeout_s 15, bot_fill_delay_s 5, bot_drip_interval_s 3


def _lobby_id(kraty: Kraty) -> str:
    with pytest.raises(KratyApiError) as info:
        kraty.events.start("quick_brawl")
    assert info.value.is_lobby_forming and info.value.status == 202
    lobby_id = info.value.details["lobbyId"]
    assert isinstance(lobby_id, str)
    return lobby_id


@pytest.mark.operation("lobbies.read")
def test_lobby_forms_fills_with_bots_and_the_retried_start_succeeds(
    kraty: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    lobby_id = _lobby_id(kraty)
    lobby = kraty.lobbies.read(lobby_id)
    assert lobby.status == "forming" and lobby.mode == "lobby_matched"
    assert (lobby.capacity, lobby.participant_count, lobby.bot_slots) == (4, 1, 0)
    assert lobby.fill_by is not None

    seen = [lobby.bot_slots]
    for _ in range(4):  # ages 3, 6, 9, 12 s: the projection grows, never shrinks
        kraty_emulator.advance_clock(3)
        lobby = kraty.lobbies.read(lobby_id)
        assert lobby.status == "forming"
        assert lobby.filled_slots == min(lobby.participant_count + lobby.bot_slots, lobby.capacity)
        assert lobby.filled_slots <= lobby.capacity
        seen.append(lobby.bot_slots)
    assert seen == sorted(seen) and seen[-1] > seen[0]
    assert seen[-1] == 3  # 1 human + 3 bots: the lobby looks full before it starts

    # still forming: a retried start answers lobby_forming with the same lobby
    assert _lobby_id(kraty) == lobby_id

    kraty_emulator.advance_clock(4)  # past fillBy (15 s)
    active = poll_lobby_until_active(kraty.lobbies, lobby_id, interval=0.05, timeout=10)
    assert active.is_active and active.started_at is not None and active.ends_at is not None
    assert active.filled_slots == active.capacity

    start = kraty.events.start("quick_brawl")
    assert start.attempt.status == "in_progress"
    assert active.leaderboard_id is None or start.leaderboard_id == active.leaderboard_id


def test_second_human_joins_the_same_lobby(make_kraty: Callable[..., Kraty]) -> None:
    first, second = make_kraty(), make_kraty()
    lobby_id = _lobby_id(first)
    assert _lobby_id(second) == lobby_id
    lobby = first.lobbies.read(lobby_id)
    assert lobby.participant_count == 2


def test_promoted_lobby_ends_the_poll_at_once(
    kraty: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    lobby_id = _lobby_id(kraty)
    kraty_emulator.promote_lobby(lobby_id)
    lobby = poll_lobby_until_active(kraty.lobbies, lobby_id, interval=5.0, timeout=30.0)
    assert lobby.is_active


def test_poll_times_out_while_the_clock_stands_still(kraty: Kraty) -> None:
    lobby_id = _lobby_id(kraty)
    with pytest.raises(KratyPollTimeoutError) as info:
        poll_lobby_until_active(kraty.lobbies, lobby_id, interval=0.05, timeout=0.3)
    assert isinstance(info.value, TimeoutError)
    assert lobby_id in str(info.value)


def test_poll_stops_when_asked(kraty: Kraty) -> None:
    lobby_id = _lobby_id(kraty)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            poll_lobby_until_active(kraty.lobbies, lobby_id, interval=30.0, timeout=60.0, stop=stop)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    stop.set()
    worker.join(10)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], KratyCancelledError)


def test_unknown_lobby_is_not_found(kraty: Kraty) -> None:
    with pytest.raises(KratyApiError) as info:
        kraty.lobbies.read("lob_000000000000")
    assert info.value.is_not_found
