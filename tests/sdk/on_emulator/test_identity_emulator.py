"""Identity against the real emulator (``kraty_emulator`` fixture from kraty_pygame.testing)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import (
    FileSecretStore,
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    RequestInfo,
    RetryConfig,
)

pytestmark = pytest.mark.emulator

KP_ID = re.compile(r"^kp_[0-9a-f]{32}$")
REGISTER = re.compile(r"^/sdk/v1/players/[^/]+/register$")


@pytest.fixture
def new_kraty(kraty_emulator: EmbeddedEmulator) -> Iterator[Callable[..., Kraty]]:
    made: list[Kraty] = []

    def make(**kwargs: Any) -> Kraty:
        kwargs.setdefault("secret_store", InMemorySecretStore())
        kwargs.setdefault("retry", RetryConfig(initial_delay=0.0, max_delay=0.0))
        kraty = Kraty(kraty_emulator.client_api_key, base_url=kraty_emulator.base_url, **kwargs)
        made.append(kraty)
        return kraty

    yield make
    for kraty in made:
        kraty.close()


def _registers(infos: list[RequestInfo]) -> int:
    return sum(1 for i in infos if i.method == "POST" and REGISTER.match(urlsplit(i.url).path))


def test_first_call_registers_and_relaunch_resumes(
    new_kraty: Callable[..., Kraty], tmp_path: Path
) -> None:
    infos: list[RequestInfo] = []
    store_path = tmp_path / "ids.json"
    first = new_kraty(secret_store=FileSecretStore(store_path), on_request=infos.append)
    listing = first.client.request_data(
        "GET", f"/sdk/v1/players/{first.ensure_identity().external_player_id}/wallet"
    )
    player = first.active_external_player_id
    assert player is not None and KP_ID.match(player)
    assert listing is not None
    assert _registers(infos) == 1
    first.close()
    relaunched = new_kraty(secret_store=FileSecretStore(store_path), on_request=infos.append)
    assert relaunched.ensure_identity().external_player_id == player
    assert _registers(infos) == 1


def test_threads_share_one_registration(new_kraty: Callable[..., Kraty]) -> None:
    infos: list[RequestInfo] = []
    kraty = new_kraty(on_request=infos.append)
    barrier = threading.Barrier(20)
    ids: list[str] = []

    def work() -> None:
        barrier.wait(timeout=10)
        ids.append(kraty.ensure_identity().external_player_id)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 20 and len(set(ids)) == 1
    assert _registers(infos) == 1


def test_seeded_player_sign_in_and_wrong_secret(new_kraty: Callable[..., Kraty]) -> None:
    kraty = new_kraty()
    kraty.sign_in(external_player_id="player_42", secret="kps_demo_player_42_secret")
    wallet = kraty.client.request_data("GET", "/sdk/v1/players/player_42/wallet")
    assert wallet is not None
    wrong = new_kraty(active_external_player_id="player_42", player_secret="kps_wrong_secret")
    with pytest.raises(KratyApiError) as info:
        wrong.client.request_data(
            "POST", "/sdk/v1/players/player_42/wallet/gold/debit", body={"amount": 1}
        )
    assert info.value.status == 401 and info.value.is_player_secret_invalid
    assert wrong.active_external_player_id == "player_42"  # never auto-wiped


@pytest.mark.operation("players.register", "players.rotate")
def test_register_conflict_and_force_rotation(new_kraty: Callable[..., Kraty]) -> None:
    kraty = new_kraty()
    first = kraty.players.register("emu_player_1")
    assert first.external_player_id == "emu_player_1" and first.secret
    with pytest.raises(KratyApiError) as info:
        kraty.players.register("emu_player_1")
    assert info.value.status == 409 and info.value.is_player_already_registered
    rotated = kraty.players.rotate("emu_player_1")
    assert rotated.secret and rotated.secret != first.secret
    assert first.secret not in repr(first) and rotated.secret not in repr(rotated)


def test_live_key_cannot_force(kraty_emulator: EmbeddedEmulator) -> None:
    with Kraty(
        "kr_live.client-demo", base_url=kraty_emulator.base_url, secret_store=InMemorySecretStore()
    ) as live:
        live.players.register("emu_live_1")
        with pytest.raises(KratyApiError) as info:
            live.players.rotate("emu_live_1")
        assert info.value.status == 403 and info.value.is_forbidden
