"""Unlock conditions and entry requirements.

Grammar: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}`` and the leaves
``{"item": {"key", "min"}}``, ``{"balance": {"key", "min"}}``,
``{"context": {"field", "equals"}}``. A ``balance`` leaf on a derived progression
resource (``derived_from``) reads the derived value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kraty_pygame.emulator.config.models import GameConfig
from kraty_pygame.emulator.errors import ApiError


@dataclass(frozen=True)
class Holdings:
    """What a condition can look at."""

    wallet: Mapping[str, int] = field(default_factory=dict)
    inventory: Mapping[str, int] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)


def derived_value(config: GameConfig, key: str, wallet: Mapping[str, int]) -> int:
    """A wallet balance, or the derived level for ``derived_from`` resources."""
    currency = config.currency(key)
    if currency is not None and currency.derived_from is not None:
        source = wallet.get(currency.derived_from.economy, 0)
        return sum(1 for threshold in currency.derived_from.thresholds if threshold <= source)
    return int(wallet.get(key, 0))


def evaluate(config: GameConfig, condition: Any, holdings: Holdings, *, code: str) -> bool:
    """Evaluate a condition tree; a malformed tree raises 500 ``code``."""
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise ApiError(code, "malformed condition in the game config")
    ((op, arg),) = condition.items()
    if op == "all":
        return all(evaluate(config, c, holdings, code=code) for c in arg)
    if op == "any":
        return any(evaluate(config, c, holdings, code=code) for c in arg)
    if op == "not":
        return not evaluate(config, arg, holdings, code=code)
    if op == "item":
        return int(holdings.inventory.get(arg["key"], 0)) >= int(arg.get("min", 1))
    if op == "balance":
        return derived_value(config, arg["key"], holdings.wallet) >= int(arg.get("min", 1))
    if op == "context":
        return bool(holdings.context.get(arg["field"]) == arg.get("equals"))
    raise ApiError(code, f"unknown condition {op!r} in the game config")
