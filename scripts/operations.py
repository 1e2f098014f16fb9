"""What the SDK's operation declarations produce outside the SDK.

* ``kraty_pygame/component/_typed_proxies.py``: the typed ``component.<area>`` classes
  that type checkers see. ``python scripts/operations.py`` rewrites it;
  ``python scripts/operations.py --check`` fails when it is out of date (so does
  ``tests/component/test_proxies.py``).
* The operations table of ``docs/features.md``: an mkdocs hook (``mkdocs.yml``,
  ``hooks:``) puts it where the page says ``<!-- operations -->``, built from the
  declarations and from the tests marked ``@pytest.mark.operation("area.name")``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TYPED_PROXIES = REPO / "kraty_pygame" / "component" / "_typed_proxies.py"
TESTS = REPO / "tests"
PLACEHOLDER = "<!-- operations -->"
TABLE_HEADER = "| Area | Official SDK (v0.24.0) | Python name | Test | Request | Kind | Component |"


def _operations() -> list[Any]:
    from kraty_pygame.sdk._operation import declared_operations  # noqa: PLC0415

    return list(declared_operations())


def _camel(area: str) -> str:
    return "".join(part.capitalize() for part in area.split("_"))


def typed_proxies_source(operations: Iterable[Any]) -> str:
    """The text of ``_typed_proxies.py`` for these declarations."""
    by_area: dict[str, list[Any]] = {}
    for op in operations:
        if not op.stream:
            by_area.setdefault(op.area, []).append(op)
    lines = [
        '"""Typed ``component.<area>`` proxies for type checkers. Generated: do not edit.',
        "",
        "``python scripts/operations.py`` writes this file from the SDK's operation",
        "declarations; a test fails when it is out of date. Only type checkers import it:",
        "at run time the proxies are made from the declarations (``proxies.py``).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from kraty_pygame.component.proxies import ResourceProxy, typed",
    ]
    clients: dict[str, tuple[str, str]] = {}
    for area, ops in by_area.items():
        fn = ops[0].fn
        clients[area] = (fn.__module__, fn.__qualname__.split(".")[0])
    for module, client in sorted(set(clients.values())):
        lines.append(f"from {module} import {client}")
    for area in sorted(by_area):
        client = clients[area][1]
        lines += [
            "",
            "",
            f"class {_camel(area)}Proxy(ResourceProxy[{client}]):",
            f'    """``component.{area}``: non-blocking ``kraty.{area}``."""',
            "",
        ]
        for op in by_area[area]:
            lines.append(f"    {op.method_name} = typed({client}.{op.method_name})")
    lines += [
        "",
        "",
        "class Proxies:",
        '    """The component\'s proxies, one per resource client of the facade."""',
        "",
    ]
    lines += [f"    {area}: {_camel(area)}Proxy" for area in sorted(by_area)]
    return "\n".join(lines) + "\n"


def marked_tests(root: Path = TESTS) -> dict[str, list[str]]:
    """``{"events.progress": ["tests/...py::test_x", ...]}`` from ``pytest.mark.operation``."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not node.name.startswith("test_"):
                continue
            for deco in node.decorator_list:
                for name in _operation_marks(deco):
                    ref = f"{path.relative_to(root.parent).as_posix()}::{node.name}"
                    found.setdefault(name, []).append(ref)
    return found


def _operation_marks(node: ast.expr) -> list[str]:
    """The names in ``@pytest.mark.operation("a.b", ...)``, else nothing."""
    if not isinstance(node, ast.Call):
        return []
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "operation"):
        return []
    mark = func.value
    if not (isinstance(mark, ast.Attribute) and mark.attr == "mark"):
        return []
    names = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
    return [name for name in names if isinstance(name, str)]


def _returns(op: Any) -> str:
    """The declared return type, as markdown (``A | None`` is written "A or None")."""
    annotation = getattr(op.fn, "__annotations__", {}).get("return", "")
    text = str(getattr(annotation, "__name__", annotation))
    return " or ".join(f"`{part}`" for part in text.split(" | "))


def feature_table(operations: Iterable[Any], tests: dict[str, list[str]]) -> str:
    """The markdown table of every declared operation."""
    rows = [TABLE_HEADER, "|---|---|---|---|---|---|---|"]
    for op in operations:
        official = f"`{op.official}`" if op.official else "— (Python only)"
        refs = "<br>".join(f"`{ref}`" for ref in tests.get(op.name, [])) or "**none**"
        request = f"`{op.method} {op.path}`" if op.path else "several requests"
        kind = op.kind + (", merged when queued" if op.merge else "")
        kind += f" → {_returns(op)}"
        component = (
            "a watcher (`component.watch_*`)"
            if op.stream
            else f"`component.{op.name}` → `RequestHandle`"
        )
        area = op.area.replace("_", " ").capitalize()
        rows.append(
            f"| {area} | {official} | `kraty.{op.name}` | {refs} | {request} | {kind} "
            f"| {component} |"
        )
    return "\n".join(rows)


def render_features(markdown: str) -> str:
    """``markdown`` with the operations table in place of :data:`PLACEHOLDER`."""
    if PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, feature_table(_operations(), marked_tests()))


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """mkdocs hook: fill in the operations table of the features page."""
    del config, files
    if page.file.src_uri == "features.md":
        return render_features(markdown)
    return markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = typed_proxies_source(_operations())
    current = TYPED_PROXIES.read_text(encoding="utf-8") if TYPED_PROXIES.exists() else ""
    if text == current:
        print(f"{TYPED_PROXIES.relative_to(REPO)} is up to date")
        return 0
    if args.check:
        print(f"{TYPED_PROXIES.relative_to(REPO)} is stale: run python scripts/operations.py")
        return 1
    TYPED_PROXIES.write_text(text, encoding="utf-8")
    print(f"wrote {TYPED_PROXIES.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
