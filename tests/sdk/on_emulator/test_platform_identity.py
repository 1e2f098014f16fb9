"""Player identity and metadata through the SDK (display name, metadata, the synthetic identity)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import (
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    KratyConfigError,
    PlayerIdentity,
)
from tests.support.clients import ZERO_BACKOFF

pytestmark = pytest.mark.emulator


@pytest.mark.operation("players.get_anonymized_identity")
def test_register_returns_a_synthetic_identity(make_kraty: Callable[..., Kraty]) -> None:
    kraty = make_kraty()
    before = kraty.synthetic_identity
    assert before is None  # nothing registered yet
    kraty.ensure_identity()
    synthetic = kraty.synthetic_identity
    assert synthetic is not None and synthetic.name
    anonymized = kraty.players.get_anonymized_identity()
    assert anonymized is not None and anonymized.name == synthetic.name
    assert kraty.players.get_identity() is None  # no display identity chosen yet

    kraty.logout()
    assert kraty.synthetic_identity is None


@pytest.mark.operation("players.get_identities", "players.get_identity", "players.set_identity")
def test_set_and_get_identity(make_kraty: Callable[..., Kraty], kraty_42: Kraty) -> None:
    kraty = make_kraty()
    shown = kraty.players.set_identity(name="Nova", avatar="avatars/fox.png")
    assert shown == PlayerIdentity(name="Nova", avatar="avatars/fox.png", country=None)
    assert kraty.players.set_identity(name="Nova Prime") == PlayerIdentity(
        name="Nova Prime",
        avatar="avatars/fox.png",  # no avatar given: kept
    )
    cleared = kraty.players.set_identity(name="Nova", avatar=None)
    assert cleared is not None and cleared.avatar is None

    # Any player's public identity is readable (key only) with as_.
    other = kraty_42.players.get_identity(as_=str(kraty.active_external_player_id))
    assert other is not None and other.name == "Nova"
    both = kraty.players.get_identities()
    assert both.display_identity is not None and both.anonymized_identity is not None

    seeded = kraty_42.players.get_identity()
    assert seeded == PlayerIdentity(name="Demo Hero", avatar=None, country="PT")
    for bad in ("", "   ", "x" * 33):
        with pytest.raises(KratyApiError) as refused:
            kraty.players.set_identity(name=bad)
        assert refused.value.is_validation_failed
    with pytest.raises(KratyConfigError):
        kraty.players.set_identity(name=7)  # type: ignore[arg-type]
    with pytest.raises(KratyApiError) as unknown:
        kraty.players.get_identity(as_="never_registered")
    assert unknown.value.is_not_found


@pytest.mark.operation("players.merge_metadata", "players.set_metadata")
def test_metadata_replace_and_merge(kraty_42: Kraty) -> None:
    assert kraty_42.players.merge_metadata({"level": 3, "skin": "red"}) == {
        "vip": True,
        "level": 3,
        "skin": "red",
    }
    assert kraty_42.players.merge_metadata({"skin": {"hat": "blue"}}) == {
        "vip": True,
        "level": 3,
        "skin": {"hat": "blue"},  # shallow: the member is replaced
    }
    assert kraty_42.players.set_metadata({"fresh": 1}) == {"fresh": 1}
    assert kraty_42.players.set_metadata({}) == {}
    with pytest.raises(KratyConfigError):
        kraty_42.players.set_metadata({"idempotencyKey": "mine"})
    with pytest.raises(KratyConfigError):
        kraty_42.players.merge_metadata(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_metadata_write_is_idempotent(kraty_42: Kraty) -> None:
    first = kraty_42.players.merge_metadata({"n": 1}, idempotency_key="meta-1")
    replay = kraty_42.players.merge_metadata({"n": 1}, idempotency_key="meta-1")
    assert first == replay == {"vip": True, "n": 1}
    with pytest.raises(KratyApiError) as conflict:
        kraty_42.players.merge_metadata({"n": 2}, idempotency_key="meta-1")
    assert conflict.value.is_idempotency_conflict


def test_connect_as_player_registers_resumes_and_rotates_on_conflict(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    options: dict[str, Any] = {"base_url": kraty_emulator.base_url, "retry": ZERO_BACKOFF}
    store = InMemorySecretStore()
    with Kraty.connect_as_player(
        kraty_emulator.client_api_key, "studio_user_1", secret_store=store, **options
    ) as first:
        assert first.active_external_player_id == "studio_user_1"
        assert first.wallet.list()  # registered: the new-player wallet
    secret = store.read("studio_user_1")
    with Kraty.connect_as_player(
        kraty_emulator.client_api_key, "studio_user_1", secret_store=store, **options
    ) as resumed:
        assert resumed.ensure_identity().secret == secret  # resumed, no register

    wiped = InMemorySecretStore()  # the app's data was wiped: the id is known, no secret
    with pytest.raises(KratyApiError) as conflict:
        Kraty.connect_as_player(
            kraty_emulator.client_api_key,
            "studio_user_1",
            secret_store=wiped,
            auto_rotate_on_conflict=False,
            **options,
        )
    assert conflict.value.is_player_already_registered
    with Kraty.connect_as_player(
        kraty_emulator.client_api_key, "studio_user_1", secret_store=wiped, **options
    ) as rotated:
        assert rotated.wallet.list()
        assert wiped.read("studio_user_1") not in (None, secret)
    with pytest.raises(KratyApiError) as live:
        Kraty.connect_as_player(
            "kr_live.client-demo", "studio_user_1", secret_store=InMemorySecretStore(), **options
        )
    assert live.value.is_forbidden
