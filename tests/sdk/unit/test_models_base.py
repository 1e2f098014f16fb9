"""The model base: the fast decoder equals dataclasses-json for every model, and
validates what the wire format asks: camelCase names, missing, null and unknown keys,
numbers and types."""

# Test models follow the models/ rules: runtime annotations, Optional/List/Dict.
# ruff: noqa: UP006, UP007, UP035, UP045

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kraty_pygame.sdk.errors import KratyProtocolError
from kraty_pygame.sdk.models._base import (
    KratyModel,
    decode_list,
    localized,
    model_fields,
    parse_iso,
    wire_name,
)
from tests.support.model_strategies import all_models, instances, wire_dicts


@dataclass(frozen=True)
class Entry(KratyModel):
    rank: int = 0
    score: float = 0.0
    name: str = ""


@dataclass(frozen=True)
class Board(KratyModel):
    leaderboard_id: str = ""
    entries: List[Entry] = field(default_factory=list)
    self_entry: Optional[Entry] = field(default=None, metadata=wire_name("self"))
    title: Union[str, Dict[str, str]] = ""
    counts: Dict[str, int] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)
    reward: Union[int, Entry] = 0
    flag: bool = False
    kind: Literal["player", "bot"] = "player"
    note: Optional[str] = "n/a"
    anything: Any = None


MODELS = all_models()


def test_models_are_discovered() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"PlayerRegistration", "PlayerIdentity", "SyntheticIdentity"} <= names


def _reference(model: type[KratyModel], wire: dict[str, Any]) -> KratyModel:
    with warnings.catch_warnings():
        # dataclasses-json warns when a Union like ``str | dict[str, str]`` gets a dict it
        # keeps as is (the right result); the warning is about its own heuristics.
        warnings.filterwarnings("ignore", message="Failed to decode .* Union dataclasses")
        return model.from_dict(wire)


@pytest.mark.slow
@pytest.mark.parametrize("model", [*MODELS, Board], ids=lambda m: m.__qualname__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_decoder_equals_dataclasses_json(model: type[KratyModel], data: st.DataObject) -> None:
    wire = data.draw(wire_dicts(model))
    fast = model.from_wire(wire)
    assert fast == _reference(model, wire)
    assert fast.raw is wire
    assert type(fast) is model


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__qualname__)
def test_every_model_field_is_supported_and_defaulted(model: type[KratyModel]) -> None:
    empty = model.from_wire({})
    assert empty == _reference(model, {})
    for spec in model_fields(model):
        assert spec.has_default, f"{model.__name__}.{spec.name} needs a default (§B conventions)"


@pytest.mark.slow
@given(instances(Board))
def test_instances_strategy_builds_models(board: Board) -> None:
    assert isinstance(board, Board)
    assert Board.from_wire(board.raw) == board


# --------------------------------------------------------------------------- decoding rules


def test_camel_case_wire_names_and_overrides() -> None:
    names = {spec.name: spec.wire_key for spec in model_fields(Board)}
    assert names["leaderboard_id"] == "leaderboardId"
    assert names["self_entry"] == "self"
    board = Board.from_wire({"leaderboardId": "lb_1", "self": {"rank": 2}})
    assert board.leaderboard_id == "lb_1" and board.self_entry == Entry(rank=2)
    assert "raw" not in board.to_dict()
    assert board.to_dict()["leaderboardId"] == "lb_1"


def test_missing_null_and_unknown_keys() -> None:
    board = Board.from_wire({"entries": None, "note": None, "flag": None, "newThing": 1})
    assert board.entries == []  # null on a non-Optional field -> default
    assert board.flag is False
    assert board.note is None  # null on an Optional field -> None
    assert Board.from_wire({}).note == "n/a"  # missing -> default
    first, second = Board.from_wire({}), Board.from_wire({})
    assert first.entries is not second.entries  # default factories are called per object


def test_raw_is_kept_but_not_compared_or_shown() -> None:
    a = Entry.from_wire({"rank": 1, "secretish": "x"})
    b = Entry.from_wire({"rank": 1})
    assert a == b
    assert a.raw == {"rank": 1, "secretish": "x"}
    assert "secretish" not in repr(a)


def test_numbers() -> None:
    entry = Entry.from_wire({"rank": 3.0, "score": 7})
    assert entry.rank == 3 and type(entry.rank) is int
    assert entry.score == 7.0 and type(entry.score) is float
    for bad in ({"rank": 3.5}, {"rank": True}, {"score": False}, {"rank": "3"}):
        with pytest.raises(KratyProtocolError):
            Entry.from_wire(bad)


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (
            {"entries": [{}, {}, {}, {"score": "high"}]},
            "data.entries[3].score: expected number, got string",
        ),
        ({"entries": {}}, "data.entries: expected array, got object"),
        ({"self": [1]}, "data.self: expected object, got array"),
        ({"counts": {"gold": "x"}}, "data.counts.gold: expected integer, got string"),
        ({"title": 5}, "data.title: expected string or object, got number"),
        ({"title": {"en": 5}}, "data.title.en: expected string, got number"),
        ({"reward": "x"}, "data.reward: expected number or object, got string"),
        ({"reward": {"rank": "x"}}, "data.reward.rank: expected integer, got string"),
        ({"flag": 1}, "data.flag: expected boolean, got number"),
        ({"kind": 3}, "data.kind: expected string, got number"),
        ({"extra": []}, "data.extra: expected object, got array"),
    ],
)
def test_wrong_types_name_the_field(wire: dict[str, Any], message: str) -> None:
    with pytest.raises(KratyProtocolError) as info:
        Board.from_wire(wire)
    assert str(info.value).endswith(message)
    assert info.value.field == message.split(":", maxsplit=1)[0]
    assert info.value.code == "internal_error"


def test_union_picks_by_json_type() -> None:
    assert Board.from_wire({"reward": 5}).reward == 5
    assert Board.from_wire({"reward": {"rank": 1}}).reward == Entry(rank=1)
    assert Board.from_wire({"title": {"en": "Hi", "pt": "Olá"}}).title == {"en": "Hi", "pt": "Olá"}


def test_top_level_and_lists() -> None:
    with pytest.raises(KratyProtocolError) as info:
        Entry.from_wire([1])
    assert str(info.value).endswith("data: expected object, got array")
    assert decode_list(Entry, [{"rank": 1}, {"rank": 2}]) == [Entry(rank=1), Entry(rank=2)]
    with pytest.raises(KratyProtocolError) as info2:
        decode_list(Entry, [{}, "x"], "data.items")
    assert info2.value.field == "data.items[1]"
    with pytest.raises(KratyProtocolError):
        decode_list(Entry, {"rank": 1})


def test_unsupported_annotation_is_reported_at_first_use() -> None:
    @dataclass(frozen=True)
    class Odd(KratyModel):
        when: dt.datetime = dt.datetime(2020, 1, 1)

    with pytest.raises(TypeError) as info:
        Odd.from_wire({})
    assert "unsupported model annotation" in str(info.value)


def test_parse_iso() -> None:
    value = parse_iso("2026-06-13T10:00:00.000Z")
    assert value == dt.datetime(2026, 6, 13, 10, tzinfo=dt.UTC)
    assert parse_iso("2026-06-13T10:00:00") == dt.datetime(2026, 6, 13, 10, tzinfo=dt.UTC)
    assert parse_iso(None) is None
    assert parse_iso("") is None
    assert parse_iso("yesterday") is None


def test_localized() -> None:
    assert localized("Gold") == "Gold"
    names = {"en": "Gold", "pt": "Ouro", "pt-BR": "Ouro BR"}
    assert localized(names, "pt-BR") == "Ouro BR"
    assert localized(names, "pt_PT") == "Ouro"
    assert localized(names, "de") == "Gold"
    assert localized({"fr": "Or"}, "de") == "Or"
    assert localized({}, "en") == ""
    assert localized(None) == ""
