"""What numbers and JSON shapes the emulator accepts and emits: finite floats,
integers within ``±MAX_INT`` (2**53 - 1, exact in every SDK's JSON parser), nesting at
most ``MAX_DEPTH`` levels. :func:`parse_body` applies the rules to request bodies."""

from __future__ import annotations

import json
import math
from typing import Any, Final

from kraty_pygame.emulator.errors import ApiError, validation_failed

MAX_INT: Final = 2**53 - 1
MAX_DEPTH: Final = 64
MAX_FLOAT: Final = 1.7976931348623157e308


class BodyRejected(Exception):
    """A JSON body that breaks a rule above (the message says which)."""


def _reject_constant(name: str) -> Any:
    raise BodyRejected(f"{name} is not a number the emulator accepts (numbers must be finite)")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRejected(f"{text[:40]} is too large (numbers must be finite)")
    return value


def _parse_int(text: str) -> int:
    # Reject by length first: int() of a huge digit string is itself slow.
    if len(text) > 17 or abs(value := int(text)) > MAX_INT:
        raise BodyRejected(f"{text[:40]} is outside the integer range ±{MAX_INT}")
    return value


#: One decoder for every body (it keeps no state between documents).
_DECODER: Final = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
)


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def parse_body(raw: bytes) -> Any:
    """Parse a JSON body under the rules of this module.

    Raises:
        BodyRejected: a non-finite number, an integer out of range, or nesting deeper
            than ``MAX_DEPTH``.
        ValueError: the body is not JSON at all (the route reports that itself).
    """
    try:
        # as ``json.loads`` reads bytes (UTF-8/16/32, a UTF-8 BOM skipped)
        value = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except RecursionError:
        raise BodyRejected(f"JSON nests deeper than {MAX_DEPTH} levels") from None
    # Cheap pre-check: nesting needs at least that many brackets.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise BodyRejected(f"JSON nests deeper than {MAX_DEPTH} levels")
    return value


def check_finite(value: float, what: str) -> float:
    """``value`` when finite, else 400 ``validation_failed`` naming ``what``."""
    if not math.isfinite(value):
        raise validation_failed(
            f"{what} would overflow (the result is not a finite number)",
            [{"path": what, "message": "result out of range"}],
        )
    return value


def check_int(value: int, what: str, *, minimum: int = -MAX_INT) -> int:
    """``value`` when inside ``minimum..MAX_INT``, else 400 ``validation_failed``."""
    if not minimum <= value <= MAX_INT:
        raise ApiError(
            "validation_failed",
            f"{what} would leave the range {minimum}..{MAX_INT}",
            {"errors": [{"path": what, "message": "result out of range"}]},
        )
    return value


def wire_number(value: float) -> float | int:
    """An integral value inside the integer range travels as a JSON integer; anything
    else stays a float (``1e308`` is sent as ``1e+308``, not as 309 digits)."""
    number = float(value)
    if number.is_integer() and abs(number) <= MAX_INT:
        return int(number)
    return number


def finite_json(value: Any) -> Any:
    """A copy of ``value`` where every non-finite float is replaced: ``NaN`` by ``None``,
    ``±Infinity`` by the largest finite float of that sign (order is kept)."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return math.copysign(MAX_FLOAT, value)
        return value
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value
