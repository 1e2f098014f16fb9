"""The demo game in-process: secrets never rendered, no mixer needed, start-up wiring, rules."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from demo_game import rules
from demo_game.assets import Assets
from demo_game.game import Game
from demo_game.kraty.client import default_data_dir
from demo_game.kraty.player import SEEDED_PLAYER_ID, SEEDED_PLAYER_SECRET
from demo_game.options import DemoOptions, parse_options
from demo_game.ui import MASK, TextRenderer
from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import EntryCost, EntryCostCurrency, EventListing

pytestmark = [pytest.mark.headless]


# ---------------------------------------------------------------- helpers

GAME_THREADS = ("kraty-worker", "kraty-watch", "kraty-emulator", "emulator-control", "demo-rival")


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


def _frames_until(
    game: Game, predicate: Callable[[], bool], what: str, timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        game.app.frame()


def _click(pos: tuple[int, int]) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))


def _type(text: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))


@pytest.fixture
def recorded_texts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every string any font renders from now on (the demo's and the component widgets')."""
    texts: list[str] = []
    original = pygame.font.Font

    class RecordingFont(original):  # type: ignore[misc, valid-type]
        def render(self, text: Any, *args: Any, **kwargs: Any) -> pygame.Surface:
            texts.append(str(text))
            surface: pygame.Surface = super().render(text, *args, **kwargs)
            return surface

    monkeypatch.setattr(pygame.font, "Font", RecordingFont)
    yield texts


@pytest.fixture
def no_mixer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``pygame.mixer.init`` fail as it does on a machine without audio."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise pygame.error("no audio device (test)")

    monkeypatch.setattr(pygame.mixer, "init", fail)


# ---------------------------------------------------------------- in-process game


@pytest.mark.slow
@pytest.mark.emulator
@pytest.mark.usefixtures("no_mixer")
def test_secrets_never_reach_the_font_renderer_on_any_screen(
    tmp_path: Path, recorded_texts: list[str]
) -> None:
    game = Game(DemoOptions(headless=True, data_dir=tmp_path / "demo"))
    try:
        app, session = game.app, game.kraty
        assert not app.assets.mixer_ok  # runs silent without a mixer
        _frames_until(game, lambda: session.state.has_secret, "first identity")
        # sign in through the Player screen, typing the secret into its masked field
        app.select_named("player")
        player = app.screen_named("player")
        for _ in range(3):
            app.frame()
        _click(player.find("player.id").rect.center)
        app.frame()
        _type(SEEDED_PLAYER_ID)
        app.frame()
        _click(player.find("player.secret").rect.center)
        app.frame()
        _type(SEEDED_PLAYER_SECRET)
        app.frame()
        app.frame()
        _click(player.find("player.sign_in").rect.center)
        _frames_until(
            game,
            lambda: session.state.player_id == SEEDED_PLAYER_ID and bool(session.state.wallet),
            "signed in as player_42",
        )
        # the debug panel: a register whose raw response carries a fresh secret, and a
        # sign_in with the secret typed into the masked debug field
        app.select_named("debug")
        debug = app.screen_named("debug")
        for _ in range(3):
            app.frame()
        player_input = debug.find("debug.input.player")
        _click(player_input.rect.center)
        app.frame()
        for _ in range(12):
            pygame.event.post(
                pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=0, unicode="")
            )
        _type("probe_player")
        app.frame()
        _click(debug.find("debug.op.players.register").rect.center)
        _frames_until(
            game,
            lambda: any(
                e.operation == "players.register" and e.status == "ok" for e in session.state.log
            ),
            "players.register in the debug log",
        )
        _click(debug.find("debug.input.secret").rect.center)
        app.frame()
        _type(SEEDED_PLAYER_SECRET)
        for _ in range(5):
            app.frame()
        for name in ("events", "quest", "leaderboards", "player", "debug", "friends"):
            app.select_named(name)
            for _ in range(15):
                app.frame()
        # the Friends screen with a friend on it: the rival (player_7, whose secret the
        # demo holds for its second client) asks, the player accepts
        _frames_until(game, lambda: session.state.rival.code is not None, "the rival online")
        session.rival.ask(SEEDED_PLAYER_ID)
        _frames_until(
            game, lambda: bool(session.state.friends.incoming), "the rival's friend request"
        )
        session.friends.accept(session.state.friends.incoming[0])
        _frames_until(
            game,
            lambda: session.state.friends.friend("player_7") is not None,
            "player_7 on the friend list",
        )
        for _ in range(15):
            app.frame()
        assert "Demo Rival" in recorded_texts  # the friend row was drawn
    finally:
        game.close()
    assert _game_threads() == []
    assert recorded_texts, "nothing was rendered?"
    leaked = [t for t in recorded_texts if "kps_" in t]
    assert not leaked, f"secret-looking text reached the renderer: {leaked[:3]}"
    assert any(MASK in t for t in recorded_texts)  # the masked fields were drawn


@pytest.mark.slow
@pytest.mark.emulator
def test_events_screen_locks_an_event_whose_attempts_are_used_up(tmp_path: Path) -> None:
    game = Game(DemoOptions(headless=True, mute=True, data_dir=tmp_path / "demo"))
    try:
        app, session = game.app, game.kraty
        _frames_until(game, lambda: session.state.events_loaded, "events")
        quest = app.screen_named("quest")
        app.select_named("quest")
        session.quest.choose("daily_duel")  # two attempts a day
        for run in range(2):
            app.frame()
            _click(quest.find("quest.start").rect.center)
            _frames_until(game, lambda: session.state.quest.phase == "playing", f"run {run + 1}")
            app.frame()
            _click(quest.find("quest.finish").rect.center)
            _frames_until(
                game, lambda: session.state.quest.phase == "finished", f"run {run + 1} done"
            )
        app.frame()
        _click(quest.find("quest.start").rect.center)  # the third start: 429
        _frames_until(game, lambda: bool(session.state.exhausted), "max_daily_attempts_reached")
        assert session.state.quest.phase == "idle"
        app.select_named("events")

        def rows() -> dict[str, dict[str, Any]]:
            return {r["event_key"]: r for r in app.screen_named("events").snapshot()["events"]}

        # the start went through the outbox and may overtake the list read issued after
        # the second run: wait for that read too
        _frames_until(
            game,
            lambda: "attempts used up" in (rows()["daily_duel"]["locked"] or ""),
            "daily_duel locked on the events screen",
        )
        assert rows()["tap_frenzy"]["locked"] is None
        # a day later on the emulator's clock (Debug screen's "+1 day") the cap has reset
        app.select_named("debug")
        for _ in range(3):
            app.frame()
        _click(app.screen_named("debug").find("debug.clock.1d").rect.center)
        _frames_until(game, lambda: session.state.clock_offset_s > 80000, "clock advanced a day")
        app.select_named("events")
        _frames_until(game, lambda: not session.state.exhausted, "daily cap reset")
    finally:
        game.close()
    assert _game_threads() == []


@pytest.mark.slow
@pytest.mark.emulator
def test_a_failed_call_nobody_handles_becomes_one_notice(tmp_path: Path) -> None:
    """``KRATY_REQUEST_FAILED`` shows a notice for a call without its own error callback,
    and nothing more for a call whose callback already explained the failure."""
    game = Game(DemoOptions(headless=True, mute=True, data_dir=tmp_path / "demo"))
    try:
        app, kraty = game.app, game.kraty
        state = kraty.state
        _frames_until(game, lambda: state.events_loaded and state.friends.code is not None, "start")
        _frames_until(game, lambda: kraty.component.stats.outstanding == 0, "start-up calls")
        failed_before = state.requests_failed
        kraty.player.consume("no_such_item")  # no error callback: the event tells the player
        _frames_until(game, lambda: state.requests_failed > failed_before, "the failed consume")
        texts = [n.text for n in app.notices]
        assert [t for t in texts if t.startswith("inventory.consume:")] != [], texts
        kraty.friends.add_by_code("ZZZZZZ")  # its callback explains; the event adds nothing
        _frames_until(game, lambda: state.requests_failed > failed_before + 1, "the failed add")
        app.frame()
        texts = [n.text for n in app.notices]
        assert "No player has the friend code ZZZZZZ." in texts
        assert [t for t in texts if t.startswith("friends.add")] == [], texts
        assert len([t for t in texts if t.startswith("inventory.consume:")]) == 1, texts
        assert state.requests_done > 0  # KRATY_REQUEST_DONE is counted too
    finally:
        game.close()


@pytest.mark.slow
@pytest.mark.emulator
def test_answers_for_the_previous_player_never_land_on_the_next(tmp_path: Path) -> None:
    """Reads made before a sign-out are answered after it: their data is dropped."""
    game = Game(DemoOptions(headless=True, mute=True, data_dir=tmp_path / "demo"))
    try:
        kraty = game.kraty
        state = kraty.state
        _frames_until(game, lambda: bool(state.wallet), "the first player's wallet")
        kraty.player.refresh()  # answered in a later update(), after the sign-out below
        kraty.player.sign_out()
        assert state.wallet == [] and state.player_id is None
        _frames_until(game, lambda: kraty.component.stats.outstanding == 0, "the late answers")
        game.app.frame()
        assert state.wallet == [] and state.inventory == [] and state.pending == []
    finally:
        game.close()


@pytest.mark.slow
@pytest.mark.emulator
def test_default_start_keeps_player_and_progress_in_the_user_data_dir(tmp_path: Path) -> None:
    first = Game(DemoOptions(headless=True, mute=True))
    try:
        _frames_until(first, lambda: first.kraty.state.has_secret, "identity")
        player = first.kraty.state.player_id
        assert first.kraty.state.synthetic_name  # kraty.synthetic_identity of a new player
        data_dir = first.client.data_dir if first.client else None
    finally:
        first.close()
    assert data_dir is not None and data_dir == default_data_dir()
    assert data_dir.is_relative_to(os.environ["XDG_DATA_HOME"])  # conftest's isolated home
    assert (data_dir / "emulator.sqlite3").is_file()
    second = Game(DemoOptions(headless=True, mute=True))
    try:
        _frames_until(second, lambda: second.kraty.state.has_secret, "identity again")
        assert second.kraty.state.player_id == player  # the same player after a restart
    finally:
        second.close()


@pytest.mark.emulator
def test_base_url_and_api_key_point_the_demo_at_another_server(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    options = parse_options(
        [
            "--headless",
            "--mute",
            "--base-url",
            kraty_emulator.base_url,
            "--api-key",
            kraty_emulator.client_api_key,
            "--data-dir",
            str(tmp_path),
        ]
    )
    game = Game(options)
    try:
        assert game.client is not None and game.client.emulator is None
        assert not game.kraty.has_emulator
        _frames_until(
            game, lambda: game.kraty.state.events_loaded, "events from the other server"
        )
        assert game.kraty.state.server_label == kraty_emulator.base_url
    finally:
        game.close()


def test_assets_run_silent_without_a_mixer(no_mixer: None) -> None:
    pygame.display.init()
    pygame.font.init()
    try:
        assets = Assets()
        assert not assets.mixer_ok
        assets.play("tap")  # no error, no sound
        assert assets.image("coin", 24).get_size() == (24, 24)
    finally:
        pygame.quit()


def test_missing_image_files_are_drawn_on_the_spot(tmp_path: Path) -> None:
    pygame.display.init()
    pygame.font.init()
    try:
        assets = Assets(tmp_path, sound=False)  # an empty assets folder
        assert assets.image("potion").get_size() == (64, 64)
        assert assets.fonts.body.size("x")[0] > 0  # pygame's default font stands in
    finally:
        pygame.quit()


# ---------------------------------------------------------------- pure helpers


def test_text_renderer_masks_registered_secrets() -> None:
    renderer = TextRenderer()
    renderer.register_secret("kps_abcdefgh")
    assert renderer.mask("secret is kps_abcdefgh!") == f"secret is {MASK}!"
    assert renderer.mask("nothing here") == "nothing here"


def test_redact_masks_secret_fields_recursively() -> None:
    data = {"data": {"secret": "kps_x", "secretPrefix": "kps_", "list": [{"playerSecret": "y"}]}}
    shown = rules.redact(data)
    assert shown["data"]["secret"] == rules.MASK
    assert shown["data"]["secretPrefix"] == rules.MASK
    assert shown["data"]["list"][0]["playerSecret"] == rules.MASK
    assert "kps_" not in rules.pretty_json(data)


def test_lock_reasons_cover_requirement_cost_and_attempt_caps() -> None:
    listing = EventListing(
        event_key="elite_trial",
        window_id="w1",
        entry_requirement={"all": [{"item": {"key": "hunter_badge", "min": 1}}]},
        entry_cost=EntryCost(currencies=[EntryCostCurrency(key="gold", amount=50)]),
    )
    reason = rules.lock_reason(listing, {"gold": 10}, {}, {})
    assert reason is not None and "Hunter Badge" in reason and "50 gold" in reason
    assert rules.lock_reason(listing, {"gold": 50}, {"hunter_badge": 1}, {}) is None
    capped = {("elite_trial", "w1"): "attempts used up"}
    assert (
        rules.lock_reason(listing, {"gold": 50}, {"hunter_badge": 1}, capped) == "attempts used up"
    )
    assert rules.cost_label(listing.entry_cost) == "gold 50"
    assert rules.requirement_failures(
        {"any": [{"balance": {"key": "xp", "min": 10}}]}, {"xp": 3}, {}
    )


def test_countdown_formats() -> None:
    assert rules.countdown(-1) == "ended"
    assert rules.countdown(65) == "01:05"
    assert rules.countdown(3 * 3600 + 120) == "3h 02m"
    assert rules.countdown(2 * 86400 + 5 * 3600) == "2d 05h"
    assert rules.countdown(10 * 365 * 86400) == "no end"


def test_events_without_an_end_say_so() -> None:
    assert rules.ends_phrase(None) == "no end date"
    assert rules.ends_phrase(10 * 365 * 86400) == "no end date"
    assert rules.ends_phrase(3 * 3600 + 120) == "ends in 3h 02m"
    assert rules.ends_phrase(0) == "ended"
    for seconds in (None, -5.0, 0.0, 65.0, 1e9):
        assert "in no end" not in rules.ends_phrase(seconds)


def test_command_line_defaults_and_server_options(monkeypatch: pytest.MonkeyPatch) -> None:
    options = parse_options([])
    assert options.uses_emulator and not options.headless and options.fps == 60
    monkeypatch.setenv("KRATY_BASE_URL", "https://kraty.example")
    monkeypatch.setenv("KRATY_API_KEY", "kr_test.abc")
    remote = parse_options(["--headless", "--size", "900x600"])
    assert remote.base_url == "https://kraty.example" and remote.api_key == "kr_test.abc"
    assert not remote.uses_emulator and remote.size == (900, 600)
    for flag in ("--faults", "--tour", "--emulator-subprocess"):
        with pytest.raises(SystemExit):
            parse_options([flag])  # these drive the embedded emulator only
    monkeypatch.delenv("KRATY_API_KEY")
    with pytest.raises(SystemExit):
        parse_options([])  # a server without a key
