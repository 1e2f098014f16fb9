"""The KRATY_* event ids: allocated once, distinct, and never reissued to the game after
``pygame.quit()`` + ``pygame.init()`` (pygame resets its custom-type counter on quit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

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

pytestmark = pytest.mark.headless


def test_ids_are_distinct_custom_types_with_names() -> None:
    assert len(ALL_EVENT_TYPES) == 12
    assert all(pygame.USEREVENT < t < pygame.NUMEVENTS for t in ALL_EVENT_TYPES)
    assert event_name(KRATY_REQUEST_DONE) == "KRATY_REQUEST_DONE"
    assert event_name(pygame.QUIT) == pygame.event.event_name(pygame.QUIT)
    # the lazy top-level names are the same objects
    assert kraty_pygame.__getattr__("KRATY_LEADERBOARD") == KRATY_LEADERBOARD


def test_game_custom_types_never_collide_across_quit_and_init(pygame_headless: None) -> None:
    issued: list[int] = []
    for _ in range(3):
        issued.extend(pygame.event.custom_type() for _ in range(12))
        pygame.quit()
        pygame.init()
    assert not set(issued) & ALL_EVENT_TYPES


def test_custom_type_after_quit_without_init_skips_our_ids(pygame_headless: None) -> None:
    pygame.quit()
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES
    pygame.init()
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES


def test_a_custom_type_captured_before_import_is_safe_after_reinit(
    pygame_headless: None,
) -> None:
    # a game that did `from pygame.event import custom_type` before importing us holds
    # pygame's own function; the init() hook has already moved the counter on
    original = cast(Callable[[], int], pygame.event.custom_type.__wrapped__)  # type: ignore[attr-defined]
    pygame.quit()
    pygame.init()
    assert original() not in ALL_EVENT_TYPES


def test_events_still_round_trip_after_reinit(pygame_headless: None) -> None:
    pygame.quit()
    pygame.init()
    pygame.display.set_mode((8, 8))
    pygame.event.post(pygame.event.Event(KRATY_LEADERBOARD, {"kind": "snapshot"}))
    got = [e for e in pygame.event.get() if e.type == KRATY_LEADERBOARD]
    assert [e.kind for e in got] == ["snapshot"]


def test_ensure_event_types_is_idempotent(pygame_headless: None) -> None:
    pygame.quit()
    event_types.ensure_event_types()
    event_types.ensure_event_types()
    pygame.init()
    assert pygame.event.custom_type() not in ALL_EVENT_TYPES
