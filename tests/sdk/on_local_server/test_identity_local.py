"""Player identity against a real local server: lazy registration, shared stores,
sign-in, ``as_``, concurrent first calls, logout and forced registration."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.sdk import (
    FileSecretStore,
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    SecretStoreError,
)
from kraty_pygame.sdk.resources._base import ResourceClient
from tests.support.fake_backend import FakeBackend
from tests.support.http_server import ScriptedServer
from tests.support.paths import REPO_ROOT

KP_ID = re.compile(r"^kp_[0-9a-f]{32}$")
REPO = REPO_ROOT


class Probe(ResourceClient):
    """A minimal player-scoped resource: GET …/events and POST …/wallet/gold/debit."""

    def events(self, *, as_: str | None = None) -> Any:
        return self._client.request_data("GET", self._player_path(as_, "events"))

    def debit(self, *, as_: str | None = None) -> Any:
        return self._client.request_data(
            "POST", self._player_path(as_, "wallet", "gold", "debit"), body={"amount": 1}
        )


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def api(backend: FakeBackend) -> Iterator[ScriptedServer]:
    with ScriptedServer(handler=backend) as srv:
        yield srv


@pytest.fixture
def new_kraty(api: ScriptedServer) -> Iterator[Callable[..., Kraty]]:
    made: list[Kraty] = []

    def make(**kwargs: Any) -> Kraty:
        kwargs.setdefault("secret_store", InMemorySecretStore())
        kraty = Kraty("kr_test.client-demo", base_url=api.base_url, **kwargs)
        made.append(kraty)
        return kraty

    yield make
    for kraty in made:
        kraty.close()


def probe(kraty: Kraty) -> Probe:
    return Probe(kraty.client, kraty.identity)


def test_first_bare_call_registers_kp_id_then_calls(
    api: ScriptedServer, new_kraty: Callable[..., Kraty]
) -> None:
    kraty = new_kraty()
    assert kraty.active_external_player_id is None
    probe(kraty).debit()
    register, debit = api.requests
    assert register.method == "POST"
    assert re.fullmatch(r"/sdk/v1/players/kp_[0-9a-f]{32}/register", register.path)
    assert "x-player-secret" not in register.headers
    assert set(register.json) == {"idempotencyKey"}
    player = register.path.split("/")[4]
    assert debit.path == f"/sdk/v1/players/{player}/wallet/gold/debit"
    assert debit.headers["x-player-secret"].startswith("kps_")
    assert kraty.active_external_player_id == player


def test_second_client_on_same_store_resumes(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    first = new_kraty(secret_store=store)
    player = first.ensure_identity().external_player_id
    second = new_kraty(secret_store=store)
    probe(second).debit()
    assert backend.register_count() == 1
    assert second.active_external_player_id == player


def test_constructor_id_and_secret_skip_registration(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    backend.players["player_42"] = "kps_demo_player_42_secret"
    kraty = new_kraty(
        active_external_player_id="player_42", player_secret="kps_demo_player_42_secret"
    )
    probe(kraty).debit()
    assert backend.register_count() == 0
    assert api.requests[0].headers["x-player-secret"] == "kps_demo_player_42_secret"


def test_constructor_id_without_secret_registers_that_id(
    backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    kraty = new_kraty(active_external_player_id="studio/player 7")
    probe(kraty).debit()
    assert backend.registers == ["studio/player 7"]


def test_constructor_id_already_registered_propagates_409(
    backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    backend.players["player_42"] = "kps_x"
    kraty = new_kraty(active_external_player_id="player_42")
    with pytest.raises(KratyApiError) as info:
        kraty.ensure_identity()
    assert info.value.is_player_already_registered


def test_as_uses_the_given_id_without_registering(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    kraty = new_kraty(secret_store=store)
    assert probe(kraty).events(as_="other player") == [
        {"eventKey": "tap_frenzy", "player": "other player"}
    ]
    assert api.requests[0].path == "/sdk/v1/players/other%20player/events"
    assert backend.register_count() == 0
    assert store.read_active_external_player_id() is None
    assert kraty.active_external_player_id is None


def test_fifty_threads_first_touch_one_register(
    api: ScriptedServer, new_kraty: Callable[..., Kraty]
) -> None:
    backend = FakeBackend(register_delay=0.3)
    api.set_script([], handler=backend)
    kraty = new_kraty()
    resource = probe(kraty)
    start = threading.Barrier(50)
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        start.wait(timeout=10)
        try:
            results.append(resource.events())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(results) == 50
    assert backend.register_count() == 1
    assert len(api.requests) == 51
    assert len({r[0]["player"] for r in results}) == 1


def test_sign_in_then_calls_use_it(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    backend.players["player_99"] = "kps_server_issued"
    store = InMemorySecretStore()
    kraty = new_kraty(secret_store=store)
    kraty.sign_in(external_player_id="player_99", secret="kps_server_issued")
    assert store.read("player_99") == "kps_server_issued"
    assert store.read_active_external_player_id() == "player_99"
    probe(kraty).debit()
    assert api.requests[0].path.startswith("/sdk/v1/players/player_99/")
    assert backend.register_count() == 0


def test_logout_then_new_client_registers_fresh(
    backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    first = new_kraty(secret_store=store)
    old = first.ensure_identity().external_player_id
    first.logout()
    assert first.active_external_player_id is None
    assert store.read(old) is None
    second = new_kraty(secret_store=store)
    new = second.ensure_identity().external_player_id
    assert new != old and KP_ID.match(new)
    assert backend.register_count() == 2


def test_register_force_and_rotate(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    kraty = new_kraty()
    first = kraty.players.register("p1")
    assert api.requests[-1].query == ""
    with pytest.raises(KratyApiError) as info:
        kraty.players.register("p1")
    assert info.value.is_player_already_registered
    rotated = kraty.players.rotate("p1")
    assert api.requests[-1].path.endswith("/players/p1/register")
    assert api.requests[-1].query == "force=true"
    assert rotated.secret != first.secret
    assert rotated.secret not in repr(rotated)


def test_rotating_the_active_player_keeps_it_working(
    backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    kraty = new_kraty(secret_store=store)
    player = kraty.ensure_identity().external_player_id
    rotated = kraty.players.rotate(player)
    assert store.read(player) == rotated.secret
    probe(kraty).debit()  # would be 401 with the old secret


def test_secret_invalid_is_raised_and_identity_kept(
    backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    kraty = new_kraty(secret_store=store)
    player = kraty.ensure_identity().external_player_id
    backend.players[player] = "kps_rotated_elsewhere"
    reasons: list[tuple[str | None, str]] = []
    kraty.identity.add_listener(lambda pid, why: reasons.append((pid, why)))
    with pytest.raises(KratyApiError) as info:
        probe(kraty).debit()
    assert info.value.is_player_secret_invalid
    assert store.read(player) is not None  # never auto-wiped
    assert store.read_active_external_player_id() == player
    assert kraty.active_external_player_id == player
    assert (player, "secret_invalid") in reasons


def test_auto_recover_identity_logs_out_and_retries_once(
    api: ScriptedServer, backend: FakeBackend, new_kraty: Callable[..., Kraty]
) -> None:
    store = InMemorySecretStore()
    kraty = new_kraty(secret_store=store, auto_recover_identity=True)
    old = kraty.ensure_identity().external_player_id
    backend.players[old] = "kps_changed"
    probe(kraty).debit()
    new = kraty.active_external_player_id
    assert new is not None and new != old
    assert api.requests[-1].path == f"/sdk/v1/players/{new}/wallet/gold/debit"
    assert store.read(old) is None
    assert backend.register_count() == 2
    # as_ calls are never recovered
    with pytest.raises(KratyApiError):
        probe(kraty).debit(as_=old)


# --------------------------------------------------------------------------- two processes

_CHILD = """
import sys
from kraty_pygame.sdk import FileSecretStore, Kraty

class Unlocked:
    # the same safe file writes, but no lock held across read-check-register-write
    def __init__(self, path):
        self._inner = FileSecretStore(path)
    def __getattr__(self, name):
        if name == "lock":
            raise AttributeError(name)
        return getattr(self._inner, name)
    def read(self, i): return self._inner.read(i)
    def write(self, i, s): self._inner.write(i, s)
    def remove(self, i): self._inner.remove(i)
    def read_active_external_player_id(self): return self._inner.read_active_external_player_id()
    def write_active_external_player_id(self, i): self._inner.write_active_external_player_id(i)
    def clear_active_external_player_id(self): self._inner.clear_active_external_player_id()

store = Unlocked(sys.argv[2]) if sys.argv[3] == "naive" else FileSecretStore(sys.argv[2])
with Kraty("kr_test.client-demo", base_url=sys.argv[1], secret_store=store) as k:
    print(k.ensure_identity().external_player_id, flush=True)
"""


def _run_two_processes(base_url: str, store: Path, mode: str) -> list[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, base_url, str(store), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return [out.strip() for out, _err in outputs]


@pytest.mark.slow
def test_two_processes_sharing_a_store_register_once(tmp_path: Path) -> None:
    backend = FakeBackend(hold_until_registers=2)  # waits (up to 3 s) for a second register
    with ScriptedServer(handler=backend) as srv:
        ids = _run_two_processes(srv.base_url, tmp_path / "ids.json", "locked")
    assert backend.register_count() == 1
    assert ids[0] == ids[1] and KP_ID.match(ids[0])


@pytest.mark.slow
def test_control_without_the_cross_process_lock_registers_twice(tmp_path: Path) -> None:
    backend = FakeBackend(hold_until_registers=2)
    with ScriptedServer(handler=backend) as srv:
        ids = _run_two_processes(srv.base_url, tmp_path / "ids.json", "naive")
    assert backend.register_count() == 2
    assert ids[0] != ids[1]


def test_corrupt_store_file_is_reported_not_replaced(
    backend: FakeBackend, new_kraty: Callable[..., Kraty], tmp_path: Path
) -> None:
    path = tmp_path / "ids.json"
    path.write_text("{not json")
    kraty = new_kraty(secret_store=FileSecretStore(path))
    with pytest.raises(SecretStoreError) as info:
        probe(kraty).events()
    message = str(info.value)
    assert str(path) in message and ".corrupt-" in message
    with pytest.raises(SecretStoreError):  # still refuses: never silently a fresh player
        probe(kraty).events()
    assert backend.register_count() == 0
    kraty.logout()  # the explicit way out
    probe(kraty).events()
    assert backend.register_count() == 1
