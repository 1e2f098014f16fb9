"""Player identity and metadata through the SDK (issue 10, E23, E24, synthetic identity)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError, KratyConfigError, PlayerIdentity

pytestmark = pytest.mark.emulator


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
