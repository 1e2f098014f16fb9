"""kraty-doctor against a real emulator: the server answers or not, the clock offset,
whether the saved player is still known (the fresh-database 401), and the command's
exit status and output (no secret in it)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kraty_pygame.doctor import ServerConfig, check_identity, check_server
from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import FileSecretStore, Kraty

pytestmark = pytest.mark.emulator


def _config(emulator: EmbeddedEmulator) -> ServerConfig:
    return ServerConfig(emulator.base_url, emulator.client_api_key, "--base-url")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _register(emulator: EmbeddedEmulator, store: Path) -> tuple[str, str]:
    """A player registered through the SDK into a real file store; returns (id, secret)."""
    with Kraty(
        emulator.client_api_key, base_url=emulator.base_url, secret_store=FileSecretStore(store)
    ) as kraty:
        identity = kraty.ensure_identity()
    data = json.loads(store.read_text())
    return identity.external_player_id, data[f"kraty.playerSecret.{identity.external_player_id}"]


def _doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kraty_pygame.doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_server_that_answers_and_a_clock_in_step(kraty_emulator: EmbeddedEmulator) -> None:
    kraty_emulator.set_clock(datetime.now(UTC))
    server, clock = check_server(_config(kraty_emulator))
    assert server.status == "ok", server
    assert "answers" in server.summary and kraty_emulator.base_url in server.summary
    assert clock.status == "ok", clock


def test_a_clock_minutes_away_is_a_problem_with_its_direction(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    kraty_emulator.set_clock(datetime.now(UTC) + timedelta(minutes=5))
    _, clock = check_server(_config(kraty_emulator))
    assert clock.status == "problem"
    assert "ahead of this machine's" in clock.summary
    seconds = float(clock.summary.split(" s ")[0].rsplit(" ", 1)[1])
    assert 295 <= seconds <= 305


def test_a_server_that_does_not_answer() -> None:
    config = ServerConfig(
        f"http://127.0.0.1:{_closed_port()}", "kr_test.client-demo", "default emulator"
    )
    server, clock = check_server(config, timeout=2.0)
    assert server.status == "problem" and "does not answer" in server.summary
    assert "kraty-emulator" in " ".join(server.details)
    assert clock.status == "note"


def test_a_refused_api_key_is_explained(kraty_emulator: EmbeddedEmulator) -> None:
    secret_part = "doesnotexist0123456789"
    config = ServerConfig(kraty_emulator.base_url, f"kr_test.{secret_part}", "--base-url")
    server, _ = check_server(config)
    assert server.status == "problem"
    assert "refuses this API key" in " ".join(server.details)
    assert secret_part not in repr(server)


def test_a_known_player_then_the_fresh_database_401(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    store = tmp_path / "ids" / "store.json"
    player, secret = _register(kraty_emulator, store)
    known = check_identity(_config(kraty_emulator), store)
    assert known.status == "ok", known
    assert known.summary == f"active player {player} is known to the server"

    kraty_emulator.reset()  # what a dev emulator restarted on a fresh database looks like
    before = store.read_bytes()
    forgotten = check_identity(_config(kraty_emulator), store)
    assert forgotten.status == "problem"
    assert forgotten.summary == (
        f"the server has no player named {player}: every call of this player fails with "
        "401 player_secret_invalid"
    )
    advice = " ".join(forgotten.details)
    assert "logout()" in advice and "fresh database" in advice
    assert secret not in repr(forgotten)
    assert store.read_bytes() == before  # the doctor never rewrites the store


def test_a_saved_secret_the_server_refuses(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    store = tmp_path / "ids" / "store.json"
    player, secret = _register(kraty_emulator, store)
    data = json.loads(store.read_text())
    data[f"kraty.playerSecret.{player}"] = "kps_" + "0" * 40  # a secret of someone else
    store.write_text(json.dumps(data))
    finding = check_identity(_config(kraty_emulator), store)
    assert finding.status == "problem"
    assert f"refuses the saved secret of {player}" in finding.summary
    assert "0" * 40 not in repr(finding) and secret not in repr(finding)


@pytest.mark.slow
def test_the_command_exits_0_when_all_is_well_and_never_prints_a_secret(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    store = tmp_path / "ids" / "store.json"
    _, secret = _register(kraty_emulator, store)
    kraty_emulator.set_clock(datetime.now(UTC))
    out = _doctor("--base-url", kraty_emulator.base_url, "--secret-store", str(store))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.rstrip().endswith("all is well")
    for check in ("pygame", "dependencies", "server", "clock", "identity", "outbox", "drivers"):
        assert f"] {check}: " in out.stdout
    assert secret not in out.stdout + out.stderr

    kraty_emulator.reset()
    out = _doctor("--base-url", kraty_emulator.base_url, "--secret-store", str(store), "--json")
    assert out.returncode == 1
    findings = {f["check"]: f for f in json.loads(out.stdout)}
    assert findings["identity"]["status"] == "problem"
    assert secret not in out.stdout + out.stderr


@pytest.mark.slow
def test_the_console_script_reads_the_environment_and_hides_the_key(tmp_path: Path) -> None:
    script = shutil.which("kraty-doctor", path=str(Path(sys.executable).parent))
    assert script is not None, "kraty-doctor is not installed next to this Python"
    key_secret = "zz9plural0123456789"
    env = {
        **os.environ,
        "KRATY_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
        "KRATY_API_KEY": f"kr_test.{key_secret}",
    }
    out = subprocess.run(
        [script, "--no-drivers", "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 1
    assert "from KRATY_BASE_URL" in out.stdout and "kr_test.***" in out.stdout
    assert key_secret not in out.stdout + out.stderr
