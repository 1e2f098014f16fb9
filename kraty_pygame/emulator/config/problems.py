"""Config errors: pydantic's findings as ``<file>:<line>: <key path>: <message>`` lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kraty_pygame.emulator.config.models import type_name


class ConfigError(ValueError):
    """The config file is invalid; the message names the file and every bad key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("invalid emulator config:\n" + "\n".join(problems))


_EXPECTED: Final = MappingProxyType(
    {
        "int_type": "an integer",
        "int_from_float": "an integer",
        "float_type": "a number",
        "string_type": "a string",
        "bool_type": "a boolean",
        "tuple_type": "an array",
        "list_type": "an array",
        "dict_type": "a table",
        "model_type": "a table",
        "model_attributes_type": "a table",
        "datetime_type": "an RFC 3339 time",
    }
)
_FIXED: Final = MappingProxyType(
    {
        "missing": "is required",
        "extra_forbidden": "unknown key",
        "amount": "expected a positive integer or a {min, max, step} range",
        "entry": 'expected a reward entry table with type = "currency", "item" or "crate"',
    }
)


def _message(error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "config":
        return str(ctx["message"])
    if kind == "entry" and isinstance(value, dict):
        return f"must be one of currency, item, crate; got {value.get('type')!r}"
    if kind in ("amount", "entry"):
        return f"{_FIXED[kind]}, got {type_name(value)}"
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {type_name(value)}"
    if kind == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"must be one of {choices}; got {value!r}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid key (letters, digits, _-.:)"
    if kind == "finite_number":
        return f"expected a finite number, got {value!r}"
    if kind == "int_parsing" and error["loc"][-1:] == ("[key]",):
        return "level keys are integers"  # the only table keyed by numbers
    if kind == "int_parsing":
        return f"expected an integer, got {value!r}"
    for bound, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx:
            return f"must be {sign} {ctx[bound]}, got {value!r}"
    if kind in ("too_short", "too_long"):
        return "expected a non-empty array"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def key_path(loc: tuple[int | str, ...], at: str = "") -> str:
    """``("events", 2, "milestones", 0, "threshold")`` as ``events[2].milestones[0].threshold``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("~") or part == "[key]":
            continue  # union tags and dict-key markers are not keys of the file
        else:
            path += f".{part}" if path else part
    return (path + at).lstrip(".") or "<root>"


class Report:
    """Collects problems as ``<file>:<line>: <key path>: <message>`` (no line if unknown)."""

    def __init__(self, source: str, line_of: Callable[[str], int | None]) -> None:
        self.source = source
        self.line_of = line_of
        self.problems: list[str] = []

    def error(self, path: str, message: str) -> None:
        line = self.line_of(path)
        where = f"{self.source}:{line}" if line is not None else self.source
        self.problems.append(f"{where}: {path}: {message}")

    def add(self, exc: ValidationError) -> None:
        """Every error pydantic found, with our key path and wording."""
        for error in exc.errors(include_url=False):
            ctx: dict[str, Any] = error.get("ctx") or {}
            at = str(ctx.get("at", "")) if error["type"] == "config" else ""
            path = key_path(error["loc"], at)
            if error["type"] == "entry" and isinstance(error.get("input"), dict):
                path += ".type"
            self.error(path, _message(error))
