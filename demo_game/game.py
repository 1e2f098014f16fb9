"""Builds the running game: pygame, the Kraty client (emulator, Kraty, component), app, screens."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pygame

from . import rules
from .actions import GameActions
from .app import App
from .kraty.client import Client, start_client
from .kraty.hub import KratyHub
from .options import DemoOptions
from .screens.base import Screen
from .screens.debug import DebugScreen
from .screens.events import EventsScreen
from .screens.friends import FriendsScreen
from .screens.leaderboards import LeaderboardsScreen
from .screens.player import PlayerScreen
from .screens.quest import QuestScreen
from .state import DemoState
from .theme import PALETTE
from .ui import pill


def screen_factories(state: DemoState, actions: GameActions) -> list[Any]:
    """The six screens, in tab order (Friends is the sixth: hotkey 6).

    Each screen gets the state it draws and the actions its buttons press.
    """
    classes: list[type[Any]] = [
        EventsScreen,
        QuestScreen,
        LeaderboardsScreen,
        PlayerScreen,
        DebugScreen,
        FriendsScreen,
    ]

    def factory(cls: type[Any]) -> Any:
        def build(app: App) -> Screen:
            screen: Screen = cls(app, state, actions)
            return screen

        return build

    return [factory(cls) for cls in classes]


def _wallet_chips(app: App, state: DemoState) -> Any:
    def draw(surface: pygame.Surface, rect: pygame.Rect) -> None:
        x = rect.right - 12
        for holding in sorted(state.wallet, key=lambda h: h.economy_key, reverse=True):
            if holding.economy_key not in ("gold", "gems", "xp"):
                continue
            chip = pill(
                app.ui,
                surface,
                f"{holding.balance}",
                (x, rect.centery),
                color=PALETTE.panel_hi,
                icon=rules.resource_icon(holding.economy_key),
                anchor="midright",
                font=app.ui.fonts.bold,
            )
            x = chip.x - 6
            if x < rect.x + 10:
                break
        # whose totals these are: the tour and the Player screen switch players
        label = state.player_label()
        font = app.ui.fonts.small
        if x - font.size(label)[0] >= rect.x + 10:
            app.ui.text(
                surface, label, (x - 2, rect.centery), font=font, color=PALETTE.muted,
                anchor="midright",
            )

    return draw


class Game:
    """Owns pygame, the Kraty client and the app for one run of the demo."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        # display (with events) and fonts only: the mixer is optional and started by Assets
        pygame.display.init()
        pygame.font.init()
        self.client: Client | None = None
        try:
            self.app = App(options, None, [])
            self.client = start_client(options)
            self.kraty = KratyHub(self.app, self.client, self.app.meter)
            self.app.install(self.kraty, screen_factories(self.kraty.state, self.kraty))
            self.app.set_header_extra(_wallet_chips(self.app, self.kraty.state))
            self.kraty.start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop everything this run started (component threads joined), then pygame."""
        kraty = getattr(self, "kraty", None)
        if kraty is not None:
            kraty.close()
        if self.client is not None:
            self.client.close()
            self.client = None
        app = getattr(self, "app", None)
        if app is not None:
            app.assets.close()
        pygame.quit()


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write the tour report as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")


def run(options: DemoOptions) -> int:
    """Play (or tour) the demo; returns the exit code."""
    try:
        game = Game(options)
    except ImportError as exc:
        print(
            f"kraty demo: {exc}. Install the emulator extra: pip install 'kraty-pygame[emulator]'",
            file=sys.stderr,
        )
        return 2
    try:
        if options.tour:
            from .tour import Tour  # noqa: PLC0415 - only the tour needs it

            tour = Tour(game.app, game.kraty, options)
            game.app.hook = tour
            game.app.run()
            code: int = tour.finish()
            return code
        return game.app.run()
    finally:
        if options.assets_report is not None:
            write_report(options.assets_report, game.app.assets.summary())
        game.close()
