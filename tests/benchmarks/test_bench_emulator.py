"""Emulator throughput and start-up (printed, never asserted).

Run on demand: ``pytest tests/benchmarks/test_bench_emulator.py -s``. The emulator runs
in a subprocess (``python -m kraty_pygame.emulator``); keep-alive ``http.client``
clients in threads measure requests/s for a player-scoped read (GET wallet) and an
idempotent write (POST wallet debit, a fresh idempotencyKey each), side by side with
a bare FastAPI endpoint on the same server stack (uvicorn + h11 + FastAPI) as the
ceiling. Targets on a 2-core machine: >= 1,500 reads/s, >= 500 writes/s.

The machine is shared, so each figure is the best of ``KRATY_BENCH_ROUNDS`` interleaved
rounds, and next to the wall-clock rate the benchmark prints requests per second of
*server CPU time* (psutil), which does not depend on what else the machine is doing.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import psutil
import pytest

pytestmark = pytest.mark.benchmark

CLIENTS = int(os.environ.get("KRATY_BENCH_CLIENTS", "4"))
SECONDS = float(os.environ.get("KRATY_BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("KRATY_BENCH_ROUNDS", "3"))
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")

_BARE_SERVER = textwrap.dedent(
    """
    import threading
    from fastapi import FastAPI
    from starlette.responses import Response
    from kraty_pygame.emulator.embedded import EmulatorServer, bind_socket, uvicorn_config

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> Response:
        return Response(b'{"data":{"wallet":[]}}', media_type="application/json")

    @app.post("/bare")
    async def bare_post() -> Response:
        return Response(b'{"data":{"applied":true}}', media_type="application/json")

    sock = bind_socket("127.0.0.1", 0)
    print("listening on http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
    EmulatorServer(uvicorn_config(app, embedded=False), threading.Event()).run(sockets=[sock])
    """
)


def _spawn(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    while True:
        match = _URL.search(lines.get(timeout=60))
        if match:
            return proc, match.group(1)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, int]]]:
    db = tmp_path_factory.mktemp("bench") / "bench.sqlite3"
    emu, emu_url = _spawn(
        [sys.executable, "-m", "kraty_pygame.emulator", "--port", "0", "--db", str(db)]
    )
    bare, bare_url = _spawn([sys.executable, "-c", _BARE_SERVER])
    try:
        yield {"emulator": (emu_url, emu.pid), "bare": (bare_url, bare.pid)}
    finally:
        for proc in (emu, bare):
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()


def _conn(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


Maker = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


def _rate(url: str, pid: int, make_request: Maker) -> tuple[float, float]:
    """(requests/s, requests per server CPU-second) with CLIENTS keep-alive connections."""
    server = psutil.Process(pid)  # type: ignore[no-untyped-call]
    counts = [0] * CLIENTS
    errors: list[str] = []
    start = threading.Barrier(CLIENTS + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        conn = _conn(url)
        start.wait()
        try:
            while not stop.is_set():
                method, path, body, headers = make_request(index)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    errors.append(f"{response.status}")
                    return
                counts[index] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    cpu_before = sum(server.cpu_times()[:2])
    stop.wait(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - began
    cpu = sum(server.cpu_times()[:2]) - cpu_before
    assert not errors, errors[:3]
    total = sum(counts)
    return total / elapsed, total / max(cpu, 1e-6)


def _player(url: str) -> tuple[str, str]:
    conn = _conn(url)
    ext = "kp_" + uuid.uuid4().hex
    conn.request(
        "POST",
        f"/sdk/v1/players/{ext}/register",
        body=b'{"idempotencyKey":"' + uuid.uuid4().hex.encode() + b'"}',
        headers={"authorization": "Bearer kr_test.client-demo", "content-type": "application/json"},
    )
    secret = json.loads(conn.getresponse().read())["data"]["secret"]
    conn.request(
        "POST",
        f"/server/v1/players/{ext}/wallet/gold/credit",
        body=json.dumps({"amount": 10**9, "idempotencyKey": uuid.uuid4().hex}).encode(),
        headers={"authorization": "Bearer kr_test.server-demo", "content-type": "application/json"},
    )
    conn.getresponse().read()
    conn.close()
    return ext, secret


def test_requests_per_second(servers: dict[str, tuple[str, int]]) -> None:
    url, pid = servers["emulator"]
    bare_url, bare_pid = servers["bare"]
    ext, secret = _player(url)
    auth = {"authorization": "Bearer kr_test.client-demo", "x-player-secret": secret}
    write_headers = {**auth, "content-type": "application/json"}

    def write_body() -> bytes:
        return b'{"amount":1,"idempotencyKey":"' + uuid.uuid4().hex.encode() + b'"}'

    cases: dict[str, tuple[str, int, Maker]] = {
        "emulator read  (GET wallet)": (
            url,
            pid,
            lambda _: ("GET", f"/sdk/v1/players/{ext}/wallet", None, auth),
        ),
        "bare FastAPI   GET": (bare_url, bare_pid, lambda _: ("GET", "/bare", None, auth)),
        "emulator write (POST debit)": (
            url,
            pid,
            lambda _: (
                "POST",
                f"/sdk/v1/players/{ext}/wallet/gold/debit",
                write_body(),
                write_headers,
            ),
        ),
        "bare FastAPI   POST": (
            bare_url,
            bare_pid,
            lambda _: ("POST", "/bare", write_body(), write_headers),
        ),
    }
    best: dict[str, tuple[float, float]] = {name: (0.0, 0.0) for name in cases}
    for _ in range(ROUNDS):
        for name, (target, server_pid, maker) in cases.items():
            wall, per_cpu = _rate(target, server_pid, maker)
            best[name] = (max(best[name][0], wall), max(best[name][1], per_cpu))
    load = os.getloadavg()[0]
    print(
        f"\n{CLIENTS} keep-alive clients, best of {ROUNDS} x {SECONDS:.0f} s, "
        f"{os.cpu_count()} cores, load average {load:.1f}"
    )
    print(f"  {'':<30} {'req/s':>8} {'req per server CPU-s':>22}")
    for name, (wall, per_cpu) in best.items():
        print(f"  {name:<30} {wall:8.0f} {per_cpu:22.0f}")
    values = [v[1] for v in best.values()]
    print(f"  read  / ceiling (CPU-normalised): {values[0] / values[1]:.2f}   (target >= 1500/s)")
    print(f"  write / ceiling (CPU-normalised): {values[2] / values[3]:.2f}   (target >= 500/s)")


def test_embedded_start_time() -> None:
    code = textwrap.dedent(
        """
        import time
        t0 = time.perf_counter()
        from kraty_pygame.emulator import EmbeddedEmulator
        t1 = time.perf_counter()
        emu = EmbeddedEmulator().start()
        t2 = time.perf_counter()
        emu.stop()
        t3 = time.perf_counter()
        emu2 = EmbeddedEmulator().start()
        t4 = time.perf_counter()
        emu2.stop()
        print(f"{t1-t0:.3f} {t2-t1:.3f} {t3-t2:.3f} {t4-t3:.3f}")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    imp, first, stop, second = (float(v) for v in out.stdout.split())
    print(
        f"\nEmbeddedEmulator: import {imp * 1000:.0f} ms, first start {first * 1000:.0f} ms, "
        f"stop {stop * 1000:.0f} ms, second start (warm) {second * 1000:.0f} ms"
    )
