"""Helpers of the platform tests: a studio backend stand-in over ``/server/v1``,
a custom-config emulator, and waiting on queues."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import requests

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.emulator.config.loader import demo_config_text
from kraty_pygame.sdk import InMemorySecretStore, Kraty
from tests.support.clients import ZERO_BACKOFF

PLAYER_7 = "player_7"
PLAYER_7_SECRET = "kps_demo_player_7_secret"
WAIT = 10.0
"""Seconds a test waits for an event before failing (generous: a shared, busy machine)."""

T = TypeVar("T")


def server_post(emulator: EmbeddedEmulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to ``/server/v1`` with the server key (what a studio backend does); returns data."""
    response = requests.post(
        f"{emulator.base_url}/server/v1{path}",
        json=body,
        headers={"authorization": f"Bearer {emulator.server_api_key}"},
        timeout=10,
    )
    assert response.status_code < 300, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def wait_for(q: queue.Queue[T], predicate: Callable[[T], bool], timeout: float = WAIT) -> T:
    """The first item of ``q`` that satisfies ``predicate`` (others are dropped)."""
    while True:
        item = q.get(timeout=timeout)
        if predicate(item):
            return item


def custom_config(tmp: Path, *, permissive: bool = False, gifting: bool = True) -> Path:
    """The demo config with inventory management and gifting switched as asked."""
    text = demo_config_text()
    if permissive:
        text = text.replace(
            'inventory_management = "platform"', 'inventory_management = "permissive"', 1
        )
    if not gifting:
        text = text.replace("[gifting]\nenabled = true", "[gifting]\nenabled = false", 1)
    path = tmp / "platform.toml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def emulator_with(config: Path) -> Iterator[EmbeddedEmulator]:
    """A separate emulator (manual clock) serving ``config``."""
    emulator = EmbeddedEmulator(config, clock="manual")
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def client_for(emulator: EmbeddedEmulator, **options: Any) -> Iterator[Kraty]:
    """A ``Kraty`` client for ``emulator`` (in-memory secrets, zero backoff), closed after."""
    settings: dict[str, Any] = {
        "base_url": emulator.base_url,
        "secret_store": InMemorySecretStore(),
        "retry": ZERO_BACKOFF,
    }
    settings.update(options)
    kraty = Kraty(emulator.client_api_key, **settings)
    try:
        yield kraty
    finally:
        kraty.close()
