"""The component's platform features against the embedded emulator.

* Live inventory: a change made by the studio's backend through ``/server/v1`` reaches
  a watching component as ``KRATY_INVENTORY``; the player's own consume is filtered out
  with ``ignore_own_writes=True``.
* Server time: the component syncs the clock at start (off the main thread) and on
  request; ``server_now()`` is then within the sync's round trip of the emulator's
  clock, again after the clock is advanced and the component re-syncs. Before the
  first sync it is a clear error; it never does I/O.
* Presence: ``watch_presence()`` sends the heartbeat itself and reports presence
  changes, requests and gifts as ``KRATY_FRIENDS``; ``pause()`` stops it, ``resume()``
  restarts it, ``close()`` ends it.
* ``stats.update_ms_*`` is the CPU time of ``update()``, not the wall time.
* ``kraty_pygame.component`` re-exports what a game needs.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

import pygame
import pytest
import requests

import kraty_pygame.component as component_pkg
from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_FRIENDS,
    KRATY_INVENTORY,
    KRATY_REQUEST_DONE,
    KratyClockNotSyncedError,
    KratyComponent,
    PresenceWatcher,
)
from kraty_pygame.component.results import LiveItem
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.models.time import TimeSync
from tests.support.clients import KratyFactory
from tests.support.component import WAIT, ComponentFactory, Pump

pytestmark = [pytest.mark.headless, pytest.mark.emulator]

#: The emulator's presence TTL in the demo config (a beat older than this is offline).
PRESENCE_TTL_S = 45


# ---------------------------------------------------------------- helpers


def server_post(emulator: EmbeddedEmulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A studio backend's call: plain HTTP to ``/server/v1`` with the server demo key."""
    response = requests.post(
        f"{emulator.base_url}/server/v1{path}",
        json=body,
        headers={"authorization": f"Bearer {emulator.server_api_key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def friends_event(kind: str, **match: Any) -> Callable[[pygame.event.Event], bool]:
    """Predicate: a ``KRATY_FRIENDS`` event of ``kind`` whose attributes match."""

    def predicate(event: pygame.event.Event) -> bool:
        if event.type != KRATY_FRIENDS or getattr(event, "kind", None) != kind:
            return False
        return all(check(event) for check in match.values())

    return predicate


def done(handle: Any) -> Callable[[pygame.event.Event], bool]:
    return lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle


def finish(pump: Pump, handle: Any) -> Any:
    """Run frames until ``handle``'s call succeeded; returns its result."""
    pump.until(lambda e: getattr(e, "handle", None) is handle, what=repr(handle), since=0)
    assert handle.succeeded, handle.error
    return handle.result


class LiveQueue:
    """A watcher sink outside any component: live items land on a queue."""

    def __init__(self) -> None:
        self.items: queue.Queue[dict[str, Any]] = queue.Queue()

    def sink(self, item: LiveItem, key: Hashable | None) -> None:
        if item.kind == "friends":
            self.items.put(item.attrs)

    def until(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no matching KRATY_FRIENDS item in time"
            attrs = self.items.get(timeout=remaining)
            if predicate(attrs):
                return attrs


def befriend(a: Kraty, b: Kraty) -> None:
    """``a`` asks ``b`` by friend code, ``b`` accepts (SDK calls, off any component)."""
    code = b.friends.get_code().friend_code
    sent = a.friends.add(friend_code=code)
    assert sent.request is not None
    b.friends.accept(sent.request.request_id)


@contextmanager
def main_thread_socket_ops() -> Iterator[list[str]]:
    """Record socket operations made on the main thread while the block runs."""
    ops: list[str] = []
    originals: dict[str, Callable[..., Any]] = {}
    for name in ("connect", "connect_ex", "send", "sendall", "recv", "recv_into"):
        original: Callable[..., Any] = getattr(socket.socket, name)
        originals[name] = original

        def spy(
            self: socket.socket, *args: Any, _orig: Callable[..., Any] = original,
            _name: str = name, **kwargs: Any,
        ) -> Any:
            if threading.current_thread() is threading.main_thread():
                ops.append(_name)
            return _orig(self, *args, **kwargs)

        setattr(socket.socket, name, spy)
    try:
        yield ops
    finally:
        for name, original in originals.items():
            setattr(socket.socket, name, original)


# ---------------------------------------------------------------- live inventory


def test_server_api_inventory_change_reaches_the_component_and_own_consume_is_filtered(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    player = kraty.ensure_identity().external_player_id
    component = make_component(kraty)
    pump = Pump(component)
    component.watch_inventory(ignore_own_writes=True)
    pump.until(lambda e: e.type == KRATY_CONNECTION and e.source == "inventory"
               and e.state == "connected", what="inventory stream connected")
    pump.frame()

    own = component.inventory.consume("health_potion", quantity=1)  # the game's own write
    consumed = finish(pump, own)
    assert consumed is not None
    key = f"server-grant-{uuid.uuid4()}"
    granted = server_post(
        kraty_emulator, f"/players/{player}/inventory/health_potion/grant",
        {"quantity": 2, "reason": "support_ticket", "idempotencyKey": key},
    )
    assert granted["applied"] is True

    change = pump.until(
        lambda e: e.type == KRATY_INVENTORY and e.kind == "inventory_changed",
        what="the server's inventory change",
    )
    assert change.source == "stream"
    assert change.data.item_key == "health_potion"
    assert change.data.delta == 2 and change.data.origin == "server"
    assert change.data.quantity == granted["quantity"]
    # The stream delivers changes in commit order: the consume came first and was not
    # posted; the server's grant is the only inventory event the game saw.
    inventory = pump.of(KRATY_INVENTORY)
    assert [(e.kind, e.data.delta) for e in inventory] == [("inventory_changed", 2)]
    assert not any(e.data.origin == "client" for e in inventory)


# ---------------------------------------------------------------- server time


@pytest.fixture(scope="module")
def real_clock_emulator() -> Iterator[EmbeddedEmulator]:
    """The demo config on the emulator's real clock (it runs while the test reads it)."""
    with EmbeddedEmulator(clock="real") as emulator:
        yield emulator


def check_within_round_trip(component: KratyComponent, emulator: EmbeddedEmulator,
                            sync: TimeSync) -> None:
    """``server_now()`` is within ``sync.round_trip_ms`` of the emulator's clock.

    ``server_now() = true_server_time + e`` with a constant error ``e`` (both clocks run
    at the same rate); the emulator reads its clock at some instant between the two
    local readings, so ``e`` lies in ``[before - emu, after - emu]``, which must reach
    ``[-rtt, +rtt]`` (1 ms of slack: the emulator truncates to milliseconds). This
    bracketing keeps the check exact however the busy machine schedules the test.
    """
    assert component.time_sync is sync
    rtt = sync.round_trip_ms
    before = component.server_now().timestamp() * 1000.0
    emulator_ms = emulator.now().timestamp() * 1000.0
    after = component.server_now().timestamp() * 1000.0
    assert before - emulator_ms <= rtt + 1.0, (before, emulator_ms, rtt)
    assert after - emulator_ms >= -(rtt + 1.0), (after, emulator_ms, rtt)
    assert component.server_time_offset_ms == sync.offset_ms


def test_server_now_is_within_the_round_trip_after_each_component_sync(
    real_clock_emulator: EmbeddedEmulator, make_component: ComponentFactory
) -> None:
    emulator = real_clock_emulator
    kraty = Kraty(emulator.client_api_key, base_url=emulator.base_url,
                  secret_store=InMemorySecretStore(),
                  retry=RetryConfig(initial_delay=0.0, max_delay=0.0))
    component = make_component(kraty, owns_kraty=True)
    pump = Pump(component)
    # 1. the sync the component made by itself at start (no event was posted for it)
    assert component.wait_for_time_sync(WAIT)
    startup = component.time_sync
    assert startup is not None and component.is_time_synced
    check_within_round_trip(component, emulator, startup)
    pump.frame()
    assert not any(getattr(e, "operation", "") == "sync_time" for e in pump.events)

    # 2. a sync on request
    handle = component.sync_time()
    synced = finish(pump, handle)
    assert isinstance(synced, TimeSync)
    check_within_round_trip(component, emulator, synced)

    # 3. the server's clock jumps an hour; stale until the component re-syncs
    emulator.advance_clock(3600)
    stale = component.server_now().timestamp() - emulator.now().timestamp()
    assert stale < -3000
    resynced = finish(pump, component.sync_time())
    check_within_round_trip(component, emulator, resynced)
    assert resynced.offset_ms - synced.offset_ms > 3_500_000

    # 4. and back two hours
    emulator.advance_clock(-7200)
    back = finish(pump, component.sync_time())
    check_within_round_trip(component, emulator, back)


def test_server_clock_before_the_first_sync_is_a_clear_error_and_reads_need_no_io(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty(), sync_time_at_start=False)
    pump = Pump(component)
    assert not component.is_time_synced
    assert component.time_sync is None and component.server_time_offset_ms is None
    with pytest.raises(KratyClockNotSyncedError, match="not synced yet"):
        component.server_now()
    with pytest.raises(KratyClockNotSyncedError):
        component.server_now_ms()
    assert not component.wait_for_time_sync(0.05)
    assert [t.name for t in component.threads] == ["kraty-worker-0"]  # no clock thread

    sync = finish(pump, component.sync_time())
    assert component.wait_for_time_sync(0)
    # manual clock: the sync read it exactly; server_now() runs on locally from there
    assert sync.server_epoch_ms == round(kraty_emulator.now().timestamp() * 1000.0)
    kraty_emulator.set_faults(latency_ms=2000)  # any I/O would now take 2 s
    try:
        with main_thread_socket_ops() as ops:
            started = time.perf_counter()
            for _ in range(1000):
                component.server_now()
                component.server_now_ms()
                assert component.server_time_offset_ms == sync.offset_ms
            elapsed = time.perf_counter() - started
    finally:
        kraty_emulator.set_faults()
    assert ops == []
    assert elapsed < 1.0  # 3,000 local reads, no request among them
    ahead_ms = component.server_now_ms() - sync.server_epoch_ms
    assert ahead_ms >= 0


def test_the_startup_sync_reruns_on_resume(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    assert component.wait_for_time_sync(WAIT)
    first = component.time_sync
    assert first is not None
    component.pause()
    kraty_emulator.advance_clock(600)
    component.resume()
    deadline = time.monotonic() + WAIT
    while component.time_sync is first:  # the re-sync runs on the clock thread
        assert time.monotonic() < deadline, "no re-sync after resume()"
        for thread in component.threads:
            if thread.name == "kraty-watch-clock":
                thread.join(0.05)
    latest = component.time_sync
    assert latest is not None
    assert latest.server_epoch_ms - first.server_epoch_ms == 600_000


# ---------------------------------------------------------------- presence


def test_presence_watcher_beats_and_each_player_sees_the_other_change_within_one_interval(
    kraty_emulator: EmbeddedEmulator, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    interval = 5.0  # heartbeat interval; friends poll at 0.2 s, well inside it
    me, other = make_kraty(), make_kraty()
    my_id = me.ensure_identity().external_player_id
    other_id = other.ensure_identity().external_player_id
    befriend(me, other)
    component = make_component(me)
    pump = Pump(component)
    watcher = component.watch_presence(heartbeat_interval=interval, poll_interval=0.2,
                                       status="in_menu")
    assert watcher.heartbeat_interval == interval
    beat = pump.until(friends_event("heartbeat"), what="my heartbeat")
    assert beat.source == "heartbeat" and beat.presence.online
    assert beat.presence.status == "in_menu"
    first = pump.until(friends_event("friends"), what="friend snapshot", since=0)
    assert [f.external_player_id for f in first.friends] == [other_id]

    # The other player runs the same watcher (outside a component: its own sink).
    theirs = LiveQueue()
    other_watcher = PresenceWatcher(other, theirs.sink, lambda exc: None,
                                    heartbeat_interval=interval, poll_interval=0.2)
    other_watcher.run()
    try:
        went_online = time.monotonic()
        online = pump.until(
            friends_event("presence", who=lambda e: e.friend.external_player_id == other_id),
            what="the friend going online",
        )
        seen_after = time.monotonic() - went_online
        assert online.online is True and online.source == "poller"
        assert seen_after < interval, seen_after
        # ... and they see me online, with the status my heartbeats carry
        snapshot = theirs.until(lambda a: a["kind"] == "friends")
        mine = [f for f in snapshot["friends"] if f.external_player_id == my_id]
        assert mine and mine[0].online and mine[0].status == "in_menu"
    finally:
        other_watcher.stop()
        assert other_watcher.join(WAIT)

    # The other player is gone: once the emulator's clock passes the presence TTL,
    # their last beat is stale and my watcher reports them offline.
    kraty_emulator.advance_clock(PRESENCE_TTL_S + 1)
    gone = time.monotonic()
    offline = pump.until(
        friends_event("presence", who=lambda e: e.friend.external_player_id == other_id),
        what="the friend going offline",
    )
    assert offline.online is False
    assert time.monotonic() - gone < interval
    assert watcher.heartbeats >= 1 and watcher.last_presence is not None


def test_presence_watcher_reports_requests_both_ways_new_friends_and_gifts(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    me, asker, other = make_kraty(), make_kraty(), make_kraty()
    me.ensure_identity()
    asker_id = asker.ensure_identity().external_player_id
    other_id = other.ensure_identity().external_player_id
    component = make_component(me)
    pump = Pump(component)
    watcher = component.watch_presence(poll_interval=0.1)
    for kind in ("friends", "requests", "gifts"):
        snap = pump.until(friends_event(kind), what=f"{kind} snapshot", since=0)
        assert snap.source == "poller"
    assert pump.until(friends_event("requests"), since=0).requests.incoming == []

    # incoming: someone asks me by my friend code
    my_code = finish(pump, component.friends.get_code()).friend_code
    asked = asker.friends.add(friend_code=my_code)
    incoming = pump.until(friends_event("request_added"), what="incoming request")
    assert incoming.direction == "incoming" and incoming.request.is_incoming
    assert incoming.request.player.external_player_id == asker_id
    assert asked.request is not None
    assert incoming.request.request_id == asked.request.request_id

    # I accept: the request goes, a friend arrives
    finish(pump, component.friends.accept(incoming.request.request_id))
    watcher.refresh()
    removed = pump.until(friends_event("request_removed"), what="accepted request removed")
    assert removed.direction == "incoming"
    added = pump.until(friends_event("friend_added"), what="new friend", since=0)
    assert added.friend.external_player_id == asker_id
    listed = pump.until(
        friends_event("friends", has=lambda e: bool(e.friends)), what="list with the friend",
        since=0,
    )
    assert [f.external_player_id for f in listed.friends] == [asker_id]

    # outgoing: I ask someone, they decline
    their_code = other.friends.get_code().friend_code
    finish(pump, component.friends.add(friend_code=their_code))
    outgoing = pump.until(friends_event("request_added"), what="outgoing request")
    assert outgoing.direction == "outgoing"
    assert outgoing.request.player.external_player_id == other_id
    other.friends.decline(other.friends.list_requests().incoming[0].request_id)
    declined = pump.until(friends_event("request_removed"), what="declined request")
    assert declined.direction == "outgoing"
    assert declined.request.request_id == outgoing.request.request_id

    # a gift from my new friend lands in the inbox
    gift = asker.friends.send_gift(external_player_id=me.active_external_player_id,
                                   type="currency", resource_key="gold", amount=5,
                                   message="for the road")
    received = pump.until(friends_event("gift_received"), what="gift received")
    assert received.gift.gift_id == gift.gift_id and received.gift.is_pending
    assert received.gift.player.external_player_id == asker_id
    inbox = pump.until(
        friends_event("gifts", has=lambda e: bool(e.gifts)), what="inbox snapshot", since=0
    )
    assert [g.gift_id for g in inbox.gifts] == [gift.gift_id]

    # a friendship that ends is reported too
    asker.friends.remove(me.active_external_player_id or "")
    ended = pump.until(friends_event("friend_removed"), what="friend removed")
    assert ended.friend.external_player_id == asker_id
    kinds = [e.kind for e in pump.of(KRATY_FRIENDS)]
    assert "presence" not in kinds  # nobody beat: presence never changed


def test_presence_watcher_status_pause_resume_and_close(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    me, friend = make_kraty(), make_kraty()
    my_id = me.ensure_identity().external_player_id
    friend.ensure_identity()
    befriend(friend, me)
    component = make_component(me)
    pump = Pump(component)
    watcher = component.watch_presence(poll_interval=0.1)  # default heartbeat: 30 s
    pump.until(friends_event("heartbeat"), what="first heartbeat")
    pump.until(lambda e: e.type == KRATY_CONNECTION and e.source == "presence"
               and e.state == "polling", since=0)
    assert {t.name for t in watcher.threads} == {
        "kraty-watch-presence-poll", "kraty-watch-presence-heartbeat",
    }

    # set_status() beats at once (long before the 30 s interval) and friends see it
    watcher.set_status("in_lobby")
    beat = pump.until(friends_event("heartbeat", s=lambda e: e.presence.status == "in_lobby"),
                      what="heartbeat with the new status", timeout=WAIT)
    assert beat.presence.online
    seen = [f for f in friend.friends.list() if f.external_player_id == my_id]
    assert seen[0].online and seen[0].status == "in_lobby"

    # pause: heartbeats and reads stop (the threads end); what happens meanwhile is
    # reported on resume. The inbox must have been read once before the pause, or the
    # first read after it is the baseline rather than a change.
    pump.until(friends_event("gifts"), what="first gift inbox read", since=0)
    beats = watcher.heartbeats
    component.pause()
    pump.until(lambda e: e.type == KRATY_CONNECTION and e.source == "presence"
               and e.state == "closed", what="presence closed")
    assert watcher.join(WAIT) and watcher.threads == []
    assert not watcher.is_running
    gift = friend.friends.send_gift(external_player_id=my_id, type="currency",
                                    resource_key="gold", amount=1)
    assert watcher.heartbeats == beats
    mark = len(pump.events)
    component.resume()
    pump.until(friends_event("heartbeat"), what="heartbeat after resume", since=mark)
    assert watcher.heartbeats == beats + 1
    for kind in ("friends", "requests", "gifts"):  # fresh snapshots on resume
        pump.until(friends_event(kind), what=f"{kind} after resume", since=mark)
    missed = pump.until(friends_event("gift_received"), what="gift sent while paused",
                        since=mark)
    assert missed.gift.gift_id == gift.gift_id

    # stop() ends it for good; close() (fixture) joins every thread
    watcher.stop()
    assert watcher.join(WAIT)
    assert watcher.is_stopped and watcher not in component.watchers


def test_watch_friends_still_posts_the_list_with_a_kind(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    me = make_kraty()
    me.ensure_identity()
    component = make_component(me)
    pump = Pump(component)
    watcher = component.watch_friends(interval=0.05)
    first = pump.until(lambda e: e.type == KRATY_FRIENDS, what="friend list")
    assert first.kind == "friends" and first.friends == [] and first.source == "poller"
    assert type(watcher).__name__ == "FriendsWatcher"
    assert not any(getattr(e, "kind", "") == "heartbeat" for e in pump.events)


class _FakeFriends:
    """A scripted ``kraty.friends`` for the watcher's own logic (no server)."""

    def __init__(self) -> None:
        self.friend_lists: queue.Queue[Any] = queue.Queue()
        self.read = threading.Event()

    def list(self, **kwargs: Any) -> Any:
        self.read.set()
        return self.friend_lists.get(timeout=WAIT)

    def list_requests(self, **kwargs: Any) -> Any:
        from kraty_pygame.sdk.models.friends import FriendRequests

        return FriendRequests()

    def gifts(self, **kwargs: Any) -> Any:
        from kraty_pygame.sdk.errors import KratyApiError

        raise KratyApiError(409, "gifting_disabled", "gifting is off for this game")

    def heartbeat(self, **kwargs: Any) -> Any:  # pragma: no cover - heartbeats are off here
        raise AssertionError("no heartbeat expected")


class _FakeKraty:
    def __init__(self) -> None:
        from kraty_pygame.sdk.transport import KratyClient

        self.friends = _FakeFriends()
        self.client = KratyClient.__new__(KratyClient)  # only cancellation() is used
        self.active_external_player_id = "me"


def test_presence_watcher_diffs_presence_and_stops_reading_gifts_when_gifting_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kraty_pygame.sdk.models.friends import Friend
    from kraty_pygame.sdk.transport import KratyClient

    @contextmanager
    def cancellation(self: KratyClient, token: Any) -> Iterator[None]:
        yield

    monkeypatch.setattr(KratyClient, "cancellation", cancellation)
    kraty = _FakeKraty()
    out = LiveQueue()
    errors: list[BaseException] = []
    watcher = PresenceWatcher(kraty, out.sink, errors.append, heartbeat_interval=None,
                              poll_interval=0.01)
    ann_off = Friend(external_player_id="ann", online=False)
    ann_on = Friend(external_player_id="ann", online=True, status="racing")
    bob = Friend(external_player_id="bob", online=True)
    carl = Friend(external_player_id="carl", online=False)
    for friends in ([ann_off], [ann_on, bob], [ann_on], [ann_on], [ann_on, carl]):
        kraty.friends.friend_lists.put(friends)
    watcher.run()
    seen: list[dict[str, Any]] = []
    try:
        def record(attrs: dict[str, Any]) -> bool:
            seen.append(attrs)
            return attrs.get("friend") == carl

        out.until(record)
    finally:
        watcher.stop()
        kraty.friends.friend_lists.put([ann_on, carl])  # unblock a read in progress
        assert watcher.join(WAIT)
    assert [(a["kind"], a.get("friend")) for a in seen] == [
        ("friends", None), ("requests", None),  # first read: snapshots only
        ("presence", ann_on), ("friend_added", bob), ("friends", None),
        ("friend_removed", bob), ("friends", None),
        # the unchanged fourth read posted nothing
        ("friend_added", carl),
    ]
    assert seen[0]["friends"] == [ann_off] and seen[4]["friends"] == [ann_on, bob]
    assert seen[2]["online"] is True
    assert all(a["source"] == "poller" for a in seen)
    assert errors == []  # gifting_disabled is no error: the inbox is just not watched
    assert watcher.friends in ([ann_on, carl], [ann_on])


# ---------------------------------------------------------------- stats and exports


def test_update_ms_is_the_cpu_time_of_update_not_the_time_the_thread_was_away(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty(), sync_time_at_start=False)
    pump = Pump(component)
    away = threading.Event()

    def blocks(handle: Any) -> None:
        # Stands for the main thread being descheduled inside update(): wall time
        # passes, the thread uses no CPU.
        away.wait(0.25)

    handle = component.catalog.read().on_done(blocks)
    pump.until(done(handle), what="catalog.read")
    stats = component.stats
    print(f"\nupdate(): cpu max {stats.update_ms_max:.2f} ms, "
          f"wall max {stats.update_wall_ms_max:.2f} ms")
    assert stats.update_wall_ms_max >= 240.0
    assert stats.update_ms_max < 100.0  # generous: the work itself takes well under 1 ms
    assert stats.update_ms_avg <= stats.update_ms_max
    while component.update():
        pass
    idle_before = component.stats.updates
    component.update()  # nothing to deliver: not timed on the CPU clock
    assert component.stats.updates == idle_before + 1
    assert component.stats.update_ms_last == 0.0


def test_the_package_re_exports_what_a_game_needs() -> None:
    from kraty_pygame.component import (
        board_watcher,
        errors,
        handles,
        platform_watchers,
        watchers,
        widgets,
        worker,
    )
    from kraty_pygame.component import stats as stats_module

    expected = {
        "RequestHandle": handles.RequestHandle,
        "HandleStatus": handles.HandleStatus,
        "CloseReport": worker.CloseReport,
        "ComponentStats": stats_module.ComponentStats,
        "Watcher": watchers.Watcher,
        "GrantsWatcher": watchers.GrantsWatcher,
        "LobbyWatcher": watchers.LobbyWatcher,
        "LeaderboardWatcher": board_watcher.LeaderboardWatcher,
        "InventoryWatcher": platform_watchers.InventoryWatcher,
        "FriendsWatcher": platform_watchers.FriendsWatcher,
        "PresenceWatcher": platform_watchers.PresenceWatcher,
        "KratyQueueFullError": errors.KratyQueueFullError,
        "KratyComponentClosedError": errors.KratyComponentClosedError,
        "KratyThreadError": errors.KratyThreadError,
        "KratyClockNotSyncedError": errors.KratyClockNotSyncedError,
        "ToastStack": widgets.ToastStack,
        "LeaderboardPanel": widgets.LeaderboardPanel,
        "LobbyBar": widgets.LobbyBar,
        "WidgetTheme": widgets.WidgetTheme,
    }
    for name, value in expected.items():
        assert name in component_pkg.__all__, name
        assert getattr(component_pkg, name) is value, name
    for name in component_pkg.__all__:
        assert getattr(component_pkg, name) is not None
    assert set(component_pkg.__all__) <= set(dir(component_pkg))
    with pytest.raises(AttributeError):
        component_pkg.NoSuchName  # noqa: B018
