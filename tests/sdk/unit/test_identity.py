"""Identity resolver logic with a recording adapter (no sockets)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from kraty_pygame.sdk import (
    Identity,
    InMemorySecretStore,
    Kraty,
    KratyConfigError,
    KratyProtocolError,
    RetryConfig,
    SecretStoreError,
)
from kraty_pygame.sdk.identity import generate_external_player_id
from tests.support.recording import RecordingAdapter, Scripted, ok, recording_session


class ExplodingStore:
    """A store that fails the test on any use."""

    def _fail(self, *_args: object) -> Any:
        raise AssertionError("the store must not be touched")

    read = write = remove = read_active_external_player_id = _fail
    write_active_external_player_id = clear_active_external_player_id = _fail


class FailingWriteStore(InMemorySecretStore):
    def write(self, external_player_id: str, secret: str) -> None:
        raise SecretStoreError("disk full")


def registration(player: str = "kp_x", secret: str = "kps_new") -> Scripted:
    return ok({"playerId": "p", "externalPlayerId": player, "secret": secret}, status=201)


@contextlib.contextmanager
def kraty_with(script: list[Scripted], **kwargs: Any) -> Iterator[tuple[Kraty, RecordingAdapter]]:
    session, adapter = recording_session(script)
    kwargs.setdefault("secret_store", InMemorySecretStore())
    kraty = Kraty(
        "kr_test.client-demo",
        base_url="https://api.test",
        session=session,
        retry=RetryConfig(initial_delay=0, max_delay=0),
        **kwargs,
    )
    try:
        yield kraty, adapter
    finally:
        kraty.close()
        session.close()


def test_generated_ids_are_kp_32_hex() -> None:
    ids = {generate_external_player_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"kp_[0-9a-f]{32}", i) for i in ids)


def test_identity_repr_masks_the_secret() -> None:
    identity = Identity("kp_1", "kps_canary_value")
    assert "kps_canary_value" not in repr(identity)
    assert "kps_canary_value" not in str(identity)
    assert identity.secret == "kps_canary_value"


def test_player_secret_without_id_is_rejected() -> None:
    with pytest.raises(KratyConfigError) as info:
        Kraty(
            "kr_test.a",
            base_url="https://api.test",
            player_secret="kps_x",
            secret_store=InMemorySecretStore(),
        )
    assert "active_external_player_id" in str(info.value)
    assert "kps_x" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"active_external_player_id": ""},
        {"active_external_player_id": "p", "player_secret": ""},
        {"active_external_player_id": "p", "player_secret": "has space"},
        {"secret_store": object()},
        {"allow_insecure_http": "yes"},
        {"auto_recover_identity": 1},
    ],
)
def test_invalid_identity_options(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("secret_store", InMemorySecretStore())
    with pytest.raises(KratyConfigError):
        Kraty("kr_test.a", base_url="https://api.test", **kwargs)


def test_constructor_id_and_secret_do_no_io() -> None:
    with kraty_with(
        [], secret_store=ExplodingStore(), active_external_player_id="p1", player_secret="kps_p1"
    ) as (kraty, adapter):
        assert kraty.active_external_player_id == "p1"
        assert kraty.ensure_identity() == Identity("p1", "kps_p1")
        assert adapter.calls == []


def test_constructor_id_resumes_its_stored_secret() -> None:
    store = InMemorySecretStore()
    store.write("p1", "kps_stored")
    store.write("other", "kps_other")
    store.write_active_external_player_id("other")  # the constructor id wins
    with kraty_with([], secret_store=store, active_external_player_id="p1") as (kraty, adapter):
        assert kraty.ensure_identity() == Identity("p1", "kps_stored")
        assert store.read_active_external_player_id() == "p1"
        assert adapter.calls == []


def test_persisted_active_id_resumes() -> None:
    store = InMemorySecretStore()
    store.write("kp_old", "kps_old")
    store.write_active_external_player_id("kp_old")
    with kraty_with([], secret_store=store) as (kraty, adapter):
        assert kraty.active_external_player_id is None  # until the first resolve
        assert kraty.ensure_identity().external_player_id == "kp_old"
        assert adapter.calls == []


def test_active_id_without_secret_registers_a_fresh_player() -> None:
    store = InMemorySecretStore()
    store.write_active_external_player_id("kp_lost")
    with kraty_with([registration()], secret_store=store) as (kraty, adapter):
        identity = kraty.ensure_identity()
        assert identity.external_player_id != "kp_lost"
        assert adapter.calls[0].path.endswith(f"/players/{identity.external_player_id}/register")
        assert store.read(identity.external_player_id) == "kps_new"
        assert store.read_active_external_player_id() == identity.external_player_id


def test_register_without_secret_is_a_protocol_error() -> None:
    with kraty_with([ok({"playerId": "p"}, status=201)]) as (kraty, _):
        with pytest.raises(KratyProtocolError) as info:
            kraty.ensure_identity()
        assert info.value.field == "data.secret"
        assert kraty.active_external_player_id is None


def test_persist_failure_after_register_is_raised_but_identity_usable() -> None:
    with kraty_with([registration()], secret_store=FailingWriteStore()) as (kraty, adapter):
        with pytest.raises(SecretStoreError):
            kraty.ensure_identity()
        assert kraty.ensure_identity().secret == "kps_new"  # no second register
        assert len(adapter.calls) == 1


def test_listeners_see_identity_changes() -> None:
    seen: list[tuple[str | None, str]] = []
    with kraty_with([registration()]) as (kraty, _):
        remove = kraty.identity.add_listener(lambda pid, why: seen.append((pid, why)))

        def broken(_pid: str | None, _why: str) -> None:
            raise ZeroDivisionError

        kraty.identity.add_listener(broken)  # a broken listener changes nothing
        player = kraty.ensure_identity().external_player_id
        kraty.logout()
        kraty.sign_in(external_player_id="p9", secret="kps_9")
        remove()
        kraty.logout()
    assert seen == [(player, "registered"), (player, "logged_out"), ("p9", "signed_in")]


def test_sign_in_validates_and_never_echoes_secret() -> None:
    with kraty_with([]) as (kraty, _):
        with pytest.raises(KratyConfigError) as info:
            kraty.sign_in(external_player_id="p", secret="bad secret")
        assert "bad secret" not in str(info.value)
        with pytest.raises(KratyConfigError):
            kraty.sign_in(external_player_id="", secret="kps_ok")


def test_logout_swallows_remove_errors() -> None:
    class BrokenRemove(InMemorySecretStore):
        def remove(self, external_player_id: str) -> None:
            raise SecretStoreError("nope")

    store = BrokenRemove()
    with kraty_with([], secret_store=store) as (kraty, _):
        kraty.sign_in(external_player_id="p", secret="kps_p")
        kraty.logout()
        assert store.read_active_external_player_id() is None
        assert kraty.active_external_player_id is None


def test_kraty_repr_masks_key_and_secret() -> None:
    with kraty_with([], active_external_player_id="p1", player_secret="kps_canary") as (kraty, _):
        text = repr(kraty) + repr(kraty.identity) + repr(kraty.client) + repr(kraty.players)
        assert "kps_canary" not in text
        assert "client-demo" not in text
        assert "kr_test" in text
