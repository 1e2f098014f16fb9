"""The outbox as a game sees it, in child processes against the embedded emulator.

* a game that ends with ``pygame.quit(); sys.exit(0)`` right after its last write
  loses nothing: the next start of the same profile sends it all, each write once;
* a game SIGKILLed at random moments (≥ 20 times) through the fault proxy: no write
  applied twice, no write that a call had returned for left unapplied;
* an offline run: started and played with the link cut, synced when it comes back;
* ``close()`` with the link cut keeps the writes for the next start.

The children run ``tests/support/outbox_game.py``; the judge is the emulator's
ledger (``/_emulator/state``), read directly, never through the proxy.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from demo_game.relay import LinkRelay
from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import FileSecretStore, InMemorySecretStore, Kraty
from tests.support.chaos import TAP_EVENT, print_lines
from tests.support.chaos import chaos_rates as spread_rates
from tests.support.chaos_server import ServerApi
from tests.support.fault_model import ALL_FAULTS
from tests.support.fault_proxy import FaultProxy
from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

ROOT = REPO_ROOT
REWARD = {"type": "currency", "currencyKey": "gold", "amount": 1}


@dataclass
class Profile:
    """A player profile (secret store file) with what its writes need on the server."""

    emulator: EmbeddedEmulator
    server: ServerApi
    store: Path
    player: str
    secret: str
    tmp: Path

    def config(self, base_url: str, **fields: Any) -> Path:
        path = self.tmp / f"config-{time.monotonic_ns()}.json"
        body = {
            "base_url": base_url,
            "api_key": self.emulator.client_api_key,
            "store": str(self.store),
            **fields,
        }
        path.write_text(json.dumps(body))
        return path

    def clean(self) -> Kraty:
        return Kraty(
            self.emulator.client_api_key,
            base_url=self.emulator.base_url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=self.player,
            player_secret=self.secret,
        )

    def plan(self, *, debits: int, consumes: int, claims: int, taps: int) -> list[dict[str, Any]]:
        """Mixed writes in a shuffled order; each judged by a tag, a grant or the taps."""
        self.server.credit(self.player, "gold", 1_000_000)
        self.server.grant_item(self.player, "health_potion", 100_000)
        plan: list[dict[str, Any]] = [
            {"op": "debit", "tag": f"d{i}-{time.monotonic_ns()}"} for i in range(debits)
        ]
        plan += [{"op": "consume", "tag": f"c{i}-{time.monotonic_ns()}"} for i in range(consumes)]
        plan += [
            {"op": "claim", "target": self.server.create_grant(self.player, "reward", REWARD)}
            for _ in range(claims)
        ]
        if taps:
            with self.clean() as kraty:
                attempt = kraty.events.start(TAP_EVENT).attempt.id
            plan += [{"op": "progress", "target": attempt} for _ in range(taps)]
        random.Random(len(plan)).shuffle(plan)
        return plan

    def applied(self, plan: list[dict[str, Any]]) -> list[int]:
        """How many times each write of ``plan`` was applied (progress: per attempt,
        spread over its writes as 1 each while the taps last)."""
        state = self.emulator.state()
        by_reason: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        for row in state["ledger"]:
            if row.get("reason"):
                by_reason[str(row["reason"])] += 1
            if row.get("sourceRefId"):
                by_source[str(row["sourceRefId"])] += 1
        taps = {
            str(a["id"]): int((a.get("metrics_raw") or {}).get("taps", 0))
            for a in state["attempts"]
        }
        counts: list[int] = []
        progress_seen: Counter[str] = Counter()
        progress_total = Counter(w["target"] for w in plan if w["op"] == "progress")
        for w in plan:
            if w["op"] in ("debit", "consume"):
                counts.append(by_reason[w["tag"]])
            elif w["op"] == "claim":
                counts.append(by_source[w["target"]])
            else:
                target = w["target"]
                progress_seen[target] += 1
                have = taps.get(target, 0)
                # taps beyond the number of writes mean some write was applied twice
                extra = max(0, have - progress_total[target])
                counts.append(
                    (1 if progress_seen[target] <= have else 0)
                    + (extra if progress_seen[target] == 1 else 0)
                )
        return counts


@pytest.fixture
def profile(kraty_emulator: EmbeddedEmulator, tmp_path: Path) -> Iterator[Profile]:
    store = tmp_path / "profile" / "secrets.json"
    store.parent.mkdir()
    with Kraty(
        kraty_emulator.client_api_key,
        base_url=kraty_emulator.base_url,
        secret_store=FileSecretStore(store),
    ) as kraty:
        identity = kraty.ensure_identity()
    server = ServerApi(kraty_emulator)
    try:
        yield Profile(
            kraty_emulator, server, store, identity.external_player_id, identity.secret, tmp_path
        )
    finally:
        server.close()


def _spawn(mode: str, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.outbox_game", mode, "--config", str(config)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _run(mode: str, config: Path, timeout: float = 120.0) -> tuple[int, str, str]:
    child = _spawn(mode, config)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        raise AssertionError(f"{mode} child did not end in {timeout} s: {err[-2000:]}") from None
    return child.returncode, out, err


def _line(stream: IO[str], timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else ""


def _json_tail(out: str) -> dict[str, Any]:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise AssertionError(f"no JSON summary in the child's output: {out[-2000:]}")


# --------------------------------------------------------------------------- quit


def test_quit_without_close_loses_no_write(profile: Profile) -> None:
    plan = profile.plan(debits=90, consumes=60, claims=40, taps=20)
    assert len(plan) >= 200
    base = profile.emulator.base_url
    code, out, err = _run("quit", profile.config(base, plan=plan))
    assert code == 0, err[-2000:]
    assert f"WROTE {len(plan)}" in out
    code, out, err = _run("drain", profile.config(base, seconds=60, until_synced=True))
    assert code == 0, err[-2000:]
    summary = _json_tail(out)
    assert summary["pending"] == 0, summary
    counts = profile.applied(plan)
    assert Counter(counts) == Counter({1: len(plan)}), Counter(counts)


# --------------------------------------------------------------------------- kill -9


def test_kill9_chaos_applies_every_logged_write_once(
    profile: Profile, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    plan = profile.plan(debits=150, consumes=100, claims=50, taps=0)
    rng = random.Random(13)
    log = profile.tmp / "written.log"
    kills = 0
    with FaultProxy(
        profile.emulator.base_url,
        rates=spread_rates(0.30),
        seed=13,
        stall_seconds=2.0,
        drip_seconds=0.1,
    ) as proxy:
        config = profile.config(proxy.url, plan=plan, log=str(log), timeout=1.5)
        finished = False
        while kills < 20 or not finished:
            assert time.monotonic() - started < 600, "the chaos run took too long"
            child = _spawn("chaos", config)
            try:
                assert _line(child.stdout, 60).strip() == "READY", child.stderr  # type: ignore[arg-type]
                if kills < 20:
                    time.sleep(rng.uniform(0.05, 1.2))
                else:
                    finished = _line(child.stdout, 120).strip() == "ALL WRITTEN"  # type: ignore[arg-type]
                    time.sleep(rng.uniform(0.0, 0.5))
            finally:
                child.send_signal(signal.SIGKILL)
                child.communicate(timeout=30)
            kills += 1
        counts_faults = proxy.counts
        # The next start (through the same faulty link) sends what is left.
        code, out, err = _run(
            "drain", profile.config(proxy.url, seconds=180, until_synced=True, timeout=1.5), 240
        )
        assert code == 0, err[-2000:]
    summary = _json_tail(out)
    logged = {int(x) for x in log.read_text().split()}
    counts = profile.applied(plan)
    twice = [i for i, n in enumerate(counts) if n > 1]
    lost = [i for i in logged if counts[i] == 0]
    lines = [
        f"writes issued: {len(plan)}",
        *(f"faults {kind.value}: {counts_faults.get(kind, 0)}" for kind in ALL_FAULTS),
        f"SIGKILLs: {kills}",
        f"logged after the call returned: {len(logged)}",
        f"applied once: {sum(1 for n in counts if n == 1)}",
        f"applied twice: {len(twice)}",
        f"lost acknowledged (logged, never applied): {len(lost)}",
        f"not logged, not applied (killed before the call returned): "
        f"{sum(1 for i, n in enumerate(counts) if n == 0 and i not in logged)}",
        f"pending after the last start: {summary['pending']}",
        f"duration: {time.monotonic() - started:.1f} s",
    ]
    with capsys.disabled():
        print_lines(["", "chaos (KratyComponent outbox, kill -9):", *lines])
    assert kills >= 20
    assert sum(counts_faults.values()) > 0
    assert twice == []
    assert lost == []
    assert len(logged) == len(plan)
    assert summary["pending"] == 0


# --------------------------------------------------------------------------- offline


def test_offline_run_syncs_when_the_link_returns(profile: Profile) -> None:
    with LinkRelay(profile.emulator.base_url) as relay:
        relay.cut()
        config = profile.config(relay.url, steps=50, step=0.5, sync_timeout=90)
        child = _spawn("offline", config)
        try:
            assert child.stdout is not None and child.stdin is not None
            first = _line(child.stdout, 90)
            assert first.startswith("PENDING "), first
            pending = int(first.split()[1])
            offline = json.loads(_line(child.stdout, 30))
            relay.restore()
            child.stdin.write("go\n")
            child.stdin.flush()
            out, err = child.communicate(timeout=150)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert child.returncode == 0, err[-2000:]
    synced = _json_tail(out)
    assert pending == 52, pending  # start + 50 progress + finish, all on disk
    assert offline["queued"] == 52 and offline["failed_offline"] == 0, offline
    assert "waiting to sync" in offline["badge"], offline
    assert offline["read_error"] is not None and offline["read_seconds"] <= 1.0, offline
    assert synced["all_done"] and synced["succeeded"] == 52, synced
    assert synced["milestones"] == ["taps_5", "taps_15"], synced
    assert synced["pending"] == 0 and synced["online"] is True, synced
    attempts = [
        a
        for a in profile.emulator.state()["attempts"]
        if a["external_id"] == profile.player and a["event_key"] == TAP_EVENT
    ]
    assert len(attempts) == 1, attempts
    assert attempts[0]["id"] == synced["attempt_id"]
    assert (attempts[0].get("metrics_raw") or {}).get("taps") == 25
    assert attempts[0]["status"] != "in_progress"


# --------------------------------------------------------------------------- close()


def test_close_keeps_undelivered_writes_for_the_next_start(profile: Profile) -> None:
    plan = profile.plan(debits=30, consumes=10, claims=0, taps=0)
    with LinkRelay(profile.emulator.base_url) as relay:
        relay.cut()
        code, out, err = _run("close", profile.config(relay.url, plan=plan, close_timeout=0.5))
        assert code == 0, err[-2000:]
        closed = _json_tail(out)
        assert closed["close_pending"] == len(plan), closed
        assert profile.applied(plan) == [0] * len(plan)
        relay.restore()
        code, out, err = _run("drain", profile.config(relay.url, seconds=60, until_synced=True))
    assert code == 0, err[-2000:]
    assert _json_tail(out)["pending"] == 0
    assert profile.applied(plan) == [1] * len(plan)
