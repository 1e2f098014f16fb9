"""The demo's link relay: the game's traffic passes, is cut at once, and passes again."""

from __future__ import annotations

import time

import pytest
import requests

from demo_game.relay import LinkRelay
from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


def _time(url: str, key: str) -> int:
    with requests.Session() as session:
        reply = session.get(f"{url}/sdk/v1/time", headers=_auth(key), timeout=5)
    return reply.status_code


def _auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_relay_passes_traffic_cuts_it_fast_and_restores_it(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    key = kraty_emulator.client_api_key
    with LinkRelay(kraty_emulator.base_url) as relay:
        assert relay.url.startswith("http://127.0.0.1:")
        assert _time(relay.url, key) == 200
        # a kept-alive connection is reset by the cut, not left hanging
        session = requests.Session()
        first = session.get(f"{relay.url}/sdk/v1/time", headers=_auth(key), timeout=5)
        assert first.status_code == 200
        relay.cut()
        assert relay.is_cut
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{relay.url}/sdk/v1/time", headers=_auth(key), timeout=5)
        with pytest.raises(requests.ConnectionError):
            _time(relay.url, key)
        assert time.monotonic() - started < 1.0
        # the emulator itself (its control plane) stays reachable
        assert _time(kraty_emulator.base_url, key) == 200
        relay.restore()
        assert _time(relay.url, key) == 200
        session.close()
    assert relay.cuts == 1
