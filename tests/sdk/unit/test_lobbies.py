"""``kraty.lobbies`` over a recording transport: key-only read, encoding, filled_slots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty, KratyApiError, Lobby, RetryConfig
from tests.support.recording import RecordingAdapter, err, ok, recording_session

LOBBY: dict[str, Any] = {
    "id": "lob 7/f",
    "eventId": "ev_1",
    "eventWindowId": "win_1",
    "leaderboardId": None,
    "mode": "lobby_matched",
    "status": "forming",
    "capacity": 4,
    "fillBy": "2026-06-16T09:00:30.000Z",
    "participantCount": 3,
    "botSlots": 5,
    "startedAt": None,
    "endsAt": None,
}


@pytest.fixture
def client() -> Iterator[tuple[Kraty, RecordingAdapter]]:
    session, adapter = recording_session([ok(LOBBY), err(404, "not_found", "no lobby")])
    kraty = Kraty(
        "kr_test.unit",
        base_url="https://api.kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )
    yield kraty, adapter
    kraty.close()


def test_read_is_key_only_and_encodes_the_id(client: tuple[Kraty, RecordingAdapter]) -> None:
    kraty, http = client
    lobby = kraty.lobbies.read("lob 7/f")
    assert lobby.id == "lob 7/f" and lobby.is_forming
    assert [(c.method, c.path) for c in http.calls] == [("GET", "/sdk/v1/lobbies/lob%207%2Ff")]
    assert "x-player-secret" not in http.calls[0].headers
    assert kraty.active_external_player_id is None  # no player was registered


def test_filled_slots_clamps_to_capacity(client: tuple[Kraty, RecordingAdapter]) -> None:
    """3 humans + 5 projected bots in a lobby of 4 fill 4 seats."""
    kraty, _http = client
    assert kraty.lobbies.read("lob 7/f").filled_slots == 4


@pytest.mark.parametrize(
    ("humans", "bots", "capacity", "filled"),
    [(1, 0, 4, 1), (1, 2, 4, 3), (1, 3, 4, 4), (2, 9, 4, 4), (0, 0, 0, 0)],
)
def test_filled_slots_table(humans: int, bots: int, capacity: int, filled: int) -> None:
    lobby = Lobby.from_wire(
        {"participantCount": humans, "botSlots": bots, "capacity": capacity}, "data"
    )
    assert lobby.filled_slots == filled


def test_unknown_lobby(client: tuple[Kraty, RecordingAdapter]) -> None:
    kraty, _http = client
    kraty.lobbies.read("lob 7/f")
    with pytest.raises(KratyApiError) as info:
        kraty.lobbies.read("nope")
    assert info.value.is_not_found
