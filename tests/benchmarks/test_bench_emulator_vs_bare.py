"""Emulator throughput next to a bare uvicorn + Starlette endpoint, in one run.

Run on demand: ``.venv/bin/python -m pytest tests/benchmarks/test_bench_emulator_vs_bare.py -s``.

Two servers run as subprocesses on the same machine with the same uvicorn settings
(httptools, the same event loop: uvloop where it is installed, one worker, one
process each): the emulator (``python -m kraty_pygame.emulator``, with its connection
limits in place) and a Starlette app with one JSON endpoint. The load comes from
``wrk`` (2 threads, 8 keep-alive connections) when it is installed, else from several
client processes that send ready-made requests on raw keep-alive sockets. Measured,
in interleaved rounds:

* the bare endpoint (``GET``), the ceiling of the stack;
* emulator wallet reads (``GET /sdk/v1/players/{id}/wallet`` with the player secret);
* emulator server credits (``POST /server/v1/players/{id}/wallet/gold/credit``, a fresh
  ``idempotencyKey`` per request, so every one is a real write).

Printed per round and as the median of the rounds: requests/s, the read/bare ratio
and the load average (the machine is shared; the figures move with it), and the
server CPU time per request (psutil), which does not depend on how busy the machine
is: on a loaded machine every server waits for the scheduler and the wall-clock
ratio says little, while the CPU ratio is what an idle machine would show. Targets:
reads >= 0.35x bare, credits >= 2,000/s. Every response must be a 200 (asserted);
speed itself is not asserted.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import queue
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from kraty_pygame.emulator.embedded import uvicorn_config

pytestmark = pytest.mark.benchmark

SECONDS = float(os.environ.get("KRATY_BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("KRATY_BENCH_ROUNDS", "3"))
CONNECTIONS = 8
WRK_THREADS = 2
CLIENT_PROCESSES = int(os.environ.get("KRATY_BENCH_CLIENT_PROCESSES", "4"))
TARGET_READ_RATIO = 0.35
TARGET_CREDITS_PER_S = 2000.0
CLIENT_KEY = "kr_test.client-demo"
SERVER_KEY = "kr_test.server-demo"
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
#: The event loop of both servers: uvicorn's ``loop="auto"`` takes uvloop when installed.
LOOP = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"

_BARE_SERVER = textwrap.dedent(
    """
    import socket
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def wallet(request):
        return JSONResponse({"data": {"wallet": []}})

    app = Starlette(routes=[Route("/bare", wallet)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print("listening on http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app, http="httptools", loop="auto", ws="none", lifespan="off", log_level="warning",
        access_log=False, workers=1,
    )
    uvicorn.Server(config).run(sockets=[sock])
    """
)

# wrk script: args are a key prefix and "post" or "get"; a POST gets a fresh
# idempotencyKey per request; responses other than 200 are counted.
_WRK_SCRIPT = textwrap.dedent(
    """
    local threads = {}
    setup = function(thread)
      thread:set("id", #threads + 1)
      table.insert(threads, thread)
    end
    init = function(args)
      prefix = args[1] .. "-" .. tostring(id) .. "-"
      post = args[2] == "post"
      counter = 0
      bad = 0
      if post then wrk.method = "POST" end
    end
    request = function()
      if not post then return wrk.format() end
      counter = counter + 1
      return wrk.format(nil, nil, nil,
        '{"amount":1,"idempotencyKey":"' .. prefix .. counter .. '"}')
    end
    response = function(status, headers, body)
      if status ~= 200 then bad = bad + 1 end
    end
    done = function(summary, latency, requests)
      local total_bad = 0
      for _, thread in ipairs(threads) do total_bad = total_bad + thread:get("bad") end
      io.write(string.format("KRATY requests=%d seconds=%f bad=%d\\n",
        summary.requests, summary.duration / 1e6, total_bad))
    end
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
    assert uvicorn_config(None, embedded=False).loop == "auto"  # as the bare server below
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


# ------------------------------------------------------------------ requests


class Target:
    """One measured request: method, URL, headers and (for writes) a JSON template."""

    def __init__(
        self, server: tuple[str, int], path: str, headers: dict[str, str], *, post: bool
    ) -> None:
        url, self.pid = server
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = int(parts.port or 80)
        self.url = url + path
        self.path = path
        self.headers = headers
        self.post = post

    def raw_request(self, key: str) -> bytes:
        """The request as bytes (for the client-process fallback)."""
        lines = [f"{'POST' if self.post else 'GET'} {self.path} HTTP/1.1"]
        lines.append(f"host: {self.host}:{self.port}")
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        body = b""
        if self.post:
            body = b'{"amount":1,"idempotencyKey":"' + key.encode() + b'"}'
            lines += ["content-type: application/json", f"content-length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _wrk_rate(target: Target, script: Path) -> float:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS:g}s", "-s", str(script)]
    for name, value in target.headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if target.post:
        cmd += ["-H", "content-type: application/json"]
    cmd += [target.url, "--", uuid.uuid4().hex, "post" if target.post else "get"]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=SECONDS + 60
    ).stdout
    match = re.search(r"KRATY requests=(\d+) seconds=([\d.]+) bad=(\d+)", out)
    assert match, out
    requests, seconds, bad = int(match.group(1)), float(match.group(2)), int(match.group(3))
    assert bad == 0, f"{bad} responses were not 200 for {target.url}"
    return requests / seconds


def _read_response(sock: socket.socket, buffer: bytearray) -> int:
    """Read one response off a keep-alive socket; returns its status."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:head_end]).lower()
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    del buffer[: head_end + length]
    return status


def _client_process(
    target: Target,
    connections: int,
    seconds: float,
    start_at: float,
    out: multiprocessing.Queue[tuple[int, int]],
) -> None:
    """One load process: ``connections`` sockets, one request in flight on each."""
    sel = selectors.DefaultSelector()
    prefix = uuid.uuid4().hex
    counter = 0
    done = bad = 0
    buffers: dict[socket.socket, bytearray] = {}
    for _ in range(connections):
        sock = socket.create_connection((target.host, target.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffers[sock] = bytearray()
        sel.register(sock, selectors.EVENT_READ)
    time.sleep(max(0.0, start_at - time.time()))
    stop_at = time.time() + seconds
    for sock in buffers:
        counter += 1
        sock.sendall(target.raw_request(f"{prefix}-{counter}"))
    while time.time() < stop_at:
        for key, _ in sel.select(timeout=0.5):
            sock = key.fileobj  # type: ignore[assignment]
            status = _read_response(sock, buffers[sock])
            done += 1
            bad += status != 200
            counter += 1
            sock.sendall(target.raw_request(f"{prefix}-{counter}"))
    for sock in buffers:
        sock.close()
    out.put((done, bad))


def _process_rate(target: Target) -> float:
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[tuple[int, int]] = ctx.Queue()
    per_process = max(1, CONNECTIONS // CLIENT_PROCESSES)
    start_at = time.time() + 2.0  # every process connected before the clock starts
    procs = [
        ctx.Process(target=_client_process, args=(target, per_process, SECONDS, start_at, out))
        for _ in range(CLIENT_PROCESSES)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=SECONDS + 60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    bad = sum(b for _, b in results)
    assert bad == 0, f"{bad} responses were not 200 for {target.url}"
    return sum(d for d, _ in results) / SECONDS


def _player(url: str) -> tuple[str, str]:
    """A registered player (secret) with gold to spend."""
    with httpx.Client(base_url=url, timeout=30) as http:
        ext = "kp_" + uuid.uuid4().hex
        secret = http.post(
            f"/sdk/v1/players/{ext}/register",
            json={"idempotencyKey": uuid.uuid4().hex},
            headers={"authorization": f"Bearer {CLIENT_KEY}"},
        ).json()["data"]["secret"]
        return ext, str(secret)


def _measure(target: Target, script: Path, wrk: str | None) -> tuple[float, float]:
    """(requests/s, microseconds of server CPU per request)."""
    server = psutil.Process(target.pid)  # type: ignore[no-untyped-call]
    before = sum(server.cpu_times()[:2])
    rate = _wrk_rate(target, script) if wrk else _process_rate(target)
    cpu = sum(server.cpu_times()[:2]) - before
    return rate, cpu / max(rate * SECONDS, 1.0) * 1e6


def test_throughput_against_bare_starlette(servers: dict[str, tuple[str, int]]) -> None:
    ext, secret = _player(servers["emulator"][0])
    targets = {
        "bare Starlette GET": Target(servers["bare"], "/bare", {}, post=False),
        "emulator GET wallet": Target(
            servers["emulator"],
            f"/sdk/v1/players/{ext}/wallet",
            {"authorization": f"Bearer {CLIENT_KEY}", "x-player-secret": secret},
            post=False,
        ),
        "emulator server credit": Target(
            servers["emulator"],
            f"/server/v1/players/{ext}/wallet/gold/credit",
            {"authorization": f"Bearer {SERVER_KEY}"},
            post=True,
        ),
    }
    wrk = shutil.which("wrk")
    generator = (
        f"wrk -t{WRK_THREADS} -c{CONNECTIONS}"
        if wrk
        else f"{CLIENT_PROCESSES} client processes, {CONNECTIONS} connections"
    )
    rates: dict[str, list[float]] = {name: [] for name in targets}
    cpu_us: dict[str, list[float]] = {name: [] for name in targets}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "kraty.lua"
        script.write_text(_WRK_SCRIPT)
        for _ in range(ROUNDS):
            for name, target in targets.items():
                rate, per_request = _measure(target, script, wrk)
                rates[name].append(rate)
                cpu_us[name].append(per_request)
            loads.append(os.getloadavg()[0])
    _report(generator, rates, loads)
    _report_cpu(cpu_us)


def _report(generator: str, rates: dict[str, list[float]], loads: list[float]) -> None:
    bare, read, credit = (rates[name] for name in rates)
    print(
        f"\nEmulator vs bare uvicorn + Starlette (httptools, {LOOP}, 1 worker), load: {generator}, "
        f"{ROUNDS} rounds x {SECONDS:g} s, {os.cpu_count()} cores, "
        f"load average per round {', '.join(f'{v:.1f}' for v in loads)}"
    )
    print(f"  {'round':<8} {'bare GET/s':>11} {'wallet GET/s':>13} {'ratio':>6} {'credits/s':>10}")
    for i in range(ROUNDS):
        print(
            f"  {i + 1:<8} {bare[i]:11.0f} {read[i]:13.0f} {read[i] / bare[i]:6.2f} "
            f"{credit[i]:10.0f}"
        )
    mb, mr, mc = (statistics.median(v) for v in (bare, read, credit))
    print(f"  {'median':<8} {mb:11.0f} {mr:13.0f} {mr / mb:6.2f} {mc:10.0f}")
    print(
        f"  targets: wallet reads >= {TARGET_READ_RATIO:.2f} x bare "
        f"({'met' if mr / mb >= TARGET_READ_RATIO else 'NOT met'}), "
        f"credits >= {TARGET_CREDITS_PER_S:.0f}/s "
        f"({'met' if mc >= TARGET_CREDITS_PER_S else 'NOT met'})"
    )
    print("  json:", json.dumps({"bare": bare, "read": read, "credit": credit, "load": loads}))


def _report_cpu(cpu_us: dict[str, list[float]]) -> None:
    """Server CPU per request: what the rates would be on an idle machine."""
    bare, read, credit = (statistics.median(v) for v in cpu_us.values())
    print(
        f"  server CPU per request (median): bare {bare:.0f} us, wallet GET {read:.0f} us, "
        f"credit {credit:.0f} us; CPU-bound ratio wallet/bare {bare / read:.2f}, "
        f"credits per CPU-second {1e6 / credit:.0f}"
    )
    print("  json cpu_us:", json.dumps(cpu_us))
