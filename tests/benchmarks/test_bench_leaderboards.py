"""Decode cost of a 1,000-entry event-board snapshot (and of the stream's parsing path).

Run on demand: ``.venv/bin/python -m pytest tests/benchmarks/test_bench_leaderboards.py -s``.
Prints, per snapshot: ``json.loads`` of the body alone, the SDK path (``json.loads`` +
``EventLeaderboard.from_wire``), ``from_wire`` alone, and dataclasses-json's
``from_dict`` over the parsed object, with ratios. Also the throughput of the SSE
parsing path ``live()`` uses (sseclient-py behind the line guard) plus typing each
frame. Nothing is asserted about speed; the decode target is <= 10 ms.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from kraty_pygame.sdk.models.leaderboards import EventLeaderboard, LeaderboardStreamEvent
from kraty_pygame.sdk.streams.sse import iter_sse_messages

pytestmark = pytest.mark.benchmark

TARGET_MS = 10.0
ENTRIES = 1000


def _entry(i: int) -> dict[str, Any]:
    bot = i % 3 == 0
    return {
        "participantId": f"bot_{i}" if bot else f"5b0c7c7e-{i:04d}-4000-8000-00000000{i:04d}",
        "kind": "bot" if bot else "player",
        "name": f"Rusty Fox {i}" if bot else f"Crazy Panda {i}",
        "avatar": None if bot else f"https://cdn.example/avatars/{i}.png",
        "avatarUrl": None if bot else f"https://cdn.example/avatars/{i}.png",
        "score": 10_000 - i * 7.5,
        "rank": i + 1,
        "isSelf": i == 417,
        "country": None if bot else "PT",
        "anonymizedName": f"Swift Otter {i}",
        "anonymizedAvatar": None,
    }


def _snapshot() -> dict[str, Any]:
    return {
        "data": {
            "leaderboardId": "lb_6f1d2c3b4a59",
            "mode": "global",
            "finalized": False,
            "finalizedReason": None,
            "entries": [_entry(i) for i in range(ENTRIES)],
            "self": {"rank": 418, "score": 6872.5},
            "progression": {"promotion": {"places": 10, "itemKey": "trophies"}, "relegation": None},
        }
    }


def _time_ms(fn: Callable[[], object], *, repeat: int = 30) -> float:
    fn()  # warm the decoder caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def test_bench_decode_snapshot() -> None:
    body = json.dumps(_snapshot())
    parsed = json.loads(body)["data"]

    loads_ms = _time_ms(lambda: json.loads(body))
    wire_ms = _time_ms(lambda: EventLeaderboard.from_wire(json.loads(body)["data"], "data"))
    decode_only_ms = _time_ms(lambda: EventLeaderboard.from_wire(parsed, "data"))
    djson_ms = _time_ms(lambda: EventLeaderboard.from_dict(parsed), repeat=5)

    fast = EventLeaderboard.from_wire(parsed, "data")
    slow = EventLeaderboard.from_dict(parsed)
    assert len(fast.entries) == ENTRIES
    assert fast == slow

    verdict = "within" if wire_ms <= TARGET_MS else "OVER"
    print(
        f"\n[event board x{ENTRIES}] body {len(body) / 1024:.0f} KiB\n"
        f"  json.loads                    {loads_ms:8.2f} ms\n"
        f"  json.loads + from_wire (SDK)  {wire_ms:8.2f} ms"
        f"  ({wire_ms / loads_ms:5.1f}x json.loads; {verdict} the {TARGET_MS:g} ms target)\n"
        f"  from_wire only                {decode_only_ms:8.2f} ms\n"
        f"  dataclasses-json from_dict    {djson_ms:8.2f} ms"
        f"  ({djson_ms / decode_only_ms:5.1f}x from_wire)"
    )


def test_bench_sse_parse_throughput() -> None:
    frames = []
    for i in range(5000):
        payload = {
            "leaderboardId": "lb_6f1d2c3b4a59",
            "participantId": f"p{i % 300}",
            "kind": "player",
            "name": f"Player {i % 300}",
            "score": i,
            "rank": 1 + i % 300,
            "previousRank": 2 + i % 300,
        }
        frames.append(b"event: score_update\r\ndata: " + json.dumps(payload).encode() + b"\r\n\r\n")
        if i % 50 == 0:
            frames.append(b": hb\r\n\r\n")
    stream = b"".join(frames)
    chunks = [stream[i : i + 1400] for i in range(0, len(stream), 1400)]  # ~ one TCP segment

    def run() -> int:
        count = 0
        for message in iter_sse_messages(chunks):
            LeaderboardStreamEvent.from_sse(message.event, message.data)
            count += 1
        return count

    assert run() == 5000
    ms = _time_ms(run, repeat=5)
    print(
        f"\n[SSE parse + typing] 5000 score_update frames, {len(stream) / 1024:.0f} KiB "
        f"in 1400-byte chunks: {ms:.1f} ms = {5000 / ms * 1000:,.0f} events/s "
        f"({ms / 5000 * 1000:.1f} us per event)"
    )
