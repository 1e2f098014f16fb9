"""Per-call cost of the SDK transport versus a raw ``requests`` call.

Run on demand: ``.venv/bin/python -m pytest tests/benchmarks/test_bench_transport.py -s``.
One local server runs in a subprocess (``python -m tests.support.http_server``) and both
sides call the same endpoint, in interleaved rounds, in one run:

* raw: ``session.get(url)`` + ``json.loads(response.content)`` on a plain ``requests.Session``;
* SDK: ``KratyClient.request_data("GET", path)`` (headers, deadline watchdog, abortable
  connection, size-capped body read, envelope check, retry loop, telemetry hook).

Prints µs per call (median of rounds) and the ratio SDK/raw; the target is <= 1.15x.
Nothing is asserted about speed.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from kraty_pygame.sdk import RetryConfig
from kraty_pygame.sdk.transport import KratyClient
from tests.support.paths import REPO_ROOT

pytestmark = pytest.mark.benchmark

REPO = REPO_ROOT
TARGET_RATIO = 1.15
ROUNDS = 15
CALLS_PER_ROUND = 150
BODY = {"data": {"items": [{"itemKey": f"item_{i}", "quantity": i} for i in range(20)]}}
PATH = "/sdk/v1/players/kp_0123456789abcdef0123456789abcdef/inventory"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.http_server", "--json", json.dumps(BODY)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def _round(call: Callable[[], object]) -> tuple[float, float]:
    """(wall µs, client-process CPU µs) per call over one round."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(CALLS_PER_ROUND):
        call()
    n = CALLS_PER_ROUND
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def test_sdk_call_vs_raw_requests(server_url: str) -> None:
    raw_session = requests.Session()
    client = KratyClient(
        "kr_test.client-demo", base_url=server_url, retry=RetryConfig(), on_request=None
    )
    client.bind_identity(lambda: "kps_bench_secret")
    url = server_url + PATH
    headers = {
        "authorization": "Bearer kr_test.client-demo",
        "accept": "application/json",
        "x-player-secret": "kps_bench_secret",
    }

    def raw() -> object:
        response = raw_session.get(url, headers=headers, timeout=10)
        return json.loads(response.content)["data"]

    def sdk() -> object:
        return client.request_data("GET", PATH)

    try:
        assert raw() == sdk() == BODY["data"]
        for _ in range(3):  # warm up both connection pools and code paths
            _round(raw)
            _round(sdk)
        raw_rounds: list[tuple[float, float]] = []
        sdk_rounds: list[tuple[float, float]] = []
        for index in range(ROUNDS):  # interleaved, alternating who goes first
            pair = (raw, sdk) if index % 2 == 0 else (sdk, raw)
            for fn in pair:
                (raw_rounds if fn is raw else sdk_rounds).append(_round(fn))
    finally:
        client.close()
        raw_session.close()
    raw_us, raw_cpu = [r[0] for r in raw_rounds], [r[1] for r in raw_rounds]
    sdk_us, sdk_cpu = [r[0] for r in sdk_rounds], [r[1] for r in sdk_rounds]
    raw_median, sdk_median = statistics.median(raw_us), statistics.median(sdk_us)
    ratio = sdk_median / raw_median
    cpu_ratio = statistics.median(sdk_cpu) / statistics.median(raw_cpu)
    print()
    print(f"transport: {ROUNDS} rounds x {CALLS_PER_ROUND} GETs against a local server process")
    print(
        f"  raw requests + json.loads : {raw_median:8.1f} µs/call wall (min {min(raw_us):.1f}),"
        f" {statistics.median(raw_cpu):7.1f} µs client CPU"
    )
    print(
        f"  SDK request_data          : {sdk_median:8.1f} µs/call wall (min {min(sdk_us):.1f}),"
        f" {statistics.median(sdk_cpu):7.1f} µs client CPU"
    )
    print(
        f"  ratio SDK / raw           : {ratio:8.3f}x wall, {cpu_ratio:.3f}x client CPU"
        f"   (target <= {TARGET_RATIO}x)"
    )
