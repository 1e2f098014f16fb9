"""Clients of the SDK-against-emulator tests: a fresh player, and the seeded ``player_42``.

``make_kraty`` (``tests/conftest.py``) builds them on the per-test emulator, the
``kraty_emulator`` fixture of ``kraty_pygame.testing`` (state reset, manual clock).
"""

from __future__ import annotations

import pytest

from kraty_pygame.sdk import Kraty
from tests.support.clients import KratyFactory
from tests.support.emu_http import PLAYER_42, PLAYER_42_SECRET


@pytest.fixture
def kraty(make_kraty: KratyFactory) -> Kraty:
    """A client whose first player-scoped call registers a fresh ``kp_`` player."""
    return make_kraty()


@pytest.fixture
def kraty_42(make_kraty: KratyFactory) -> Kraty:
    """A client signed in as the seeded demo player ``player_42``."""
    return make_kraty(active_external_player_id=PLAYER_42, player_secret=PLAYER_42_SECRET)
