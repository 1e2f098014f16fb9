"""The emulator's fast JSON encoders and timestamp format give exactly the text of the
standard library's slower forms."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.http.bounds import finite_json
from kraty_pygame.emulator.http.responses import compiled_encoder

pytestmark = pytest.mark.emulator

VALUES: list[Any] = [
    {"data": {"economyKey": "gold", "balance": 400, "applied": True}},
    {"z": 1, "a": [None, False, 2.5, -0.0, 10**30], "m": {"é": '\u2028"\\\n', "k": []}},
    ["x", {"b": {"c": {"d": 1.0e-7}}}, "😀", ""],
    "plain text",
    17,
    None,
]


@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_compiled_encoder_writes_what_encode_writes(
    value: Any, sort_keys: bool, ensure_ascii: bool
) -> None:
    encoder = json.JSONEncoder(
        separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=ensure_ascii
    )
    encode = compiled_encoder(encoder)
    assert encode is not encoder.encode  # CPython has the C encoder
    assert encode(value) == encoder.encode(value)
    assert encode(value) == encode(value)  # reusable: no state left from the last call


def test_without_a_c_encoder_it_is_plain_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = json.JSONEncoder()
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert compiled_encoder(encoder) == encoder.encode


def test_answers_still_never_carry_nan_or_infinity() -> None:
    with pytest.raises(ValueError, match="Out of range"):
        compiled_encoder(json.JSONEncoder(allow_nan=False))({"x": math.nan})
    value = {"x": math.nan, "y": [math.inf, 1.5]}
    stdlib = json.dumps(finite_json(value), separators=(",", ":"), allow_nan=False)
    assert responses.dumps(value) == stdlib.encode()
    assert b"NaN" not in responses.dumps(value)


def _reference(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def test_iso_matches_the_isoformat_text() -> None:
    rng = random.Random(7)
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 12, 6, 10, 1, 2, 345_678, tzinfo=UTC),
        datetime(9000, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 1, 0, 0, 999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ]
    start = datetime(2000, 1, 1, tzinfo=UTC)
    moments += [start + timedelta(microseconds=rng.randrange(10**17)) for _ in range(500)]
    for moment in moments:
        assert iso(moment) == _reference(moment), moment
