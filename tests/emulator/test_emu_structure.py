"""The emulator package's layout rules, read from its source (no server needed)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import kraty_pygame.emulator as emulator_package
from kraty_pygame.emulator import app as app_module
from kraty_pygame.emulator import routes as routes_package

ROOT = Path(emulator_package.__file__).parent
MAX_ROOT_MODULES = 12

#: Calls whose result is a mutable container.
_MUTABLE_CALLS = frozenset(
    {"dict", "list", "set", "defaultdict", "deque", "OrderedDict", "Counter"}
)
_MUTABLE_NODES = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
#: Pointers outside the repository: an upper-case markdown file name (the repository's own
#: pages live in docs/ in lower case), a section sign, or a work-package name.
_FOREIGN_WORDS = re.compile(
    r"\b[A-Z]{4,}\.md\b|\u00a7|CONTRACT[S]|emulator[-]boards|platform[-]extras|emulator[ ]engineer"
)


def _modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, ast.IfExp):
        return _is_mutable(value.body) or _is_mutable(value.orelse)
    if isinstance(value, _MUTABLE_NODES):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in _MUTABLE_CALLS
    return False


def test_the_root_holds_at_most_a_dozen_modules() -> None:
    root_modules = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(root_modules) <= MAX_ROOT_MODULES, root_modules


def test_no_root_module_shares_its_name_with_another_module() -> None:
    root = {p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__"}
    nested = {p.stem for p in _modules() if p.parent != ROOT}
    assert root & nested == set()


def test_no_two_classes_share_a_name() -> None:
    names = Counter(
        node.name
        for path in _modules()
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef)
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_no_module_level_mutable_state() -> None:
    """Module-level tables are tuples, frozensets or read-only mappings (``__all__`` aside)."""
    found: list[str] = []
    for path in _modules():
        for node in _tree(path).body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign):
                targets, value = [node.target], node.value
            if _is_mutable(value) and ast.unparse(targets[0]) != "__all__":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(targets[0])}")
        for inner in ast.walk(_tree(path)):
            if isinstance(inner, ast.Global):
                found.append(f"{path.relative_to(ROOT)}:{inner.lineno} global {inner.names}")
    assert found == []


def test_the_app_factory_imports_nothing_by_name() -> None:
    tree = _tree(Path(app_module.__file__))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "importlib" not in imported
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"__import__", "getattr"} & called == set()


def test_every_route_module_is_wired_into_the_app() -> None:
    routes_dir = Path(routes_package.__file__).parent
    wired = {id(router) for router in app_module.ROUTERS}
    modules = [p.stem for p in routes_dir.glob("*.py") if not p.stem.startswith("_")]
    assert len(modules) == len(app_module.ROUTERS)
    for name in modules:
        module = __import__(f"kraty_pygame.emulator.routes.{name}", fromlist=["router"])
        assert id(module.router) in wired, name
        assert not hasattr(module, "install"), name


def test_the_runtime_does_not_import_the_domain() -> None:
    tree = _tree(ROOT / "runtime.py")
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert [m for m in modules if ".domain" in m or ".routes" in m] == []


def test_domain_rules_see_a_narrow_context_not_the_runtime() -> None:
    """Only the sweep (which the runtime itself runs) names the runtime type."""
    offenders = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        modules = {
            node.module or "" for node in ast.walk(_tree(path)) if isinstance(node, ast.ImportFrom)
        }
        if "kraty_pygame.emulator.runtime" in modules and path.name != "sweep.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_sources_explain_themselves_without_outside_documents() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(ROOT.rglob("*"))
        if path.suffix in {".py", ".sql", ".toml"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _FOREIGN_WORDS.search(line)
    ]
    assert hits == []
