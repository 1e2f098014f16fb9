"""Player: identity (sign out / sign in), wallet, live inventory, server clock, pending grants."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pygame

from .. import rules
from ..rules import GLOW_S
from ..screens.base import Screen, split_columns, split_rows
from ..theme import GAP, PAD, PALETTE
from ..ui import MASK, Button, RowAction, ScrollList, TextInput, Ui, panel, pill, rounded

if TYPE_CHECKING:
    from kraty_pygame.sdk import Grant, PlayerItemHolding

    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState

SEEDED_PLAYER = "player_42"
FEED_ROWS = 3


class PlayerScreen(Screen):
    """``active_external_player_id``, ``sign_in`` / ``logout``, wallet, inventory, grants.

    The inventory follows ``KRATY_INVENTORY`` (the component's inventory watcher) and
    the clock card ticks on ``kraty.server_now()`` after ``sync_time()``.
    """

    name = "player"
    title = "Player"
    icon = "tab_player"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        self.sign_out = Button(
            "Sign out", actions.player.sign_out, name="player.sign_out", variant="secondary"
        )
        self.seeded = Button(
            SEEDED_PLAYER,
            actions.player.sign_in_seeded,
            name="player.seeded",
            variant="secondary",
            icon="player",
        )
        self.fresh = Button(
            "New player", actions.player.new_player, name="player.new", variant="secondary"
        )
        self.id_input = TextInput(name="player.id", label="id", placeholder="external player id")
        self.secret_input = TextInput(
            name="player.secret", label="secret", placeholder="player secret", masked=True
        )
        self.sign_in = Button("Sign in", self._sign_in, name="player.sign_in")
        self.inventory: ScrollList[PlayerItemHolding] = ScrollList(
            self._draw_item,
            name="player.inventory",
            row_height=46,
            actions=self._item_actions,
            empty_text="No items.",
        )
        self.grants: ScrollList[Grant] = ScrollList(
            self._draw_grant,
            name="player.grants",
            row_height=54,
            actions=self._grant_actions,
            empty_text="No pending grants.",
        )
        self.collect = Button(
            "Collect all",
            actions.player.collect_all,
            name="player.collect",
            icon="crate",
            sound="coin",
        )
        self.refresh = Button(
            "Refresh", actions.player.refresh, name="player.refresh", variant="secondary"
        )
        self.server_grant = Button(
            "+2 from server",
            actions.emulator.server_grant,
            name="player.server_grant",
            variant="secondary",
            font="small",
            icon="potion",
        )
        self.sync = Button(
            "Sync", actions.player.sync_time, name="player.sync", variant="secondary", font="small"
        )
        for widget in (
            self.sign_out,
            self.seeded,
            self.fresh,
            self.id_input,
            self.secret_input,
            self.sign_in,
            self.server_grant,
            self.inventory,
            self.sync,
            self.refresh,
            self.collect,
            self.grants,
        ):
            self.add(widget)
        self._identity = pygame.Rect(0, 0, 0, 0)
        self._inventory = pygame.Rect(0, 0, 0, 0)
        self._feed = pygame.Rect(0, 0, 0, 0)
        self._wallet = pygame.Rect(0, 0, 0, 0)
        self._clock = pygame.Rect(0, 0, 0, 0)
        self._grants = pygame.Rect(0, 0, 0, 0)
        self.clock_text = ""  # the server time as last drawn (tests watch it tick)

    def _sign_in(self) -> None:
        self.actions.player.sign_in(self.id_input.value.strip(), self.secret_input.value.strip())
        self.secret_input.set("")

    def on_enter(self) -> None:
        self.actions.player.refresh()

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        left, right = split_columns(rect, [0.48, 0.52], GAP * 2)
        self._identity, self._inventory = split_rows(left, [206, None], GAP * 2)
        self._wallet, self._clock, self._grants = split_rows(right, [96, 112, None], GAP * 2)
        x, y, w = self._identity.x + PAD, self._identity.y + 84, self._identity.width - 2 * PAD
        third = (w - 2 * GAP) // 3
        self.sign_out.rect = pygame.Rect(x, y, third, 34)
        self.seeded.rect = pygame.Rect(x + third + GAP, y, third, 34)
        self.fresh.rect = pygame.Rect(x + 2 * (third + GAP), y, w - 2 * (third + GAP), 34)
        y += 44
        self.id_input.rect = pygame.Rect(x, y, w, 32)
        y += 38
        self.secret_input.rect = pygame.Rect(x, y, w - 110, 32)
        self.sign_in.rect = pygame.Rect(x + w - 100, y, 100, 32)
        inv = self._inventory
        feed_h = 22 + FEED_ROWS * 18
        self.inventory.rect = pygame.Rect(
            inv.x + PAD, inv.y + 44, inv.width - 2 * PAD, max(0, inv.height - 60 - feed_h)
        )
        self._feed = pygame.Rect(
            inv.x + PAD, self.inventory.rect.bottom + 6, inv.width - 2 * PAD, feed_h
        )
        self.server_grant.rect = pygame.Rect(inv.right - PAD - 140, inv.y + 9, 140, 28)
        clock = self._clock
        self.sync.rect = pygame.Rect(clock.right - PAD - 70, clock.y + 10, 70, 28)
        grants = self._grants
        self.collect.rect = pygame.Rect(grants.right - PAD - 130, grants.y + 8, 130, 32)
        self.refresh.rect = pygame.Rect(self.collect.rect.x - 100, grants.y + 8, 92, 32)
        self.grants.rect = pygame.Rect(
            grants.x + PAD, grants.y + 48, grants.width - 2 * PAD, grants.height - 56
        )

    def update(self, dt: float) -> None:
        state = self.state
        self.inventory.set_items(sorted(state.inventory, key=lambda h: h.item_key))
        self.grants.set_items(state.pending)
        self.collect.enabled = bool(state.pending)
        self.sign_out.enabled = state.player_id is not None
        self.server_grant.visible = self.state.has_emulator
        self.server_grant.enabled = state.player_id is not None
        super().update(dt)

    # ------------------------------------------------------------------ rows

    def _item_actions(self, holding: PlayerItemHolding) -> list[RowAction[PlayerItemHolding]]:
        return [
            RowAction(
                "use",
                "Use 1",
                lambda h: self.actions.player.consume(h.item_key),
                "secondary",
                holding.quantity > 0,
            )
        ]

    def _grant_actions(self, grant: Grant) -> list[RowAction[Grant]]:
        if grant.is_crate:
            open_crate = self.actions.player.open_crate
            return [RowAction("open", "Open", lambda g: open_crate(g.id), "warn")]
        return [RowAction("claim", "Claim", lambda g: self.actions.player.claim(g.id), "good")]

    def _draw_item(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        holding: PlayerItemHolding,
        index: int,
        ui: Ui,
    ) -> None:
        names = self.state.names()
        glow = self.state.glow.get(holding.item_key, 0.0)
        if glow > 0:
            # a live change just landed on this row: it glows, then fades
            shine = pygame.Surface(rect.size, pygame.SRCALPHA)
            rounded(shine, PALETTE.good, shine.get_rect(), 6)
            shine.set_alpha(round(110 * min(1.0, glow)))
            surface.blit(shine, rect)
            change = next(
                (c for c in self.state.live_changes if c.key == holding.item_key), None
            )
            if change is not None:
                pill(
                    ui,
                    surface,
                    f"{change.delta:+d} {change.origin}",
                    (rect.x + self.inventory.content_width() - 70, rect.centery),
                    color=(36, 92, 64),
                    anchor="midright",
                )
        surface.blit(
            ui.assets.image(rules.resource_icon(holding.item_key), 32), (rect.x + 8, rect.y + 5)
        )
        ui.text(
            surface,
            names.get(holding.item_key, rules.pretty_key(holding.item_key)),
            (rect.x + 50, rect.centery),
            font=ui.fonts.bold,
            anchor="midleft",
            max_width=self.inventory.content_width() - 120,
        )
        ui.text(
            surface,
            f"\u00d7{holding.quantity}",
            (rect.x + self.inventory.content_width() - 16, rect.centery),
            font=ui.fonts.title,
            anchor="midright",
        )

    def _draw_grant(
        self, surface: pygame.Surface, rect: pygame.Rect, grant: Grant, index: int, ui: Ui
    ) -> None:
        names = self.state.names()
        entries = grant.entries
        icon = (
            "crate" if grant.is_crate else (rules.entry_icon(entries[0]) if entries else "sparkle")
        )
        surface.blit(ui.assets.image(icon, 36), (rect.x + 8, rect.y + 9))
        width = self.grants.content_width() - 60
        title = (
            "Crate: " + rules.describe_entries(entries, names)
            if grant.is_crate
            else rules.describe_entries(entries, names)
        )
        ui.text(surface, title, (rect.x + 54, rect.y + 8), font=ui.fonts.bold, max_width=width)
        ui.text(
            surface,
            f"{grant.kind} \u00b7 from {grant.source_kind or '?'} \u00b7 {grant.id}",
            (rect.x + 54, rect.y + 30),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=width,
        )

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        ui = self.ui
        state = self.state
        for card in (self._identity, self._inventory, self._wallet, self._grants):
            panel(surface, card)
        x, y = self._identity.x + PAD, self._identity.y + PAD
        surface.blit(ui.assets.image("player_self", 48), (x, y + 2))
        name = state.display_name or state.synthetic_name or state.player_name
        if state.player_id is None:
            name = "Signed out"
        title = ui.text(
            surface,
            name or "(no name yet)",
            (x + 60, y),
            font=ui.fonts.title,
            max_width=self._identity.width - 220,
        )
        kind = (
            "display name"
            if state.display_name
            else "synthetic name"
            if state.synthetic_name
            else ""
        )
        if state.country:
            kind = f"{kind} \u00b7 {state.country}" if kind else state.country
        if kind and state.player_id is not None:
            pill(
                ui,
                surface,
                kind,
                (title.right + 10, title.centery),
                color=PALETTE.panel_hi,
                anchor="midleft",
            )
        ui.text(
            surface,
            f"id {state.player_id or 'signed out'}",
            (x + 60, y + 26),
            font=ui.fonts.mono,
            color=PALETTE.muted,
            max_width=self._identity.width - 90,
        )
        ui.text(
            surface,
            f"secret {MASK if state.has_secret else '(none)'}",
            (x + 60, y + 44),
            font=ui.fonts.mono,
            color=PALETTE.faint,
        )
        title = ui.text(
            surface,
            "Inventory",
            (self._inventory.x + PAD, self._inventory.y + PAD),
            font=ui.fonts.title,
        )
        connection = self.state.connections.get("inventory", "idle")
        pill(
            ui,
            surface,
            f"live \u00b7 {connection}",
            (title.right + 10, title.centery),
            color=(36, 92, 64) if connection == "connected" else PALETTE.panel_hi,
            anchor="midleft",
        )
        self._draw_feed(surface, ui)
        self._draw_clock(surface, ui)
        ui.text(
            surface, "Wallet", (self._wallet.x + PAD, self._wallet.y + PAD), font=ui.fonts.title
        )
        chip_x = self._wallet.x + PAD
        for holding in sorted(state.wallet, key=lambda h: h.economy_key):
            chip = pill(
                ui,
                surface,
                f"{holding.economy_key} {holding.balance}",
                (chip_x, self._wallet.y + 50),
                color=PALETTE.panel_hi,
                icon=rules.resource_icon(holding.economy_key),
                font=ui.fonts.bold,
            )
            chip_x = chip.right + 8
        if not state.wallet:
            ui.text(surface, "empty", (chip_x, self._wallet.y + 52), color=PALETTE.faint)
        ui.text(
            surface,
            f"Pending grants ({len(state.pending)})",
            (self._grants.x + PAD, self._grants.y + PAD),
            font=ui.fonts.title,
        )
        super().draw(surface)

    def _draw_feed(self, surface: pygame.Surface, ui: Ui) -> None:
        """The latest live changes (``KRATY_INVENTORY``), newest first."""
        feed = self._feed
        if feed.height <= 0:
            return
        rounded(surface, PALETTE.panel_lo, feed, 6)
        ui.text(
            surface,
            "Live changes (inventory stream; own writes filtered)",
            (feed.x + 8, feed.y + 4),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=feed.width - 16,
        )
        changes = list(self.state.live_changes)[:FEED_ROWS]
        names = self.state.names()
        y = feed.y + 22
        if not changes:
            ui.text(surface, "none yet", (feed.x + 8, y), font=ui.fonts.small, color=PALETTE.faint)
        for change in changes:
            if change.kind == "grant_created":
                text = f"new grant ({change.key})"
            else:
                name = names.get(change.key, rules.pretty_key(change.key))
                text = f"{change.delta:+d} {name} \u2192 {change.after}"
            fresh = change.age < GLOW_S
            ui.text(
                surface,
                text,
                (feed.x + 8, y),
                font=ui.fonts.small,
                color=PALETTE.good if fresh else PALETTE.text,
                max_width=feed.width - 150,
            )
            tail = f"{change.origin or 'engine'} \u00b7 {change.reason or change.kind}"
            ui.text(
                surface,
                tail,
                (feed.right - 8, y),
                font=ui.fonts.small,
                color=PALETTE.muted,
                anchor="topright",
                max_width=140,
            )
            y += 18

    def _draw_clock(self, surface: pygame.Surface, ui: Ui) -> None:
        """Server clock: ``kraty.server_now()`` ticking, the last sync's offset and round trip."""
        card = self._clock
        panel(surface, card)
        x = card.x + PAD
        surface.blit(ui.assets.image("clock", 22), (x, card.y + 12))
        ui.text(surface, "Server clock", (x + 28, card.y + PAD), font=ui.fonts.title)
        state = self.state
        now = state.server_now
        if now is None:
            self.clock_text = ""
            ui.text(
                surface,
                "not synced yet (is_time_synced = False)",
                (x, card.y + 46),
                color=PALETTE.faint,
            )
            return
        self.clock_text = now.strftime("%H:%M:%S")
        shown = ui.text(
            surface,
            f"{self.clock_text}.{now.microsecond // 100_000}",
            (x, card.y + 40),
            font=ui.fonts.big,
            color=PALETTE.gold,
        )
        ui.text(
            surface,
            f"{now:%a %d %b %Y} UTC",
            (shown.right + 12, shown.bottom - 4),
            font=ui.fonts.small,
            color=PALETTE.muted,
            anchor="midleft",
        )
        sync = state.time_sync
        parts = [f"is_time_synced {now is not None}"]
        if sync is not None:
            parts.append(f"offset {sync.offset_ms:+.0f} ms")
            parts.append(f"round trip {sync.round_trip_ms:.0f} ms")
        if state.time_synced_at is not None:
            parts.append(f"synced {ago_s(time.monotonic() - state.time_synced_at)}")
        ui.text(
            surface,
            " \u00b7 ".join(parts),
            (x, card.bottom - 22),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=card.width - 2 * PAD,
        )

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        now = state.server_now
        sync = state.time_sync
        return {
            "screen": self.name,
            "player_id": state.player_id,
            "player_name": state.player_name,
            "display_name": state.display_name,
            "synthetic_name": state.synthetic_name,
            "has_secret": state.has_secret,
            "wallet": {h.economy_key: h.balance for h in state.wallet},
            "inventory": {h.item_key: h.quantity for h in state.inventory},
            "pending": [
                {"id": g.id, "kind": g.kind, "source": g.source_kind} for g in state.pending
            ],
            "opened_crates": list(state.opened_crates),
            "claimed": list(state.claimed_grants),
            "live": {
                "connection": state.connections.get("inventory", "idle"),
                "changes": [
                    {
                        "kind": c.kind,
                        "key": c.key,
                        "delta": c.delta,
                        "after": c.after,
                        "origin": c.origin,
                    }
                    for c in state.live_changes
                ],
                "server_grants": state.server_grants,
            },
            "clock": {
                "synced": now is not None,
                "server_now": now.isoformat() if now is not None else None,
                "shown": self.clock_text,
                "offset_ms": round(sync.offset_ms, 1) if sync is not None else None,
                "round_trip_ms": round(sync.round_trip_ms, 1) if sync is not None else None,
                "syncs": state.time_syncs,
            },
        }


def ago_s(seconds: float) -> str:
    """``3 s ago``, ``2 min ago``."""
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    return f"{seconds // 60:.0f} min ago"
