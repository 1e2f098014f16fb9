"""The SDK's HTTP stack uses only public urllib3 and requests APIs: no private attribute
of theirs is read, written or overridden (a static check over the SDK's source)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import kraty_pygame.sdk
from kraty_pygame.sdk.http import calls

SDK = Path(kraty_pygame.sdk.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _http_modules() -> list[Path]:
    """SDK modules that import requests or urllib3."""
    found = []
    for path in sorted(SDK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in ("requests", "urllib3") for n in names):
                found.append(path)
                break
    return found


def _sdk_class_names() -> set[str]:
    names = set()
    for path in SDK.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    return names


def test_the_check_sees_the_http_modules() -> None:
    names = {p.name for p in _http_modules()}
    assert {"calls.py", "transport.py", "live.py"} <= names


def test_no_private_attribute_access_outside_our_own_objects() -> None:
    """In modules that hold urllib3/requests objects, ``x._y`` only on ``self``/``cls`` or
    a parameter annotated with one of the SDK's own classes, and no ``getattr``/``setattr``
    with a private name."""
    own = _sdk_class_names()
    offences = []
    for path in _http_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ours = {"self", "cls"}
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                for arg in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs:
                    if arg.annotation is not None and ast.unparse(arg.annotation) in own:
                        ours.add(arg.arg)
        for node in ast.walk(tree):
            where = f"{path.relative_to(SDK)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and _private(node.attr):
                base = node.value
                if not (isinstance(base, ast.Name) and base.id in ours):
                    offences.append(f"{where} .{node.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and _private(node.args[1].value)
            ):
                offences.append(f"{where} {node.func.id}(..., {node.args[1].value!r})")
    assert offences == []


def test_our_subclasses_of_urllib3_and_requests_touch_no_private_member() -> None:
    """Classes built on theirs neither override a private hook nor use ``self._x``."""
    subclasses = [
        cls
        for _name, cls in inspect.getmembers(calls, inspect.isclass)
        if cls.__module__ == calls.__name__
        and any(b.__module__.startswith(("requests", "urllib3")) for b in cls.__mro__[1:])
    ]
    assert len(subclasses) >= 5  # two connections, two pools, the adapter
    for cls in subclasses:
        private = [n for n in vars(cls) if _private(n) and n not in ("__module__",)]
        assert private == [], f"{cls.__name__} defines {private}"
        for name, member in vars(cls).items():
            if inspect.isfunction(member):
                tree = ast.parse(__import__("textwrap").dedent(inspect.getsource(member)))
                touched = [
                    n.attr
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Attribute) and _private(n.attr)
                ]
                assert touched == [], f"{cls.__name__}.{name} touches {touched}"
