"""The KRATY_* event ids: allocated once, distinct, nothing in pygame replaced, kept apart
from the game's own ids across ``pygame.quit()`` + ``pygame.init()`` by the component,
and a warning when the game blocks them."""

from __future__ import annotations

import logging

import pygame
import pytest

import kraty_pygame
from kraty_pygame.component import event_types
from kraty_pygame.component.event_types import (
    ALL_EVENT_TYPES,
    KRATY_LEADERBOARD,
    KRATY_REQUEST_DONE,
    event_name,
)
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory

pytestmark = pytest.mark.headless


def test_ids_are_distinct_custom_types_with_names() -> None:
    assert len(ALL_EVENT_TYPES) == 12
    assert all(pygame.USEREVENT < t < pygame.NUMEVENTS for t in ALL_EVENT_TYPES)
    assert event_name(KRATY_REQUEST_DONE) == "KRATY_REQUEST_DONE"
    assert event_name(pygame.QUIT) == pygame.event.event_name(pygame.QUIT)
    # the lazy top-level names are the same objects
    assert kraty_pygame.__getattr__("KRATY_LEADERBOARD") == KRATY_LEADERBOARD


def test_importing_replaces_nothing_in_pygame() -> None:
    assert pygame.event.custom_type.__module__ != event_types.__name__
    assert not hasattr(pygame.event.custom_type, "__wrapped__")
    assert not hasattr(pygame.init, "__wrapped__")


def test_ensure_after_each_reinit_keeps_game_ids_apart(pygame_headless: None) -> None:
    event_types.ensure_event_types(probe=True)  # what the component's constructor does
    issued: list[int] = []
    for _ in range(3):
        issued.extend(pygame.event.custom_type() for _ in range(12))
        pygame.quit()
        pygame.init()
        event_types.ensure_event_types()  # what every component update() does
    issued.extend(pygame.event.custom_type() for _ in range(12))
    assert not set(issued) & ALL_EVENT_TYPES


def test_without_ensure_a_reinit_reissues_our_ids(pygame_headless: None) -> None:
    # The documented limit: pygame itself resets its counter on quit, so a game that
    # allocates right after a re-init, before the component runs again, gets our ids.
    event_types.ensure_event_types(probe=True)
    pygame.quit()
    pygame.init()
    assert pygame.event.custom_type() in ALL_EVENT_TYPES
    event_types.ensure_event_types(probe=True)  # later constructions still recover
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES


def test_probe_recovers_a_quit_that_happened_before_any_component(
    pygame_headless: None,
) -> None:
    event_types.ensure_event_types(probe=True)
    event_types.ensure_event_types(probe=True)
    pygame.quit()
    pygame.init()
    pygame.quit()
    pygame.init()
    event_types.ensure_event_types(probe=True)
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES


def test_component_update_moves_the_counter_after_a_reinit(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pygame.quit()
    pygame.init()
    pygame.display.set_mode((8, 8))
    component.update()
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES


def test_events_still_round_trip_after_reinit(pygame_headless: None) -> None:
    pygame.quit()
    pygame.init()
    pygame.display.set_mode((8, 8))
    pygame.event.post(pygame.event.Event(KRATY_LEADERBOARD, {"kind": "snapshot"}))
    got = [e for e in pygame.event.get() if e.type == KRATY_LEADERBOARD]
    assert [e.kind for e in got] == ["snapshot"]


def test_ensure_event_types_is_idempotent(pygame_headless: None) -> None:
    event_types.ensure_event_types(probe=True)
    pygame.quit()
    event_types.ensure_event_types()
    event_types.ensure_event_types()
    pygame.init()
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES


def test_blocked_kraty_events_are_reported_once(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = make_component(make_kraty())
    pygame.event.set_blocked(KRATY_REQUEST_DONE)
    try:
        with caplog.at_level(logging.WARNING, logger="kraty_pygame.component"):
            for _ in range(2):
                handle = component.catalog.read()
                assert handle.wait(10)
                component.update()
    finally:
        pygame.event.set_allowed(KRATY_REQUEST_DONE)
    warnings = [r for r in caplog.records if "blocks KRATY_REQUEST_DONE" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    # allowed again: the events arrive
    handle = component.catalog.read()
    assert handle.wait(10)
    component.update()
    assert any(e.type == KRATY_REQUEST_DONE for e in pygame.event.get())
