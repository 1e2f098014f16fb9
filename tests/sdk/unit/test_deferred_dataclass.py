"""kraty_pygame._deferred.dataclass: the same class the standard decorator makes, made
on first use (an instance, ``fields()``/``is_dataclass()``), from any thread, in order
along the class hierarchy, and through unpickling in a fresh process."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pickle
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

import pytest

from kraty_pygame._deferred import _Pending, realize

if TYPE_CHECKING:  # as in the package: type checkers see the standard decorator
    from dataclasses import dataclass
else:
    from kraty_pygame._deferred import dataclass


def _pending(cls: type) -> bool:
    return isinstance(cls.__dict__.get("__dataclass_fields__"), _Pending)


def _make_pair() -> tuple[type, type]:
    """The same class body under the standard and the deferred decorator."""

    def body(decorator: Any) -> type:
        @decorator(frozen=True)
        class Point:
            x: int
            y: int = 2
            tags: tuple[str, ...] = ()

            def norm(self) -> int:
                return abs(self.x) + abs(self.y)

        return Point

    return body(dataclasses.dataclass), body(dataclass)


def test_behaves_like_the_standard_decorator() -> None:
    standard, deferred = _make_pair()
    assert _pending(deferred)
    a, b = deferred(1), deferred(1, 2, ())
    assert not _pending(deferred)
    assert a == b and hash(a) == hash(b) and a != deferred(3)
    assert repr(a) == repr(standard(1)).replace(standard.__qualname__, deferred.__qualname__)
    assert a.norm() == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.x = 5
    assert [f.name for f in dataclasses.fields(deferred)] == ["x", "y", "tags"]
    assert dataclasses.replace(a, y=7) == deferred(1, 7)
    assert dataclasses.asdict(a) == {"x": 1, "y": 2, "tags": ()}
    assert inspect.signature(deferred) == inspect.signature(standard)
    with pytest.raises(TypeError):
        deferred()  # x is required, as with the standard decorator


def test_fields_and_is_dataclass_complete_the_class_first() -> None:
    _, deferred = _make_pair()
    assert dataclasses.is_dataclass(deferred)
    assert not _pending(deferred)
    _, other = _make_pair()
    assert [f.name for f in dataclasses.fields(other)] == ["x", "y", "tags"]


def test_a_subclass_completes_its_base_first() -> None:
    @dataclass(frozen=True)
    class Base:
        a: int = 1

    @dataclass(frozen=True)
    class Child(Base):
        b: int = 2

    assert _pending(Base) and _pending(Child)
    child = Child(b=5)
    assert (child.a, child.b) == (1, 5)
    assert not _pending(Base)
    assert Base() == Base(1)


def test_slots_stay_eager() -> None:
    @dataclass(slots=True)
    class Slotted:
        a: int = 1

    assert not _pending(Slotted) and "__slots__" in Slotted.__dict__


def test_first_use_from_many_threads_at_once() -> None:
    _, deferred = _make_pair()
    barrier = threading.Barrier(16)
    seen: list[Any] = []

    def use(index: int) -> None:
        barrier.wait()
        if index % 2:
            seen.append(tuple(f.name for f in dataclasses.fields(deferred)))
        else:
            seen.append(deferred(index).x)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v for v in seen if isinstance(v, int)) == list(range(0, 16, 2))
    assert {v for v in seen if isinstance(v, tuple)} == {("x", "y", "tags")}


def test_realize_is_idempotent_and_leaves_ordinary_classes_alone() -> None:
    _, deferred = _make_pair()
    assert realize(deferred) is deferred and realize(deferred) is deferred

    class Plain:
        pass

    assert realize(Plain) is Plain


def test_every_deferred_class_of_the_package_completes() -> None:
    modules = [
        "kraty_pygame.sdk.models.catalog",
        "kraty_pygame.sdk.models.events",
        "kraty_pygame.sdk.models.friends",
        "kraty_pygame.sdk.models.grants",
        "kraty_pygame.sdk.models.identity",
        "kraty_pygame.sdk.models.inventory",
        "kraty_pygame.sdk.models.leaderboards",
        "kraty_pygame.sdk.models.lobbies",
        "kraty_pygame.sdk.models.players",
        "kraty_pygame.sdk.models.time",
        "kraty_pygame.sdk.models.wallet",
        "kraty_pygame.sdk.streams.sse",
        "kraty_pygame.sdk.streams.leaderboard",
        "kraty_pygame.sdk.finalization",
        "kraty_pygame.sdk.identity",
        "kraty_pygame.component.results",
        "kraty_pygame.component.worker",
        "kraty_pygame.component.stats",
        "kraty_pygame.component.handles",
        "kraty_pygame.component.jobs",
    ]
    checked = 0
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and "__dataclass_fields__" in (value.__dict__)
            ):
                realize(value)
                assert isinstance(value.__dict__["__dataclass_fields__"], dict), value
                assert "__init__" in value.__dict__ and "__repr__" in value.__dict__, value
                checked += 1
    assert checked >= 90


def test_unpickling_in_a_fresh_process_completes_the_class() -> None:
    from kraty_pygame.sdk.models.time import ServerTime

    data = pickle.dumps(ServerTime(epoch_ms=5, iso="1970-01-01T00:00:00.005Z"))
    code = (
        "import pickle, sys\n"
        "value = pickle.loads(sys.stdin.buffer.read())\n"
        "from kraty_pygame.sdk.models.time import ServerTime\n"
        "assert value == ServerTime(epoch_ms=5, iso='1970-01-01T00:00:00.005Z'), value\n"
        "print(repr(value))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=False, timeout=60
    )
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().startswith("ServerTime(epoch_ms=5")
