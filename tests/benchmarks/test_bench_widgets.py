"""``LeaderboardPanel.draw`` with long names against the same panel with short names.

Run on demand::

    .venv/bin/python -m pytest tests/benchmarks/test_bench_widgets.py -s

Both panels show 10 rows and are drawn alternately in one run, so machine noise hits
both alike. Long names (40 characters) must be shortened with an ellipsis to fit; the
panel measures that once and reuses it, so the target is long <= 2x short per frame.
A third figure redraws after a score update every frame (rows re-sorted each time).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pygame
import pytest

from kraty_pygame.component.widgets import LeaderboardPanel
from kraty_pygame.sdk.models.leaderboards import EventLeaderboard, LeaderboardScoreUpdate

pytestmark = [pytest.mark.benchmark, pytest.mark.headless]

ROWS = 10
FRAMES = 600
RECT = pygame.Rect(0, 0, 320, 360)


def board(name_length: int) -> EventLeaderboard:
    entries = [
        {
            "participantId": f"kp_{i:04d}",
            "name": (f"Player {i} " + "x" * name_length)[:name_length],
            "score": 1000 - i * 7,
            "rank": i + 1,
            "kind": "bot" if i % 3 == 0 else "player",
        }
        for i in range(ROWS)
    ]
    return EventLeaderboard.from_wire({"leaderboardId": "lb_1", "entries": entries})


def per_frame_ms(draw: Callable[[], None], frames: int) -> list[float]:
    samples = []
    for _ in range(frames):
        started = time.perf_counter()
        draw()
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples


def test_long_names_cost_at_most_twice_short_names() -> None:
    pygame.init()
    try:
        screen = pygame.display.set_mode((RECT.width, RECT.height))
        short, long_ = LeaderboardPanel("lb_1"), LeaderboardPanel("lb_1")
        short.set_board(board(8))
        long_.set_board(board(40))
        assert max(len(r.name) for r in long_.rows) == 40
        for panel in (short, long_):  # warm-up: fonts loaded, text measured once
            panel.draw(screen, RECT)
        short_ms: list[float] = []
        long_ms: list[float] = []
        for _ in range(10):  # interleaved rounds
            short_ms += per_frame_ms(lambda: short.draw(screen, RECT), FRAMES // 10)
            long_ms += per_frame_ms(lambda: long_.draw(screen, RECT), FRAMES // 10)
        updates = iter(range(10_000))

        def update_and_draw() -> None:
            step = next(updates)
            entry = LeaderboardScoreUpdate.from_wire(
                {"participantId": f"kp_{step % ROWS:04d}", "score": 2000 + step, "rank": 1}
            )
            long_.apply_update(entry)
            long_.draw(screen, RECT)

        moving_ms = per_frame_ms(update_and_draw, FRAMES)
    finally:
        pygame.quit()
    short_med, long_med = statistics.median(short_ms), statistics.median(long_ms)
    ratio = long_med / short_med
    print(
        f"\nLeaderboardPanel.draw, {ROWS} rows, median per frame: "
        f"8-char names {short_med:.3f} ms, 40-char names {long_med:.3f} ms, "
        f"ratio {ratio:.2f} (target <= 2.0); 40-char names with a score update every "
        f"frame {statistics.median(moving_ms):.3f} ms"
    )
    assert ratio <= 2.0
