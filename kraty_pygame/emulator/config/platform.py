"""Config sections of the platform features: ``[friends]`` and ``[gifting]``.

The config loader calls :func:`parse_sections` with the raw TOML values of both
sections and stores the result in ``GameConfig.platform``; :func:`check` validates
the references (giftable resources must exist) once the whole file parsed.

```toml
[friends]
presence_interval_s = 30        # the heartbeat interval clients are told to use
presence_ttl_s = 45             # online while the last beat is younger (default 1.5 x interval)

[gifting]
enabled = true
cooldown_seconds = 3600         # per sender -> recipient pair
daily_send_limit = 5            # per sender and day (game timezone); 0 = unlimited
resources = [
  { type = "currency", key = "gold", max_amount = 50, costs_sender = true },
  { type = "item", key = "health_potion", max_amount = 1 },
]
```
"""

from __future__ import annotations

from typing import Any

from kraty_pygame.emulator.config.models import (
    DEFAULT_PRESENCE_INTERVAL_S,
    FriendsConfig,
    GameConfig,
    GiftableResourceConfig,
    GiftingConfig,
    PlatformConfig,
)
from kraty_pygame.emulator.config.parse import Ctx, Table, tables

__all__ = [
    "FriendsConfig",
    "GiftableResourceConfig",
    "GiftingConfig",
    "PlatformConfig",
    "check",
    "parse_sections",
]



def _friends(ctx: Ctx, data: Any) -> FriendsConfig:
    if data is None:
        return FriendsConfig()
    t = Table(ctx, data, "friends")
    interval = t.number("presence_interval_s", DEFAULT_PRESENCE_INTERVAL_S, minimum=0.05)
    interval = float(interval) if isinstance(interval, int | float) else DEFAULT_PRESENCE_INTERVAL_S
    ttl = t.number("presence_ttl_s", interval * 1.5, minimum=0.05)
    t.done()
    return FriendsConfig(
        presence_interval_s=interval,
        presence_ttl_s=float(ttl) if isinstance(ttl, int | float) else interval * 1.5,
    )


def _gifting(ctx: Ctx, data: Any) -> GiftingConfig:
    if data is None:
        return GiftingConfig()
    t = Table(ctx, data, "gifting")
    d = GiftingConfig()
    resources: list[GiftableResourceConfig] = []
    for _path, rt in tables(ctx, t.raw("resources", []), "gifting.resources"):
        max_amount = rt.integer("max_amount", 1, minimum=1)
        resources.append(
            GiftableResourceConfig(
                type=rt.text("type", choices=("currency", "item")) or "",
                key=rt.key("key") or "",
                max_amount=max_amount if isinstance(max_amount, int) else 1,
                costs_sender=bool(rt.boolean("costs_sender", False)),
            )
        )
        rt.done()
    cooldown = t.number("cooldown_seconds", d.cooldown_seconds, minimum=0)
    limit = t.integer("daily_send_limit", d.daily_send_limit, minimum=0)
    section = GiftingConfig(
        enabled=bool(t.boolean("enabled", d.enabled)),
        cooldown_seconds=float(cooldown) if isinstance(cooldown, int | float) else 0.0,
        daily_send_limit=limit if isinstance(limit, int) else 0,
        resources=tuple(resources),
    )
    t.done()
    return section


def parse_sections(ctx: Ctx, friends: Any, gifting: Any) -> PlatformConfig:
    """Parse the raw ``[friends]`` and ``[gifting]`` tables (None when absent)."""
    return PlatformConfig(friends=_friends(ctx, friends), gifting=_gifting(ctx, gifting))


def check(ctx: Ctx, cfg: GameConfig) -> None:
    """Cross-references: every giftable resource names a configured currency or item."""
    gifting = cfg.platform.gifting
    seen: set[tuple[str, str]] = set()
    for i, resource in enumerate(gifting.resources):
        path = f"gifting.resources[{i}]"
        if resource.type == "currency" and cfg.currency(resource.key) is None:
            ctx.error(f"{path}.key", f"unknown currency {resource.key!r}")
        if resource.type == "item" and cfg.item(resource.key) is None:
            ctx.error(f"{path}.key", f"unknown item {resource.key!r}")
        if (resource.type, resource.key) in seen:
            ctx.error(f"{path}.key", f"duplicate giftable resource {resource.key!r}")
        seen.add((resource.type, resource.key))
