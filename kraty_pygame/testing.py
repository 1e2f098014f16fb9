"""pytest plugin for games that use Kraty: a real local emulator as a fixture.

Loaded automatically through the ``pytest11`` entry point (``kraty``). Importing this
module is cheap and never fails: the emulator (the ``emulator`` extra) is imported only
when a fixture is first used.

Fixtures:

* ``kraty_emulator_session`` (session scope): one :class:`EmbeddedEmulator` on a free
  port with the bundled demo config (or the ``kraty_emulator_config`` ini option) and
  a manual clock.
* ``kraty_emulator`` (function scope): the same server, with all state reset (config
  reloaded, clock back to its start, faults off) before the test.

Example::

    def test_wallet(kraty_emulator):
        kraty = Kraty(kraty_emulator.client_api_key, base_url=kraty_emulator.base_url)
        assert kraty.wallet.list()
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kraty_pygame.emulator.embedded import EmbeddedEmulator

__all__ = ["kraty_emulator", "kraty_emulator_session"]

_CONFIG_INI = "kraty_emulator_config"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _CONFIG_INI,
        "TOML game config for the kraty_emulator fixtures (default: the bundled demo config)",
        default="",
    )


@pytest.fixture(scope="session")
def kraty_emulator_session(pytestconfig: pytest.Config) -> Iterator[EmbeddedEmulator]:
    """A session-wide emulator (demo config unless ``kraty_emulator_config`` is set)."""
    try:
        from kraty_pygame.emulator.embedded import EmbeddedEmulator  # noqa: PLC0415
    except ImportError as exc:  # the emulator extra is missing
        pytest.fail(f"kraty_emulator fixtures need the emulator extra: {exc}", pytrace=False)
    config = str(pytestconfig.getini(_CONFIG_INI) or "") or None
    emulator = EmbeddedEmulator(config, clock="manual")
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kraty_emulator(kraty_emulator_session: EmbeddedEmulator) -> EmbeddedEmulator:
    """The session emulator with its state reset before this test."""
    kraty_emulator_session.reset()
    return kraty_emulator_session
