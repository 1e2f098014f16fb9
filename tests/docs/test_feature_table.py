"""The feature tables of ``docs/features.md``: every official v0.24.0 method is listed,
every Python name resolves on the SDK, every named test exists.

The operations table is the one the docs build makes from the SDK's declarations
(``scripts/operations.py``); the rest is written by hand. No network: the ``Kraty``
instance uses a dummy key and an in-memory secret store and is never called."""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty

REPO = Path(__file__).resolve().parents[2]
FEATURES = REPO / "docs" / "features.md"
HEADER = "| Area | Official SDK (v0.24.0) | Python name | Test |"


def load_operations_script() -> Any:
    """``scripts/operations.py`` (the docs hook and the typed-proxy generator)."""
    spec = importlib.util.spec_from_file_location(
        "kraty_operations", REPO / "scripts" / "operations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The official surface at v0.24.0 (the official SDKs' method lists at that tag),
# written out independently of the tables so a dropped row is noticed.
EXPECTED = {
    "kraty_pygame.sdk.Kraty",
    "kraty_pygame.sdk.Kraty.connect_as_player",
    "kraty.active_external_player_id",
    "kraty.ensure_identity",
    "kraty.sign_in",
    "kraty.logout",
    "kraty.close",
    "kraty.synthetic_identity",
    "kraty.client.request",
    "kraty_pygame.sdk.RetryConfig",
    "kraty_pygame.sdk.RequestInfo",
    "kraty_pygame.sdk.SecretStore",
    "kraty_pygame.sdk.InMemorySecretStore",
    "kraty_pygame.sdk.FileSecretStore",
    "kraty.get_server_time",
    "kraty.sync_time",
    "kraty.server_now",
    "kraty.server_now_ms",
    "kraty.is_time_synced",
    "kraty.on_finalized",
    "kraty.check_finalizations",
    "kraty.dismiss",
    "kraty.clear_reported",
    "kraty.events.list_for_player",
    "kraty.events.start",
    "kraty.events.progress",
    "kraty.events.finish",
    "kraty.event_leaderboards.read",
    "kraty.event_leaderboards.live",
    "kraty.event_leaderboards.subscribe",
    "kraty.event_leaderboards.join",
    "kraty.leaderboards.read",
    "kraty.leaderboards.list_periods",
    "kraty.leaderboards.submit_score",
    "kraty.leaderboards.join",
    "kraty.leaderboards.standings",
    "kraty.grants.list_pending",
    "kraty.grants.claim",
    "kraty.grants.open",
    "kraty.grants.collect_all",
    "kraty.grants.grant",
    "kraty.inventory.list",
    "kraty.inventory.consume",
    "kraty.inventory.live",
    "kraty.inventory.watch",
    "kraty.wallet.list",
    "kraty.wallet.debit",
    "kraty.wallet.progress",
    "kraty.lobbies.read",
    "kraty_pygame.sdk.Lobby.filled_slots",
    "kraty.catalog.read",
    "kraty.players.register",
    "kraty.players.rotate",
    "kraty.players.set_identity",
    "kraty.players.get_identity",
    "kraty.players.get_anonymized_identity",
    "kraty.players.set_metadata",
    "kraty.players.merge_metadata",
    *(
        f"kraty.friends.{name}"
        for name in (
            "get_code",
            "heartbeat",
            "list",
            "search",
            "list_requests",
            "add",
            "accept",
            "decline",
            "cancel_request",
            "remove",
            "list_blocks",
            "block",
            "unblock",
            "gift_catalog",
            "send_gift",
            "gifts",
            "sent_gifts",
            "claim_gift",
        )
    ),
    "kraty_pygame.sdk.poll_pending_grants",
    "kraty_pygame.sdk.poll_lobby_until_active",
    "kraty_pygame.sdk.is_lobby_forming",
    "kraty_pygame.sdk.KratyApiError",
    "kraty_pygame.sdk.KratyNetworkError",
    "kraty_pygame.sdk.KratyErrorCode",
    "kraty_pygame.sdk.KratyApiError.is_code",
    "kraty_pygame.sdk.KratyApiError.is_lobby_forming",
    "kraty_pygame.sdk.KratyApiError.is_insufficient_entry_cost",
    "kraty_pygame.sdk.KratyApiError.is_player_secret_invalid",
    "kraty_pygame.sdk.KratyApiError.is_player_already_registered",
    "kraty_pygame.sdk.KratyApiError.is_entry_requirement_failed",
    "kraty_pygame.sdk.KratyApiError.is_inventory_not_permissive",
}


@dataclass(frozen=True)
class Row:
    area: str
    official: str
    python_name: str
    test: str


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _unquote(cell: str) -> str:
    return cell.strip().strip("`").strip()


def table_rows(markdown: str) -> tuple[Row, ...]:
    """The rows of every table whose header starts with :data:`HEADER`."""
    lines = markdown.splitlines()
    found: list[Row] = []
    starts = [i for i, line in enumerate(lines) if line.startswith(HEADER)]
    assert starts, "no feature table"  # the header changed
    for start in starts:
        width = len(_cells(lines[start]))
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            cells = _cells(line)
            assert len(cells) == width, f"a row needs {width} cells: {line!r}"
            found.append(Row(cells[0], cells[1], _unquote(cells[2]), cells[3]))
    return tuple(found)


@functools.cache
def rows() -> tuple[Row, ...]:
    """The rows of the features page as the docs build renders it."""
    page = load_operations_script().render_features(FEATURES.read_text(encoding="utf-8"))
    return table_rows(page)


def test_both_tables_are_on_the_page() -> None:
    page = FEATURES.read_text(encoding="utf-8")
    script = load_operations_script()
    assert page.count(script.PLACEHOLDER) == 1
    assert script.TABLE_HEADER.startswith(HEADER)
    assert len(table_rows(page)) < len(rows())  # the operations were filled in


@pytest.fixture(scope="module")
def kraty() -> Iterator[Kraty]:
    client = Kraty(
        "kr_test.dummy", base_url="http://127.0.0.1:9", secret_store=InMemorySecretStore()
    )
    yield client
    client.close()


def resolve(name: str, kraty: Kraty) -> Any:
    """Walk a dotted Python name from a ``Kraty`` instance or from an imported module."""
    parts = name.split(".")
    if parts[0] == "kraty":
        target: Any = kraty
        rest = parts[1:]
    else:
        target, rest = None, []
        for cut in range(len(parts), 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            rest = parts[cut:]
            break
        assert target is not None, f"{name}: no importable module prefix"
    for part in rest:
        assert hasattr(target, part), f"{name}: {part!r} not found on {target!r}"
        target = getattr(target, part)
    return target


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test_"
        ):
            names.add(node.name)
    return names


def test_the_table_has_rows_with_every_cell_filled() -> None:
    assert len(rows()) >= len(EXPECTED)
    for row in rows():
        assert row.area and row.official and row.python_name and row.test, row


def test_every_official_method_is_listed() -> None:
    listed = {row.python_name for row in rows()}
    missing = sorted(EXPECTED - listed)
    assert not missing, f"official methods missing from docs/features.md: {missing}"


@pytest.mark.parametrize("row", rows(), ids=lambda row: row.python_name)
def test_python_name_resolves(row: Row, kraty: Kraty) -> None:
    assert row.python_name.startswith(("kraty.", "kraty_pygame.sdk.")), row.python_name
    resolve(row.python_name, kraty)


@pytest.mark.parametrize("row", rows(), ids=lambda row: row.python_name)
def test_named_test_exists(row: Row) -> None:
    for cell in row.test.split("<br>"):
        ref = _unquote(cell)
        path_text, sep, name = ref.partition("::")
        assert sep and path_text.startswith("tests/") and path_text.endswith(".py"), ref
        path = REPO / path_text
        assert path.is_file(), f"{ref}: no such file"
        assert name.split("[", 1)[0] in _test_names(path), f"{ref}: no such test"


def test_resolve_rejects_unknown_names(kraty: Kraty) -> None:
    with pytest.raises(AssertionError):
        resolve("kraty.friends.teleport", kraty)
    with pytest.raises(AssertionError):
        resolve("kraty_pygame.sdk.NoSuchThing", kraty)
