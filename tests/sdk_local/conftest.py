"""Fixtures for SDK behaviour tests against a real local HTTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.transport import KratyClient
from tests.support.http_server import ScriptedServer

FAST_RETRY = RetryConfig(initial_delay=0.0, max_delay=0.0, jitter=0.0)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A scripted server on 127.0.0.1:0, stopped (threads joined) after the test."""
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def make_client(server: ScriptedServer) -> Iterator[Callable[..., KratyClient]]:
    """Build ``KratyClient``s on the test server; all closed after the test."""
    clients: list[KratyClient] = []

    def make(**kwargs: Any) -> KratyClient:
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("base_url", server.base_url)
        client = KratyClient("kr_test.client-demo", **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_kraty(server: ScriptedServer) -> Iterator[Callable[..., Kraty]]:
    """Build ``Kraty`` facades on the test server (in-memory store unless given)."""
    made: list[Kraty] = []

    def make(**kwargs: Any) -> Kraty:
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("secret_store", InMemorySecretStore())
        kraty = Kraty("kr_test.client-demo", **kwargs)
        made.append(kraty)
        return kraty

    yield make
    for kraty in made:
        kraty.close()
