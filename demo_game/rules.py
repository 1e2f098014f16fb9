"""Game-side rules the screens share: lock reasons, countdowns, reward texts, redaction.

Pure functions over the SDK's models (no pygame, no I/O), so tests can call them
directly. The Kraty events list marks nothing as locked: the game compares each
event's ``entry_requirement`` and ``entry_cost`` with the player's wallet and
inventory (see ``docs/events.md``), and remembers the attempt caps the server
reported.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any, Final

from kraty_pygame.sdk import (
    EntryCost,
    EventListing,
    Gift,
    KratyApiError,
    KratyError,
    MilestoneRewardPreview,
    RewardEntryPreview,
    RewardPolicySummary,
)

MASK = "\u2022" * 8
SECRET_KEYS = frozenset(
    {"secret", "secretprefix", "playersecret", "player_secret", "x-player-secret"}
)


def pretty_key(key: str) -> str:
    """``health_potion`` -> ``Health Potion``."""
    return key.replace("_", " ").strip().title() if key else "?"


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def requirement_failures(
    requirement: Mapping[str, Any] | None,
    wallet: Mapping[str, int],
    inventory: Mapping[str, int],
    context: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Why ``requirement`` fails for this player (empty list when it passes).

    Understands the emulator's grammar: ``all`` / ``any`` / ``not`` nodes and the
    ``item``, ``balance`` and ``context`` leaves. Unknown nodes count as passing
    (the server has the last word when the player presses Start).
    """
    if not requirement:
        return []
    names = names or {}
    context = context or {}
    if "all" in requirement:
        out: list[str] = []
        for child in requirement.get("all") or []:
            out.extend(requirement_failures(child, wallet, inventory, context, names))
        return out
    if "any" in requirement:
        children = list(requirement.get("any") or [])
        reasons = [requirement_failures(c, wallet, inventory, context, names) for c in children]
        if not children or any(not r for r in reasons):
            return []
        return [" or ".join(r[0] for r in reasons if r)]
    if "not" in requirement:
        inner = requirement_failures(
            requirement.get("not") or {}, wallet, inventory, context, names
        )
        return ["not allowed for you"] if not inner else []
    if "item" in requirement:
        leaf = requirement["item"] or {}
        key, need = str(leaf.get("key", "")), int(leaf.get("min", 1) or 1)
        if inventory.get(key, 0) < need:
            return [f"needs {need}\u00d7 {names.get(key, pretty_key(key))}"]
        return []
    if "balance" in requirement:
        leaf = requirement["balance"] or {}
        key, need = str(leaf.get("key", "")), int(leaf.get("min", 0) or 0)
        if wallet.get(key, 0) < need:
            return [f"needs {need} {names.get(key, key)}"]
        return []
    if "context" in requirement:
        leaf = requirement["context"] or {}
        field, want = str(leaf.get("field", "")), leaf.get("equals")
        if context.get(field) != want:
            return [f"only for {field} = {want}"]
        return []
    return []


def cost_shortfall(
    cost: EntryCost | None,
    wallet: Mapping[str, int],
    inventory: Mapping[str, int],
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """What the player lacks to pay ``cost`` (empty list when affordable)."""
    if cost is None:
        return []
    names = names or {}
    out: list[str] = []
    for currency in cost.currencies:
        have = wallet.get(currency.key, 0)
        if have < currency.amount:
            out.append(
                f"needs {currency.amount} {names.get(currency.key, currency.key)} (have {have})"
            )
    for item in cost.items:
        have = inventory.get(item.key, 0)
        if have < item.quantity:
            out.append(f"needs {item.quantity}\u00d7 {names.get(item.key, pretty_key(item.key))}")
    return out


def cost_label(cost: EntryCost | None) -> str:
    """``gold 50`` style badge text; ``free`` without a cost."""
    if cost is None or (not cost.currencies and not cost.items):
        return "free"
    parts = [f"{c.key} {c.amount}" for c in cost.currencies]
    parts += [f"{i.quantity}\u00d7 {i.key}" for i in cost.items]
    return " + ".join(parts)


def lock_reason(
    listing: EventListing,
    wallet: Mapping[str, int],
    inventory: Mapping[str, int],
    exhausted: Mapping[tuple[str, str], str],
    names: Mapping[str, str] | None = None,
) -> str | None:
    """Why the player cannot start ``listing`` now, or None when they can.

    An attempt already in progress always counts as startable (start resumes it).
    """
    if listing.current_attempt_id:
        return None
    capped = exhausted.get((listing.event_key, listing.window_id))
    if capped:
        return capped
    reasons = requirement_failures(listing.entry_requirement, wallet, inventory, names=names)
    reasons += cost_shortfall(listing.entry_cost, wallet, inventory, names)
    return "; ".join(reasons) if reasons else None


ALWAYS_OPEN_S = 400 * 86400


def ends_phrase(seconds: float | None, verb: str = "ends") -> str:
    """How long until something ends, as a phrase: ``ends in 5h 12m``, ``ended``, or
    ``no end date`` for an event without an end (or one years away)."""
    if seconds is None or seconds >= ALWAYS_OPEN_S:
        return "no end date"
    if seconds <= 0:
        return "ended"
    return f"{verb} in {countdown(seconds)}"


def countdown(seconds: float) -> str:
    """A compact time left: ``3d 04h``, ``5h 12m``, ``04:09``, ``ended`` or ``no end``."""
    if seconds <= 0:
        return "ended"
    if seconds >= ALWAYS_OPEN_S:
        return "no end"
    total = math.ceil(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes:02d}:{secs:02d}"


def describe_entry(entry: RewardEntryPreview, names: Mapping[str, str] | None = None) -> str:
    """``10 gold``, ``1× Health Potion``, ``gold 5–20``: one reward entry in words."""
    names = names or {}
    key = entry.resource_key
    name = names.get(key, key if entry.type == "currency" else pretty_key(key))
    count = entry.count
    amount = str(count) if isinstance(count, int) else f"{count.min}\u2013{count.max}"
    if entry.type == "currency":
        return f"{amount} {name}"
    return f"{amount}\u00d7 {name}"


def describe_entries(
    entries: list[RewardEntryPreview], names: Mapping[str, str] | None = None
) -> str:
    """Several entries joined with commas (``nothing`` for none)."""
    return ", ".join(describe_entry(e, names) for e in entries) or "nothing"


def entry_icon(entry: RewardEntryPreview) -> str:
    """The sprite that stands for an entry's currency or item."""
    return resource_icon(entry.resource_key, crate=entry.type == "crate")


def resource_icon(key: str, *, crate: bool = False) -> str:
    """The sprite for a currency / item key."""
    if crate or key.startswith("crate"):
        return "crate"
    return {
        "gold": "coin",
        "gems": "gem",
        "xp": "xp",
        "level": "xp",
        "health_potion": "potion",
        "hunter_badge": "badge",
    }.get(key, "sparkle")


def next_milestone(
    listing: EventListing | None, metrics: Mapping[str, float]
) -> MilestoneRewardPreview | None:
    """The lowest milestone the attempt has not reached yet (None when all fired)."""
    if listing is None:
        return None
    primary = listing.metric_keys[0] if listing.metric_keys else ""
    ahead = [
        m
        for m in listing.milestone_rewards
        if metrics.get(m.metric_key or primary, 0.0) < m.threshold
    ]
    return min(ahead, key=lambda m: m.threshold, default=None)


def metric_target(listing: EventListing | None) -> float | None:
    """The primary metric's completion target, when the event has one."""
    if listing is None or not listing.metrics:
        return None
    target = listing.metrics[0].get("target")
    return float(target) if isinstance(target, int | float) else None


def redact(value: Any) -> Any:
    """A copy of JSON-like ``value`` with every secret-looking field masked."""
    if isinstance(value, Mapping):
        return {
            k: (MASK if str(k).lower() in SECRET_KEYS and v else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def pretty_json(value: Any, limit: int = 6000) -> str:
    """Indented JSON of ``value`` (secrets redacted), cut at ``limit`` characters."""
    try:
        text = json.dumps(redact(value), indent=2, sort_keys=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "\n\u2026"


def describe_policy(
    policy: RewardPolicySummary, names: Mapping[str, str] | None = None
) -> list[str]:
    """End-of-window rewards in words, one line per bundle or tier."""
    kind = policy.type
    if kind == "fixed_bundle" and policy.bundle is not None:
        return [f"every finisher: {describe_entries(policy.bundle.entries, names)}"]
    if kind == "rank_scaled" and policy.tiers:
        lines = []
        for tier in policy.tiers:
            ranks = (
                f"#{tier.from_rank}"
                if tier.from_rank == tier.to_rank
                else f"#{tier.from_rank}-{tier.to_rank}"
            )
            what = describe_entries(tier.bundle.entries, names) if tier.bundle else "nothing"
            lines.append(f"{ranks}: {what}")
        return lines
    if kind == "shared_pool" and policy.pool is not None:
        return [f"top tier shares {format_score(policy.pool)} {policy.currency_key or ''}".strip()]
    return ["none" if kind == "none" else kind.replace("_", " ")]


def format_score(value: float) -> str:
    """Scores as integers when they are whole."""
    return _fmt_number(value)


def describe_error(error: BaseException) -> str:
    """A short, secret-free description of a failed call."""
    if isinstance(error, KratyApiError):
        return f"{error.code} ({error.status}): {error.message}"
    if isinstance(error, KratyError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def jsonable(value: Any) -> Any:
    """A JSON-friendly view of an SDK result (models show their raw wire JSON)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict) and raw:
        return raw
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, BaseException):
        return describe_error(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "raw"
        }
    return repr(value)


#: The second player of the Friends screen (seeded by the emulator's demo config).
RIVAL_ID: Final = "player_7"
#: How long a holding row glows after a live change.
GLOW_S: Final = 6.0


def player_name(player: Any) -> str:
    """The name to show for a friend, request or gift party (its id when it has none)."""
    identity = getattr(player, "display_identity", None)
    name = getattr(identity, "name", "") if identity is not None else ""
    return name or str(getattr(player, "external_player_id", "") or "?")


def describe_gift(gift: Gift, names: dict[str, str]) -> str:
    """``10 gold`` or ``1× Health Potion``."""
    key = gift.resource_key
    if gift.type == "currency":
        return f"{gift.amount} {names.get(key, key)}"
    return f"{gift.amount}\u00d7 {names.get(key, pretty_key(key))}"
