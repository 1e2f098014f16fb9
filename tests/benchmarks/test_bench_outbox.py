"""What the durable outbox costs, measured side by side in one run.

Run on demand (2 shared cores: expect noise; figures are printed, never asserted)::

    .venv/bin/python -m pytest tests/benchmarks/test_bench_outbox.py -s

* main-thread cost of one queued durable write (``events.progress``), p50/p99/p99.9
  (target p99 <= 50 us with no Kraty thread busy): through ``Outbox.record`` (a game
  repeating a call, as the component records), and through ``capture()`` around the
  SDK call (any call, arguments handled by the SDK each time); beside two floors from
  the same run: a bare ``os.write`` of an equal record (what the journal append
  costs) and a bare store of it into a memory map (what the hand-off costs); first
  with no Kraty thread busy, then while a worker thread decodes JSON non-stop; the
  load average is printed with each block (the machine is shared);
* a 10,000-write backlog draining against the emulator (target >= 200 writes/s).

The emulator runs in its own process (``python -m kraty_pygame.emulator``) so its request
handling does not compete with the sender for this process's GIL.
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kraty_pygame.emulator.control_client import EmulatorControl
from kraty_pygame.sdk import FileSecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.outbox import Outbox, OutboxNotice, Recorded
from kraty_pygame.sdk.outbox._journal import frame
from tests.benchmarks.latency import Percentiles, collections_during, percentiles, timed

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(1800)]

API_KEY = "kr_test.client-demo"
RECORDS = 20_000
BACKLOG = 10_000


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """An emulator in its own process; yields its base URL."""
    command = [
        sys.executable,
        "-m",
        "kraty_pygame.emulator",
        "--port",
        "0",
        "--db",
        ":memory:",
        "--clock",
        "manual",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        found = re.search(r"(http://\S+)", banner)
        assert found, f"unexpected emulator banner: {banner!r}"
        yield found.group(1)
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


class _Decoder(threading.Thread):
    """A worker that decodes JSON non-stop (holds the GIL most of the time)."""

    def __init__(self) -> None:
        super().__init__(name="bench-decoder", daemon=True)
        rows = [{"rank": i, "externalId": f"kp_{i:032x}", "score": i * 1.5} for i in range(1000)]
        self.payload = json.dumps({"data": {"entries": rows}})
        self.stop = threading.Event()
        self.decoded = 0

    def run(self) -> None:
        while not self.stop.is_set():
            json.loads(self.payload)
            self.decoded += 1


def test_main_thread_cost_of_a_queued_durable_write(tmp_path: Path) -> None:
    # An unreachable server: the sender backs off and sleeps, no Kraty thread is busy.
    outbox = Outbox(tmp_path / "outbox", max_backoff_s=600)
    kraty = Kraty(
        API_KEY,
        base_url="http://127.0.0.1:9",
        secret_store=FileSecretStore(tmp_path / "ids.json"),
        retry=RetryConfig(attempts=1),
        active_external_player_id="player_bench",
        player_secret="s" * 32,
        outbox=outbox,
    )
    floor_fd = os.open(tmp_path / "floor", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    map_fd = os.open(tmp_path / "map", os.O_RDWR | os.O_CREAT, 0o600)
    map_size = 64 << 20
    os.ftruncate(map_fd, map_size)
    region = mmap.mmap(map_fd, map_size)
    for offset in range(0, map_size, mmap.PAGESIZE):
        region[offset] = 0
    sample = frame(b"x" * 400)
    at = [0]

    def capture() -> None:
        try:
            with outbox.capture():
                kraty.events.progress("tap_frenzy", "att_0", mode="increment", metric_value=1)
        except Recorded:
            pass

    progress = kraty.events.progress

    def repeat() -> None:
        outbox.record(progress, "tap_frenzy", "att_0", mode="increment", metric_value=1)

    def floor() -> None:
        os.write(floor_fd, sample)

    def store() -> None:
        start = at[0]
        stop = start + len(sample)
        if stop > map_size:
            start, stop = 0, len(sample)
        region[start:stop] = sample
        at[0] = stop

    calls = {"record": repeat, "capture": capture, "write": floor, "store": store}
    try:
        time.sleep(3.0)  # let the sender's first failures pass; it then sleeps
        for call in calls.values():
            timed(call, 2000)  # warm-up
        results: dict[str, dict[str, tuple[Percentiles, list[int]]]] = {}
        loads: dict[str, tuple[float, float]] = {}
        original = sys.getswitchinterval()
        scenarios = (
            ("no Kraty thread busy", False, original),
            ("worker decoding, default 5 ms switch interval", True, original),
            ("worker decoding, the component's 1 ms switch interval", True, 0.001),
        )
        for label, busy, interval in scenarios:
            decoder = _Decoder()
            sys.setswitchinterval(interval)
            if busy:
                decoder.start()
                time.sleep(0.2)
            try:
                before = os.getloadavg()[0]
                results[label] = {
                    name: collections_during(call, RECORDS) for name, call in calls.items()
                }
                loads[label] = (before, os.getloadavg()[0])
            finally:
                decoder.stop.set()
                if busy:
                    decoder.join(10)
                sys.setswitchinterval(original)
        body = {"mode": "increment", "metricValue": 1, "idempotencyKey": uuid.uuid4().hex}
        calibration = {
            "json.dumps(request body)": percentiles(timed(lambda: json.dumps(body), 5000)),
            "uuid.uuid4().hex": percentiles(timed(lambda: uuid.uuid4().hex, 5000)),
        }
        recorded = outbox.pending_count
    finally:
        kraty.close()
        os.close(floor_fd)
        region.close()
        os.close(map_fd)
    size = os.path.getsize(tmp_path / "outbox" / "journal") // recorded
    print(
        "\nmachine speed reference (same run): "
        + ", ".join(f"{name} p50 {p[0]:.1f} us" for name, p in calibration.items())
    )
    rows = (
        ("record", "Outbox.record (repeated call)"),
        ("capture", "capture() around the SDK call"),
        ("write", "bare os.write of the record"),
        ("store", "bare mmap store of the record"),
    )
    for label, figures in results.items():
        load_before, load_after = loads[label]
        print(
            f"\nqueued durable write, main thread ({label}, {RECORDS} calls each, "
            f"~{size} B/record, load average {load_before:.2f} -> {load_after:.2f}):"
        )
        for name, title in rows:
            (p50, p99, p999), gcs = figures[name]
            quiet = name == "record" and label.startswith("no")
            target = "   (target p99 <= 50 us)" if quiet else ""
            print(
                f"  {title:30s} p50 {p50:7.1f} us   p99 {p99:8.1f} us   p99.9 {p999:8.1f} us"
                f"   collections gen0/1/2 {gcs[0]}/{gcs[1]}/{gcs[2]}{target}"
            )
        print(f"  record / store p50: {figures['record'][0][0] / figures['store'][0][0]:.0f}x")


def _drain(
    tmp_path: Path,
    emulator: str,
    name: str,
    record: Callable[[Kraty, int], None],
    setup: Callable[[Kraty], None] = lambda kraty: None,
) -> tuple[float, float, int, int]:
    """Record a backlog while another process holds the sender lock, release it, and
    time the drain: (writes/s first to last answer, seconds release to empty, left,
    failed or unknown)."""
    directory = tmp_path / name / "outbox"
    outbox = Outbox(directory)
    lock_fd = os.open(directory / "sender.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    kraty = Kraty(
        API_KEY,
        base_url=emulator,
        secret_store=FileSecretStore(tmp_path / name / "ids.json"),
        retry=RetryConfig(),
        outbox=outbox,
    )
    done: list[float] = []
    bad: list[OutboxNotice] = []

    def listen(notice: OutboxNotice) -> None:
        if notice.kind == "applied":
            done.append(time.perf_counter())
        elif notice.kind in ("failed", "unknown"):
            bad.append(notice)

    outbox.add_listener(listen)
    try:
        kraty.ensure_identity()
        setup(kraty)
        for i in range(BACKLOG):
            try:
                with outbox.capture():
                    record(kraty, i)
            except Recorded:
                pass
        assert outbox.pending_count == BACKLOG
        released = time.perf_counter()
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
        left = outbox.flush(900)
        emptied = time.perf_counter() - released
    finally:
        kraty.close()
    rate = (len(done) - 1) / (done[-1] - done[0]) if len(done) > 1 else float("nan")
    return rate, emptied, left, len(bad)


def test_a_10000_write_backlog_drains(tmp_path: Path, emulator: str) -> None:
    control = EmulatorControl(emulator)
    control.reset()
    # Baseline, same run: the same writes as plain blocking calls, one after another.
    direct = Kraty(
        API_KEY, base_url=emulator, secret_store=FileSecretStore(tmp_path / "direct.json")
    )
    with direct:
        direct.ensure_identity()
        started = time.perf_counter()
        for i in range(500):
            direct.wallet.progress("xp", amount=1, reason=f"d{i}")
        direct_rate = 500 / (time.perf_counter() - started)

    def wallet_write(kraty: Kraty, i: int) -> None:
        kraty.wallet.progress("xp", amount=1, reason=f"b{i}")

    attempt: list[str] = []

    def start(kraty: Kraty) -> None:
        client = kraty.client
        outbox, client.outbox = client.outbox, None  # started directly, before the backlog
        try:
            attempt.append(kraty.events.start("daily_duel").attempt.id)
        finally:
            client.outbox = outbox

    def increment(kraty: Kraty, i: int) -> None:
        kraty.events.progress("daily_duel", attempt[0], mode="increment", metric_value=1)

    plain = _drain(tmp_path, emulator, "plain", wallet_write)
    ledger = control.state()["ledger"]
    applied = sum(1 for row in ledger if str(row.get("reason", "")).startswith("b"))
    merged = _drain(tmp_path, emulator, "merged", increment, start)
    [row] = [a for a in control.state()["attempts"] if a["id"] == attempt[0]]
    points = row["metrics_raw"]["points"]
    print(
        f"\nbacklog of {BACKLOG} writes, drained by the outbox's sender (target >= 200 writes/s):"
        f"\n  baseline: plain blocking calls one after another   {direct_rate:7.0f} writes/s"
        f"\n  distinct wallet writes (one request each)          {plain[0]:7.0f} writes/s   "
        f"({plain[0] / direct_rate:.2f}x baseline; empty {plain[1]:.1f} s after release; "
        f"left {plain[2]}, failed/unknown {plain[3]}, applied once {applied}/{BACKLOG})"
        f"\n  progress increments (merged, up to 32 a request)    {merged[0]:7.0f} writes/s   "
        f"(empty {merged[1]:.1f} s after release; left {merged[2]}, failed/unknown "
        f"{merged[3]}; the attempt holds {points:g} points)"
    )
    assert plain[2] == 0 and applied == BACKLOG
    assert merged[2] == 0 and points == BACKLOG
