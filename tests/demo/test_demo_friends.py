"""The demo's Friends screen and the Player screen's live side, played in-process.

Each test runs the real game (``Game``: embedded emulator, ``Kraty``, component, the
frame loop on SDL's dummy driver) and drives it with posted clicks, keys and text;
the second player, ``player_7``, is the demo's own rival client (a second ``Kraty``).
What the screens show is read back from their ``snapshot()``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pygame
import pytest

from demo_game.game import Game
from demo_game.options import DemoOptions
from demo_game.rules import RIVAL_ID
from demo_game.screens.friends import FriendsScreen
from demo_game.screens.player import PlayerScreen
from demo_game.ui import ScrollList
from kraty_pygame.component import KRATY_FRIENDS
from kraty_pygame.sdk import FriendRequests

pytestmark = [pytest.mark.headless, pytest.mark.emulator, pytest.mark.slow]

GAME_THREADS = ("kraty-worker", "kraty-watch", "kraty-emulator", "emulator-control", "demo-rival")
#: The alphabet of friend codes (no 0/O/1/I), six characters.
FRIEND_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")


# ---------------------------------------------------------------- helpers


def _frames_until(
    game: Game, predicate: Callable[[], bool], what: str, timeout: float = 25.0
) -> None:
    """Run frames of the game loop until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        game.app.frame()


def _frames(game: Game, count: int) -> None:
    for _ in range(count):
        game.app.frame()


def _click(pos: tuple[int, int]) -> None:
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))
    )
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))


def _click_widget(game: Game, screen_name: str, widget: str) -> None:
    rect = game.app.screen_named(screen_name).find(widget).rect
    assert rect.width > 0, f"{widget} is not laid out"
    _click(rect.center)
    game.app.frame()


def _press(key: int, unicode: str = "") -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=unicode))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=0, unicode=unicode))


def _row_action(
    game: Game, rows: ScrollList[Any], match: Callable[[Any], bool], action: str
) -> None:
    """Click the ``action`` button of the first row of ``rows`` that ``match``es."""
    _frames(game, 2)  # screens copy the state into their lists in update()
    index = next((i for i, item in enumerate(rows.items) if match(item)), -1)
    assert index >= 0, f"no row to {action} in {rows.name}: {rows.items}"
    rect = rows.action_rect(index, action)
    assert rect is not None, f"no {action} button on row {index} of {rows.name}"
    game.app.frame()  # draw once at the scrolled position
    _click((rows.action_rect(index, action) or rect).center)
    game.app.frame()


_BASELINE: set[int | None] = set()


@pytest.fixture(autouse=True)
def _thread_baseline() -> None:
    """Threads alive before the test (e.g. a session-wide emulator) are not the game's."""
    _BASELINE.clear()
    _BASELINE.update(t.ident for t in threading.enumerate())


def _game_threads() -> list[str]:
    """Threads a demo game started that are still alive (none after ``Game.close()``)."""
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(GAME_THREADS) and t.ident not in _BASELINE
    ]


def _notices(game: Game) -> list[str]:
    return [n.text for n in game.app.notices]


@pytest.fixture
def game(tmp_path: Path) -> Iterator[Game]:
    """The demo on its own embedded emulator, with a fresh data folder; closed after."""
    started = Game(DemoOptions(headless=True, mute=True, data_dir=tmp_path / "demo"))
    try:
        _frames_until(
            started,
            lambda: (
                started.kraty.state.player_id is not None
                and started.kraty.state.friends.code is not None
            ),
            "identity and the player's friend code",
        )
        yield started
    finally:
        started.close()
    assert _game_threads() == [], "a game thread outlived Game.close()"


def _friends_screen(game: Game) -> FriendsScreen:
    """Open tab 6 with its hotkey, as a player would; the rival comes online."""
    _press(pygame.K_6, "6")
    _frames_until(game, lambda: game.app.screen.name == "friends", "the Friends tab (key 6)")
    screen = game.app.screen
    assert isinstance(screen, FriendsScreen)
    _frames_until(
        game,
        lambda: (
            game.kraty.state.rival.code is not None and game.kraty.state.friends.catalog is not None
        ),
        "the rival's friend code and the gift catalog",
    )
    return screen


def _snapshot(game: Game) -> dict[str, Any]:
    return game.app.screen_named("friends").snapshot()


# ---------------------------------------------------------------- Friends screen


def test_friends_screen_befriends_player_7_with_presence_and_trades_gifts(game: Game) -> None:
    session = game.kraty
    screen = _friends_screen(game)
    snap = _snapshot(game)
    # my friend code, shown big on the card
    assert snap["code"] and FRIEND_CODE.match(snap["code"]), snap["code"]
    assert snap["presence"]["online"] is True and snap["presence"]["heartbeats"] >= 1
    assert snap["gift_catalog"] is not None and snap["gift_catalog"]["cooldown_seconds"] == 3600
    assert snap["rival"]["code"] and snap["rival"]["code"] != snap["code"]
    _click_widget(game, "friends", "friends.copy")  # to the clipboard, or said in a notice
    assert any(snap["code"] in text for text in _notices(game))

    # player_7 asks (on its own client); the request poll brings it in; accept it
    _click_widget(game, "friends", "friends.rival.ask")
    _frames_until(
        game,
        lambda: any(r["from"] == RIVAL_ID for r in _snapshot(game)["incoming"]),
        "player_7's request in the incoming list",
    )
    _row_action(game, screen.requests, lambda r: r.is_incoming, "accept")
    _frames_until(
        game,
        lambda: (
            any(f["id"] == RIVAL_ID for f in _snapshot(game)["friends"])
            and not _snapshot(game)["incoming"]
        ),
        "player_7 in the friend list, the request gone",
    )
    snap = _snapshot(game)
    assert RIVAL_ID in snap["accepted"]
    rival = next(f for f in snap["friends"] if f["id"] == RIVAL_ID)
    # presence (the rival's client sent a heartbeat) and progression
    assert rival["name"] == "Demo Rival"
    assert rival["online"] is True
    assert rival["presence"] == "online \u00b7 on another device"
    assert rival["progression"] == {"level": 2.0, "xp": 120.0}
    assert rival["cooldown"] is None

    # gift 10 gold to player_7: the cooldown starts and is shown as a countdown
    gold_before = session.state.wallet_map().get("gold", 0)
    chip = screen.gift_kind.rect_of("currency:gold", game.app.ui)
    assert chip is not None
    _click(chip.center)
    _frames(game, 2)
    assert screen.chosen_gift() is not None
    _row_action(game, screen.list, lambda f: f.external_player_id == RIVAL_ID, "gift")
    _frames_until(game, lambda: bool(_snapshot(game)["gifts_sent"]), "the gift sent")
    _frames_until(
        game,
        lambda: _snapshot(game)["friends"][0]["cooldown"] is not None,
        "the gift cooldown on the friend's row",
    )
    cooldown = _snapshot(game)["friends"][0]["cooldown"]
    assert re.fullmatch(r"gift in (59:\d\d|1h 00m)", cooldown), cooldown
    assert screen.send.enabled is False  # the gift card waits out the cooldown too
    _frames_until(
        game,
        lambda: session.state.wallet_map().get("gold", 0) == gold_before - 10,
        "the gift's cost taken from the sender",
    )
    # a second gift within the cooldown is refused by the server; the game says how long
    friend = session.state.friends.friend(RIVAL_ID)
    assert friend is not None
    screen.gift_to(friend)
    _frames_until(
        game,
        lambda: any("gift Demo Rival again in" in text for text in _notices(game)),
        "the cooldown refusal explained",
    )
    assert len(_snapshot(game)["gifts_sent"]) == 1

    # player_7 gifts back: the inbox shows it, a toast says so; claim it
    _click_widget(game, "friends", "friends.rival.gift")
    _frames_until(game, lambda: bool(_snapshot(game)["inbox"]), "the rival's gift in the inbox")
    assert _snapshot(game)["inbox"][0]["from"] == RIVAL_ID
    assert any(t.title.startswith("Gift from Demo Rival") for t in session.toasts.toasts)
    gold_before_claim = session.state.wallet_map().get("gold", 0)
    _row_action(game, screen.inbox, lambda g: g.is_pending, "claim")
    _frames_until(
        game,
        lambda: bool(_snapshot(game)["gifts_claimed"]) and not _snapshot(game)["inbox"],
        "the gift claimed",
    )
    _frames_until(
        game,
        lambda: session.state.wallet_map().get("gold", 0) == gold_before_claim + 5,
        "the claimed gold in the wallet",
    )
    assert _snapshot(game)["rival"]["actions"] == ["online", "asked", "gifted"]


def test_friend_code_request_cancel_block_and_unblock(game: Game) -> None:
    session = game.kraty
    screen = _friends_screen(game)
    rival_code = session.state.rival.code
    assert rival_code is not None
    # add by code: type it into the field (lower case is fine) and press Add
    _click(screen.code_input.rect.center)
    game.app.frame()
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=rival_code.lower()))
    game.app.frame()
    assert screen.code_input.value == rival_code.lower()
    _click_widget(game, "friends", "friends.add")
    _frames_until(
        game,
        lambda: [r["to"] for r in _snapshot(game)["outgoing"]] == [RIVAL_ID],
        "the outgoing request to player_7",
    )
    assert screen.code_input.value == ""
    first_request = _snapshot(game)["outgoing"][0]["id"]
    # withdraw it
    _row_action(game, screen.requests, lambda r: not r.is_incoming, "cancel")
    _frames_until(game, lambda: not _snapshot(game)["outgoing"], "the request cancelled")
    # a code nobody has is explained
    session.friends.add_by_code("ZZZZZ2")
    _frames_until(
        game,
        lambda: any("No player has the friend code ZZZZZ2" in t for t in _notices(game)),
        "the unknown code explained",
    )
    # befriend through the code again, the rival accepts, then block player_7
    session.friends.add_by_code(rival_code)
    # the new request, not a poll that read the withdrawn one before it was withdrawn
    _frames_until(
        game,
        lambda: any(r["id"] != first_request for r in _snapshot(game)["outgoing"]),
        "a new request",
    )
    pending = list(session.state.friends.outgoing)
    updates = _snapshot(game)["watcher_updates"]
    _click_widget(game, "friends", "friends.rival.accept")
    _frames_until(
        game,
        lambda: [f["id"] for f in _snapshot(game)["friends"]] == [RIVAL_ID],
        "player_7 accepted (seen by the friends watcher)",
    )
    # only a KRATY_FRIENDS event can have brought this friendship in
    assert _snapshot(game)["watcher_updates"] > updates
    assert RIVAL_ID in _snapshot(game)["accepted"]
    # a requests read that started before the accept lands after it: the request to a
    # friend is settled and stays off the screen
    _frames_until(game, lambda: not _snapshot(game)["outgoing"], "the accepted request gone")
    pygame.event.post(
        pygame.event.Event(
            KRATY_FRIENDS, kind="requests", requests=FriendRequests(outgoing=pending)
        )
    )
    _frames(game, 3)
    assert _snapshot(game)["outgoing"] == []
    _row_action(game, screen.list, lambda f: f.external_player_id == RIVAL_ID, "block")
    _frames_until(
        game,
        lambda: _snapshot(game)["blocked"] == [RIVAL_ID] and not _snapshot(game)["friends"],
        "player_7 blocked and no longer a friend",
    )
    # the blocked player cannot ask again
    _click_widget(game, "friends", "friends.rival.ask")
    _frames_until(
        game,
        lambda: any("player_blocked" in t for t in _notices(game)),
        "the rival's request refused (player_blocked)",
    )
    _row_action(game, screen.blocked, lambda b: b.external_player_id == RIVAL_ID, "unblock")
    _frames_until(game, lambda: not _snapshot(game)["blocked"], "player_7 unblocked")


# ---------------------------------------------------------------- Player screen


def _server_grant(base_url: str, server_key: str, player: str, quantity: int) -> dict[str, Any]:
    """The game's backend: ``POST /server/v1/.../inventory/health_potion/grant``."""
    request = urllib.request.Request(
        f"{base_url}/server/v1/players/{player}/inventory/health_potion/grant",
        data=json.dumps({"quantity": quantity, "reason": "support_refund"}).encode(),
        method="POST",
        headers={"authorization": f"Bearer {server_key}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def test_player_screen_shows_a_server_grant_live_without_reloading(game: Game) -> None:
    session = game.kraty
    emulator = game.client.emulator if game.client is not None else None
    assert emulator is not None
    game.app.select_named("player")
    screen = game.app.screen_named("player")
    assert isinstance(screen, PlayerScreen)
    _frames_until(
        game,
        lambda: (
            screen.snapshot()["live"]["connection"] == "connected"
            and "health_potion" in screen.snapshot()["inventory"]
        ),
        "the live inventory stream and the first inventory read",
    )
    before = screen.snapshot()["inventory"]["health_potion"]
    stats = session.component
    _frames_until(
        game,
        lambda: stats.stats.queue_depth == 0 and stats.stats.in_flight == 0,
        "the screen's own reads finished",
    )
    _frames(game, 5)
    reads_before = len(session.state.telemetry)
    player = session.state.player_id
    assert player is not None
    answer = _server_grant(emulator.base_url, emulator.server_api_key, player, 3)
    assert answer["data"]["quantity"] == before + 3
    _frames_until(
        game,
        lambda: screen.snapshot()["inventory"].get("health_potion") == before + 3,
        "the granted potions on the Player screen",
    )
    change = screen.snapshot()["live"]["changes"][0]
    assert change == {
        "kind": "inventory_changed",
        "key": "health_potion",
        "delta": 3,
        "after": before + 3,
        "origin": "server",
    }
    # it came over the stream: the game read nothing to learn it
    later = list(session.state.telemetry)[reads_before:]
    assert not [i for i in later if i.url.split("?")[0].endswith("/inventory")], later
    assert session.state.glow.get("health_potion", 0) > 0  # the row glows
    # the Player screen's own button does the same through the emulator controls
    _click_widget(game, "player", "player.server_grant")
    _frames_until(
        game,
        lambda: screen.snapshot()["inventory"].get("health_potion") == before + 5,
        "the button's /server/v1 grant, live",
    )
    assert screen.snapshot()["live"]["server_grants"] == 1


def test_player_screen_server_clock_is_synced_ticks_and_follows_the_emulator(game: Game) -> None:
    emulator = game.client.emulator if game.client is not None else None
    assert emulator is not None
    game.app.select_named("player")
    screen = game.app.screen_named("player")
    assert isinstance(screen, PlayerScreen)
    _frames_until(
        game,
        lambda: screen.snapshot()["clock"]["synced"] and bool(screen.clock_text),
        "the server clock synced and drawn",
    )
    clock = screen.snapshot()["clock"]
    assert clock["round_trip_ms"] is not None and clock["round_trip_ms"] > 0
    assert clock["offset_ms"] is not None and abs(clock["offset_ms"]) < 5_000
    assert re.fullmatch(r"\d\d:\d\d:\d\d", clock["shown"])
    # live: the shown time ticks without another sync
    syncs = clock["syncs"]
    first = screen.clock_text
    _frames_until(game, lambda: screen.clock_text != first, "the clock ticking", 5)
    assert screen.snapshot()["clock"]["syncs"] == syncs
    # agrees with the emulator's clock (read before and after, so a slow thread cannot fake it)
    low = emulator.now()
    shown = datetime.fromisoformat(screen.snapshot()["clock"]["server_now"])
    high = emulator.now()
    assert low.timestamp() - 2.0 <= shown.timestamp() <= high.timestamp() + 2.0
    # the Debug screen moves the emulator's clock an hour on: the demo re-syncs
    game.app.select_named("debug")
    _frames(game, 3)
    _click_widget(game, "debug", "debug.clock.1h")
    _frames_until(
        game,
        lambda: screen.snapshot()["clock"]["syncs"] > syncs,
        "a re-sync after the clock moved",
    )
    moved = screen.snapshot()["clock"]
    assert 3_590_000 < moved["offset_ms"] < 3_610_000, moved
    shown = datetime.fromisoformat(moved["server_now"])
    assert abs(shown.timestamp() - emulator.now().timestamp()) < 2.0
