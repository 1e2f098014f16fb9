"""kill -9 chaos: a writer process is killed at random moments, again and again, while its
writes go through a proxy that faults 30 % of the requests. Every write the child logged
after its call returned must be applied exactly once (judged on the emulator's ledger)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from tests.support.fault_model import ALL_FAULTS, FaultKind
from tests.support.fault_proxy import FaultProxy, FaultRates
from tests.support.outbox_support import ledger_reasons

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

KILLS = 22

_WRITER = textwrap.dedent(
    """
    import os, random, sys, time
    from pathlib import Path
    from kraty_pygame.sdk import KratyError
    from tests.support.outbox_support import capture, open_kraty, xp

    base_url, api_key, root, run, log_path = sys.argv[1:6]
    kraty = open_kraty(base_url, api_key, Path(root), timeout=1.0)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    rng = random.Random(int(run))
    print("ready", flush=True)
    n = 0
    while True:
        reason = f"r{run}-{n}"
        n += 1
        if n % 8 == 0:  # now and then a blocking call, logged once it returned
            try:
                kraty.wallet.progress("xp", amount=1, reason=reason)
            except KratyError as exc:
                if not getattr(exc, "queued", False):
                    continue  # refused for good: not promised, not logged
        else:
            capture(kraty, xp(reason))
        os.write(log, (reason + "\\n").encode())
        time.sleep(rng.uniform(0.002, 0.02))
    """
)

_DRAIN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.support.outbox_support import open_kraty

    base_url, api_key, root = sys.argv[1:4]
    kraty = open_kraty(base_url, api_key, Path(root), timeout=1.0)
    left = kraty.outbox.flush(180)
    stats = kraty.outbox.stats()
    kraty.close()
    print(left, stats.unknown, stats.failed, flush=True)
    """
)


def test_writes_logged_after_return_survive_kill_9_exactly_once(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    rng = random.Random(1313)
    log = tmp_path / "written.log"
    rates = FaultRates(
        reset_before=0.05,
        reset_after=0.06,
        stall=0.02,
        status_503=0.07,
        status_429=0.04,
        truncate=0.03,
        corrupt=0.03,
    )
    started = time.monotonic()
    with FaultProxy(kraty_emulator.base_url, rates=rates, seed=7, stall_seconds=2.0) as proxy:
        args = [proxy.url, kraty_emulator.client_api_key, str(tmp_path)]
        for run in range(KILLS):
            child = subprocess.Popen(
                [sys.executable, "-c", _WRITER, *args, str(run), str(log)],
                cwd=Path.cwd(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert child.stdout is not None
            ready = child.stdout.readline()
            assert ready.strip() == b"ready", child.stderr.read() if child.stderr else ""
            time.sleep(rng.uniform(0.3, 1.2))
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=30)
        proxy.set_rates(FaultRates())
        drain = subprocess.run(
            [sys.executable, "-c", _DRAIN, *args],
            cwd=Path.cwd(),
            capture_output=True,
            text=True,
            timeout=240,
            check=True,
        )
        faults = proxy.counts
    left, unknown, failed = (int(x) for x in drain.stdout.split())
    logged = log.read_text().split()
    counts = ledger_reasons(kraty_emulator)
    ours = Counter({r: n for r, n in counts.items() if r.startswith("r")})
    twice = [r for r, n in ours.items() if n > 1]
    lost = [r for r in logged if ours[r] == 0]
    lines = [
        f"writes issued: {len(logged)}",
        f"kills: {KILLS}",
        *(f"faults {kind.value}: {faults.get(kind, 0)}" for kind in ALL_FAULTS),
        f"applied once: {sum(1 for r in logged if ours[r] == 1)}",
        f"applied twice: {len(twice)}",
        f"lost acknowledged: {len(lost)}",
        f"applied, not logged (killed before the log line): {len(set(ours) - set(logged))}",
        f"left pending: {left}",
        f"ended unknown / failed: {unknown} / {failed}",
        f"duration: {time.monotonic() - started:.1f} s",
    ]
    print("\n".join(lines))
    assert len(logged) >= 200
    assert sum(faults.get(k, 0) for k in ALL_FAULTS if k is not FaultKind.NONE) > 0
    assert twice == [], twice[:10]
    assert lost == [], lost[:10]
    assert left == 0
