"""Config sections for events, keyed leaderboards and seeded content."""

from __future__ import annotations

from typing import Any, Final

from kraty_pygame.emulator.config.models import (
    EntryCost,
    EventConfig,
    LeaderboardConfig,
    LobbyConfig,
    MetricConfig,
    MilestoneConfig,
    NewPlayerConfig,
    RewardPolicyConfig,
    RewardTier,
    ScheduleConfig,
    SeedBot,
    SeedGrant,
    SeedPlayer,
)
from kraty_pygame.emulator.config.parse import (
    EVENT_BOARD_ID_RE,
    Ctx,
    Table,
    check_timezone,
    condition,
    int_map,
    reward_entries,
    tables,
)

FILL_STRATEGIES: Final = ("fill_with_bots", "start_short", "wait_full")
LEADERBOARD_MODES: Final = ("global", "global_segmented", "grouped", "lobby_matched")


def _schedule(ctx: Ctx, data: Any, path: str) -> ScheduleConfig:
    if data is None:
        return ScheduleConfig()
    t = Table(ctx, data, path)
    kind = t.text("kind", "always", ("always", "once", "recurring"))
    start = t.time("start", None)
    offset = t.number("start_offset_s", None)
    duration = t.number("duration_s", 0, minimum=0)
    every = t.number("every_s", 0, minimum=0)
    metadata = dict(t.table("window_metadata", {}) or {})
    if kind in ("once", "recurring"):
        if (start is None) == (offset is None):
            ctx.error(path, f"a {kind} schedule needs exactly one of start or start_offset_s")
        if not duration:
            ctx.error(f"{path}.duration_s", f"a {kind} schedule needs a positive duration_s")
    elif start is not None or offset is not None or duration:
        ctx.error(path, "an 'always' schedule takes no start, start_offset_s or duration_s")
    if kind == "recurring" and (not every or (duration and every < duration)):
        ctx.error(f"{path}.every_s", "a recurring schedule needs every_s >= duration_s")
    if kind != "recurring" and every:
        ctx.error(f"{path}.every_s", "only recurring schedules take every_s")
    t.done()
    return ScheduleConfig(
        kind=kind or "always",
        start=start,
        start_offset_s=offset,
        duration_s=float(duration or 0),
        every_s=float(every or 0),
        window_metadata=metadata,
    )


def _entry_cost(ctx: Ctx, data: Any, path: str) -> EntryCost:
    if data is None:
        return EntryCost()
    t = Table(ctx, data, path)
    currencies: list[tuple[str, int]] = []
    for _row_path, row in tables(ctx, t.array("currencies", []), f"{path}.currencies"):
        key, amount = row.key("key"), row.integer("amount", minimum=1)
        row.done()
        if isinstance(key, str) and isinstance(amount, int):
            currencies.append((key, amount))
    items: list[tuple[str, int]] = []
    for _row_path, row in tables(ctx, t.array("items", []), f"{path}.items"):
        key, quantity = row.key("key"), row.integer("quantity", minimum=1)
        row.done()
        if isinstance(key, str) and isinstance(quantity, int):
            items.append((key, quantity))
    t.done()
    return EntryCost(currencies=tuple(currencies), items=tuple(items))


def _metric(ctx: Ctx, t: Table) -> MetricConfig:
    reset_on = t.text("reset_on", "")
    return MetricConfig(
        key=t.key("key") or "",
        target=t.number("target", None, minimum=0),
        cap=t.number("cap", None, minimum=0),
        cap_at_target=t.boolean("cap_at_target", False),
        reset_on=reset_on or None,
        score_per_unit=float(t.number("score_per_unit", 1.0)),
        max_increment_per_call=t.number("max_increment_per_call", None, minimum=0),
        max_rate_per_second=t.number("max_rate_per_second", None, minimum=0),
    )


def _reward_policy(ctx: Ctx, data: Any, path: str) -> RewardPolicyConfig:
    if data is None:
        return RewardPolicyConfig()
    t = Table(ctx, data, path)
    kind = t.text("type", "none", ("none", "fixed_bundle", "rank_scaled", "shared_pool"))
    tiers: list[RewardTier] = []
    for tier_path, tier in tables(ctx, t.array("tiers", []), f"{path}.tiers"):
        low, high = tier.integer("from_rank", minimum=1), tier.integer("to_rank", minimum=1)
        if isinstance(low, int) and isinstance(high, int) and high < low:
            ctx.error(tier_path, "to_rank is below from_rank")
        tiers.append(
            RewardTier(from_rank=low or 1, to_rank=high or 1, bundle=tier.key("bundle", None))
        )
        tier.done()
    policy = RewardPolicyConfig(
        type=kind or "none",
        bundle=t.key("bundle", None),
        tiers=tuple(tiers),
        pool=t.integer("pool", None, minimum=1),
        currency_key=t.key("currency_key", None),
        winners=t.integer("winners", 1, minimum=1) or 1,
    )
    if policy.type == "fixed_bundle" and policy.bundle is None:
        ctx.error(f"{path}.bundle", "fixed_bundle needs a bundle")
    if policy.type == "rank_scaled" and not policy.tiers:
        ctx.error(f"{path}.tiers", "rank_scaled needs tiers")
    if policy.type == "shared_pool" and (policy.pool is None or policy.currency_key is None):
        ctx.error(path, "shared_pool needs pool and currency_key")
    t.done()
    return policy


def _lobby(ctx: Ctx, data: Any, path: str, default_strategy: str, session: float) -> LobbyConfig:
    t = Table(ctx, data, path)
    capacity = t.integer("capacity", minimum=1) or 1
    timeout = float(t.number("fill_timeout_s", 30, minimum=0))
    delay = float(t.number("bot_fill_delay_s", 0, minimum=0))
    default_drip = max(timeout - delay, 0.001) / max(1, capacity - 1)
    drip = float(t.number("bot_drip_interval_s", default_drip, minimum=0.001))
    spm = t.array("bot_score_per_minute", [10, 30])
    if not (
        isinstance(spm, list)
        and len(spm) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in spm)
        and spm[0] <= spm[1]
    ):
        ctx.error(f"{path}.bot_score_per_minute", "expected [low, high] numbers with low <= high")
        spm = [10, 30]
    names = t.array("bot_names", [])
    if not all(isinstance(n, str) for n in names or []):
        ctx.error(f"{path}.bot_names", "expected an array of strings")
        names = []
    lobby = LobbyConfig(
        capacity=capacity,
        fill_timeout_s=timeout,
        fill_bots=t.boolean("fill_bots", True),
        fill_strategy=t.text("fill_strategy", default_strategy, FILL_STRATEGIES)
        or default_strategy,
        bot_fill_delay_s=delay,
        bot_drip_interval_s=drip,
        session_duration_s=float(t.number("session_duration_s", session, minimum=1)),
        end_trigger=t.text("end_trigger", "timer", ("timer", "first_to_target")) or "timer",
        bot_score_per_minute=(float(spm[0]), float(spm[1])),
        bot_names=tuple(names or ()),
    )
    t.done()
    return lobby


def events(
    ctx: Ctx, data: Any, game_timezone: str, default_strategy: str
) -> tuple[EventConfig, ...]:
    result: list[EventConfig] = []
    for path, t in tables(ctx, data, "events"):
        metrics = tuple(
            _metric(ctx, m) for _p, m in tables(ctx, t.array("metrics", []), f"{path}.metrics")
        )
        milestones: list[MilestoneConfig] = []
        for ms_path, ms in tables(ctx, t.array("milestones", []), f"{path}.milestones"):
            milestones.append(
                MilestoneConfig(
                    key=ms.key("key") or "",
                    metric=ms.key("metric") or "",
                    threshold=float(ms.number("threshold", minimum=0) or 0),
                    grant_kind=ms.text("grant_kind", "reward", ("reward", "crate")) or "reward",
                    entries=reward_entries(ctx, ms.raw("entries", []), f"{ms_path}.entries"),
                )
            )
            ms.done()
        mode = t.text("leaderboard_mode", "global", LEADERBOARD_MODES) or "global"
        attempt_duration = float(t.number("attempt_duration_s", 600, minimum=1))
        raw_lobby = t.table("lobby", None)
        lobby = (
            _lobby(ctx, raw_lobby, f"{path}.lobby", default_strategy, 120.0)
            if raw_lobby is not None
            else None
        )
        raw_req = t.table("entry_requirement", None)
        raw_unlock = t.table("unlock_condition", None)
        event = EventConfig(
            key=t.key("key") or "",
            name=t.localized("name"),
            type=t.text("type", "single_metric", ("single_metric", "multi_metric"))
            or "single_metric",
            leaderboard_mode=mode,
            enabled=t.boolean("enabled", True),
            timezone=check_timezone(ctx, t.text("timezone", game_timezone), f"{path}.timezone"),
            attempt_duration_s=attempt_duration,
            max_attempts_per_window=t.integer("max_attempts_per_window", 0, minimum=0) or 0,
            max_attempts_per_day=t.integer("max_attempts_per_day", 0, minimum=0) or 0,
            metadata=dict(t.table("metadata", {}) or {}),
            schedule=_schedule(ctx, t.table("schedule", None), f"{path}.schedule"),
            entry_cost=_entry_cost(ctx, t.table("entry_cost", None), f"{path}.entry_cost"),
            entry_requirement=(
                condition(ctx, raw_req, f"{path}.entry_requirement")
                if raw_req is not None
                else None
            ),
            unlock_condition=(
                condition(ctx, raw_unlock, f"{path}.unlock_condition")
                if raw_unlock is not None
                else None
            ),
            metrics=metrics,
            milestones=tuple(milestones),
            reward_policy=_reward_policy(
                ctx, t.table("reward_policy", None), f"{path}.reward_policy"
            ),
            lobby=lobby,
        )
        t.done()
        if not event.metrics:
            ctx.error(f"{path}.metrics", "an event needs at least one metric")
        if event.type == "single_metric" and len(event.metrics) > 1:
            ctx.error(f"{path}.type", "single_metric events have exactly one metric")
        if event.is_lobby_matched and event.lobby is None:
            ctx.error(f"{path}.lobby", "a lobby_matched event needs a [events.lobby] table")
        if event.lobby is not None and not event.is_lobby_matched:
            ctx.error(f"{path}.lobby", "only lobby_matched events take a lobby table")
        metric_keys = [m.key for m in event.metrics]
        if len(set(metric_keys)) != len(metric_keys):
            ctx.error(f"{path}.metrics", "duplicate metric key")
        for i, metric in enumerate(event.metrics):
            if metric.reset_on is not None and metric.reset_on not in metric_keys:
                ctx.error(
                    f"{path}.metrics[{i}].reset_on", f"unknown sibling metric {metric.reset_on!r}"
                )
        seen: set[str] = set()
        for i, milestone in enumerate(event.milestones):
            if milestone.metric and milestone.metric not in metric_keys:
                ctx.error(f"{path}.milestones[{i}].metric", f"unknown metric {milestone.metric!r}")
            if milestone.key in seen:
                ctx.error(f"{path}.milestones[{i}].key", "duplicate milestone key")
            seen.add(milestone.key)
        result.append(event)
    keys = [e.key for e in result]
    for i, key in enumerate(keys):
        if keys.index(key) != i:
            ctx.error(f"events[{i}].key", f"duplicate event key {key!r}")
    return tuple(result)


def leaderboards(ctx: Ctx, data: Any) -> tuple[LeaderboardConfig, ...]:
    result: list[LeaderboardConfig] = []
    for path, t in tables(ctx, data, "leaderboards"):
        key = t.key("key") or ""
        if EVENT_BOARD_ID_RE.match(key):
            ctx.error(
                f"{path}.key",
                "a board key must not look like an event-board id (lb_<12 hex> or a UUID)",
            )
        sources = t.array("contributes_from", [])
        if not all(isinstance(s, str) for s in sources or []):
            ctx.error(f"{path}.contributes_from", "expected an array of event keys")
            sources = []
        segmentation = dict(t.table("segmentation", {"kind": "none"}) or {"kind": "none"})
        _check_segmentation(ctx, segmentation, f"{path}.segmentation")
        result.append(
            LeaderboardConfig(
                key=key,
                name=t.localized("name", None),
                scope=t.text("scope", "game", ("game", "studio")) or "game",
                reset_cadence=t.text("reset_cadence", "never", ("never", "weekly", "monthly"))
                or "never",
                score_aggregation=t.text("score_aggregation", "best", ("best", "latest", "sum"))
                or "best",
                client_scoring=t.boolean("client_scoring", True),
                contributes_from=tuple(sources or ()),
                segmentation=segmentation,
            )
        )
        t.done()
    keys = [b.key for b in result]
    for i, key in enumerate(keys):
        if keys.index(key) != i:
            ctx.error(f"leaderboards[{i}].key", f"duplicate board key {key!r}")
    return tuple(result)


def _check_segmentation(ctx: Ctx, seg: dict[str, Any], path: str) -> None:
    t = Table(ctx, seg, path)
    kind = t.text("kind", "none", ("none", "context", "progression"))
    if kind == "context":
        t.text("field")
        buckets = t.array("buckets")
        if isinstance(buckets, list) and (
            not buckets or not all(isinstance(b, str) for b in buckets)
        ):
            ctx.error(f"{path}.buckets", "expected a non-empty array of strings")
    elif kind == "progression":
        t.key("economy")
        divisions = t.array("divisions")
        if isinstance(divisions, list) and (
            not divisions or not all(isinstance(d, str) for d in divisions)
        ):
            ctx.error(f"{path}.divisions", "expected a non-empty array of strings")
        for name in ("promotion", "relegation"):
            raw = t.table(name, None)
            if raw is not None:
                limit = Table(ctx, raw, f"{path}.{name}")
                limit.integer("places", minimum=1)
                limit.key("item_key")
                limit.done()
    t.done()


def _seed_grants(ctx: Ctx, value: Any, path: str) -> tuple[SeedGrant, ...]:
    grants: list[SeedGrant] = []
    for grant_path, g in tables(ctx, value, path):
        grants.append(
            SeedGrant(
                kind=g.text("kind", "reward", ("reward", "crate")) or "reward",
                source_kind=g.text("source_kind", "admin") or "admin",
                entries=reward_entries(ctx, g.raw("entries", []), f"{grant_path}.entries"),
                expires_in_s=g.number("expires_in_s", None, minimum=1),
            )
        )
        g.done()
    return tuple(grants)


def seed(
    ctx: Ctx, data: Any
) -> tuple[tuple[SeedPlayer, ...], tuple[SeedBot, ...], NewPlayerConfig]:
    if data is None:
        return (), (), NewPlayerConfig()
    top = Table(ctx, data, "seed")
    players: list[SeedPlayer] = []
    for path, t in tables(ctx, top.array("players", []), "seed.players"):
        secret = t.text("secret", None)
        if isinstance(secret, str) and len(secret) < 8:
            ctx.error(f"{path}.secret", "a player secret needs at least 8 characters")
        players.append(
            SeedPlayer(
                external_id=t.text("external_id") or "",
                secret=secret,
                name=t.text("name", None),
                avatar=t.text("avatar", None),
                country=t.text("country", None),
                wallet=int_map(ctx, t.raw("wallet"), f"{path}.wallet"),
                inventory=int_map(ctx, t.raw("inventory"), f"{path}.inventory"),
                metadata=dict(t.table("metadata", {}) or {}),
                pending_grants=_seed_grants(ctx, t.raw("pending_grants"), f"{path}.pending_grants"),
                banned=t.boolean("banned", False),
            )
        )
        t.done()
    ids = [p.external_id for p in players]
    for i, ext in enumerate(ids):
        if ids.index(ext) != i:
            ctx.error(f"seed.players[{i}].external_id", f"duplicate player {ext!r}")
    bots: list[SeedBot] = []
    for path, t in tables(ctx, top.array("bots", []), "seed.bots"):
        boards = t.array("boards", [])
        if not all(isinstance(b, str) for b in boards or []):
            ctx.error(f"{path}.boards", "expected an array of board keys")
            boards = []
        bots.append(
            SeedBot(
                name=t.text("name") or "",
                boards=tuple(boards or ()),
                score=float(t.number("score", 0)),
                country=t.text("country", None),
                avatar=t.text("avatar", None),
            )
        )
        t.done()
    new_player = NewPlayerConfig()
    raw_new = top.table("new_player", None)
    if raw_new is not None:
        t = Table(ctx, raw_new, "seed.new_player")
        names = t.array("synthetic_names", [])
        if not all(isinstance(n, str) for n in names or []):
            ctx.error("seed.new_player.synthetic_names", "expected an array of strings")
            names = []
        new_player = NewPlayerConfig(
            wallet=int_map(ctx, t.raw("wallet"), "seed.new_player.wallet"),
            inventory=int_map(ctx, t.raw("inventory"), "seed.new_player.inventory"),
            synthetic_names=tuple(names or ()),
            pending_grants=_seed_grants(
                ctx, t.raw("pending_grants"), "seed.new_player.pending_grants"
            ),
        )
        t.done()
    top.done()
    return tuple(players), tuple(bots), new_player
