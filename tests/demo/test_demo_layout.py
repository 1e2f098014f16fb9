"""The demo's screens at the default 1180 x 760 window: nothing covers a button, nothing
leaves its panel, every tab title fits, names are display names and the live board is
the selected event's (headless, against the embedded emulator)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest

from demo_game.game import Game
from demo_game.options import DemoOptions
from demo_game.screens.quest import QuestScreen
from demo_game.ui import Button, Chips
from kraty_pygame.sdk.models.grants import Grant, GrantContents, RewardEntryPreview

pytestmark = [pytest.mark.headless, pytest.mark.emulator, pytest.mark.slow]

GAME_THREADS = ("kraty-worker", "kraty-watch", "kraty-emulator", "emulator-control", "demo-rival")


def _frames_until(
    game: Game, predicate: Callable[[], bool], what: str, timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        game.app.frame()


def _frames(game: Game, count: int) -> None:
    for _ in range(count):
        game.app.frame()


@pytest.fixture
def game(tmp_path: Path) -> Iterator[Game]:
    before = {t.ident for t in threading.enumerate()}
    game = Game(DemoOptions(headless=True, mute=True, data_dir=tmp_path / "demo"))
    try:
        _frames_until(game, lambda: game.kraty.state.events_loaded, "the events list")
        _frames_until(game, lambda: game.kraty.state.catalog is not None, "the catalog")
        yield game
    finally:
        game.close()
    left = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(GAME_THREADS) and t.ident not in before
    ]
    assert left == []


def _quest(game: Game) -> QuestScreen:
    screen = game.app.screen_named("quest")
    assert isinstance(screen, QuestScreen)
    return screen


def _buttons(game: Game, name: str) -> list[Button]:
    screen = game.app.screen_named(name)
    return [w for w in screen.widgets if isinstance(w, Button) and w.visible and w.rect.width]


def test_no_button_overlaps_another_and_chips_stay_in_their_row(game: Game) -> None:
    app = game.app
    assert app.surface.get_size() == (1180, 760)
    for name in ("events", "quest", "leaderboards", "player", "debug", "friends"):
        app.select_named(name)
        _frames(game, 8)
        buttons = _buttons(game, name)
        for a, b in itertools.combinations(buttons, 2):
            assert not a.rect.colliderect(b.rect), (name, a.name, b.name)
        screen = app.screen_named(name)
        for widget in screen.widgets:
            rects = getattr(widget, "_rects", None)
            if not widget.visible or not rects or not hasattr(widget, "rect_of"):
                continue
            for rect, key in rects:  # every chip inside its widget, none under a button
                assert widget.rect.contains(rect), (name, widget.name, key)
                for button in buttons:
                    assert not rect.colliderect(button.rect), (name, key, button.name)
    # the Debug screen's latency chips ("1 s" used to wrap under "Finalize event")
    debug = app.screen_named("debug")
    latency = debug.find("debug.latency")
    assert isinstance(latency, Chips)
    finalize = debug.find("debug.finalize")
    assert len(latency._rects) == 3
    assert all(not r.colliderect(finalize.rect) for r, _ in latency._rects)


def test_every_tab_title_fits_at_the_default_width(game: Game) -> None:
    app = game.app
    _frames(game, 3)
    tabs = app.tabs
    titles = [t.title for t in tabs.tabs]
    assert "Leaderboards" in titles
    for index in range(len(titles)):
        assert tabs.title_fits(index, app.ui), titles[index]
        assert app.header_rect().contains(tabs.tab_rect(index))
    for a, b in itertools.pairwise(range(len(titles))):
        assert tabs.tab_rect(a).right <= tabs.tab_rect(b).left


def test_toasts_and_notices_never_cover_the_quest_buttons(game: Game) -> None:
    app, session = game.app, game.kraty
    app.select_named("quest")
    _frames(game, 8)
    quest = _quest(game)
    collect = quest.find("quest.collect")
    for i in range(5):
        session.toasts.push(f"Milestone: taps_{i}", "1 Health Potion, 10 gold", kind="milestone")
    for i in range(4):
        app.notify(f"A long notice number {i} that spans the middle of the window", "info")
    _frames(game, 20)  # the notices have slid into place
    area = app.content_rect()
    toasts = [r.move(area.x, area.y) for r in session.toasts.drawn]
    assert toasts, "no toast was drawn"
    assert app.notice_rects, "no notice was drawn"
    keep_clear = quest.keep_clear()
    assert collect.rect in keep_clear
    for rect in [*toasts, *app.notice_rects]:
        for button in keep_clear:
            assert not rect.colliderect(button), (rect, button)
    # with a short window the toasts that no longer fit wait instead of covering
    for size in ((900, 560), (700, 480)):
        app.surface = pygame.display.set_mode(size)
        app.layout()
        _frames(game, 3)
        area = app.content_rect()
        for rect in session.toasts.drawn:
            for button in quest.keep_clear():
                assert not rect.move(area.x, area.y).colliderect(button), size
    app.surface = pygame.display.set_mode((1180, 760))
    app.layout()


def test_sparkles_and_floaters_stay_in_the_play_panel_above_the_progress_label(
    game: Game,
) -> None:
    app, session = game.app, game.kraty
    app.select_named("quest")
    session.quest.choose("tap_frenzy")
    _frames(game, 5)
    quest = _quest(game)
    quest.find("quest.start").activate(app.ui)
    _frames_until(game, lambda: session.state.quest.phase == "playing", "a running quest")
    for _ in range(16):
        quest.target.tap(app.ui)
    _frames(game, 3)
    assert quest.progress_label.width > 0  # "16 / 30 taps" was drawn
    assert quest._play.contains(quest.particle_area)
    assert not quest.particle_area.colliderect(quest.progress_label)
    assert not quest.particle_area.colliderect(quest.chips.rect)
    # drawn for real: with particles everywhere, nothing outside their area changes
    quest.particles.burst(quest.target.rect.centerx, quest.target.rect.centery, 80, speed=900)
    for x, y in ((quest._play.centerx, quest._play.y - 30), quest.progress_label.center):
        quest.particles.label(x, y, "+1", (255, 200, 40))
    quest.particles.update(0.15)
    with_particles = pygame.Surface(app.surface.get_size())
    quest.draw(with_particles)
    saved = quest.particles.items
    quest.particles.items = []
    without = pygame.Surface(app.surface.get_size())
    quest.draw(without)
    quest.particles.items = saved
    changed = [
        (x, y)
        for x in range(0, with_particles.get_width(), 2)
        for y in range(0, with_particles.get_height(), 2)
        if with_particles.get_at((x, y)) != without.get_at((x, y))
    ]
    assert changed, "the particles drew nothing"
    outside = [p for p in changed if not quest.particle_area.collidepoint(p)]
    assert outside == []


def test_names_shown_are_display_names(game: Game) -> None:
    app, session = game.app, game.kraty
    crate = Grant(
        id="gr_x",
        kind="reward",
        contents=GrantContents(
            entries=[
                RewardEntryPreview(type="crate", crate_item_key="crate_gold", quantity=1),
                RewardEntryPreview(type="item", item_key="health_potion", quantity=1),
            ]
        ),
        status="pending",
    )
    from kraty_pygame.component import KRATY_GRANTS

    session.toasts.handle_event(
        pygame.event.Event(KRATY_GRANTS, grants=[crate], source="poller")
    )
    body = session.toasts.toasts[-1].body
    assert body == "1 Gold Crate, 1 Health Potion"
    _frames_until(game, lambda: session.state.player_id is not None, "the player")
    status = " ".join(text for text, _ in session.status_parts())
    assert "kp_" not in status
    assert session.state.player_label() in status
    events = app.screen_named("events")
    app.select_named("events")
    _frames(game, 5)
    rows = events.snapshot()["events"]
    assert any(row["countdown"] in (None, "no end") for row in rows)  # an endless event
    for row in rows:
        assert "in no end" not in row["ends"]
        if row["countdown"] in (None, "no end"):
            assert row["ends"] == "no end date"
        else:
            assert row["ends"].startswith("ends in ") or row["ends"] == "ended"


def test_the_live_board_is_the_selected_events_board(game: Game) -> None:
    app, session = game.app, game.kraty
    app.select_named("quest")
    state = session.state
    tap = state.listing("tap_frenzy")
    assert tap is not None and tap.leaderboard_id
    session.quest.choose("tap_frenzy")
    _frames_until(
        game,
        lambda: session.boards.mini_board.leaderboard_id == tap.leaderboard_id,
        "tap_frenzy's board",
    )
    # give the panel rows of tap_frenzy's board
    quest = _quest(game)
    quest.find("quest.start").activate(app.ui)
    _frames_until(game, lambda: state.quest.phase == "playing", "tap_frenzy running")
    quest.target.tap(app.ui)
    _frames_until(game, lambda: bool(session.boards.mini_board.rows), "rows on the board")
    # a lobby event: no board until its lobby starts, and not the previous one
    session.quest.choose("quick_brawl")
    _frames(game, 5)
    assert state.event_board.leaderboard_id is None
    assert session.boards.mini_board.leaderboard_id != tap.leaderboard_id
    assert session.boards.mini_board.rows == []
    quest.find("quest.start").activate(app.ui)
    _frames_until(game, lambda: state.quest.phase == "lobby", "the lobby forming")
    _frames(game, 30)  # live updates of the old board keep arriving meanwhile
    assert session.boards.mini_board.rows == []
    assert quest.snapshot()["board"] == []
    session.emulator.promote_lobby()
    _frames_until(game, lambda: state.quest.phase == "playing", "the lobby started", 30)
    attempt = state.quest.attempt
    assert attempt is not None and attempt.leaderboard_id
    assert attempt.leaderboard_id != tap.leaderboard_id
    _frames_until(
        game,
        lambda: session.boards.mini_board.leaderboard_id == attempt.leaderboard_id,
        "the lobby's board",
    )
