"""A minimal pygame game using KratyComponent: tap SPACE to score, see milestones live.

Run it against the local emulator (in another terminal: ``kraty-emulator``)::

    python examples/minimal_game.py                      # http://127.0.0.1:8787
    python examples/minimal_game.py --base-url http://127.0.0.1:9000
    python examples/minimal_game.py --embedded           # start an emulator in-process

SPACE taps (``events.progress`` increments, merged while a request is in flight),
C collects rewards, ESC quits. Everything the server says arrives as ``KRATY_*``
events; the frame never waits for the network.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pygame

from kraty_pygame.component import (
    KRATY_ATTEMPT,
    KRATY_CONNECTION,
    KRATY_IDENTITY,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KratyComponent,
)
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.widgets import LeaderboardPanel, ToastStack, WidgetTheme
from kraty_pygame.sdk import Kraty
from kraty_pygame.sdk.models.events import StartAttemptResponse

EVENT_KEY = "tap_frenzy"
API_KEY = "kr_test.client-demo"  # the emulator's public demo key


@dataclass
class Game:
    """What the game shows; changed only by input and KRATY_* events."""

    start: RequestHandle[StartAttemptResponse]
    attempt_id: str | None = None
    taps: int = 0
    status: str = "connecting…"
    milestones: list[str] = field(default_factory=list)
    running: bool = True


@contextlib.contextmanager
def server(base_url: str, embedded: bool) -> Iterator[str]:
    """The base URL to use; with ``embedded`` an emulator runs in this process."""
    if not embedded:
        yield base_url
        return
    from kraty_pygame.emulator import EmbeddedEmulator  # noqa: PLC0415 - needs the extra

    with EmbeddedEmulator(clock="real") as emulator:
        yield emulator.base_url


def handle(event: pygame.event.Event, game: Game, component: KratyComponent,
           toasts: ToastStack) -> None:
    """One event of the game loop: input and the component's events."""
    if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
        game.running = False
    elif event.type == pygame.KEYDOWN and event.key == pygame.K_SPACE and game.attempt_id:
        game.taps += 1
        component.events.progress(EVENT_KEY, game.attempt_id, mode="increment", metric_value=1)
    elif event.type == pygame.KEYDOWN and event.key == pygame.K_c:
        component.grants.collect_all()
    elif event.type == KRATY_REQUEST_DONE and event.handle is game.start:
        game.attempt_id = event.result.attempt.id
        component.watch_leaderboard(event.result.leaderboard_id, include_self=True)
        component.watch_grants()
        game.status = "tap SPACE!"
    elif event.type == KRATY_REQUEST_FAILED:
        toasts.push(f"{event.operation} failed", str(event.error)[:60], kind="error")
    elif event.type == KRATY_MILESTONE:
        game.milestones.append(event.milestone.key)
    elif event.type == KRATY_ATTEMPT and event.attempt_id == game.attempt_id:
        game.attempt_id = None  # the run is over (target reached): stop sending taps
        game.status = f"run {event.status}: press C to collect your rewards"
    elif event.type == KRATY_IDENTITY:
        toasts.push("Playing as", str(event.external_player_id)[:24])
    elif event.type == KRATY_CONNECTION and event.source.startswith("leaderboard"):
        game.status = f"live board: {event.state}"


def draw(screen: pygame.Surface, game: Game, component: KratyComponent, *,
         theme: WidgetTheme, board: LeaderboardPanel, toasts: ToastStack) -> None:
    """Draw one frame (no I/O here: everything comes from state already delivered)."""
    screen.fill((16, 18, 26))
    screen.blit(theme.font(48).render(f"{game.taps} taps", True, theme.accent), (40, 60))
    font = theme.font()
    screen.blit(font.render(game.status, True, theme.muted), (40, 130))
    done = ", ".join(game.milestones) or "-"
    screen.blit(font.render(f"milestones: {done}", True, theme.text), (40, 160))
    stats = component.stats
    line = (
        f"update() {stats.update_ms_last:.3f} ms   queued {stats.queue_depth}   "
        f"in flight {stats.in_flight}   merged {stats.coalesced}"
    )
    screen.blit(font.render(line, True, theme.muted), (40, 440))
    board.draw(screen, pygame.Rect(480, 60, 290, 320))
    toasts.draw(screen)


def run(base_url: str, frames: int | None = None) -> int:
    """Play until ESC or the window closes (or for ``frames`` frames); returns an exit code."""
    pygame.init()
    screen = pygame.display.set_mode((800, 480))
    pygame.display.set_caption("Kraty minimal game")
    clock = pygame.time.Clock()
    theme = WidgetTheme()
    toasts = ToastStack(theme)
    board = LeaderboardPanel(theme=theme, rows=8, title="Tap Frenzy")
    # The three lines: make the component, call it, update() it every frame.
    with KratyComponent(Kraty(API_KEY, base_url=base_url)) as component:  # closes the Kraty too
        game = Game(start=component.events.start(EVENT_KEY))
        # grant toasts name items by their catalog display names ("1 Health Potion")
        component.catalog.read().on_done(
            lambda handle: toasts.use_catalog(handle.result) if handle.succeeded else None
        )
        frame = 0
        while game.running and (frames is None or frame < frames):
            frame += 1
            component.update()  # once per frame, before pygame.event.get()
            for event in pygame.event.get():
                handle(event, game, component, toasts)
                toasts.handle_event(event)
                board.handle_event(event)
            toasts.update(clock.tick(60) / 1000.0)
            draw(screen, game, component, theme=theme, board=board, toasts=toasts)
            pygame.display.flip()
    pygame.quit()
    done = ", ".join(game.milestones) or "-"
    print(f"minimal game: {game.status}; {game.taps} taps; milestones: {done}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description="Tap SPACE to score; milestones arrive live.")
    parser.add_argument("--base-url", default="http://127.0.0.1:8787")
    parser.add_argument("--embedded", action="store_true", help="start an emulator in-process")
    parser.add_argument("--frames", type=int, default=None, help="quit after N frames")
    args = parser.parse_args(argv)
    with server(args.base_url, args.embedded) as base_url:
        return run(base_url, args.frames)


if __name__ == "__main__":
    sys.exit(main())
