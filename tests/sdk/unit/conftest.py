"""Fixtures of the SDK's unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kraty_pygame.sdk import Kraty
from tests.support.recording import KratyOnRecording, RecordingAdapter, recording_kraty


@pytest.fixture
def make() -> Iterator[KratyOnRecording]:
    """Builds ``recording_kraty`` clients and closes them when the test ends."""
    clients: list[Kraty] = []

    def build(*script: Any, **options: Any) -> tuple[Kraty, RecordingAdapter]:
        kraty, adapter = recording_kraty(*script, **options)
        clients.append(kraty)
        return kraty, adapter

    yield build
    for kraty in clients:
        kraty.close()
