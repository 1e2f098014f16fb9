"""``kraty.catalog`` over a recording transport."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty, KratyProtocolError, RetryConfig
from tests.support.recording import RecordingAdapter, ok, recording_session

CATALOG = {
    "items": [
        {
            "key": "health_potion",
            "name": {"en": "Health Potion", "pt": "Poção"},
            "itemTypeKey": "consumable",
            "tags": ["potion"],
            "attributes": {"heal": 50},
            "futureField": 1,
        },
    ],
    "currencies": [{"key": "xp", "name": "Experience", "kind": "progression"}],
}


@pytest.fixture
def client() -> Iterator[tuple[Kraty, RecordingAdapter]]:
    session, adapter = recording_session(
        [ok(CATALOG), ok({"items": {"health_potion": {}}, "currencies": []})]
    )
    kraty = Kraty(
        "kr_test.unit",
        base_url="https://api.kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )
    yield kraty, adapter
    kraty.close()


def test_read(client: tuple[Kraty, RecordingAdapter]) -> None:
    kraty, http = client
    catalog = kraty.catalog.read()
    potion = catalog.item("health_potion")
    assert potion is not None
    assert potion.display_name("pt") == "Poção" and potion.display_name() == "Health Potion"
    assert potion.raw["futureField"] == 1
    xp = catalog.currency("xp")
    assert xp is not None and xp.kind == "progression"
    assert [(c.method, c.path) for c in http.calls] == [("GET", "/sdk/v1/catalog")]
    assert kraty.active_external_player_id is None  # key-only: nobody registered


def test_malformed_catalog_names_the_field(client: tuple[Kraty, RecordingAdapter]) -> None:
    kraty, _http = client
    kraty.catalog.read()
    with pytest.raises(KratyProtocolError) as info:
        kraty.catalog.read()
    assert info.value.field == "data.items"
