"""Bots on leaderboards: seeded linear scores, evaluated lazily."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "BotSpec",
    "BotState",
    "bot_participant_id",
    "evaluate",
    "seeded_rate",
]


@dataclass(frozen=True)
class BotSpec:
    """One bot on one board: where it starts and how fast it climbs."""

    participant_id: str
    name: str
    base_score: float = 0.0
    rate_per_minute: float = 0.0


@dataclass(frozen=True)
class BotState:
    """A bot's score at some instant and when that score was reached."""

    score: float
    reached_at: datetime


def bot_participant_id(board_ref: str, index: int) -> str:
    """A stable bot id for the ``index``-th bot of a board (``bot_<10 hex>``)."""
    digest = hashlib.sha256(f"{board_ref}#{index}".encode()).hexdigest()
    return f"bot_{digest[:10]}"


def seeded_rate(
    seed: int | str | None, board_ref: str, participant_id: str, bounds: Sequence[float]
) -> float:
    """Draw a bot's points-per-minute uniformly from ``bounds`` = ``[low, high]``.

    The draw depends only on the seed, the board and the bot, so two emulators with
    the same config and seed produce the same bots.
    """
    if not bounds:
        return 0.0
    low = float(bounds[0])
    high = float(bounds[1]) if len(bounds) > 1 else low
    if high < low:
        low, high = high, low
    material = f"{seed}|{board_ref}|{participant_id}".encode()
    seed_int = int.from_bytes(hashlib.sha256(material).digest()[:8], "big")
    rng = random.Random(seed_int)  # noqa: S311 - reproducible game content, not security
    return low + (high - low) * rng.random()


def evaluate(
    spec: BotSpec, *, anchor: datetime, now: datetime, ends_at: datetime | None = None
) -> BotState:
    """The bot's integer score at ``now`` (clamped to ``[anchor, ends_at]``).

    ``floor(base + rate * minutes since anchor)``, frozen at the board's end. Nothing
    ticks in the background: a board read or write asks every bot where it stands now
    and stores the answer, so a read that moves bots can publish those deltas. As the
    score is an integer step function, the moment a bot reached its score is a pure
    function too (``anchor + (score - base) / rate``), so ties between bots and players
    break the same way whenever the board is evaluated.
    """
    base = float(math.floor(spec.base_score))
    at = now
    if ends_at is not None and at > ends_at:
        at = ends_at
    if at <= anchor or spec.rate_per_minute <= 0:
        return BotState(score=base, reached_at=anchor)
    minutes = (at - anchor).total_seconds() / 60.0
    score = float(math.floor(base + spec.rate_per_minute * minutes + 1e-9))
    gained = score - base
    if gained <= 0:
        return BotState(score=base, reached_at=anchor)
    # First instant at which the bot's score reached ``score``; never after ``at``.
    reached_minutes = gained / spec.rate_per_minute
    reached = anchor + timedelta(microseconds=math.ceil(reached_minutes * 60_000_000))
    reached = min(reached, at)
    # Timestamps are stored with millisecond precision: round up to the next ms.
    micro = reached.microsecond
    if micro % 1000:
        reached = reached + timedelta(microseconds=1000 - micro % 1000)
        reached = min(reached, at)
    return BotState(score=score, reached_at=reached)
