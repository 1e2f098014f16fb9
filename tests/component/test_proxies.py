"""The component's proxies, its typed stub, the docs' operations table and the tests'
coverage all follow the SDK's operation declarations: a new read operation needs no
edit to the component or to the docs."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.component import KRATY_REQUEST_DONE
from kraty_pygame.component.batching import PROGRESS_OPERATION
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.proxies import ResourceProxy
from kraty_pygame.sdk import InMemorySecretStore, Kraty
from kraty_pygame.sdk._operation import declared_operations, operation
from kraty_pygame.sdk.kraty import resource_areas
from kraty_pygame.sdk.models.catalog import Catalog
from kraty_pygame.sdk.resources.catalog import CatalogClient
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump

pytestmark = pytest.mark.headless

REPO = Path(__file__).resolve().parents[2]
FEATURES = REPO / "docs" / "features.md"
TYPED_PROXIES = REPO / "kraty_pygame" / "component" / "_typed_proxies.py"
#: The operation that test_a_new_read_operation_needs_no_edit_anywhere_else declares.
DUMMY = "catalog.read_again"


def operations_script() -> Any:
    """``scripts/operations.py``: the docs hook and the typed-proxy generator."""
    path = REPO / "scripts" / "operations.py"
    spec = importlib.util.spec_from_file_location("kraty_operations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Recorder:
    """A stand-in for the component that records what a proxy submits."""

    def __init__(self, kraty: Kraty) -> None:
        self._kraty = kraty
        self.calls: list[tuple[str, Callable[..., Any], tuple[Any, ...], bool]] = []

    @property
    def kraty(self) -> Kraty:
        return self._kraty

    def _submit(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_write: bool,
    ) -> RequestHandle[Any]:
        self.calls.append((operation, fn, args, is_write))
        return RequestHandle(operation, is_write=is_write)


@pytest.fixture
def kraty() -> Iterator[Kraty]:
    client = Kraty(
        "kr_test.client-demo", base_url="http://127.0.0.1:9", secret_store=InMemorySecretStore()
    )
    yield client
    client.close()


def test_every_declared_operation_has_a_proxy_a_docs_row_and_a_test(kraty: Kraty) -> None:
    script = operations_script()
    ops = list(declared_operations())
    assert len(ops) >= 50
    tested = script.marked_tests()
    page = script.render_features(FEATURES.read_text(encoding="utf-8"))
    recorder = Recorder(kraty)
    areas = set(resource_areas())
    for op in ops:
        assert op.area in areas, f"{op.name}: kraty has no {op.area!r}"
        proxy: ResourceProxy[Any] = ResourceProxy(recorder, op.area)
        if op.stream:
            with pytest.raises(AttributeError, match="watch_"):
                getattr(proxy, op.method_name)
        else:
            handle = getattr(proxy, op.method_name)("an-argument")
            name, fn, args, is_write = recorder.calls[-1]
            assert (name, args, is_write) == (op.name, ("an-argument",), op.is_write)
            assert fn == getattr(getattr(kraty, op.area), op.method_name)
            assert handle.operation == op.name
        assert f"| `kraty.{op.name}` |" in page, f"{op.name}: no row in docs/features.md"
        assert tested.get(op.name), f"{op.name}: no test marked @pytest.mark.operation"


def test_every_marked_operation_is_declared() -> None:
    declared = {op.name for op in declared_operations()} | {DUMMY}
    unknown = set(operations_script().marked_tests()) - declared
    assert not unknown, f"tests marked with undeclared operations: {sorted(unknown)}"


def test_typed_proxies_match_the_declarations() -> None:
    expected = operations_script().typed_proxies_source(declared_operations())
    assert TYPED_PROXIES.read_text(encoding="utf-8") == expected, (
        "kraty_pygame/component/_typed_proxies.py is stale: run python scripts/operations.py"
    )


def test_a_proxy_knows_only_request_operations(kraty: Kraty) -> None:
    proxy: ResourceProxy[Any] = ResourceProxy(Recorder(kraty), "inventory")
    with pytest.raises(AttributeError, match="live stream"):
        getattr(proxy, "live")  # noqa: B009 - mypy sees only the typed classes
    with pytest.raises(AttributeError, match="no queued operation 'teleport'"):
        getattr(proxy, "teleport")  # noqa: B009
    with pytest.raises(AttributeError):
        getattr(proxy, "_player_path")  # noqa: B009 - helpers are not operations
    assert "consume" in dir(proxy) and "live" not in dir(proxy)
    made = getattr(proxy, "list")  # noqa: B009
    assert vars(proxy)["list"] is made  # made once, then a plain attribute


def test_proxies_load_an_area_only_when_it_is_first_used() -> None:
    code = (
        "import sys\n"
        "from kraty_pygame.component import KratyComponent\n"
        "from kraty_pygame.sdk import InMemorySecretStore, Kraty\n"
        "kraty = Kraty('kr_test.x', base_url='http://127.0.0.1:9',"
        " secret_store=InMemorySecretStore())\n"
        "component = KratyComponent(kraty, sync_time_at_start=False, outbox=False)\n"
        "loaded = lambda: sorted(m for m in sys.modules"
        " if m.startswith('kraty_pygame.sdk.resources.') and not m.endswith('_base'))\n"
        "before = loaded()\n"
        "component.friends.list\n"
        "print(repr((before, loaded())))\n"
        "component.close()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.strip()
    before, after = ast.literal_eval(out.splitlines()[-1])
    friends = "kraty_pygame.sdk.resources.friends"
    assert friends not in before and friends in after
    # the facade's identity needs players, the progress check events; no other area
    assert set(before) <= {
        "kraty_pygame.sdk.resources.players",
        "kraty_pygame.sdk.resources.events",
    }


def test_call_describes_an_sdk_method_by_its_declaration(
    kraty: Kraty, make_component: ComponentFactory
) -> None:
    component = make_component(kraty, sync_time_at_start=False, outbox=False)
    for area in resource_areas():
        assert isinstance(getattr(component, area), ResourceProxy)
    read = component.call(kraty.friends.list)
    write = component.call(kraty.friends.heartbeat)
    assert (read.operation, read.is_write) == ("friends.list", False)
    assert (write.operation, write.is_write) == ("friends.heartbeat", True)
    read.cancel()
    write.cancel()


@pytest.mark.emulator
@pytest.mark.operation("catalog.read_again")  # the DUMMY operation
def test_a_new_read_operation_needs_no_edit_anywhere_else(
    monkeypatch: pytest.MonkeyPatch, make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    # Adding an endpoint: declare it on its resource client (here the catalog's route
    # again, under a new name). Nothing in the component or the docs is edited.
    def read_again(self: CatalogClient) -> Catalog:
        """The catalog, through an operation declared by this test."""
        return self._client.request_decoded(*self._route(), Catalog.from_wire)

    declared = operation("catalog", write=False, http="GET /catalog")(read_again)
    monkeypatch.setattr(CatalogClient, "read_again", declared, raising=False)

    kraty = make_kraty()
    component = make_component(kraty, sync_time_at_start=False)
    pump = Pump(component)
    # mypy sees the new method once scripts/operations.py regenerated the stub
    handle = getattr(component.catalog, "read_again")()  # noqa: B009
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle, what="read_again")
    assert handle.operation == DUMMY and not handle.is_write
    assert isinstance(handle.result, Catalog)
    assert handle.result == kraty.catalog.read() and handle.result.items

    script = operations_script()
    ops = list(declared_operations())
    assert DUMMY in {op.name for op in ops}
    page = script.render_features(FEATURES.read_text(encoding="utf-8"))
    [row] = [line for line in page.splitlines() if f"| `kraty.{DUMMY}` |" in line]
    this_test = "test_a_new_read_operation_needs_no_edit_anywhere_else"
    here = f"{Path(__file__).relative_to(REPO).as_posix()}::{this_test}"
    assert "`GET /catalog`" in row and "| read → `Catalog` |" in row and here in row
    assert "`component.catalog.read_again` → `RequestHandle`" in row
    assert "    read_again = typed(CatalogClient.read_again)\n" in script.typed_proxies_source(ops)


def test_only_progress_is_declared_mergeable() -> None:
    # the component's batcher knows how to merge exactly this operation's calls
    merged = {op.name for op in declared_operations() if op.merge}
    assert merged == {PROGRESS_OPERATION}


def test_a_declaration_is_checked_when_it_is_made() -> None:
    def noop(self: CatalogClient) -> None: ...

    with pytest.raises(ValueError, match="durable or merged"):
        operation("catalog", write=False, durable=True, http="GET /catalog")(noop)
    with pytest.raises(ValueError, match="a stream is a read"):
        operation("catalog", write=True, stream=True, http="GET /catalog")(noop)
    with pytest.raises(ValueError, match="http must look like"):
        operation("catalog", write=False, http="FETCH /catalog")(noop)
    with pytest.raises(ValueError, match="http must look like"):
        operation("catalog", write=False, http="GET catalog")(noop)


def test_route_fills_the_declared_path_and_refuses_a_wrong_value(kraty: Kraty) -> None:
    client = kraty.lobbies

    @operation("lobbies", write=False, http="GET /lobbies/{lobby_id}/seats")
    def seats(self: Any, **values: str) -> tuple[str, str]:
        return self._route(**values)  # type: ignore[no-any-return]

    assert seats(client, lobby_id="a/b c") == ("GET", "/sdk/v1/lobbies/a%2Fb%20c/seats")
    with pytest.raises(TypeError, match=r"no value for \{lobby_id\}"):
        seats(client)
    with pytest.raises(TypeError, match="'extra'"):
        seats(client, lobby_id="x", extra="y")
    with pytest.raises(RuntimeError, match="inside a declared operation"):
        client._route()
