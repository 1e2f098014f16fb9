"""Every operation of every facade resource client has a non-blocking proxy on the component."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from kraty_pygame.component.calls import PROXY_TYPES
from kraty_pygame.component.proxies import ResourceProxy
from kraty_pygame.sdk import Kraty
from kraty_pygame.sdk.resources._base import ResourceClient

pytestmark = pytest.mark.headless

# Live views are watchers on the component (watch_leaderboard), not request proxies.
_STREAMING = {
    ("event_leaderboards", "live"),
    ("event_leaderboards", "subscribe"),
    ("inventory", "live"),
    ("inventory", "watch"),
}


def _public_methods(cls: type[Any]) -> set[str]:
    return {
        name
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_resource_operation_has_a_proxy() -> None:
    kraty = Kraty("kr_test.client-demo", base_url="http://127.0.0.1:9")
    try:
        by_area: dict[str, type[ResourceProxy[Any]]] = {p.area: p for p in PROXY_TYPES}
        # the facade builds its resource clients on first access: look them up by name
        named = {name: getattr(kraty, name) for name in dir(kraty) if not name.startswith("_")}
        areas = {
            name: client for name, client in named.items() if isinstance(client, ResourceClient)
        }
        assert len(areas) >= 9
        for area, client in areas.items():
            assert area in by_area, f"no component proxy for kraty.{area}"
            missing = {
                name
                for name in _public_methods(type(client))
                if (area, name) not in _STREAMING and name not in vars(by_area[area])
            }
            assert not missing, f"component.{area} lacks {sorted(missing)}"
    finally:
        kraty.close()


def test_proxy_reads_and_writes_are_classified() -> None:
    by_area = {p.area: p for p in PROXY_TYPES}
    reads = {
        ("events", "list_for_player"), ("grants", "list_pending"), ("lobbies", "read"),
        ("inventory", "list"), ("wallet", "list"), ("catalog", "read"),
        ("event_leaderboards", "read"), ("leaderboards", "read"),
        ("leaderboards", "list_periods"), ("leaderboards", "standings"),
        ("players", "get_identities"), ("players", "get_identity"),
        ("players", "get_anonymized_identity"), ("friends", "get_code"), ("friends", "list"),
        ("friends", "search"), ("friends", "list_requests"), ("friends", "list_blocks"),
        ("friends", "gift_catalog"), ("friends", "gifts"), ("friends", "sent_gifts"),
    }
    for area, proxy in by_area.items():
        for name, op in vars(proxy).items():
            if hasattr(op, "is_write"):
                assert op.is_write == ((area, name) not in reads), f"{area}.{name}"
