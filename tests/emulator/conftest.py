"""Fixtures for raw-HTTP emulator tests: an EmbeddedEmulator and keep-alive clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import RawClient


@pytest.fixture(scope="module")
def emu_module() -> Iterator[EmbeddedEmulator]:
    """One emulator per test module (demo config, manual clock, in-memory database)."""
    with EmbeddedEmulator(clock="manual", rng_seed=1234) as emulator:
        yield emulator


@pytest.fixture
def emu(emu_module: EmbeddedEmulator) -> EmbeddedEmulator:
    """The module's emulator, reset before the test."""
    emu_module.reset()
    return emu_module


@pytest.fixture
def client(emu: EmbeddedEmulator) -> Iterator[RawClient]:
    c = RawClient(emu.base_url)
    yield c
    c.close()
