"""100 concurrent live subscribers on one board: every paced update reaches every one, in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import groupby

import pytest

from kraty_pygame.sdk import Kraty, LeaderboardScoreUpdate
from tests.support.tcp_proxy import WAIT, BoardState, StreamReader, board_scores

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SUBSCRIBERS = 100
RATE = 20.0  # updates per second: the acceptance's upper bound


def _participant(kraty: Kraty, board_id: str) -> str:
    board = kraty.event_leaderboards.read(board_id, include_self=True, limit=200)
    return next(e.participant_id for e in board.entries if e.is_self)


def test_hundred_subscribers_receive_every_update_in_order_and_end_on_the_final_board(
    make_kraty: Callable[..., Kraty],
) -> None:
    alice, bob, watcher = make_kraty(), make_kraty(), make_kraty()
    a_start = alice.events.start("tap_frenzy")
    b_start = bob.events.start("tap_frenzy")
    board_id = a_start.leaderboard_id
    assert b_start.leaderboard_id == board_id
    a_id, b_id = _participant(alice, board_id), _participant(bob, board_id)

    initial = watcher.event_leaderboards.read(board_id, limit=200)
    readers = [StreamReader(watcher.event_leaderboards.live(board_id)) for _ in range(SUBSCRIBERS)]
    try:
        for reader in readers:
            assert reader.next(timeout=30).kind == "ready"

        # Alice and Bob overtake each other on every update (scores stay below the
        # event's 30-tap target, so attempts stay open): ranks move as well as scores.
        plan: list[tuple[Kraty, str, float]] = []
        for step in range(1, 15):
            plan.append((bob, b_start.attempt.id, 2.0 * step - 1))
            plan.append((alice, a_start.attempt.id, 2.0 * step))
        pace = threading.Event()  # never set: waited on only to pace the writes
        t0 = time.monotonic()
        for i, (client, attempt_id, value) in enumerate(plan):
            pace.wait(max(0.0, t0 + i / RATE - time.monotonic()))
            client.events.progress("tap_frenzy", attempt_id, mode="set", metric_value=value)
        elapsed = time.monotonic() - t0
        assert (len(plan) - 1) / elapsed <= RATE  # the writes were paced, not a burst

        expected = {
            a_id: [v for c, _, v in plan if c is alice],
            b_id: [v for c, _, v in plan if c is bob],
        }
        final = watcher.event_leaderboards.read(board_id, limit=200)
        final_ranks = {e.participant_id: e.rank for e in final.entries}
        final_scores = board_scores(final)
        for index, reader in enumerate(readers):
            state = BoardState(initial)
            last_rank: dict[str, int] = {}
            received: dict[str, list[float]] = {a_id: [], b_id: []}

            def settled(state: BoardState = state, last_rank: dict[str, int] = last_rank) -> bool:
                return state.scores == final_scores and all(
                    last_rank.get(pid) == final_ranks[pid] for pid in expected
                )

            deadline = time.monotonic() + 30
            while not settled():
                event = reader.next(timeout=max(0.01, deadline - time.monotonic()))
                state.apply(event)
                if isinstance(event.data, LeaderboardScoreUpdate):
                    received.setdefault(event.data.participant_id, []).append(event.data.score)
                    last_rank[event.data.participant_id] = event.data.rank
            for pid, scores in expected.items():
                # Rank-only updates repeat a score; the distinct scores are every write, in order.
                distinct = [score for score, _ in groupby(received[pid])]
                assert distinct == scores, f"subscriber {index}, participant {pid}"
            assert reader.error is None
    finally:
        for reader in readers:
            reader.stream.cancel()
        for reader in readers:
            reader.thread.join(WAIT)
    assert all(not r.thread.is_alive() for r in readers)
