"""The soak engine: mixed traffic through ``KratyComponent`` with watchers running, while
RSS, thread count and open file descriptors of this process are sampled.

The emulator runs in a child process (``kraty-emulator --db :memory:``), so what is
measured is the game side only: pygame, the component, its watchers and the SDK. The
loop behaves like a game: each "frame" issues a few calls, calls ``update()`` and
``pygame.event.get()``, collects grants announced by ``KRATY_GRANTS`` and starts a new
attempt when one fills up. pygame must be initialised (SDL dummy drivers) by the caller.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psutil
import pygame
import requests

from kraty_pygame.component import KRATY_GRANTS, KratyComponent
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.options import RequestInfo

CLIENT_KEY = "kr_test.client-demo"
SERVER_KEY = "kr_test.server-demo"
TAPS_PER_ATTEMPT = 25


@contextlib.contextmanager
def emulator_subprocess(timeout: float = 60.0) -> Iterator[str]:
    """``kraty-emulator --port 0 --db :memory:`` in a child process; yields its base URL."""
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
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, name="soak-emulator-stdout")
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        url = ""
        while not url:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "the emulator exited before listening"
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
        reader.join(15)
        if proc.stdout is not None:
            proc.stdout.close()


@dataclass(frozen=True)
class Sample:
    requests: int
    seconds: float
    rss: int
    threads: int
    fds: int


@dataclass
class SoakReport:
    """What a soak run measured; :meth:`lines` is what the suites print."""

    requests: int
    calls: int
    failed_calls: int
    seconds: float
    events: int
    grants_collected: int
    attempts: int
    samples: list[Sample] = field(default_factory=list)
    warmup_index: int = 0

    @property
    def steady(self) -> list[Sample]:
        return self.samples[self.warmup_index :]

    @property
    def rss_slope_per_1000(self) -> float:
        """Least-squares RSS growth in bytes per 1,000 HTTP requests after warm-up."""
        pts = self.steady
        n = len(pts)
        if n < 2:
            return 0.0
        mx = sum(p.requests for p in pts) / n
        my = sum(p.rss for p in pts) / n
        sxx = sum((p.requests - mx) ** 2 for p in pts)
        if sxx == 0:
            return 0.0
        sxy = sum((p.requests - mx) * (p.rss - my) for p in pts)
        return sxy / sxx * 1000

    def spread(self, attr: str) -> tuple[int, int]:
        values = [int(getattr(p, attr)) for p in self.steady]
        return min(values), max(values)

    def lines(self) -> list[str]:
        first, last = self.steady[0], self.steady[-1]
        threads, fds = self.spread("threads"), self.spread("fds")
        rss_lo, rss_hi = self.spread("rss")
        return [
            f"http requests: {self.requests}",
            f"component calls: {self.calls} ({self.failed_calls} failed)",
            f"events delivered: {self.events}",
            f"grants collected: {self.grants_collected}",
            f"attempts played: {self.attempts}",
            f"duration: {self.seconds:.1f} s",
            f"samples after warm-up: {len(self.steady)} of {len(self.samples)}",
            f"rss after warm-up: {first.rss / 2**20:.1f} MiB -> {last.rss / 2**20:.1f} MiB "
            f"(min {rss_lo / 2**20:.1f}, max {rss_hi / 2**20:.1f})",
            f"rss slope: {self.rss_slope_per_1000 / 1024:.2f} KiB per 1,000 requests",
            f"threads after warm-up: min {threads[0]}, max {threads[1]}",
            f"open fds after warm-up: min {fds[0]}, max {fds[1]}",
        ]


class _Server:
    """``/server/v1`` calls for setup (gold and potions, so the traffic never runs dry)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["authorization"] = f"Bearer {SERVER_KEY}"
        self.n = 0

    def post(self, path: str, body: dict[str, Any]) -> None:
        self.n += 1
        body = {"idempotencyKey": f"soak-setup-{self.n}", **body}
        r = self.session.post(f"{self.base_url}/server/v1{path}", json=body, timeout=30)
        assert r.status_code < 300, r.text[:300]


def _pump(
    component: KratyComponent, handles: list[RequestHandle[Any]], timeout: float
) -> list[pygame.event.Event]:
    """Frames until every handle finished; returns the pygame events seen meanwhile."""
    events: list[pygame.event.Event] = []
    deadline = time.monotonic() + timeout
    while True:
        component.update()
        events.extend(pygame.event.get())
        pending = [h for h in handles if not h.done]
        if not pending:
            return events
        assert time.monotonic() < deadline, f"{len(pending)} calls never finished"
        pending[0].wait(0.02)


def run_soak(base_url: str, *, requests_total: int, warmup: float = 0.3) -> SoakReport:
    """Drive mixed traffic until ``requests_total`` HTTP requests went out."""
    process = psutil.Process()  # type: ignore[no-untyped-call]
    sent = [0]
    lock = threading.Lock()

    def telemetry(info: RequestInfo) -> None:
        with lock:
            sent[0] += 1

    kraty = Kraty(
        CLIENT_KEY,
        base_url=base_url,
        secret_store=InMemorySecretStore(),
        on_request=telemetry,
        retry=RetryConfig(initial_delay=0.01, max_delay=0.05),
    )
    component = KratyComponent(kraty, owns_kraty=True, close_timeout=10.0)
    server = _Server(base_url)
    report = SoakReport(0, 0, 0, 0.0, 0, 0, 0)
    started = time.monotonic()
    try:
        identity = component.ensure_identity()
        report.events += len(_pump(component, [identity], 60))
        player = component.active_external_player_id
        assert player is not None
        server.post(f"/players/{player}/wallet/gold/credit", {"amount": 10_000_000})
        server.post(f"/players/{player}/inventory/health_potion/grant", {"quantity": 1_000_000})
        start = component.events.start("tap_frenzy")
        report.events += len(_pump(component, [start], 60))
        assert start.result is not None, start.error
        attempt = start.result.attempt.id
        board = start.result.leaderboard_id
        component.watch_grants(start=0.2, grow=1.5, max_interval=1.0)
        component.watch_leaderboard(board, limit=20, poll_interval=2.0)
        taps = 0
        frame = 0
        grants_announced = False
        next_sample = 0
        sample_every = max(50, requests_total // 60)
        while True:
            with lock:
                done = sent[0]
            if done >= next_sample:
                gc.collect()
                report.samples.append(
                    Sample(
                        done,
                        time.monotonic() - started,
                        process.memory_info().rss,
                        threading.active_count(),
                        process.num_fds(),  # type: ignore[no-untyped-call]
                    )
                )
                next_sample = done + sample_every
            if done >= requests_total:
                break
            frame += 1
            handles: list[RequestHandle[Any]] = []
            for _ in range(3):  # rapid taps: queued increments may merge
                handles.append(
                    component.events.progress(
                        "tap_frenzy", attempt, mode="increment", metric_value=1
                    )
                )
            taps += 3
            handles.append(component.wallet.debit("gold", amount=1, reason="soak"))
            if frame % 2 == 0:
                handles.append(component.inventory.consume("health_potion", quantity=1))
                handles.append(component.wallet.list())
            if frame % 3 == 0:
                handles.append(component.inventory.list())
                handles.append(component.event_leaderboards.read(board, limit=10))
            if frame % 7 == 0:
                handles.append(component.catalog.read())
                handles.append(component.events.list_for_player())
            if grants_announced:  # KRATY_GRANTS arrived: collect them, as a game would
                handles.append(component.grants.collect_all())
                grants_announced = False
            component.update()
            seen = pygame.event.get() + _pump(component, handles, 60)
            report.events += len(seen)
            grants_announced = any(event.type == KRATY_GRANTS for event in seen)
            for h in handles:
                report.calls += 1
                if not h.succeeded:
                    report.failed_calls += 1
                elif h.operation == "grants.collect_all" and h.result is not None:
                    report.grants_collected += int(getattr(h.result, "processed", 0))
            if taps >= TAPS_PER_ATTEMPT:
                finish = component.events.finish("tap_frenzy", attempt)
                again = component.events.start("tap_frenzy")
                seen = _pump(component, [finish, again], 60)
                report.events += len(seen)
                grants_announced |= any(event.type == KRATY_GRANTS for event in seen)
                assert again.result is not None, again.error
                attempt = again.result.attempt.id
                report.attempts += 1
                taps = 0
    finally:
        close = component.close()
        server.session.close()
    assert not close.threads_alive, close
    report.requests = sent[0]
    report.seconds = time.monotonic() - started
    report.warmup_index = max(1, int(len(report.samples) * warmup))
    return report


def component_threads() -> list[str]:
    """Live threads started by a component (request workers and watchers)."""
    prefixes = ("kraty-worker", "kraty-watch")
    return [t.name for t in threading.enumerate() if t.name.startswith(prefixes)]
