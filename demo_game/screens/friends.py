"""Friends: friend code, add by code, friends with presence, requests, blocks and gifts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pygame

from .. import rules
from ..rules import RIVAL_ID, describe_gift, player_name
from ..screens.base import Screen, split_columns, split_rows
from ..theme import GAP, PAD, PALETTE, RADIUS_SMALL
from ..ui import Button, Chips, RowAction, ScrollList, TextInput, Ui, panel, pill, rounded

if TYPE_CHECKING:
    from kraty_pygame.sdk import BlockedPlayer, Friend, FriendRequest, Gift, GiftableResource

    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState, FriendsState


def ago(seconds: float | None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago`` (``?`` when unknown)."""
    if seconds is None:
        return "?"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def duration(seconds: float) -> str:
    """``1 h``, ``1 h 30 min``, ``45 min``, ``30 s``: a rule's length in words."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _resource_key(resource: GiftableResource) -> str:
    return f"{resource.type}:{resource.key}"


class FriendsScreen(Screen):
    """``kraty.friends``: code, presence, friends, requests, blocks, gifts (v0.24.0)."""

    name = "friends"
    title = "Friends"
    icon = "tab_friends"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        flow = actions.friends
        rival = actions.rival
        self.copy = Button(
            "Copy", self._copy, name="friends.copy", variant="secondary", font="small"
        )
        self.code_input = TextInput(
            name="friends.code",
            label="code",
            placeholder="their 6-character code",
            on_submit=lambda _: self._add(),
        )
        self.add_button = Button("Add", self._add, name="friends.add", icon="player")
        self.requests: ScrollList[FriendRequest] = ScrollList(
            self._draw_request,
            name="friends.requests",
            row_height=50,
            actions=self._request_actions,
            empty_text="No pending requests.",
            action_width=58,
        )
        self.rival_accept = Button(
            "Accepts",
            rival.accept_requests,
            name="friends.rival.accept",
            variant="secondary",
            font="small",
        )
        self.rival_ask = Button(
            "Asks me",
            lambda: rival.ask(state.player_id),
            name="friends.rival.ask",
            variant="secondary",
            font="small",
        )
        self.rival_gift = Button(
            "Gifts me",
            lambda: rival.gift(state.player_id),
            name="friends.rival.gift",
            variant="secondary",
            font="small",
        )
        self.list: ScrollList[Friend] = ScrollList(
            self._draw_friend,
            name="friends.list",
            row_height=62,
            actions=self._friend_actions,
            empty_text="No friends yet: share your code, or add theirs.",
            action_width=60,
        )
        self.blocked: ScrollList[BlockedPlayer] = ScrollList(
            self._draw_blocked,
            name="friends.blocked",
            row_height=38,
            actions=lambda b: [RowAction("unblock", "Unblock", flow.unblock, "secondary")],
            empty_text="Nobody blocked.",
            action_width=76,
        )
        self.gift_kind = Chips(name="friends.gift.kind", on_select=self._choose_kind, height=28)
        self.gift_amount = Chips(name="friends.gift.amount", height=28)
        self.send = Button(
            "Send gift", self._send_selected, name="friends.gift.send", icon="sparkle", sound=None
        )
        self.inbox: ScrollList[Gift] = ScrollList(
            self._draw_gift,
            name="friends.inbox",
            row_height=52,
            actions=lambda g: [RowAction("claim", "Claim", flow.claim_gift, "good", g.is_pending)],
            empty_text="No gifts waiting.",
            action_width=70,
        )
        self.sent: ScrollList[Gift] = ScrollList(
            self._draw_sent, name="friends.sent", row_height=28, empty_text="Nothing sent yet."
        )
        for widget in (
            self.copy,
            self.code_input,
            self.add_button,
            self.requests,
            self.rival_accept,
            self.rival_ask,
            self.rival_gift,
            self.list,
            self.blocked,
            self.gift_kind,
            self.gift_amount,
            self.send,
            self.inbox,
            self.sent,
        ):
            self.add(widget)
        self._code = pygame.Rect(0, 0, 0, 0)
        self._add_card = pygame.Rect(0, 0, 0, 0)
        self._requests = pygame.Rect(0, 0, 0, 0)
        self._rival = pygame.Rect(0, 0, 0, 0)
        self._friends = pygame.Rect(0, 0, 0, 0)
        self._blocked = pygame.Rect(0, 0, 0, 0)
        self._gift = pygame.Rect(0, 0, 0, 0)
        self._inbox = pygame.Rect(0, 0, 0, 0)
        self._sent = pygame.Rect(0, 0, 0, 0)
        self._copied = 0.0

    @property
    def fs(self) -> FriendsState:
        return self.state.friends

    # ------------------------------------------------------------------ actions

    def _copy(self) -> None:
        code = self.fs.code.friend_code if self.fs.code is not None else ""
        if not code:
            return
        try:
            pygame.scrap.put_text(code)  # SDL's clipboard (pygame 2.2+: no init needed)
        except (pygame.error, AttributeError, NotImplementedError):
            self.app.notify(f"Your friend code is {code} (no clipboard here)", "info")
            return
        self._copied = 1.5
        self.app.notify(f"Copied {code}: share it with a friend", "good")

    def _add(self) -> None:
        self.actions.friends.add_by_code(self.code_input.value)
        self.code_input.set("")

    def _choose_kind(self, key: str) -> None:
        resource = self._resource(key)
        if resource is not None:
            self.gift_amount.selected = str(min(resource.max_amount, 10) or 1)

    def _resource(self, key: str | None) -> GiftableResource | None:
        catalog = self.fs.catalog
        if catalog is None or key is None:
            return None
        return next((r for r in catalog.resources if _resource_key(r) == key), None)

    def chosen_gift(self) -> tuple[GiftableResource, int] | None:
        """The resource and amount the gift card has selected."""
        resource = self._resource(self.gift_kind.selected)
        if resource is None:
            return None
        try:
            amount = int(self.gift_amount.selected or "1")
        except ValueError:
            amount = 1
        return resource, max(1, min(amount, resource.max_amount or amount))

    def selected_friend(self) -> Friend | None:
        """The friend row selected in the list (the first one when none is)."""
        items = self.list.items
        if not items:
            return None
        return items[self.list.selected] if 0 <= self.list.selected < len(items) else items[0]

    def gift_to(self, friend: Friend) -> None:
        """Send the chosen gift to ``friend``."""
        chosen = self.chosen_gift()
        if chosen is None:
            self.app.notify("No giftable resource (gift catalog not loaded).", "warn")
            return
        resource, amount = chosen
        self.actions.friends.send_gift(friend, resource, amount)

    def _send_selected(self) -> None:
        friend = self.selected_friend()
        if friend is None:
            self.app.notify("Add a friend first: gifts go to friends.", "warn")
            return
        self.gift_to(friend)

    # ------------------------------------------------------------------ rows

    def _request_actions(self, request: FriendRequest) -> list[RowAction[FriendRequest]]:
        flow = self.actions.friends
        if request.is_incoming:
            return [
                RowAction("accept", "Accept", flow.accept, "good"),
                RowAction("decline", "Decline", flow.decline, "secondary"),
            ]
        return [RowAction("cancel", "Cancel", flow.cancel, "secondary")]

    def _friend_actions(self, friend: Friend) -> list[RowAction[Friend]]:
        flow = self.actions.friends
        can_gift = (
            self.fs.gifting_off is None
            and self.fs.catalog is not None
            and self.state.cooldown_left(friend.external_player_id) is None
        )
        return [
            RowAction("gift", "Gift", self.gift_to, "good", can_gift),
            RowAction("remove", "Remove", flow.remove, "secondary"),
            RowAction(
                "block",
                "Block",
                lambda f: flow.block(f.external_player_id, player_name(f)),
                "danger",
            ),
        ]

    def presence_text(self, friend: Friend) -> str:
        """``online · playing Tap Frenzy`` or ``offline · last active 5 min ago``."""
        if friend.online:
            return "online" + (f" \u00b7 {friend.status}" if friend.status else "")
        left = self.state.seconds_until(friend.last_active_at)
        return f"offline \u00b7 last active {ago(-left if left is not None else None)}"

    def cooldown_text(self, friend: Friend) -> str | None:
        """``gift in 59:58`` while the gift cooldown runs, else None."""
        left = self.state.cooldown_left(friend.external_player_id)
        return None if left is None else f"gift in {rules.countdown(left)}"

    def _draw_friend(
        self, surface: pygame.Surface, rect: pygame.Rect, friend: Friend, index: int, ui: Ui
    ) -> None:
        width = self.list.content_width()
        dot = (rect.x + 22, rect.y + 20)
        if friend.online:
            glow = 5 + round(2 * abs(((ui.time * 1.4) % 2) - 1))
            pygame.draw.circle(surface, (40, 110, 70), dot, glow + 3)
        pygame.draw.circle(surface, PALETTE.good if friend.online else PALETTE.faint, dot, 6)
        right = rect.x + width - 4
        progression = self.fs.progression.get(friend.external_player_id, {})
        name = ui.text(
            surface,
            player_name(friend),
            (rect.x + 38, rect.y + 8),
            font=ui.fonts.bold,
            max_width=right - rect.x - 38 - (70 if "level" in progression else 0),
        )
        if "level" in progression:
            pill(
                ui,
                surface,
                f"level {rules.format_score(progression['level'])}",
                (name.right + 8, name.centery),
                color=PALETTE.panel_lo,
                icon="xp",
                anchor="midleft",
            )
        ui.text(
            surface,
            self.presence_text(friend),
            (rect.x + 38, rect.y + 27),
            font=ui.fonts.small,
            color=PALETTE.good if friend.online else PALETTE.muted,
            max_width=right - rect.x - 38,
        )
        x = rect.x + 38
        cooldown = self.cooldown_text(friend)
        if cooldown is not None:
            chip = pill(ui, surface, cooldown, (x, rect.y + 43), color=(92, 70, 30), icon="clock")
            x = chip.right + 4
        if "xp" in progression and x + 60 < right:
            pill(
                ui,
                surface,
                f"xp {rules.format_score(progression['xp'])}",
                (x, rect.y + 43),
                color=PALETTE.panel_lo,
            )

    def _draw_request(
        self, surface: pygame.Surface, rect: pygame.Rect, request: FriendRequest, index: int, ui: Ui
    ) -> None:
        width = self.requests.content_width()
        ui.text(
            surface,
            player_name(request.player),
            (rect.x + 10, rect.y + 6),
            font=ui.fonts.bold,
            max_width=width - 20,
        )
        if request.is_incoming:
            hint, color = "\u2193 wants to be your friend", PALETTE.accent2
        else:
            hint, color = "\u2191 asked, waiting for an answer", PALETTE.muted
        ui.text(
            surface,
            hint,
            (rect.x + 10, rect.y + 26),
            font=ui.fonts.small,
            color=color,
            max_width=width - 20,
        )

    def _draw_blocked(
        self, surface: pygame.Surface, rect: pygame.Rect, blocked: BlockedPlayer, index: int, ui: Ui
    ) -> None:
        surface.blit(ui.assets.image("lock", 20), (rect.x + 8, rect.centery - 10))
        ui.text(
            surface,
            player_name(blocked),
            (rect.x + 36, rect.centery),
            font=ui.fonts.bold,
            anchor="midleft",
            max_width=self.blocked.content_width() - 44,
        )

    def _draw_gift(
        self, surface: pygame.Surface, rect: pygame.Rect, gift: Gift, index: int, ui: Ui
    ) -> None:
        width = self.inbox.content_width()
        names = self.state.names()
        icon = ui.assets.image(rules.resource_icon(gift.resource_key), 30)
        surface.blit(icon, (rect.x + 8, rect.y + 9))
        ui.text(
            surface,
            describe_gift(gift, names),
            (rect.x + 46, rect.y + 6),
            font=ui.fonts.bold,
            max_width=width - 54,
        )
        note = f" \u00b7 \u201c{gift.message}\u201d" if gift.message else ""
        ui.text(
            surface,
            f"from {player_name(gift.player)}{note}",
            (rect.x + 46, rect.y + 26),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=width - 54,
        )

    def _draw_sent(
        self, surface: pygame.Surface, rect: pygame.Rect, gift: Gift, index: int, ui: Ui
    ) -> None:
        names = self.state.names()
        ui.text(
            surface,
            f"{describe_gift(gift, names)} \u2192 {player_name(gift.player)}",
            (rect.x + 8, rect.centery),
            font=ui.fonts.small,
            anchor="midleft",
            max_width=rect.width - 90,
        )
        ui.text(
            surface,
            gift.status,
            (rect.right - 8, rect.centery),
            font=ui.fonts.small,
            color=PALETTE.good if gift.status == "claimed" else PALETTE.muted,
            anchor="midright",
        )

    # ------------------------------------------------------------------ layout

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        left, middle, right = split_columns(rect, [0.29, 0.42, 0.29], GAP * 2)
        rival_h = 112 if self.state.rival.available else 0
        heights: list[int | None] = [146, 84, None]
        if rival_h:
            heights.append(rival_h)
        rows = split_rows(left, heights, GAP * 2)
        self._code, self._add_card, self._requests = rows[0], rows[1], rows[2]
        self._rival = rows[3] if rival_h else pygame.Rect(0, 0, 0, 0)
        self._friends, self._blocked = split_rows(middle, [None, 124], GAP * 2)
        self._gift, self._inbox, self._sent = split_rows(right, [232, None, 118], GAP * 2)

        code = self._code
        self.copy.rect = pygame.Rect(code.right - PAD - 64, code.y + 10, 64, 26)
        card = self._add_card
        x, w = card.x + PAD, card.width - 2 * PAD
        self.code_input.rect = pygame.Rect(x, card.y + 40, w - 118, 32)
        self.add_button.rect = pygame.Rect(card.right - PAD - 110, card.y + 40, 110, 32)
        req = self._requests
        self.requests.rect = pygame.Rect(
            req.x + PAD, req.y + 40, req.width - 2 * PAD, max(0, req.height - 48)
        )
        rival = self._rival
        third = (rival.width - 2 * PAD - 2 * GAP) // 3
        for i, button in enumerate((self.rival_accept, self.rival_ask, self.rival_gift)):
            button.visible = bool(rival_h)
            button.rect = (
                pygame.Rect(rival.x + PAD + i * (third + GAP), rival.bottom - 40, third, 30)
                if rival_h
                else pygame.Rect(0, 0, 0, 0)
            )
        fr = self._friends
        self.list.rect = pygame.Rect(fr.x + PAD, fr.y + 44, fr.width - 2 * PAD, fr.height - 52)
        bl = self._blocked
        self.blocked.rect = pygame.Rect(bl.x + PAD, bl.y + 38, bl.width - 2 * PAD, bl.height - 46)
        gift = self._gift
        gx, gw = gift.x + PAD, gift.width - 2 * PAD
        self.gift_kind.rect = pygame.Rect(gx, gift.y + 58, gw, 28)
        self.gift_amount.rect = pygame.Rect(gx, gift.y + 92, gw, 28)
        self.send.rect = pygame.Rect(gx, gift.bottom - 44, gw, 34)
        ib = self._inbox
        self.inbox.rect = pygame.Rect(ib.x + PAD, ib.y + 40, ib.width - 2 * PAD, ib.height - 48)
        sn = self._sent
        self.sent.rect = pygame.Rect(sn.x + PAD, sn.y + 34, sn.width - 2 * PAD, sn.height - 40)

    def on_enter(self) -> None:
        flow = self.actions.friends
        if flow.active:
            flow.refresh()
        rival = self.state.rival
        if rival.available and not rival.online and not rival.busy:
            self.actions.rival.wake()

    # ------------------------------------------------------------------ frame

    def update(self, dt: float) -> None:
        fs = self.fs
        self._copied = max(0.0, self._copied - dt)
        selected_id = self.selected_friend()
        keep = selected_id.external_player_id if selected_id is not None else None
        self.list.set_items(fs.friends)
        if keep is not None:
            ids = [f.external_player_id for f in fs.friends]
            self.list.selected = ids.index(keep) if keep in ids else self.list.selected
        self.requests.set_items([*fs.incoming, *fs.outgoing])
        self.blocked.set_items(fs.blocked)
        self.inbox.set_items(fs.inbox)
        self.sent.set_items(fs.sent)
        self.copy.enabled = fs.code is not None
        catalog = fs.catalog
        resources = list(catalog.resources) if catalog is not None else []
        names = self.state.names()
        kinds = [(_resource_key(r), names.get(r.key, rules.pretty_key(r.key))) for r in resources]
        selected = self.gift_kind.selected
        if selected not in {k for k, _ in kinds}:
            selected = kinds[0][0] if kinds else None
            self.gift_kind.selected = selected
            if selected is not None:
                self._choose_kind(selected)
        self.gift_kind.set_items(kinds, selected)
        resource = self._resource(selected)
        top = resource.max_amount if resource is not None and resource.max_amount > 0 else 1
        amounts = sorted({a for a in (1, 10, top) if a <= top})
        amount = self.gift_amount.selected
        if amount not in {str(a) for a in amounts}:
            amount = str(min(10, top))
        self.gift_amount.set_items([(str(a), f"\u00d7{a}") for a in amounts], amount)
        friend = self.selected_friend()
        self.send.enabled = (
            friend is not None
            and resource is not None
            and fs.gifting_off is None
            and self.state.cooldown_left(friend.external_player_id) is None
        )
        rival = self.state.rival
        me = self.state.player_id
        for button in (self.rival_accept, self.rival_ask, self.rival_gift):
            button.enabled = rival.available and not rival.busy and me is not None
        super().update(dt)

    # ------------------------------------------------------------------ drawing

    def draw(self, surface: pygame.Surface) -> None:
        ui = self.ui
        fs = self.fs
        for card in (
            self._code,
            self._add_card,
            self._requests,
            self._friends,
            self._blocked,
            self._gift,
            self._inbox,
            self._sent,
        ):
            panel(surface, card)
        if self._rival.width > 0:
            panel(surface, self._rival, color=PALETTE.panel_lo)
        self._draw_code(surface, ui, fs)
        ui.text(
            surface,
            "Add a friend",
            (self._add_card.x + PAD, self._add_card.y + PAD),
            font=ui.fonts.title,
        )
        ui.text(
            surface,
            f"Requests ({len(fs.incoming)} in, {len(fs.outgoing)} out)",
            (self._requests.x + PAD, self._requests.y + PAD),
            font=ui.fonts.title,
            max_width=self._requests.width - 2 * PAD,
        )
        online = sum(1 for f in fs.friends if f.online)
        title = ui.text(
            surface,
            f"Friends ({len(fs.friends)})",
            (self._friends.x + PAD, self._friends.y + PAD),
            font=ui.fonts.title,
        )
        chip = pill(
            ui,
            surface,
            f"{online} online",
            (title.right + 10, title.centery),
            color=(36, 92, 64) if online else PALETTE.panel_hi,
            anchor="midleft",
        )
        ui.text(
            surface,
            f"watcher updates {fs.watcher_updates} \u00b7 "
            f"{self.state.connections.get('presence', 'idle')}",
            (self._friends.right - PAD, title.centery),
            font=ui.fonts.small,
            color=PALETTE.faint,
            anchor="midright",
            max_width=max(0, self._friends.right - PAD - chip.right - 12),
        )
        ui.text(
            surface,
            f"Blocked ({len(fs.blocked)})",
            (self._blocked.x + PAD, self._blocked.y + PAD - 2),
            font=ui.fonts.bold,
        )
        self._draw_gift_card(surface, ui, fs)
        ui.text(
            surface,
            f"Gift inbox ({len(fs.inbox)})",
            (self._inbox.x + PAD, self._inbox.y + PAD),
            font=ui.fonts.title,
        )
        ui.text(surface, "Sent", (self._sent.x + PAD, self._sent.y + PAD - 2), font=ui.fonts.bold)
        if self._rival.width > 0:
            self._draw_rival(surface, ui)
        super().draw(surface)

    def _draw_code(self, surface: pygame.Surface, ui: Ui, fs: FriendsState) -> None:
        card = self._code
        ui.text(surface, "My friend code", (card.x + PAD, card.y + PAD), font=ui.fonts.title)
        code = fs.code.friend_code if fs.code is not None else ""
        box = pygame.Rect(card.x + PAD, card.y + 44, card.width - 2 * PAD, 62)
        rounded(surface, PALETTE.panel_lo, box, RADIUS_SMALL)
        _dashed(surface, PALETTE.accent if self._copied > 0 else PALETTE.border, box)
        if code:
            gap = 6
            tile = min(48, (box.width - 16 - gap * (len(code) - 1)) // max(1, len(code)))
            font = ui.fonts.huge if tile >= 40 else ui.fonts.big
            x = box.centerx - (tile * len(code) + gap * (len(code) - 1)) // 2
            for char in code:
                cell = pygame.Rect(x, box.y + 7, tile, box.height - 14)
                rounded(surface, PALETTE.panel_hi, cell, RADIUS_SMALL)
                ui.text(surface, char, cell.center, font=font, color=PALETTE.gold, anchor="center")
                x += tile + gap
        else:
            ui.text(surface, "loading\u2026", box.center, color=PALETTE.faint, anchor="center")
        presence = fs.presence
        if presence is not None:
            line = f"you: {'online' if presence.online else 'offline'}"
            next_beat = fs.next_beat_in
            if next_beat is not None:
                line += f" \u00b7 heartbeat in {next_beat:.0f} s"
        else:
            line = "you: no heartbeat yet"
        level = (fs.code.progression or {}).get("level") if fs.code is not None else None
        if level is not None:
            line += f" \u00b7 level {rules.format_score(level)}"
        ui.text(
            surface,
            line,
            (card.x + PAD, box.bottom + 10),
            font=ui.fonts.small,
            color=PALETTE.good if presence is not None and presence.online else PALETTE.muted,
            max_width=card.width - 2 * PAD,
        )

    def _draw_gift_card(self, surface: pygame.Surface, ui: Ui, fs: FriendsState) -> None:
        card = self._gift
        x, w = card.x + PAD, card.width - 2 * PAD
        ui.text(surface, "Send a gift", (x, card.y + PAD), font=ui.fonts.title)
        friend = self.selected_friend()
        target = f"to {player_name(friend)}" if friend is not None else "to: pick a friend"
        ui.text(
            surface,
            target,
            (x, card.y + 36),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=w,
        )
        y = self.gift_amount.rect.bottom + 8
        if fs.gifting_off is not None:
            ui.text(surface, fs.gifting_off, (x, y), color=PALETTE.warn, max_width=w)
            return
        left = (
            self.state.cooldown_left(friend.external_player_id)
            if friend is not None
            else None
        )
        if left is not None:
            surface.blit(ui.assets.image("clock", 24), (x, y + 2))
            ui.text(
                surface,
                f"next gift in {rules.countdown(left)}",
                (x + 30, y),
                font=ui.fonts.title,
                color=PALETTE.warn,
                max_width=w - 30,
            )
        elif friend is not None:
            ui.text(surface, "ready to send", (x, y), font=ui.fonts.title, color=PALETTE.good)
        catalog = fs.catalog
        if catalog is not None:
            limit = catalog.daily_send_limit
            ui.text(
                surface,
                f"cooldown {duration(catalog.cooldown_seconds)} per friend"
                f" \u00b7 sent today {catalog.sent_today}" + (f" / {limit}" if limit else ""),
                (x, y + 30),
                font=ui.fonts.small,
                color=PALETTE.muted,
                max_width=w,
            )

    def _draw_rival(self, surface: pygame.Surface, ui: Ui) -> None:
        card = self._rival
        rival = self.state.rival
        x = card.x + PAD
        surface.blit(ui.assets.image("player", 26), (x, card.y + 8))
        ui.text(
            surface,
            f"{rival.name} ({RIVAL_ID})",
            (x + 32, card.y + 8),
            font=ui.fonts.bold,
            max_width=card.width - 2 * PAD - 32,
        )
        status = "online" if rival.online else "asleep"
        if rival.busy:
            status = "busy\u2026"
        code = f"code {rival.code}" if rival.code else "code ?"
        ui.text(
            surface,
            f"on another device \u00b7 {code} \u00b7 {status}",
            (x + 32, card.y + 28),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=card.width - 2 * PAD - 32,
        )

    # ------------------------------------------------------------------ report

    def snapshot(self) -> dict[str, Any]:
        fs = self.fs
        catalog = fs.catalog
        rival = self.state.rival
        return {
            "screen": self.name,
            "code": fs.code.friend_code if fs.code is not None else None,
            "presence": {
                "online": fs.presence.online if fs.presence is not None else None,
                "status": fs.presence.status if fs.presence is not None else None,
                "heartbeats": fs.heartbeats,
            },
            "friends": [
                {
                    "id": f.external_player_id,
                    "name": player_name(f),
                    "online": f.online,
                    "presence": self.presence_text(f),
                    "progression": fs.progression.get(f.external_player_id, {}),
                    "cooldown": self.cooldown_text(f),
                }
                for f in fs.friends
            ],
            "incoming": [
                {"id": r.request_id, "from": r.player.external_player_id} for r in fs.incoming
            ],
            "outgoing": [
                {"id": r.request_id, "to": r.player.external_player_id} for r in fs.outgoing
            ],
            "blocked": [b.external_player_id for b in fs.blocked],
            "gift_catalog": None
            if catalog is None
            else {
                "cooldown_seconds": catalog.cooldown_seconds,
                "sent_today": catalog.sent_today,
                "daily_send_limit": catalog.daily_send_limit,
                "resources": [_resource_key(r) for r in catalog.resources],
            },
            "inbox": [
                {"id": g.gift_id, "from": g.player.external_player_id, "status": g.status}
                for g in fs.inbox
            ],
            "sent": [
                {"id": g.gift_id, "to": g.player.external_player_id, "status": g.status}
                for g in fs.sent
            ],
            "accepted": list(fs.accepted),
            "gifts_sent": list(fs.gifts_sent),
            "gifts_claimed": list(fs.gifts_claimed),
            "watcher_updates": fs.watcher_updates,
            "rival": {
                "available": rival.available,
                "code": rival.code,
                "online": rival.online,
                "actions": list(rival.actions),
            },
        }


def _dashed(surface: pygame.Surface, color: tuple[int, int, int], rect: pygame.Rect) -> None:
    """A dashed outline: the "cut here and share" look of a code to copy."""
    dash, gap = 8, 5
    for x in range(rect.x + 4, rect.right - 4, dash + gap):
        end = min(x + dash, rect.right - 4)
        pygame.draw.line(surface, color, (x, rect.y), (end, rect.y))
        pygame.draw.line(surface, color, (x, rect.bottom - 1), (end, rect.bottom - 1))
    for y in range(rect.y + 4, rect.bottom - 4, dash + gap):
        end = min(y + dash, rect.bottom - 4)
        pygame.draw.line(surface, color, (rect.x, y), (rect.x, end))
        pygame.draw.line(surface, color, (rect.right - 1, y), (rect.right - 1, end))
