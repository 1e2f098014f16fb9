"""The ``kraty-emulator`` CLI: fresh start, clean SIGINT stop, durability after SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kraty_pygame.emulator.__main__ import main
from tests.support.emu_cli import Cli
from tests.support.emu_http import SERVER_KEY, RawClient

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals"),
    pytest.mark.slow,
]


@pytest.fixture
def cli_procs() -> Iterator[list[Cli]]:
    procs: list[Cli] = []
    yield procs
    for cli in procs:
        if cli.proc.poll() is None:
            cli.stop(signal.SIGKILL)


def test_fresh_install_start_register_wallet_and_sigint(
    cli_procs: list[Cli], tmp_path: Path
) -> None:
    del tmp_path
    cli = Cli("--port", "0", script=True)
    cli_procs.append(cli)
    url = cli.url()
    client = RawClient(url)
    try:
        ext, secret = client.register()
        wallet = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret)
        assert wallet.status == 200
        assert wallet.data["wallet"][0]["economyKey"] == "gold"
        assert client.get("/openapi.json", key=None).status == 200
    finally:
        client.close()
    assert cli.stop(signal.SIGINT) == 0
    text = "".join(cli.output)
    assert "kr_test.client-demo" in text and "kr_test.server-demo" in text
    assert "kps_demo_player_42_secret" not in text and secret not in text
    assert "Kraty emulator stopped." in text
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert list(data_home.rglob("emulator.sqlite3")), "default database in the user data dir"


def test_state_survives_a_restart_and_reset_wipes(cli_procs: list[Cli], tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    first = Cli("--port", "0", "--db", str(db))
    cli_procs.append(first)
    client = RawClient(first.url())
    ext, secret = client.register()
    client.close()
    assert first.stop() == 0
    second = Cli("--port", "0", "--db", str(db))
    cli_procs.append(second)
    client = RawClient(second.url())
    assert client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).status == 200
    client.close()
    assert second.stop() == 0
    third = Cli("--port", "0", "--db", str(db), "--reset")
    cli_procs.append(third)
    client = RawClient(third.url())
    assert client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).data == {"wallet": []}
    client.close()
    assert third.stop(signal.SIGTERM) == 0


def test_sigkill_during_writes_loses_no_acknowledged_write(
    cli_procs: list[Cli], tmp_path: Path
) -> None:
    db = tmp_path / "durable.sqlite3"
    cli = Cli("--port", "0", "--db", str(db), "--clock", "real")
    cli_procs.append(cli)
    url = cli.url()
    setup = RawClient(url)
    ext, secret = setup.register()
    setup.close()
    acked: list[str] = []
    enough = threading.Event()

    def writer() -> None:
        client = RawClient(url, api_key=SERVER_KEY, timeout=5)
        try:
            while True:
                key = uuid.uuid4().hex
                reply = client.post(
                    f"/server/v1/players/{ext}/wallet/gems/credit",
                    {"amount": 1, "idempotencyKey": key},
                )
                assert reply.status == 200
                acked.append(key)
                if len(acked) >= 150:
                    enough.set()
        except (OSError, ConnectionError, Exception):  # the server died under us
            enough.set()
        finally:
            client.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert enough.wait(timeout=120)
    cli.proc.send_signal(signal.SIGKILL)
    thread.join(timeout=60)
    assert cli.stop(signal.SIGKILL) == -signal.SIGKILL
    count = len(acked)
    assert count >= 150

    again = Cli("--port", "0", "--db", str(db), "--clock", "real")
    cli_procs.append(again)
    client = RawClient(again.url(), api_key=SERVER_KEY)
    try:
        wallet = client.get(
            f"/sdk/v1/players/{ext}/wallet", key="kr_test.client-demo", secret=secret
        )
        gems = {w["economyKey"]: w["balance"] for w in wallet.data["wallet"]}["gems"]
        assert count <= gems <= count + 1  # at most one write was in flight, unacknowledged
        for key in acked[-20:]:
            replay = client.post(
                f"/server/v1/players/{ext}/wallet/gems/credit", {"amount": 1, "idempotencyKey": key}
            )
            assert replay.data["applied"] is False
    finally:
        client.close()
    assert again.stop() == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_main_rejects_an_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[game]\nid = "g"\ninventory_management = "sometimes"\n', encoding="utf-8")
    assert main(["--config", str(bad), "--db", ":memory:", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "game.inventory_management" in err
    broken = tmp_path / "broken.toml"
    broken.write_text('[game]\nid = "g"\nname = \n', encoding="utf-8")
    assert main(["--config", str(broken), "--db", ":memory:", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:3:" in err and "syntax" in err


def test_main_help_and_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--db", ":memory:"]) == 1
