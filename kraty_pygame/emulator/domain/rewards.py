"""Reward entries: resolving ``{min, max, step}`` ranges and rolling crate tables.

Rolls are deterministic per grant: the RNG is
``random.Random(rng_seed ^ int(sha256(grant_id).hexdigest()[:16], 16))``.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from kraty_pygame.emulator.config.models import CrateConfig, GameConfig, RewardEntry
from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http.bounds import MAX_INT


def grant_rng(rng_seed: int, grant_id: str) -> random.Random:
    """The RNG of one grant (stable across processes; ``hash()`` is salted, sha256 is not)."""
    return random.Random(  # noqa: S311 - reproducible rolls, not security
        rng_seed ^ int(hashlib.sha256(grant_id.encode()).hexdigest()[:16], 16)
    )


def resolve_amount(value: Any, rng: random.Random) -> int:
    """An integer amount, or a uniform draw from a ``{min, max, step}`` range.

    The draw is ``min + k*step`` for ``k`` in ``0..ceil((max-min)/step)``; the top
    bucket clamps to ``max``.
    """
    if isinstance(value, dict):
        low, high = int(value["min"]), int(value["max"])
        step = max(1, int(value.get("step", 1)))
        buckets = -(-(high - low) // step)
        return min(low + rng.randint(0, buckets) * step, high)
    return int(value)


def resolve_entries(
    entries: list[RewardEntry] | tuple[RewardEntry, ...], rng: random.Random
) -> list[RewardEntry]:
    """Copies of ``entries`` with every range replaced by a concrete amount."""
    resolved: list[RewardEntry] = []
    for entry in entries:
        copy = dict(entry)
        for field_name in ("amount", "quantity"):
            if field_name in copy:
                copy[field_name] = resolve_amount(copy[field_name], rng)
        resolved.append(copy)
    return resolved


def has_ranges(entries: list[RewardEntry] | tuple[RewardEntry, ...]) -> bool:
    return any(isinstance(e.get("amount", e.get("quantity")), dict) for e in entries)


def crate_of(config: GameConfig, crate_item_key: str) -> CrateConfig | None:
    """The roll table of a crate item, or None."""
    item = config.item(crate_item_key)
    if item is None or item.crate is None:
        return None
    return config.crates.get(item.crate)


def roll_crate(crate: CrateConfig, rng: random.Random) -> list[RewardEntry]:
    """Guaranteed entries, then ``rolls`` weighted draws (without replacement when
    ``allow_duplicates`` is false); ranges resolved with the same RNG."""
    entries: list[RewardEntry] = list(resolve_entries(crate.guaranteed, rng))
    rows = [row for row in crate.table if row.weight > 0]
    for _ in range(crate.rolls):
        if not rows:
            break
        total = sum(row.weight for row in rows)
        pick = rng.random() * total
        chosen = rows[-1]
        for row in rows:
            pick -= row.weight
            if pick < 0:
                chosen = row
                break
        entries.extend(resolve_entries(chosen.entries, rng))
        if not crate.allow_duplicates:
            rows = [row for row in rows if row is not chosen]
    return entries


def validate_entries(config: GameConfig, entries: Any, path: str = "entries") -> list[RewardEntry]:
    """Check API-supplied reward entries and return them in wire form.

    Raises:
        ApiError: 400 ``validation_failed`` for a malformed entry, 400 ``invalid_metric``
            for an unknown currency / item / crate key.
    """
    if not isinstance(entries, list) or not entries:
        raise validation_failed(f"{path} must be a non-empty array")
    result: list[RewardEntry] = []
    for i, entry in enumerate(entries):
        where = f"{path}[{i}]"
        if not isinstance(entry, dict):
            raise validation_failed(f"{where} must be an object")
        kind = entry.get("type")
        key_field, amount_field = {
            "currency": ("currencyKey", "amount"),
            "item": ("itemKey", "quantity"),
            "crate": ("crateItemKey", "quantity"),
        }.get(str(kind), ("", ""))
        if not key_field:
            raise validation_failed(f"{where}.type must be currency, item or crate")
        key = entry.get(key_field)
        amount = entry.get(amount_field, 1)
        if not isinstance(key, str):
            raise validation_failed(f"{where}.{key_field} must be a string")
        if not _valid_amount(amount):
            raise validation_failed(
                f"{where}.{amount_field} must be a positive integer or a {{min, max, step}} range"
            )
        known = (
            config.currency(key) is not None
            if kind == "currency"
            else (
                config.item(key) is not None
                if kind == "item"
                else crate_of(config, key) is not None
            )
        )
        if not known:
            raise ApiError("invalid_metric", f"unknown {kind} key {key!r} in {where}")
        clean: RewardEntry = {"type": kind, key_field: key, amount_field: amount}
        if kind == "item" and isinstance(entry.get("parameters"), dict):
            clean["parameters"] = entry["parameters"]
        result.append(clean)
    problem = totals_problem(result)
    if problem is not None:
        raise validation_failed(problem, [{"path": path, "message": problem}])
    return result


#: Crate units one grant may hold (each becomes its own pending grant when claimed).
MAX_CRATES_PER_GRANT = 1000


def totals_problem(entries: list[RewardEntry] | list[dict[str, Any]]) -> str | None:
    """Why a grant could never be paid out in full, or None: an amount above the
    ledger's range (largest value of a ``{min, max}`` range counted), or more crate
    units than :data:`MAX_CRATES_PER_GRANT`."""
    totals: dict[tuple[str, str], int] = {}
    crates = 0
    for entry in entries:
        kind = str(entry.get("type"))
        count_field = "amount" if kind == "currency" else "quantity"
        count = entry.get(count_field, 1)
        top = int(count.get("max", 0)) if isinstance(count, dict) else int(count or 0)
        if kind == "crate":
            crates += top
            continue
        key = str(entry.get("currencyKey" if kind == "currency" else "itemKey"))
        totals[(kind, key)] = totals.get((kind, key), 0) + top
    if crates > MAX_CRATES_PER_GRANT:
        return f"a grant holds at most {MAX_CRATES_PER_GRANT} crates"
    for (kind, key), total in totals.items():
        if total > MAX_INT:
            return f"{kind} {key!r} adds up to more than {MAX_INT}"
    return None


def _valid_amount(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    if isinstance(value, dict):
        low: Any = value.get("min")
        high: Any = value.get("max")
        step: Any = value.get("step", 1)
        if not (_is_int(low) and _is_int(high) and _is_int(step)):
            return False
        return bool(0 <= low <= high and step >= 1)
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
