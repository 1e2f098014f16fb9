"""Rules that need the whole config: references between tables and duplicate keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kraty_pygame.emulator.config.models import GameConfig, RewardEntry
from kraty_pygame.emulator.config.problems import Report


def _duplicates(report: Report, keys: Iterable[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            report.error(path.format(i=i), f"duplicate {what} {key!r}")
        seen.add(key)


def _entries(report: Report, cfg: GameConfig, entries: tuple[RewardEntry, ...], path: str) -> None:
    for i, entry in enumerate(entries):
        kind = entry.get("type")
        if kind == "currency" and cfg.currency(str(entry.get("currencyKey"))) is None:
            report.error(f"{path}[{i}].currencyKey", f"unknown currency {entry['currencyKey']!r}")
        if kind == "item" and cfg.item(str(entry.get("itemKey"))) is None:
            report.error(f"{path}[{i}].itemKey", f"unknown item {entry['itemKey']!r}")
        if kind == "crate":
            item = cfg.item(str(entry.get("crateItemKey")))
            if item is None or item.crate is None:
                report.error(
                    f"{path}[{i}].crateItemKey",
                    f"{entry.get('crateItemKey')!r} is not an item with a crate table",
                )


def _condition(report: Report, cfg: GameConfig, cond: Any, path: str) -> None:
    if not isinstance(cond, dict):
        return
    for op, arg in cond.items():
        if op in ("all", "any"):
            for i, child in enumerate(arg):
                _condition(report, cfg, child, f"{path}.{op}[{i}]")
        elif op == "not":
            _condition(report, cfg, arg, f"{path}.not")
        elif op == "item" and cfg.item(str(arg.get("key"))) is None:
            report.error(f"{path}.item.key", f"unknown item {arg.get('key')!r}")
        elif op == "balance" and cfg.currency(str(arg.get("key"))) is None:
            report.error(f"{path}.balance.key", f"unknown currency {arg.get('key')!r}")


def _economy(report: Report, cfg: GameConfig) -> None:
    _duplicates(report, (k.key for k in cfg.api_keys), "api_keys[{i}].key", "API key")
    _duplicates(report, (c.key for c in cfg.currencies), "currencies[{i}].key", "currency")
    _duplicates(report, (i.key for i in cfg.items), "items[{i}].key", "item")
    for i, currency in enumerate(cfg.currencies):
        derived = currency.derived_from
        if derived is not None and cfg.currency(derived.economy) is None:
            report.error(f"currencies[{i}].derived_from.economy", "unknown economy")
        for level, entries in currency.level_rewards.items():
            _entries(report, cfg, entries, f"currencies[{i}].level_rewards.{level}")
    for i, item in enumerate(cfg.items):
        if item.crate is not None and item.crate not in cfg.crates:
            report.error(f"items[{i}].crate", f"no [crates.{item.crate}] table")
    for name, crate in cfg.crates.items():
        _entries(report, cfg, crate.guaranteed, f"crates.{name}.guaranteed")
        for r, row in enumerate(crate.table):
            _entries(report, cfg, row.entries, f"crates.{name}.table[{r}].entries")
    for key, bundle in cfg.reward_bundles.items():
        _entries(report, cfg, bundle.entries, f"reward_bundles.{key}.entries")
    if not any(k.permission_set == "client_sdk" for k in cfg.api_keys):
        report.error("api_keys", "at least one client_sdk key is required")


def _events(report: Report, cfg: GameConfig) -> None:
    _duplicates(report, (e.key for e in cfg.events), "events[{i}].key", "event key")
    for e, event in enumerate(cfg.events):
        path = f"events[{e}]"
        for key, _amount in event.entry_cost.currencies:
            if cfg.currency(key) is None:
                report.error(f"{path}.entry_cost.currencies", f"unknown currency {key!r}")
        for key, _quantity in event.entry_cost.items:
            if cfg.item(key) is None:
                report.error(f"{path}.entry_cost.items", f"unknown item {key!r}")
        for m, milestone in enumerate(event.milestones):
            _entries(report, cfg, milestone.entries, f"{path}.milestones[{m}].entries")
        _condition(report, cfg, event.entry_requirement, f"{path}.entry_requirement")
        _condition(report, cfg, event.unlock_condition, f"{path}.unlock_condition")
        policy = event.reward_policy
        for bundle_key in [policy.bundle] + [tier.bundle for tier in policy.tiers]:
            if bundle_key is not None and bundle_key not in cfg.reward_bundles:
                report.error(f"{path}.reward_policy", f"unknown reward bundle {bundle_key!r}")
        if policy.currency_key is not None and cfg.currency(policy.currency_key) is None:
            report.error(
                f"{path}.reward_policy.currency_key", f"unknown currency {policy.currency_key!r}"
            )
    event_keys = {e.key for e in cfg.events}
    board_keys = {b.key for b in cfg.leaderboards}
    _duplicates(report, (b.key for b in cfg.leaderboards), "leaderboards[{i}].key", "board key")
    for b, board in enumerate(cfg.leaderboards):
        for source in board.contributes_from:
            if source not in event_keys:
                report.error(f"leaderboards[{b}].contributes_from", f"unknown event {source!r}")
    for b, bot in enumerate(cfg.seed_bots):
        for target in bot.boards:
            if target not in board_keys and target not in event_keys:
                report.error(f"seed.bots[{b}].boards", f"unknown board or event {target!r}")


def _seed(report: Report, cfg: GameConfig) -> None:
    ids = (p.external_id for p in cfg.seed_players)
    _duplicates(report, ids, "seed.players[{i}].external_id", "player")
    holders = [
        (f"seed.players[{p}]", pl.wallet, pl.inventory, pl.pending_grants)
        for p, pl in enumerate(cfg.seed_players)
    ]
    new = cfg.new_player
    holders.append(("seed.new_player", new.wallet, new.inventory, new.pending_grants))
    for path, wallet, inventory, grants in holders:
        for key in wallet:
            if cfg.currency(key) is None:
                report.error(f"{path}.wallet.{key}", "unknown currency")
        for key in inventory:
            if cfg.item(key) is None:
                report.error(f"{path}.inventory.{key}", "unknown item")
        for g, grant in enumerate(grants):
            _entries(report, cfg, grant.entries, f"{path}.pending_grants[{g}].entries")


def _gifting(report: Report, cfg: GameConfig) -> None:
    seen: set[tuple[str, str]] = set()
    for i, resource in enumerate(cfg.platform.gifting.resources):
        path = f"gifting.resources[{i}].key"
        if resource.type == "currency" and cfg.currency(resource.key) is None:
            report.error(path, f"unknown currency {resource.key!r}")
        if resource.type == "item" and cfg.item(resource.key) is None:
            report.error(path, f"unknown item {resource.key!r}")
        if (resource.type, resource.key) in seen:
            report.error(path, f"duplicate giftable resource {resource.key!r}")
        seen.add((resource.type, resource.key))


def check(report: Report, cfg: GameConfig) -> None:
    """Report every reference to something the file does not define, and every duplicate."""
    for rule in (_economy, _events, _seed, _gifting):
        rule(report, cfg)
