"""SSE fan-out: 1,000 subscribers on one event board, latency from a write to each receipt.

Run on demand: ``.venv/bin/python -m pytest tests/benchmarks/test_bench_sse_fanout.py -s``.

The emulator runs in a subprocess (``python -m kraty_pygame.emulator --port 0``).
This process opens 1,000 raw-socket SSE streams on the ``daily_duel`` board of one
player, waits for every ``ready``, then that player sends ``progress`` (+1 point)
at a paced rate. Each progress is one ``score_update`` whose ``score`` names the
write, so every receipt maps to its write. Latency = time the subscriber's socket
delivered the frame minus the time the write request was sent (it includes the
write's own HTTP round trip and this process's event loop servicing 1,000 sockets
on the same two cores as the server; its garbage collector is off while it
measures). Updates a slow subscriber coalesced are counted, not timed. Printed: p50 /
p90 / p99 / max, the receipt ratio, per write the first receipt and the spread from
first to last subscriber (the fan-out itself), and the machine's load average (the
figures scale with it). Target: p99 <= 100 ms.
Nothing is asserted about speed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.benchmark

SUBSCRIBERS = int(os.environ.get("KRATY_BENCH_SUBSCRIBERS", "1000"))
WRITES = int(os.environ.get("KRATY_BENCH_WRITES", "100"))
RATE_PER_S = float(os.environ.get("KRATY_BENCH_RATE", "20"))
TARGET_P99_MS = 100.0
API_KEY = "kr_test.client-demo"
_SCORE = re.compile(rb'"score":(\d+)')


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kraty_pygame.emulator",
            "--port",
            "0",
            "--db",
            ":memory:",
            "--clock",
            "manual",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    try:
        assert url, "the emulator subprocess did not start"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
        proc.stdout.close()


class Subscriber(asyncio.Protocol):
    """One raw SSE connection; frames are scanned in ``data_received`` (no task per read)."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.received: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.ended = asyncio.Event()
        self.closed = False
        self._buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self._buffer + data
        if not self.ready.is_set() and b"event: ready" in buffer:
            self.ready.set()
        frames, sep, rest = buffer.rpartition(b"\n\n")
        if not sep:
            self._buffer = buffer
            return
        self._buffer = rest
        if b"score_update" in frames:
            for match in _SCORE.finditer(frames):
                self.received.setdefault(int(match.group(1)), now)
        if b"event: closed" in frames:
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended.set()


async def _connect(loop: asyncio.AbstractEventLoop, sub: Subscriber, host: str, port: int) -> None:
    await loop.create_connection(lambda: sub, host, port)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def test_sse_fanout_latency(server_url: str) -> None:
    http = httpx.Client(
        base_url=server_url, headers={"authorization": f"Bearer {API_KEY}"}, timeout=30
    )
    player = "kp_" + uuid.uuid4().hex
    secret = http.post(f"/sdk/v1/players/{player}/register", json={}).json()["data"]["secret"]
    player_headers = {"x-player-secret": secret}
    started = http.post(
        f"/sdk/v1/players/{player}/events/daily_duel/start", json={}, headers=player_headers
    ).json()["data"]
    board_id = started["leaderboardId"]
    attempt_id = started["attempt"]["id"]
    http.close()
    host, port = server_url.removeprefix("http://").rsplit(":", 1)
    path = f"/sdk/v1/event-leaderboards/{board_id}/stream"

    request = (
        f"GET {path} HTTP/1.1\r\nhost: {host}:{port}\r\nauthorization: Bearer {API_KEY}\r\n"
        "accept: text/event-stream\r\n\r\n"
    ).encode()

    async def scenario() -> tuple[list[Subscriber], dict[int, float], float]:
        loop = asyncio.get_running_loop()
        subs = [Subscriber(request) for _ in range(SUBSCRIBERS)]
        connect_started = time.perf_counter()
        for batch in range(0, SUBSCRIBERS, 100):
            group = subs[batch : batch + 100]
            await asyncio.gather(*(_connect(loop, s, host, int(port)) for s in group))
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in group)), 60)
        connect_s = time.perf_counter() - connect_started
        sent: dict[int, float] = {}
        rtts.clear()
        progress = f"/sdk/v1/players/{player}/events/daily_duel/attempts/{attempt_id}/progress"
        async with httpx.AsyncClient(
            base_url=server_url,
            headers={"authorization": f"Bearer {API_KEY}", **player_headers},
            timeout=30,
        ) as client:
            interval = 1.0 / RATE_PER_S
            next_at = time.perf_counter()
            for i in range(1, WRITES + 1):
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))  # pacing
                next_at += interval
                sent[i] = time.perf_counter()
                response = await client.post(progress, json={"mode": "increment", "metricValue": 1})
                rtts.append((time.perf_counter() - sent[i]) * 1000.0)
                assert response.status_code == 200, response.text
            # Finalize so every stream ends with finalized + closed.
            await client.post("/_emulator/events/daily_duel/finalize")
        await asyncio.wait_for(asyncio.gather(*(s.ended.wait() for s in subs)), 60)
        return subs, sent, connect_s

    rtts: list[float] = []
    # This process is the load generator: a full garbage collection here (its heap
    # holds pytest and 1,000 connections) would stall every receipt at once and be
    # counted as server latency, so the collector stays off while it measures.
    gc.collect()
    gc.disable()
    try:
        subs, sent, connect_s = asyncio.run(scenario())
    finally:
        gc.enable()
    latencies = [
        (at - sent[score]) * 1000.0
        for sub in subs
        for score, at in sub.received.items()
        if score in sent
    ]
    # Per write: the first receipt (write round trip + first delivery) and the spread
    # from the first to the last subscriber (the fan-out itself).
    firsts: list[float] = []
    spreads: list[float] = []
    for score, at_sent in sent.items():
        times = [sub.received[score] for sub in subs if score in sub.received]
        if times:
            firsts.append((min(times) - at_sent) * 1000.0)
            spreads.append((max(times) - min(times)) * 1000.0)
    expected = SUBSCRIBERS * WRITES
    closed = sum(1 for s in subs if s.closed)
    p50, p90, p99 = (_percentile(latencies, q) for q in (0.5, 0.9, 0.99))
    report = {
        "subscribers": SUBSCRIBERS,
        "writes": WRITES,
        "rate_per_s": RATE_PER_S,
        "connect_all_s": round(connect_s, 2),
        "receipts": len(latencies),
        "receipt_ratio": round(len(latencies) / expected, 4),
        "streams_closed_by_finalize": closed,
        "p50_ms": round(p50, 1),
        "p90_ms": round(p90, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "write_rtt_p50_ms": round(statistics.median(rtts), 1),
        "first_receipt_p50_ms": round(statistics.median(firsts), 1),
        "fanout_spread_p50_ms": round(statistics.median(spreads), 1),
        "fanout_spread_max_ms": round(max(spreads), 1),
        "load_avg_1m": os.getloadavg()[0],
        "target_p99_ms": TARGET_P99_MS,
    }
    print("\nSSE fan-out:", json.dumps(report))
    print(
        f"  p99 {p99:.1f} ms (target <= {TARGET_P99_MS:.0f} ms: "
        f"{'met' if p99 <= TARGET_P99_MS else 'NOT met'}), "
        f"{len(latencies)} of {expected} events received "
        f"({'all' if len(latencies) == expected else 'NOT all'}), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    assert latencies, "no score_update reached any subscriber"
