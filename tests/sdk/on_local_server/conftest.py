"""The SDK against a scripted HTTP server on 127.0.0.1: the server, and clients aimed at it.

``make_kraty`` (``tests/conftest.py``) builds its clients on this folder's ``server``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kraty_pygame.sdk.transport import KratyClient
from tests.support.clients import ZERO_BACKOFF, Endpoint
from tests.support.emu_http import CLIENT_KEY
from tests.support.http_server import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """A scripted server on 127.0.0.1:0, stopped (threads joined) after the test."""
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def kraty_endpoint(server: ScriptedServer) -> Endpoint:
    """``make_kraty`` clients talk to the test's scripted server."""
    return Endpoint(CLIENT_KEY, server.base_url)


@pytest.fixture
def make_client(server: ScriptedServer) -> Iterator[Callable[..., KratyClient]]:
    """Build ``KratyClient``s on the test server; all closed after the test."""
    clients: list[KratyClient] = []

    def make(**kwargs: Any) -> KratyClient:
        kwargs.setdefault("retry", ZERO_BACKOFF)
        kwargs.setdefault("base_url", server.base_url)
        client = KratyClient(CLIENT_KEY, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
