"""Importing or constructing the library changes nothing process-wide behind the game's
back: no pygame attribute is assigned, and the switch interval moves only on request."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import kraty_pygame
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory

pytestmark = pytest.mark.headless

PACKAGE = Path(kraty_pygame.__file__).parent
REPO = PACKAGE.parent
# The library, and the demo and examples a game copies from.
SOURCES = (PACKAGE, REPO / "demo_game", REPO / "examples")


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _sources() -> list[tuple[Path, ast.Module]]:
    return [
        (p, ast.parse(p.read_text(encoding="utf-8")))
        for root in SOURCES
        for p in sorted(root.rglob("*.py"))
    ]


@pytest.mark.slow
def test_no_pygame_attribute_is_assigned_anywhere() -> None:
    offences = []
    for path, tree in _sources():
        aliases = {"pygame"} | {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
            if (
                a.name.startswith("pygame") or (getattr(n, "module", "") or "").startswith("pygame")
            )
        }
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("setattr", "delattr")
                and node.args
            ):
                targets = [ast.Attribute(value=node.args[0], attr="?")]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in aliases:
                    offences.append(f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}")
    assert offences == []


@pytest.mark.slow
def test_switch_interval_is_set_only_by_the_component() -> None:
    users = [
        path.relative_to(PACKAGE).as_posix()
        for path, tree in _sources()
        if any(
            isinstance(n, ast.Attribute) and n.attr == "setswitchinterval" for n in ast.walk(tree)
        )
    ]
    assert users == ["component/component.py"]


def test_a_default_component_leaves_the_switch_interval_alone(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    before = sys.getswitchinterval()
    component = make_component(make_kraty())
    component.update()
    assert sys.getswitchinterval() == before
    component.close()
    assert sys.getswitchinterval() == before


def test_the_switch_interval_opt_in_is_restored_by_close(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    before = sys.getswitchinterval()
    wanted = before / 5
    component = make_component(make_kraty(), switch_interval=wanted)
    assert sys.getswitchinterval() == pytest.approx(wanted)
    component.close()
    assert sys.getswitchinterval() == pytest.approx(before)


def test_the_embedded_emulator_leaves_the_event_loop_policy_alone() -> None:
    """The emulator's server may run on uvloop, on a loop of its own thread; the game's
    asyncio policy stays what it was."""
    import asyncio

    from kraty_pygame.emulator import EmbeddedEmulator

    before = asyncio.get_event_loop_policy()
    with EmbeddedEmulator() as emulator:
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert asyncio.get_event_loop_policy() is before
    assert asyncio.get_event_loop_policy() is before
