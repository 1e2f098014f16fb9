"""Load and validate a TOML game config.

Every problem is reported as ``<file>: <toml.key.path>: <what is wrong>``; a syntax
error as ``<file>:<line>:<column>: TOML syntax error: …``. Unknown keys are errors
too (a typo must not silently fall back to a default). :class:`ConfigError` stops
start-up.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC
from importlib import resources
from pathlib import Path
from typing import Any, Final

from kraty_pygame.emulator.clock import CLOCK_MODES, check_reachable
from kraty_pygame.emulator.config import events as config_events
from kraty_pygame.emulator.config import platform as config_platform
from kraty_pygame.emulator.config.lines import KeyLines
from kraty_pygame.emulator.config.models import (
    ApiKeyConfig,
    CrateConfig,
    CrateRow,
    CurrencyConfig,
    DerivedFrom,
    EmulatorSection,
    GameConfig,
    GameSection,
    ItemConfig,
    RewardBundleConfig,
    RewardEntry,
)
from kraty_pygame.emulator.config.parse import (
    ConfigError,
    Ctx,
    Table,
    check_timezone,
    reward_entries,
    tables,
)

__all__ = ["ConfigError", "demo_config_text", "load_config", "parse_config", "parse_config_text"]

_TOML_POS_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)")
DEMO_CONFIG_NAME: Final = "<bundled demo config: kraty_pygame/emulator/data/demo.toml>"


# ---------------------------------------------------------------- sections


def _emulator(ctx: Ctx, data: Any) -> EmulatorSection:
    if data is None:
        return EmulatorSection()
    t = Table(ctx, data, "emulator")
    d = EmulatorSection()
    section = EmulatorSection(
        host=t.text("host", d.host),
        port=t.integer("port", d.port, minimum=0),
        rng_seed=t.integer("rng_seed", d.rng_seed),
        database=t.text("database", d.database),
        clock=t.text("clock", d.clock, choices=CLOCK_MODES),
        start_time=t.time("start_time", None),
        sse_heartbeat_s=t.number("sse_heartbeat_s", d.sse_heartbeat_s, minimum=0.05),
        rate_limit_per_minute=t.integer("rate_limit_per_minute", 0, minimum=0),
        latency_ms=t.integer("latency_ms", 0, minimum=0),
        fail_rate=t.number("fail_rate", 0.0, minimum=0),
        break_after_commit_rate=t.number("break_after_commit_rate", 0.0, minimum=0),
        max_body_bytes=t.integer("max_body_bytes", d.max_body_bytes, minimum=64),
        control_plane=t.boolean("control_plane", None),
    )
    if section.start_time is not None:
        try:
            check_reachable(section.start_time.astimezone(UTC))
        except ValueError as exc:
            ctx.error("emulator.start_time", str(exc))
    for name in ("fail_rate", "break_after_commit_rate"):
        if getattr(section, name) > 1:
            ctx.error(f"emulator.{name}", "must be between 0 and 1")
    t.done()
    return section


from kraty_pygame.emulator.config.events import FILL_STRATEGIES as _FILL_STRATEGIES  # noqa: E402


def _game(ctx: Ctx, data: Any) -> GameSection:
    if data is None:
        return GameSection()
    t = Table(ctx, data, "game")
    d = GameSection()
    section = GameSection(
        id=t.key("id", d.id),
        name=t.text("name", d.name),
        studio_id=t.key("studio_id", d.studio_id),
        inventory_management=t.text(
            "inventory_management", d.inventory_management, ("platform", "studio", "permissive")
        ),
        timezone=check_timezone(ctx, t.text("timezone", "UTC"), "game.timezone"),
        grant_default_ttl_days=t.number(
            "grant_default_ttl_days", d.grant_default_ttl_days, minimum=0
        ),
        lobby_fill_strategy=t.text("lobby_fill_strategy", d.lobby_fill_strategy, _FILL_STRATEGIES),
    )
    t.done()
    return section


def _api_keys(ctx: Ctx, data: Any) -> tuple[ApiKeyConfig, ...]:
    keys: list[ApiKeyConfig] = []
    for path, t in tables(ctx, data, "api_keys"):
        key = t.text("key")
        if isinstance(key, str) and (
            key.count(".") < 1 or key.startswith(".") or key.endswith(".")
        ):
            ctx.error(f"{path}.key", "an API key has the form {prefix}.{secret}")
        keys.append(
            ApiKeyConfig(
                key=key or "",
                permission_set=t.text(
                    "permission_set", choices=("client_sdk", "server_integration")
                ),
                environment=t.text("environment", "test", ("test", "dev", "staging", "live")),
            )
        )
        t.done()
    seen: set[str] = set()
    for i, entry in enumerate(keys):
        if entry.key in seen:
            ctx.error(f"api_keys[{i}].key", "duplicate API key")
        seen.add(entry.key)
    return tuple(keys)


def _currencies(ctx: Ctx, data: Any) -> tuple[CurrencyConfig, ...]:
    result: list[CurrencyConfig] = []
    for path, t in tables(ctx, data, "currencies"):
        derived = None
        raw_derived = t.table("derived_from", None)
        if raw_derived is not None:
            dt = Table(ctx, raw_derived, f"{path}.derived_from")
            thresholds = dt.array("thresholds")
            good = isinstance(thresholds, list) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in thresholds
            )
            if isinstance(thresholds, list) and not good:
                ctx.error(f"{path}.derived_from.thresholds", "expected an array of integers")
            if good and list(thresholds) != sorted(thresholds):
                ctx.error(f"{path}.derived_from.thresholds", "must be in ascending order")
            derived = DerivedFrom(
                economy=dt.key("economy"), thresholds=tuple(thresholds) if good else ()
            )
            dt.done()
        level_rewards: dict[int, tuple[RewardEntry, ...]] = {}
        raw_rewards = t.table("level_rewards", None)
        for level, entries in (raw_rewards or {}).items():
            if not str(level).isdigit():
                ctx.error(f"{path}.level_rewards.{level}", "level keys are integers")
                continue
            level_rewards[int(level)] = reward_entries(
                ctx, entries, f"{path}.level_rewards.{level}"
            )
        icon = t.text("icon_url", None)
        result.append(
            CurrencyConfig(
                key=t.key("key"),
                name=t.localized("name"),
                kind=t.text("kind", "currency", ("currency", "progression")),
                icon_url=icon or None,
                description=t.localized("description", None),
                client_writable=t.boolean("client_writable", False),
                derived_from=derived,
                level_rewards=level_rewards,
            )
        )
        t.done()
    return tuple(result)


def _items(ctx: Ctx, data: Any) -> tuple[ItemConfig, ...]:
    result: list[ItemConfig] = []
    for path, t in tables(ctx, data, "items"):
        tags = t.array("tags", [])
        if not all(isinstance(tag, str) for tag in tags or []):
            ctx.error(f"{path}.tags", "expected an array of strings")
            tags = []
        icon = t.text("icon_url", None)
        result.append(
            ItemConfig(
                key=t.key("key"),
                name=t.localized("name"),
                description=t.localized("description", None),
                item_type=t.text("item_type", "misc"),
                rarity=t.text("rarity", None),
                tags=tuple(tags or ()),
                attributes=dict(t.table("attributes", {}) or {}),
                icon_url=icon or None,
                crate=t.key("crate", None),
            )
        )
        t.done()
    return tuple(result)


def _crates(ctx: Ctx, data: Any) -> dict[str, CrateConfig]:
    result: dict[str, CrateConfig] = {}
    if data is None:
        return result
    top = Table(ctx, data, "crates")
    for name in list(top.data):
        path = f"crates.{name}"
        t = Table(ctx, top.raw(name), path)
        rows: list[CrateRow] = []
        for row_path, row in tables(ctx, t.raw("table", []), f"{path}.table"):
            weight = row.number("weight", minimum=0)
            rows.append(
                CrateRow(
                    weight=float(weight or 0),
                    entries=reward_entries(ctx, row.raw("entries", []), f"{row_path}.entries"),
                )
            )
            row.done()
        guaranteed = reward_entries(ctx, t.raw("guaranteed", []), f"{path}.guaranteed")
        rolls = t.integer("rolls", 1, minimum=0)
        crate = CrateConfig(
            key=name,
            rolls=rolls if isinstance(rolls, int) else 1,
            allow_duplicates=t.boolean("allow_duplicates", True),
            guaranteed=guaranteed,
            table=tuple(rows),
        )
        if crate.rolls > 0 and not any(r.weight > 0 for r in rows):
            ctx.error(f"{path}.table", "needs at least one row with a positive weight")
        if not crate.allow_duplicates and crate.rolls > len([r for r in rows if r.weight > 0]):
            ctx.error(f"{path}.rolls", "more rolls than rows while allow_duplicates = false")
        result[name] = crate
        t.done()
    return result


def _bundles(ctx: Ctx, data: Any) -> dict[str, RewardBundleConfig]:
    result: dict[str, RewardBundleConfig] = {}
    if data is None:
        return result
    top = Table(ctx, data, "reward_bundles")
    for key in list(top.data):
        path = f"reward_bundles.{key}"
        t = Table(ctx, top.raw(key), path)
        result[key] = RewardBundleConfig(
            key=key,
            name=t.localized("name", key),
            entries=reward_entries(ctx, t.raw("entries", []), f"{path}.entries"),
        )
        t.done()
    return result


# ---------------------------------------------------------------- cross references


def _check_entries(ctx: Ctx, cfg: GameConfig, entries: tuple[RewardEntry, ...], path: str) -> None:
    currencies = {c.key for c in cfg.currencies}
    items = {i.key: i for i in cfg.items}
    for i, entry in enumerate(entries):
        if entry.get("type") == "currency" and entry.get("currencyKey") not in currencies:
            ctx.error(f"{path}[{i}].currencyKey", f"unknown currency {entry.get('currencyKey')!r}")
        if entry.get("type") == "item" and entry.get("itemKey") not in items:
            ctx.error(f"{path}[{i}].itemKey", f"unknown item {entry.get('itemKey')!r}")
        if entry.get("type") == "crate":
            item = items.get(str(entry.get("crateItemKey")))
            if item is None or item.crate is None:
                ctx.error(
                    f"{path}[{i}].crateItemKey",
                    f"{entry.get('crateItemKey')!r} is not an item with a crate table",
                )


def _check_condition(ctx: Ctx, cfg: GameConfig, cond: Any, path: str) -> None:
    if not isinstance(cond, dict):
        return
    for op, arg in cond.items():
        if op in ("all", "any"):
            for i, child in enumerate(arg):
                _check_condition(ctx, cfg, child, f"{path}.{op}[{i}]")
        elif op == "not":
            _check_condition(ctx, cfg, arg, f"{path}.not")
        elif op == "item" and cfg.item(str(arg.get("key"))) is None:
            ctx.error(f"{path}.item.key", f"unknown item {arg.get('key')!r}")
        elif op == "balance" and cfg.currency(str(arg.get("key"))) is None:
            ctx.error(f"{path}.balance.key", f"unknown currency {arg.get('key')!r}")


def _check_references(ctx: Ctx, cfg: GameConfig) -> None:
    currency_keys = [c.key for c in cfg.currencies]
    item_keys = [i.key for i in cfg.items]
    for i, key in enumerate(currency_keys):
        if currency_keys.index(key) != i:
            ctx.error(f"currencies[{i}].key", f"duplicate currency {key!r}")
    for i, key in enumerate(item_keys):
        if item_keys.index(key) != i:
            ctx.error(f"items[{i}].key", f"duplicate item {key!r}")
    for i, currency in enumerate(cfg.currencies):
        if (
            currency.derived_from is not None
            and cfg.currency(currency.derived_from.economy) is None
        ):
            ctx.error(f"currencies[{i}].derived_from.economy", "unknown economy")
        for level, entries in currency.level_rewards.items():
            _check_entries(ctx, cfg, entries, f"currencies[{i}].level_rewards.{level}")
    for i, item in enumerate(cfg.items):
        if item.crate is not None and item.crate not in cfg.crates:
            ctx.error(f"items[{i}].crate", f"no [crates.{item.crate}] table")
    for name, crate in cfg.crates.items():
        _check_entries(ctx, cfg, crate.guaranteed, f"crates.{name}.guaranteed")
        for r, row in enumerate(crate.table):
            _check_entries(ctx, cfg, row.entries, f"crates.{name}.table[{r}].entries")
    for key, bundle in cfg.reward_bundles.items():
        _check_entries(ctx, cfg, bundle.entries, f"reward_bundles.{key}.entries")
    for e, event in enumerate(cfg.events):
        path = f"events[{e}]"
        for key, _amount in event.entry_cost.currencies:
            if cfg.currency(key) is None:
                ctx.error(f"{path}.entry_cost.currencies", f"unknown currency {key!r}")
        for key, _quantity in event.entry_cost.items:
            if cfg.item(key) is None:
                ctx.error(f"{path}.entry_cost.items", f"unknown item {key!r}")
        for m, milestone in enumerate(event.milestones):
            _check_entries(ctx, cfg, milestone.entries, f"{path}.milestones[{m}].entries")
        _check_condition(ctx, cfg, event.entry_requirement, f"{path}.entry_requirement")
        _check_condition(ctx, cfg, event.unlock_condition, f"{path}.unlock_condition")
        policy = event.reward_policy
        bundle_keys = [policy.bundle] + [tier.bundle for tier in policy.tiers]
        for bundle_key in bundle_keys:
            if bundle_key is not None and bundle_key not in cfg.reward_bundles:
                ctx.error(f"{path}.reward_policy", f"unknown reward bundle {bundle_key!r}")
        if policy.currency_key is not None and cfg.currency(policy.currency_key) is None:
            ctx.error(
                f"{path}.reward_policy.currency_key", f"unknown currency {policy.currency_key!r}"
            )
    event_keys = {e.key for e in cfg.events}
    board_keys = {b.key for b in cfg.leaderboards}
    for b, board in enumerate(cfg.leaderboards):
        for source in board.contributes_from:
            if source not in event_keys:
                ctx.error(f"leaderboards[{b}].contributes_from", f"unknown event {source!r}")
    for b, bot in enumerate(cfg.seed_bots):
        for target in bot.boards:
            if target not in board_keys and target not in event_keys:
                ctx.error(f"seed.bots[{b}].boards", f"unknown board or event {target!r}")
    holders = [
        (f"seed.players[{p}]", pl.wallet, pl.inventory, pl.pending_grants)
        for p, pl in enumerate(cfg.seed_players)
    ]
    holders.append(
        (
            "seed.new_player",
            cfg.new_player.wallet,
            cfg.new_player.inventory,
            cfg.new_player.pending_grants,
        )
    )
    for path, wallet, inventory, grants in holders:
        for key in wallet:
            if cfg.currency(key) is None:
                ctx.error(f"{path}.wallet.{key}", "unknown currency")
        for key in inventory:
            if cfg.item(key) is None:
                ctx.error(f"{path}.inventory.{key}", "unknown item")
        for g, grant in enumerate(grants):
            _check_entries(ctx, cfg, grant.entries, f"{path}.pending_grants[{g}].entries")
    if not any(k.permission_set == "client_sdk" for k in cfg.api_keys):
        ctx.error("api_keys", "at least one client_sdk key is required")


# ---------------------------------------------------------------- entry points


def parse_config(data: dict[str, Any], source: str, text: str | None = None) -> GameConfig:
    """Validate an already-parsed TOML document (``text``, when given, adds line numbers).

    Raises:
        ConfigError: naming ``source`` and the key path of every problem.
    """
    ctx = Ctx(source, []) if text is None else Ctx(source, [], KeyLines(text).line)
    root = Table(ctx, data, "")
    game = _game(ctx, root.raw("game"))
    players, bots, new_player = config_events.seed(ctx, root.raw("seed"))
    platform = config_platform.parse_sections(ctx, root.raw("friends"), root.raw("gifting"))
    cfg = GameConfig(
        source=source,
        emulator=_emulator(ctx, root.raw("emulator")),
        game=game,
        api_keys=_api_keys(ctx, root.raw("api_keys")),
        currencies=_currencies(ctx, root.raw("currencies")),
        items=_items(ctx, root.raw("items")),
        crates=_crates(ctx, root.raw("crates")),
        reward_bundles=_bundles(ctx, root.raw("reward_bundles")),
        events=config_events.events(
            ctx, root.raw("events"), game.timezone, game.lobby_fill_strategy
        ),
        leaderboards=config_events.leaderboards(ctx, root.raw("leaderboards")),
        seed_players=players,
        seed_bots=bots,
        new_player=new_player,
        platform=platform,
    )
    root.done()
    if not ctx.problems:
        _check_references(ctx, cfg)
        config_platform.check(ctx, cfg)
    if ctx.problems:
        raise ConfigError(source, ctx.problems)
    return cfg


def parse_config_text(text: str, source: str = "<string>") -> GameConfig:
    """Parse and validate TOML text.

    Raises:
        ConfigError: a syntax error (with its line and column) or invalid content.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS_RE.search(message)
        where = f"{source}:{match.group(1)}:{match.group(2)}" if match else source
        detail = _TOML_POS_RE.sub("", message).strip()
        line = f"line {match.group(1)}, column {match.group(2)}: " if match else ""
        raise ConfigError(source, [f"{where}: TOML syntax error: {line}{detail}"]) from None
    return parse_config(data, source, text)


def demo_config_text() -> str:
    """The bundled demo config (``kraty_pygame/emulator/data/demo.toml``)."""
    return (
        resources.files("kraty_pygame.emulator")
        .joinpath("data/demo.toml")
        .read_text(encoding="utf-8")
    )


def load_config(path: str | Path | None = None) -> GameConfig:
    """Load a config file; ``None`` loads the bundled demo config.

    Raises:
        ConfigError: the file is missing, unreadable or invalid.
    """
    if path is None:
        return parse_config_text(demo_config_text(), DEMO_CONFIG_NAME)
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            source, [f"{source}: cannot read the config file: {exc.strerror}"]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(source, [f"{source}: the config file is not UTF-8 text"]) from None
    return parse_config_text(text, source)
