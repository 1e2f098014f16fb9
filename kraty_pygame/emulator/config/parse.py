"""Typed, path-reporting access to parsed TOML tables (used by the config loader)."""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from kraty_pygame.emulator.clock import parse_iso
from kraty_pygame.emulator.config.models import Condition, RewardEntry

_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")
EVENT_BOARD_ID_RE: Final = re.compile(
    r"^(lb_[0-9a-f]{12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


class ConfigError(ValueError):
    """The config file is invalid; the message names the file and every bad key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("invalid emulator config:\n" + "\n".join(problems))


class Missing:
    pass


MISSING: Final = Missing()


def _no_line(path: str) -> int | None:
    return None


@dataclass
class Ctx:
    """Collects problems as ``<file>:<line>: <key path>: <message>`` (no line if unknown)."""

    source: str
    problems: list[str]
    line_of: Callable[[str], int | None] = field(default=_no_line)

    def error(self, path: str, message: str) -> None:
        line = self.line_of(path)
        where = f"{self.source}:{line}" if line is not None else self.source
        self.problems.append(f"{where}: {path}: {message}")


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, datetime | date):
        return "datetime"
    return type(value).__name__


class Table:
    """Typed access to one TOML table; ``done()`` reports keys nobody read."""

    def __init__(self, ctx: Ctx, data: Any, path: str) -> None:
        self.ctx = ctx
        self.path = path
        self.ok = isinstance(data, dict)
        if not self.ok:
            ctx.error(path or "<root>", f"expected a table, got {type_name(data)}")
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.used: set[str] = set()

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def _get(self, key: str, default: Any, check: Callable[[Any], bool], want: str) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is MISSING:
                self.ctx.error(self.sub(key), "is required")
                return None
            return default
        value = self.data[key]
        if not check(value):
            self.ctx.error(self.sub(key), f"expected {want}, got {type_name(value)}")
            return None if default is MISSING else default
        return value

    def text(self, key: str, default: Any = MISSING, choices: tuple[str, ...] = ()) -> Any:
        value = self._get(key, default, lambda v: isinstance(v, str), "a string")
        if choices and isinstance(value, str) and value not in choices:
            self.ctx.error(self.sub(key), f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def key(self, key: str, default: Any = MISSING) -> Any:
        value = self.text(key, default)
        if isinstance(value, str) and not _KEY_RE.match(value):
            self.ctx.error(self.sub(key), f"{value!r} is not a valid key (letters, digits, _-.:)")
        return value

    def boolean(self, key: str, default: Any = MISSING) -> Any:
        return self._get(key, default, lambda v: isinstance(v, bool), "a boolean")

    def integer(self, key: str, default: Any = MISSING, minimum: int | None = None) -> Any:
        value = self._get(
            key, default, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"
        )
        if minimum is not None and isinstance(value, int) and value < minimum:
            self.ctx.error(self.sub(key), f"must be >= {minimum}, got {value}")
        return value

    def number(self, key: str, default: Any = MISSING, minimum: float | None = None) -> Any:
        value = self._get(
            key,
            default,
            lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
            "a number",
        )
        if minimum is not None and isinstance(value, int | float) and value < minimum:
            self.ctx.error(self.sub(key), f"must be >= {minimum}, got {value}")
        return value

    def array(self, key: str, default: Any = MISSING) -> Any:
        return self._get(key, default, lambda v: isinstance(v, list), "an array")

    def table(self, key: str, default: Any = MISSING) -> Any:
        return self._get(key, default, lambda v: isinstance(v, dict), "a table")

    def localized(self, key: str, default: Any = MISSING) -> Any:
        value = self._get(
            key,
            default,
            lambda v: (
                isinstance(v, str)
                or (isinstance(v, dict) and bool(v) and all(isinstance(t, str) for t in v.values()))
            ),
            "a string or a { locale = text } table",
        )
        return dict(value) if isinstance(value, dict) else value

    def time(self, key: str, default: Any = MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is MISSING:
                self.ctx.error(self.sub(key), "is required")
            return None if default is MISSING else default
        value = self.data[key]
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            try:
                return parse_iso(value)
            except ValueError:
                pass
        self.ctx.error(self.sub(key), f"expected an RFC 3339 time, got {value!r}")
        return None

    def done(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.ctx.error(self.sub(key), "unknown key")


def tables(ctx: Ctx, value: Any, path: str) -> list[tuple[str, Table]]:
    """An array of tables (``[[x]]``) as (path, table) pairs."""
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.error(path, f"expected an array of tables, got {type_name(value)}")
        return []
    return [(f"{path}[{i}]", Table(ctx, item, f"{path}[{i}]")) for i, item in enumerate(value)]


def int_map(ctx: Ctx, value: Any, path: str) -> dict[str, int]:
    result: dict[str, int] = {}
    if value is None:
        return result
    if not isinstance(value, dict):
        ctx.error(path, f"expected a table of integers, got {type_name(value)}")
        return result
    for key, amount in value.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            ctx.error(f"{path}.{key}", "expected a non-negative integer")
        else:
            result[str(key)] = amount
    return result


# ---------------------------------------------------------------- reward entries


def amount(ctx: Ctx, value: Any, path: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            ctx.error(path, "must be a positive integer")
        return value
    if isinstance(value, dict):
        table = Table(ctx, value, path)
        low = table.integer("min", minimum=0)
        high = table.integer("max", minimum=0)
        step = table.integer("step", 1, minimum=1)
        table.done()
        if isinstance(low, int) and isinstance(high, int) and high < low:
            ctx.error(path, f"max ({high}) is below min ({low})")
        result = {"min": low, "max": high}
        if "step" in value:
            result["step"] = step
        return result
    ctx.error(
        path, f"expected a positive integer or a {{min, max, step}} range, got {type_name(value)}"
    )
    return 1


def reward_entries(ctx: Ctx, value: Any, path: str) -> tuple[RewardEntry, ...]:
    if not isinstance(value, list):
        ctx.error(path, f"expected an array of reward entries, got {type_name(value)}")
        return ()
    entries: list[RewardEntry] = []
    for i, raw in enumerate(value):
        entry_path = f"{path}[{i}]"
        table = Table(ctx, raw, entry_path)
        if not table.ok:
            continue
        kind = table.text("type", choices=("currency", "item", "crate"))
        entry: RewardEntry = {"type": kind}
        if kind == "currency":
            entry["currencyKey"] = table.key("currencyKey")
            entry["amount"] = amount(ctx, table.raw("amount", 1), table.sub("amount"))
        elif kind == "item":
            entry["itemKey"] = table.key("itemKey")
            entry["quantity"] = amount(ctx, table.raw("quantity", 1), table.sub("quantity"))
            parameters = table.table("parameters", None)
            if parameters is not None:
                entry["parameters"] = parameters
        elif kind == "crate":
            entry["crateItemKey"] = table.key("crateItemKey")
            entry["quantity"] = amount(ctx, table.raw("quantity", 1), table.sub("quantity"))
        table.done()
        entries.append(entry)
    return tuple(entries)


# ---------------------------------------------------------------- conditions


def condition(ctx: Ctx, value: Any, path: str) -> Condition | None:
    if not isinstance(value, dict) or len(value) != 1:
        ctx.error(
            path, "a condition is a table with exactly one of all, any, not, item, balance, context"
        )
        return None
    ((op, arg),) = value.items()
    if op in ("all", "any"):
        if not isinstance(arg, list):
            ctx.error(f"{path}.{op}", "expected an array of conditions")
            return None
        children = [condition(ctx, child, f"{path}.{op}[{i}]") for i, child in enumerate(arg)]
        return {op: [child for child in children if child is not None]}
    if op == "not":
        child = condition(ctx, arg, f"{path}.not")
        return {"not": child} if child is not None else None
    if op in ("item", "balance"):
        table = Table(ctx, arg, f"{path}.{op}")
        leaf = {"key": table.key("key"), "min": table.integer("min", 1, minimum=0)}
        table.done()
        return {op: leaf}
    if op == "context":
        table = Table(ctx, arg, f"{path}.context")
        field_name = table.text("field")
        equals = table.raw("equals")
        if equals is None:
            ctx.error(f"{path}.context.equals", "is required")
        table.done()
        return {"context": {"field": field_name, "equals": equals}}
    ctx.error(f"{path}.{op}", "unknown condition (use all, any, not, item, balance or context)")
    return None


def check_timezone(ctx: Ctx, value: Any, path: str) -> str:
    if not isinstance(value, str):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ctx.error(path, f"unknown time zone {value!r}")
        return "UTC"
    return value
