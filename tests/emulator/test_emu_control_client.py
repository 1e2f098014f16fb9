"""``EmulatorControl`` drives an emulator running in another process (``kraty-emulator``).

One ``kraty-emulator --port 0 --db :memory: --clock manual`` subprocess serves the
module; each test resets it first through the client under test. Player traffic goes
over a raw HTTP connection, so only the control plane is exercised through
``EmulatorControl``.
"""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kraty_pygame.emulator import EmbeddedEmulator, EmulatorControl, EmulatorControlError
from tests.support.emu_cli import Cli
from tests.support.emu_http import PLAYER_42, PLAYER_42_SECRET, RawClient

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


@pytest.fixture(scope="module")
def other_process() -> Iterator[str]:
    """The base URL of a ``kraty-emulator`` child process (stopped after the module)."""
    cli = Cli("--port", "0", "--db", ":memory:", "--clock", "manual", "--seed", "7")
    try:
        yield cli.url()
    finally:
        assert cli.stop(signal.SIGTERM) == 0


@pytest.fixture
def control(other_process: str) -> EmulatorControl:
    control = EmulatorControl(other_process + "/")  # a trailing slash is accepted
    control.reset()
    return control


@pytest.fixture
def client(other_process: str) -> Iterator[RawClient]:
    raw = RawClient(other_process)
    yield raw
    raw.close()


def test_health_and_the_manual_clock(control: EmulatorControl) -> None:
    assert control.health()["ok"] is True
    clock = control.clock()
    assert clock["mode"] == "manual"
    start = control.now()
    assert start.tzinfo is not None and control.now() == start  # frozen between moves
    assert (control.advance_clock(90) - start).total_seconds() == 90
    moved = control.set_clock("2030-01-02T03:04:05.678Z")
    assert moved == datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert control.set_clock(datetime(2031, 5, 6, tzinfo=UTC)).year == 2031
    assert control.now().year == 2031
    control.reset()
    assert control.now() == start


def test_state_recent_requests_and_reset(control: EmulatorControl, client: RawClient) -> None:
    ext, secret = client.register()
    debit = {"amount": 3, "reason": "control-client", "idempotencyKey": "cc-1"}
    assert client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", debit, secret=secret).status
    state = control.state()
    assert any(p["external_id"] == ext for p in state["players"])
    assert secret not in json.dumps(state)
    recent = control.recent_requests(limit=5)
    assert len(recent) <= 5
    sent = next(r for r in recent if r["path"].endswith("/debit"))
    assert sent["idempotencyKey"] == "cc-1" and secret not in json.dumps(recent)
    control.reset()
    assert not any(p["external_id"] == ext for p in control.state()["players"])


def test_faults_are_set_read_and_cleared(control: EmulatorControl, client: RawClient) -> None:
    settings = control.set_faults(fail_rate=1.0, routes=["/sdk/v1/catalog"], seed=3)
    assert control.faults() == settings
    assert settings["fail_rate"] == 1.0 and settings["routes"] == ["/sdk/v1/catalog"]
    failed = client.get("/sdk/v1/catalog")
    assert (failed.status, failed.code) == (503, "service_unavailable")
    wallet = client.get(f"/sdk/v1/players/{PLAYER_42}/wallet", secret=PLAYER_42_SECRET)
    assert wallet.status == 200  # other routes unaffected
    control.set_faults()
    assert control.faults()["fail_rate"] == 0.0
    assert client.get("/sdk/v1/catalog").status == 200


def test_promote_a_lobby_and_finalize_an_event(control: EmulatorControl, client: RawClient) -> None:
    ext, secret = client.register()
    forming = client.post(f"/sdk/v1/players/{ext}/events/quick_brawl/start", secret=secret)
    lobby = control.promote_lobby(forming.body["error"]["details"]["lobbyId"])
    assert lobby["status"] == "active"
    started = client.post(f"/sdk/v1/players/{ext}/events/tap_frenzy/start", secret=secret)
    board_id = started.data["attempt"]["leaderboardId"]
    result = control.finalize_event("tap_frenzy")
    assert result["finalized"] is True and result["leaderboardId"] == board_id


def test_error_answers_raise_with_status_and_code(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as missing:
        control.promote_lobby("lobby_does_not_exist")
    assert missing.value.status == 404 and missing.value.code == "not_found"
    with pytest.raises(EmulatorControlError) as invalid:
        control.set_clock("not a time")
    assert invalid.value.status == 400 and invalid.value.code == "validation_failed"
    assert isinstance(invalid.value, RuntimeError)  # what EmbeddedEmulator raised before
    assert "/_emulator/clock" in str(invalid.value)


def test_an_unreachable_emulator_raises_with_status_0() -> None:
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    control = EmulatorControl(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(EmulatorControlError) as info:
        control.health()
    assert info.value.status == 0 and info.value.code == ""


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="http"):
        EmulatorControl("127.0.0.1:8787")
    with pytest.raises(ValueError, match="timeout"):
        EmulatorControl("http://127.0.0.1:8787", timeout=0)


def test_embedded_emulator_delegates_to_one_control_client() -> None:
    emulator = EmbeddedEmulator(clock="manual")
    with pytest.raises(RuntimeError, match="not started"):
        emulator.now()
    with emulator:
        assert isinstance(emulator.control, EmulatorControl)
        assert emulator.control.base_url == emulator.base_url
        before = emulator.now()
        assert (emulator.advance_clock(60) - before).total_seconds() == 60
        assert emulator.control.now() == emulator.now()
        with pytest.raises(EmulatorControlError):
            emulator.finalize_event("no_such_event")
