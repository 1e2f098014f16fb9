"""Hypothesis strategies for every ``KratyModel``: valid wire dicts and instances.

Other tests (fuzzing, component payloads) can reuse them::

    from tests.support.model_strategies import all_models, instances, wire_dicts

    @given(instances(Lobby))
    def test_something(lobby: Lobby) -> None: ...

The strategies read the same field specs as the fast decoder, so a model added
anywhere under ``kraty_pygame.sdk.models`` is covered without registration.
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from typing import Any, Literal, TypeVar, Union

from hypothesis import strategies as st

import kraty_pygame.sdk.models as models_pkg
from kraty_pygame.sdk.models._base import KratyModel, model_fields

__all__ = ["all_models", "instances", "json_values", "value_for", "wire_dicts"]

M = TypeVar("M", bound=KratyModel)
_MAX_DEPTH = 3


def all_models() -> list[type[KratyModel]]:
    """Every concrete ``KratyModel`` subclass defined in ``kraty_pygame.sdk.models``."""
    for info in pkgutil.iter_modules(models_pkg.__path__):
        importlib.import_module(f"{models_pkg.__name__}.{info.name}")
    found: dict[str, type[KratyModel]] = {}
    pending: list[type[KratyModel]] = list(KratyModel.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(models_pkg.__name__ + "."):
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.text(max_size=6)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value (small)."""

_small_ints = st.integers(-(10**6), 10**6)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


def value_for(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A strategy of JSON values that are valid for ``annotation``."""
    if annotation is str:
        return st.text(max_size=8)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return _small_ints | _small_ints.map(float)  # integral floats are valid ints
    if annotation is float:
        return _floats | _small_ints
    if annotation in (Any, object):
        return json_values
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return st.sampled_from(args)
    if origin is Union or origin is types.UnionType:
        options = [value_for(a, depth) for a in args if a is not type(None)]
        if type(None) in args:
            options.append(st.none())
        return st.one_of(options)
    if annotation is list or origin is list:
        item = value_for(args[0], depth + 1) if args else json_values
        return st.lists(item, max_size=0 if depth >= _MAX_DEPTH else 3)
    if annotation is dict or origin is dict:
        item = value_for(args[1], depth + 1) if args else json_values
        return st.dictionaries(st.text(max_size=5), item, max_size=0 if depth >= _MAX_DEPTH else 3)
    if isinstance(annotation, type) and issubclass(annotation, KratyModel):
        return wire_dicts(annotation, depth + 1)
    raise TypeError(f"no strategy for annotation {annotation!r}")


def wire_dicts(model: type[KratyModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Valid wire objects for ``model``: any subset of its keys (+ an unknown key)."""
    if depth > _MAX_DEPTH:
        return st.just({})
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {"someFutureField": json_values}
    for spec in model_fields(model):
        strategy = value_for(spec.annotation, depth)
        (optional if spec.has_default else required)[spec.wire_key] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def instances(model: type[M]) -> st.SearchStrategy[M]:
    """Instances of ``model`` decoded from valid wire objects (``raw`` set)."""
    return wire_dicts(model).map(model.from_wire)
