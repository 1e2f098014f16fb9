"""No stream leaves its socket to the garbage collector (real sockets, real emulator).

An unclosed socket found by the collector raises ``ResourceWarning`` (an error here,
``filterwarnings = error``) in whichever test is running at that moment: a flaky
failure far from its cause. Each test records the stream responses its client opens
and requires them closed as soon as the stream is cancelled (or the client closed);
then it drops the client, collects, and requires that no socket was found unclosed.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
import requests

from kraty_pygame.sdk import InMemorySecretStore, Kraty
from tests.support.clients import ZERO_BACKOFF
from tests.support.emu_http import PLAYER_42, PLAYER_42_SECRET

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


@contextmanager
def no_unclosed_sockets() -> Iterator[None]:
    """Fail if the garbage collector finds an unclosed socket made inside the block."""
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        gc.collect()  # earlier garbage is not this test's to judge
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    unclosed = [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and "socket" in str(w.message)
    ]
    assert unclosed == []


class Recording:
    """A player_42 client whose stream responses are kept, to check they get closed."""

    def __init__(self, emulator: EmbeddedEmulator) -> None:
        self.kraty = Kraty(
            emulator.client_api_key,
            base_url=emulator.base_url,
            active_external_player_id=PLAYER_42,
            player_secret=PLAYER_42_SECRET,
            secret_store=InMemorySecretStore(),
            retry=ZERO_BACKOFF,
        )
        self.responses: list[requests.Response] = []
        open_stream = self.kraty.client.open_stream

        def recording(*args: Any, **kwargs: Any) -> requests.Response:
            response = open_stream(*args, **kwargs)
            self.responses.append(response)
            return response

        self.kraty.client.open_stream = recording  # type: ignore[method-assign]

    def all_closed(self) -> bool:
        return bool(self.responses) and all(r.raw.closed for r in self.responses)


def test_inventory_stream_left_after_its_first_event_then_cancelled(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    with no_unclosed_sockets():
        rec = Recording(kraty_emulator)
        stream = rec.kraty.inventory.live()
        for event in stream:
            assert event.kind == "ready"
            break
        stream.cancel()
        assert rec.all_closed()  # at cancel(), not when the client closes
        rec.kraty.close()
        del rec, stream, event


def test_board_stream_cancelled_without_iterating(kraty_emulator: EmbeddedEmulator) -> None:
    with no_unclosed_sockets():
        rec = Recording(kraty_emulator)
        board_id = rec.kraty.events.start("tap_frenzy").leaderboard_id
        stream = rec.kraty.event_leaderboards.live(board_id)
        stream.cancel()
        assert rec.all_closed()
        rec.kraty.close()
        del rec, stream


def test_board_stream_left_after_ready_then_cancelled(kraty_emulator: EmbeddedEmulator) -> None:
    with no_unclosed_sockets():
        rec = Recording(kraty_emulator)
        board_id = rec.kraty.events.start("tap_frenzy").leaderboard_id
        with rec.kraty.event_leaderboards.live(board_id) as stream:
            assert next(stream).kind == "ready"
        assert rec.all_closed()
        rec.kraty.close()
        del rec, stream


def test_client_closed_with_streams_still_open(kraty_emulator: EmbeddedEmulator) -> None:
    with no_unclosed_sockets():
        rec = Recording(kraty_emulator)
        board_id = rec.kraty.events.start("tap_frenzy").leaderboard_id
        inventory = rec.kraty.inventory.live()
        board = rec.kraty.event_leaderboards.live(board_id)
        assert next(inventory).kind == "ready"
        rec.kraty.close()  # the game quits without cancelling its streams
        assert len(rec.responses) == 2 and rec.all_closed()
        del rec, inventory, board
