"""How the demo's code is laid out: its Kraty code in ``demo_game/kraty``, screens and UI
that see plain state only, and Kraty names imported from the public packages only."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "demo_game"
PUBLIC = ("kraty_pygame", "kraty_pygame.sdk", "kraty_pygame.component", "kraty_pygame.emulator")
# Names that only exist to hold or drive the component: a screen that uses one holds it.
COMPONENT_NAMES = frozenset(
    {
        "KratyComponent",
        "RequestHandle",
        "Watcher",
        "GrantsWatcher",
        "LeaderboardWatcher",
        "LobbyWatcher",
        "InventoryWatcher",
        "FriendsWatcher",
        "PresenceWatcher",
        "component",
        "kraty",  # the blocking facade, or the demo's Kraty package
    }
)


def _modules(*parts: str) -> list[Path]:
    return sorted(DEMO.joinpath(*parts).rglob("*.py"))


def _imports(path: Path, source: str | None = None) -> Iterator[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for every import of ``path``."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, str(path))
    package = ["demo_game", *path.relative_to(DEMO).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, [a.name for a in node.names], node.lineno


def test_the_kraty_package_exists_and_says_where_to_start() -> None:
    init = DEMO / "kraty" / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc is not None and "Start reading here" in doc
    for module in ("client", "events", "calls", "player", "quest", "boards", "friends"):
        assert (DEMO / "kraty" / f"{module}.py").is_file(), module


@pytest.mark.parametrize("folder", ["screens", "ui"])
def test_screens_and_ui_never_import_or_hold_the_component(folder: str) -> None:
    found: list[str] = []
    for path in _modules(folder):
        where = path.relative_to(DEMO)
        for module, names, line in _imports(path):
            if module.startswith(("kraty_pygame.component", "demo_game.kraty")) or (
                module == "kraty_pygame" and {"component", "KratyComponent"} & set(names)
            ):
                found.append(f"{where}:{line} imports {module}")
            found.extend(
                f"{where}:{line} imports {name}" for name in names if name in COMPONENT_NAMES
            )
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in COMPONENT_NAMES:
                found.append(f"{where}:{node.lineno} uses .{node.attr}")
            elif isinstance(node, ast.Name) and node.id in COMPONENT_NAMES:
                found.append(f"{where}:{node.lineno} uses {node.id}")
            elif isinstance(node, ast.arg) and node.arg in COMPONENT_NAMES:
                found.append(f"{where}:{node.lineno} takes {node.arg}")
    assert found == []


def test_only_the_kraty_package_talks_to_the_component_or_the_emulator() -> None:
    """Elsewhere only SDK models, and the component's stats snapshot (plain data)."""
    kraty = DEMO / "kraty"
    found = [
        f"{path.relative_to(DEMO)}:{line} imports {module} {names}"
        for path in _modules()
        if kraty not in path.parents
        for module, names, line in _imports(path)
        if module.startswith(("kraty_pygame.component", "kraty_pygame.emulator"))
        and set(names) != {"ComponentStats"}
    ]
    assert found == []


def test_kraty_names_come_from_the_public_packages_only() -> None:
    public = {name: set(importlib.import_module(name).__all__) for name in PUBLIC}
    found: list[str] = []
    seen = 0
    for path in _modules():
        where = path.relative_to(DEMO)
        for module, names, line in _imports(path):
            if module != "kraty_pygame" and not module.startswith("kraty_pygame."):
                continue
            seen += 1
            if module not in public:
                found.append(f"{where}:{line} imports the private module {module}")
                continue
            found.extend(
                f"{where}:{line} imports {module}.{name}, not a public name"
                for name in names
                if name not in public[module]
            )
    assert seen > 10  # the walk found the demo's imports
    assert found == []


def test_the_walk_resolves_relative_imports() -> None:
    """A screen's ``..kraty`` import and a private module are seen for what they are."""
    source = "from ..kraty.hub import KratyHub\nfrom kraty_pygame.component.handles import X\n"
    imports = list(_imports(DEMO / "screens" / "sample.py", source))
    assert [m for m, _, _ in imports] == ["demo_game.kraty.hub", "kraty_pygame.component.handles"]
