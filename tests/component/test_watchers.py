"""Watchers against the emulator: the grants poller, the live leaderboard (snapshot,
pushes coalesced per participant, finalization), the lobby watcher, pause and resume."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_FRIENDS,
    KRATY_GRANTS,
    KRATY_INVENTORY,
    KRATY_LEADERBOARD,
    KRATY_LOBBY,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KratyComponent,
)
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import is_lobby_forming
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump, component_threads

pytestmark = [pytest.mark.headless, pytest.mark.emulator]

SEEDED_PLAYER = ("player_42", "kps_demo_player_42_secret")


def is_connection(source: str, state: str) -> Any:
    return lambda e: e.type == KRATY_CONNECTION and e.source == source and e.state == state


def board_event(board_id: str, kind: str) -> Any:
    return lambda e: (
        e.type == KRATY_LEADERBOARD and e.leaderboard_id == board_id and e.kind == kind
    )


def start(component: KratyComponent, pump: Pump, event_key: str) -> Any:
    handle = component.events.start(event_key)
    finished = (KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED)
    pump.until(lambda e: e.type in finished and e.handle is handle)
    return handle


def test_grants_poller_reports_each_pending_grant_once(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    player, secret = SEEDED_PLAYER
    component = make_component(
        make_kraty(active_external_player_id=player, player_secret=secret)
    )
    pump = Pump(component)
    watcher = component.watch_grants(start=0.05, grow=1.0, max_interval=0.05)
    pump.until(is_connection("grants", "polling"))
    seen = pump.until(lambda e: e.type == KRATY_GRANTS, what="KRATY_GRANTS")
    assert seen.source == "poller"
    assert len(seen.grants) == 2 and all(g.is_pending for g in seen.grants)
    # several more polls see the same grants: nothing new is reported
    for _ in range(3):
        component.grants.list_pending()
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.operation == "grants.list_pending")
    assert len(pump.of(KRATY_GRANTS)) == 1
    assert watcher in component.watchers and watcher.is_running
    watcher.stop()
    pump.until(is_connection("grants", "closed"))
    assert watcher not in component.watchers


def test_live_leaderboard_snapshot_pushes_and_finalization(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    started = start(component, pump, "tap_frenzy").result
    board_id = started.leaderboard_id
    source = f"leaderboard:{board_id}"
    component.watch_leaderboard(board_id, poll_interval=0, include_self=True)
    snapshot = pump.until(board_event(board_id, "snapshot"))
    assert snapshot.board.leaderboard_id == board_id
    pump.until(is_connection(source, "connected"))
    pump.frame()  # let the stream settle on `ready` before the write
    component.events.progress("tap_frenzy", started.attempt.id, mode="set", metric_value=12)
    update = pump.until(board_event(board_id, "score_update"))
    assert update.entry.score == 12 and update.board is None
    kraty_emulator.finalize_event("tap_frenzy")
    final = pump.until(board_event(board_id, "finalized"))
    assert final.board.leaderboard_id == board_id
    mark = pump.events.index(final)  # the connection state and the board closing race
    pump.until(board_event(board_id, "closed"), since=mark)
    pump.until(is_connection(source, "closed"), since=mark)
    assert component.watchers == []


def test_score_updates_are_coalesced_per_participant_when_update_lags(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    component = make_component(kraty)
    pump = Pump(component)
    started = start(component, pump, "daily_duel").result
    board_id = started.leaderboard_id
    component.watch_leaderboard(board_id, poll_interval=0)
    pump.until(is_connection(f"leaderboard:{board_id}", "connected"))
    pump.frame()
    before = component.stats.coalesced
    for value in range(1, 41):  # straight to the SDK: the game loop is not running meanwhile
        kraty.events.progress("daily_duel", started.attempt.id, mode="set", metric_value=value)
    last = pump.until(
        lambda e: board_event(board_id, "score_update")(e) and e.entry.score == 40
    )
    updates = [e for e in pump.of(KRATY_LEADERBOARD) if e.kind == "score_update"]
    assert last in updates and len(updates) < 40
    assert component.stats.coalesced > before


def test_pause_disconnects_and_resume_reconnects_with_a_fresh_snapshot(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    component = make_component(kraty)
    pump = Pump(component)
    started = start(component, pump, "daily_duel").result
    board_id = started.leaderboard_id
    source = f"leaderboard:{board_id}"
    component.watch_leaderboard(board_id, poll_interval=0)
    component.watch_grants(start=0.05, grow=1.0, max_interval=0.05)
    pump.until(is_connection(source, "connected"))
    mark = len(pump.events)
    component.pause()
    assert component.is_paused
    pump.until(is_connection(source, "closed"), since=mark)
    pump.until(is_connection("grants", "closed"), since=mark)
    # the watcher threads end; requests still work while paused
    deadline = pygame.time.get_ticks() + 5000
    while any(t.name.startswith("kraty-watch") for t in component_threads()):
        assert pygame.time.get_ticks() < deadline
        component.wait_for_results(0.05)
        pump.frame()
    assert component.stats.watchers == 0
    kraty.events.progress("daily_duel", started.attempt.id, mode="set", metric_value=77)
    pump.clear()
    component.resume()
    snapshot = pump.until(board_event(board_id, "snapshot"), since=0)
    assert [e.score for e in snapshot.board.entries if e.score == 77] == [77]
    pump.until(is_connection(source, "connected"), since=0)
    pump.until(is_connection("grants", "polling"), since=0)
    assert component.stats.watchers == 2


def test_lobby_watcher_reports_filling_until_active(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    forming = start(component, pump, "quick_brawl")
    assert is_lobby_forming(forming.error)
    lobby_id = forming.error.details["lobbyId"]
    watcher = component.watch_lobby(lobby_id, interval=0.05, timeout=30)
    first = pump.until(lambda e: e.type == KRATY_LOBBY, what="first lobby state")
    assert first.lobby.id == lobby_id and first.lobby.status == "forming"
    assert first.active is False and first.lobby.bot_slots == 0
    kraty_emulator.advance_clock(6)  # past the bot fill delay: a bot is projected
    grown = pump.until(lambda e: e.type == KRATY_LOBBY and e.lobby.bot_slots >= 1)
    assert grown.active is False
    kraty_emulator.promote_lobby(lobby_id)
    active = pump.until(lambda e: e.type == KRATY_LOBBY and e.active)
    assert active.lobby.status == "active"
    pump.until(is_connection(f"lobby:{lobby_id}", "closed"))
    assert watcher.is_stopped and component.watchers == []
    again = start(component, pump, "quick_brawl")
    assert again.succeeded


def test_inventory_watcher_posts_live_changes(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    kraty.ensure_identity()
    component = make_component(kraty)
    pump = Pump(component)
    component.watch_inventory()
    pump.until(is_connection("inventory", "connected"))
    pump.frame()  # the stream is subscribed once connected; give it a frame to settle
    component.inventory.consume("health_potion", quantity=1)
    change = pump.until(
        lambda e: e.type == KRATY_INVENTORY and e.kind == "inventory_changed",
        what="inventory_changed",
    )
    assert change.source == "stream"
    assert change.data.item_key == "health_potion" and change.data.delta == -1


def test_inventory_watcher_can_skip_the_games_own_writes(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    kraty.ensure_identity()
    component = make_component(kraty)
    pump = Pump(component)
    component.watch_inventory(ignore_own_writes=True)
    pump.until(is_connection("inventory", "connected"))
    pump.frame()
    done = component.inventory.consume("health_potion", quantity=1)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is done)
    component.wallet.list()
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.operation == "wallet.list")
    assert pump.of(KRATY_INVENTORY) == []


def test_friends_watcher_posts_the_list_when_it_changes(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    me, other = make_kraty(), make_kraty()
    me.ensure_identity()
    friend_id = other.ensure_identity().external_player_id
    component = make_component(me)
    pump = Pump(component)
    component.watch_friends(interval=0.05)
    first = pump.until(lambda e: e.type == KRATY_FRIENDS, what="initial friend list")
    assert first.friends == [] and first.source == "poller" and first.kind == "friends"
    sent = component.friends.add(external_player_id=friend_id)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is sent)
    request_id = other.friends.list_requests().incoming[0].request_id
    other.friends.accept(request_id)
    changed = pump.until(lambda e: e.type == KRATY_FRIENDS and e.friends, what="new friend")
    assert [f.external_player_id for f in changed.friends] == [friend_id]
    assert not any(getattr(e, "kind", "") == "heartbeat" for e in pump.of(KRATY_FRIENDS))
