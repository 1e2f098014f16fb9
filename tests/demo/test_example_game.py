"""The minimal example game runs headless against the emulator, taps and sees a milestone."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pygame
import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.component import component_threads
from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.headless, pytest.mark.emulator, pytest.mark.slow]

EXAMPLE = REPO_ROOT / "examples" / "minimal_game.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("minimal_game", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_minimal_game_plays_headless(
    kraty_emulator: EmbeddedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    game_module = load_example()
    original_get = pygame.event.get
    taps = {"sent": 0}

    def get_with_taps() -> list[pygame.event.Event]:
        # press SPACE on every frame once the attempt started (the game ignores it before)
        if taps["sent"] < 400:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
            taps["sent"] += 1
        return original_get()

    monkeypatch.setattr(pygame.event, "get", get_with_taps)
    seen: list[str] = []
    real_handle = game_module.handle

    def spy(event: pygame.event.Event, game: object, *rest: object) -> None:
        real_handle(event, game, *rest)
        seen[:] = list(game.milestones)  # type: ignore[attr-defined]

    monkeypatch.setattr(game_module, "handle", spy)
    monkeypatch.delitem(sys.modules, "minimal_game")
    assert game_module.main(["--base-url", kraty_emulator.base_url, "--frames", "240"]) == 0
    assert "taps_5" in seen
    assert component_threads() == []
