"""SDK-against-emulator fixtures: ``make_kraty`` builds clients wired to the per-test emulator.

The emulator itself comes from the ``kraty_emulator`` fixture of ``kraty_pygame.testing``
(state reset before each test, manual clock). Clients use a zero-backoff retry policy and an
in-memory secret store, and are closed after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

ZERO_BACKOFF = RetryConfig(initial_delay=0.0, max_delay=0.0)

PLAYER_42 = "player_42"
PLAYER_42_SECRET = "kps_demo_player_42_secret"


@pytest.fixture
def make_kraty(kraty_emulator: EmbeddedEmulator) -> Iterator[Callable[..., Kraty]]:
    """Factory of ``Kraty`` clients for the test's emulator; keyword options override defaults."""
    clients: list[Kraty] = []

    def make(**options: Any) -> Kraty:
        settings: dict[str, Any] = {
            "base_url": kraty_emulator.base_url,
            "secret_store": InMemorySecretStore(),
            "retry": ZERO_BACKOFF,
        }
        settings.update(options)
        client = Kraty(kraty_emulator.client_api_key, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def kraty(make_kraty: Callable[..., Kraty]) -> Kraty:
    """A client whose first player-scoped call registers a fresh ``kp_`` player."""
    return make_kraty()


@pytest.fixture
def kraty_42(make_kraty: Callable[..., Kraty]) -> Kraty:
    """A client signed in as the seeded demo player ``player_42``."""
    return make_kraty(active_external_player_id=PLAYER_42, player_secret=PLAYER_42_SECRET)
