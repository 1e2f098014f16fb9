"""Friends, presence and gifts for the Friends screen, all through the component.

* **Presence.** A heartbeat (``component.friends.heartbeat(status=…)``) every
  ``PRESENCE_HEARTBEAT_INTERVAL`` seconds while the game runs, with a status string
  saying what the player is doing. The component's friends watcher polls the list
  but sends no heartbeat, so the flow times the beats itself.
* **Friend list.** ``component.watch_friends()`` posts ``KRATY_FRIENDS`` whenever the
  list or a friend's presence changed; the flow applies it and re-reads the list with
  ``progression=["level", "xp"]`` when a friend it has no balances for appears.
* **Requests and gifts.** No watcher covers them: the flow polls ``list_requests()``
  and ``gifts(status="pending")`` (often while the Friends screen is open, now and then
  otherwise) and toasts each new one. A gift is also a grant: its ``grant_created`` on
  the live inventory stream refreshes the inbox at once.

Every result is written into the ``FriendsState`` of the player who asked, so an
answer that arrives after a switch of player never lands on the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

import pygame

from demo_game import rules
from demo_game.rules import describe_error
from kraty_pygame.component.watchers import Watcher
from kraty_pygame.sdk import (
    PRESENCE_HEARTBEAT_INTERVAL,
    BlockedPlayer,
    Friend,
    FriendCode,
    FriendRequest,
    FriendRequests,
    Gift,
    GiftableResource,
    GiftCatalog,
    KratyApiError,
    PlayerPresence,
    SendFriendRequestResult,
)

if TYPE_CHECKING:
    from demo_game.app import App
    from demo_game.session import Session
    from demo_game.state import FriendsState
    from kraty_pygame.component import KratyComponent

log = logging.getLogger(__name__)

#: Balances shown next to every friend (the demo's progression and its derived level).
PROGRESSION: Final = ("level", "xp")
#: How often the component's watcher polls the friend list (presence changes).
FRIENDS_POLL_S: Final = 5.0
#: How often requests and the gift inbox are polled (Friends screen open / elsewhere).
INBOX_POLL_VISIBLE_S: Final = 5.0
INBOX_POLL_HIDDEN_S: Final = 15.0
GIFT_MESSAGE: Final = "from the Kraty demo"


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
    return f"{gift.amount}\u00d7 {names.get(key, rules.pretty_key(key))}"


def _friendly(error: BaseException, code: str | None = None) -> str:
    if isinstance(error, KratyApiError):
        messages = {
            "friend_code_invalid": f"No player has the friend code {code}." if code else "",
            "already_friends": "You are friends already.",
            "cannot_friend_self": "That is your own friend code.",
            "player_blocked": "A block stands between you and this player.",
            "gifting_disabled": "This game has gifting turned off.",
        }
        text = messages.get(error.code)
        if text:
            return text
    return describe_error(error)


class FriendsFlow:
    """The friend code, presence heartbeat, friend list, requests, blocks and gifts."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._watcher: Watcher | None = None
        self.active = False
        self._clock = 0.0
        self._next_beat = 0.0
        self._next_poll = 0.0
        self._busy: set[str] = set()

    @property
    def state(self) -> FriendsState:
        return self.session.state.friends

    @property
    def app(self) -> App:
        return self.session.app

    @property
    def component(self) -> KratyComponent:
        return self.session.component

    # ================================================================== lifecycle

    def start(self) -> None:
        """Identity known: start the friends watcher, beat once and read everything."""
        if self.session.closing:
            return
        self.stop_watchers()
        with self.session.meter.measure():
            self._watcher = self.component.watch_friends(interval=FRIENDS_POLL_S)
        self.active = True
        self._busy.clear()
        self.heartbeat()
        self.refresh()

    def stop_watchers(self) -> None:
        """Stop the watcher and the timers (sign out, switch player, shutdown)."""
        self.active = False
        if self._watcher is not None:
            with self.session.meter.measure():
                self._watcher.stop()
            self._watcher = None

    def tick(self, dt: float) -> None:
        """Once per frame: heartbeat and inbox polling when they are due."""
        self._clock += dt
        if not self.active or self.session.signed_out or self.session.closing:
            return
        if self._clock >= self._next_beat:
            self.heartbeat()
        if self._clock >= self._next_poll:
            self.refresh_requests()
            self.refresh_gifts()

    def _call(
        self,
        key: str,
        make: Callable[[], Any],
        on_ok: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """One read at a time per ``key`` (a poll never piles up behind a slow one)."""
        if key in self._busy or not self.active:
            return
        self._busy.add(key)

        def ok(result: Any) -> None:
            self._busy.discard(key)
            on_ok(result)

        def failed(error: BaseException) -> None:
            self._busy.discard(key)
            if on_error is not None:
                on_error(error)
            else:
                log.info("%s failed: %s", key, describe_error(error))

        if self.session.call(make, ok, failed) is None:
            self._busy.discard(key)

    # ================================================================== presence

    def presence_status(self) -> str:
        """What friends see the player doing (the heartbeat's ``status``)."""
        quest = self.session.state.quest
        if quest.phase in ("playing", "lobby"):
            return f"playing {rules.pretty_key(quest.event_key)}"
        return f"on the {self.app.screen.title} screen" if self.app.screens else "in the menu"

    def heartbeat(self) -> None:
        """``friends.heartbeat(status=…)``: stay online for friends for one more interval."""
        self._next_beat = self._clock + PRESENCE_HEARTBEAT_INTERVAL
        fs = self.state
        status = self.presence_status()
        self._call(
            "heartbeat",
            lambda: self.component.friends.heartbeat(status=status),
            lambda presence: self._beat(fs, presence),
        )

    def _beat(self, fs: FriendsState, presence: PlayerPresence) -> None:
        fs.presence = presence
        fs.heartbeats += 1

    @property
    def next_beat_in(self) -> float:
        """Seconds until the next heartbeat."""
        return max(0.0, self._next_beat - self._clock)

    # ================================================================== reads

    def refresh(self) -> None:
        """Read everything: code, friends, requests, blocks, gift catalog, inbox, sent."""
        fs = self.state
        self._call(
            "code",
            lambda: self.component.friends.get_code(progression=list(PROGRESSION)),
            lambda code: self._got_code(fs, code),
        )
        self.refresh_list()
        self.refresh_requests()
        self.refresh_blocks()
        self.refresh_gifts()

    def _got_code(self, fs: FriendsState, code: FriendCode) -> None:
        fs.code = code

    def refresh_list(self) -> None:
        """``friends.list(progression=["level", "xp"])``."""
        fs = self.state
        self._call(
            "list",
            lambda: self.component.friends.list(progression=list(PROGRESSION)),
            lambda friends: self._got_friends(fs, list(friends)),
        )

    def on_friends_event(self, event: pygame.event.Event) -> None:
        """``KRATY_FRIENDS``: a snapshot of the list (presence or members changed).

        Snapshots of requests and gifts and the heartbeat's answer are applied too when
        a watcher reports them (``kind``); change events (``friend_added``, ...) are
        only counted: the snapshots that come with them carry the state.
        """
        fs = self.state
        fs.watcher_updates += 1
        kind = getattr(event, "kind", "friends")
        if kind == "friends":
            friends = list(event.friends)
            self._got_friends(fs, friends)
            if any(f.external_player_id not in fs.progression for f in friends):
                self.refresh_list()  # someone new: read their level and xp too
            self.refresh_requests()  # a friendship may have ended a request
        elif kind == "requests":
            self._got_requests(fs, event.requests)
        elif kind == "gifts":
            self._got_inbox(fs, list(event.gifts))
        elif kind == "heartbeat":
            self._beat(fs, event.presence)

    def _got_friends(self, fs: FriendsState, friends: list[Friend]) -> None:
        before = {f.external_player_id: f for f in fs.friends}
        for friend in friends:
            pid = friend.external_player_id
            if friend.progression is not None:
                fs.progression[pid] = dict(friend.progression)
            if friend.gift_cooldown_until:
                fs.cooldowns[pid] = friend.gift_cooldown_until
            else:
                fs.cooldowns.pop(pid, None)
            old = before.get(pid)
            if fs.loaded and fs is self.state:
                if old is None:
                    self._toast(f"{player_name(friend)} is your friend now", "", "info")
                elif friend.online and not old.online:
                    self._toast(f"{player_name(friend)} is online", friend.status or "", "info")
            if old is None and fs.loaded and pid not in fs.accepted:
                fs.accepted.append(pid)
        fs.friends = sorted(friends, key=lambda f: (not f.online, player_name(f).lower()))
        fs.loaded = True

    def refresh_requests(self) -> None:
        """``friends.list_requests()``: pending requests both ways."""
        fs = self.state
        self._next_poll = self._clock + (
            INBOX_POLL_VISIBLE_S if self.app.screen.name == "friends" else INBOX_POLL_HIDDEN_S
        )
        self._call(
            "requests",
            self.component.friends.list_requests,
            lambda requests: self._got_requests(fs, requests),
        )

    def _got_requests(self, fs: FriendsState, requests: FriendRequests) -> None:
        for request in requests.incoming:
            if request.request_id not in fs.seen_requests and fs is self.state:
                self._toast("Friend request", f"from {player_name(request.player)}", "info")
                self.app.assets.play("milestone")
        fs.seen_requests.update(r.request_id for r in requests.incoming)
        fs.incoming = list(requests.incoming)
        fs.outgoing = list(requests.outgoing)

    def refresh_blocks(self) -> None:
        """``friends.list_blocks()``."""
        fs = self.state
        self._call(
            "blocks",
            self.component.friends.list_blocks,
            lambda blocked: setattr(fs, "blocked", list(blocked)),
        )

    def refresh_gifts(self) -> None:
        """The gift catalog, the pending inbox and the sent list."""
        fs = self.state
        self._call(
            "gift_catalog",
            self.component.friends.gift_catalog,
            lambda catalog: self._got_catalog(fs, catalog),
            lambda error: self._gifts_failed(fs, error),
        )
        self._call(
            "inbox",
            lambda: self.component.friends.gifts(status="pending"),
            lambda gifts: self._got_inbox(fs, list(gifts)),
            lambda error: self._gifts_failed(fs, error),
        )
        self._call(
            "sent",
            lambda: self.component.friends.sent_gifts(limit=10),
            lambda gifts: setattr(fs, "sent", list(gifts)),
            lambda error: self._gifts_failed(fs, error),
        )

    def _got_catalog(self, fs: FriendsState, catalog: GiftCatalog) -> None:
        fs.catalog = catalog
        fs.gifting_off = None if catalog.enabled else "gifting is turned off"

    def _gifts_failed(self, fs: FriendsState, error: BaseException) -> None:
        if isinstance(error, KratyApiError) and error.code == "gifting_disabled":
            fs.gifting_off = "gifting is turned off for this game"
        else:
            log.info("gift read failed: %s", describe_error(error))

    def _got_inbox(self, fs: FriendsState, gifts: list[Gift]) -> None:
        names = self.session.state.names()
        for gift in gifts:
            if gift.gift_id not in fs.seen_gifts and fs is self.state:
                self._toast(
                    f"Gift from {player_name(gift.player)}",
                    describe_gift(gift, names),
                    "grant",
                )
        fs.seen_gifts.update(g.gift_id for g in gifts)
        fs.inbox = [g for g in gifts if g.is_pending]

    # ================================================================== requests

    def add_by_code(self, code: str) -> None:
        """``friends.add(friend_code=…)`` (accepts at once if they had asked you)."""
        code = code.strip().upper()
        if not code:
            self.app.notify("Type a friend code first.", "warn")
            return
        fs = self.state
        self.session.call(
            lambda: self.component.friends.add(friend_code=code),
            lambda result: self._added(fs, result),
            lambda error: self.app.notify(_friendly(error, code), "bad"),
        )

    def _added(self, fs: FriendsState, result: SendFriendRequestResult) -> None:
        if result.is_accepted and result.friend is not None:
            name = player_name(result.friend)
            if result.friend.external_player_id not in fs.accepted:
                fs.accepted.append(result.friend.external_player_id)
            self.app.notify(f"{name} had asked you already: you are friends now", "good")
            self.refresh_list()
        elif result.request is not None:
            fs.outgoing = [
                *[r for r in fs.outgoing if r.request_id != result.request.request_id],
                result.request,
            ]
            self.app.notify(f"Request sent to {player_name(result.request.player)}", "good")
        self.refresh_requests()

    def accept(self, request: FriendRequest) -> None:
        """``friends.accept(request_id)``."""
        fs = self.state
        self.session.call(
            lambda: self.component.friends.accept(request.request_id),
            lambda friend: self._accepted(fs, request, friend),
        )

    def _accepted(self, fs: FriendsState, request: FriendRequest, friend: Friend) -> None:
        if friend.external_player_id not in fs.accepted:
            fs.accepted.append(friend.external_player_id)
        fs.incoming = [r for r in fs.incoming if r.request_id != request.request_id]
        self.app.notify(f"You and {player_name(friend)} are friends", "good")
        self.app.assets.play("coin")
        self.refresh_list()
        self.refresh_requests()

    def decline(self, request: FriendRequest) -> None:
        """``friends.decline(request_id)``."""
        fs = self.state
        self.session.call(
            lambda: self.component.friends.decline(request.request_id),
            lambda _: self._request_gone(fs, request, "Declined"),
        )

    def cancel(self, request: FriendRequest) -> None:
        """``friends.cancel_request(request_id)``: withdraw a request you sent."""
        fs = self.state
        self.session.call(
            lambda: self.component.friends.cancel_request(request.request_id),
            lambda _: self._request_gone(fs, request, "Cancelled"),
        )

    def _request_gone(self, fs: FriendsState, request: FriendRequest, verb: str) -> None:
        fs.incoming = [r for r in fs.incoming if r.request_id != request.request_id]
        fs.outgoing = [r for r in fs.outgoing if r.request_id != request.request_id]
        self.app.notify(f"{verb} the request of {player_name(request.player)}", "info")
        self.refresh_requests()

    # ================================================================== friends, blocks

    def remove(self, friend: Friend) -> None:
        """``friends.remove(external_player_id)``: end the friendship (both sides)."""
        fs = self.state
        pid = friend.external_player_id
        self.session.call(
            lambda: self.component.friends.remove(pid),
            lambda _: self._removed(fs, pid, f"Removed {player_name(friend)}"),
        )

    def _removed(self, fs: FriendsState, pid: str, text: str) -> None:
        fs.friends = [f for f in fs.friends if f.external_player_id != pid]
        self.app.notify(text, "info")
        self.refresh_list()

    def block(self, external_player_id: str, name: str) -> None:
        """``friends.block(external_player_id=…)``: ends the friendship and any request."""
        fs = self.state
        self.session.call(
            lambda: self.component.friends.block(external_player_id=external_player_id),
            lambda blocked: self._blocked(fs, blocked, name),
        )

    def _blocked(self, fs: FriendsState, blocked: BlockedPlayer, name: str) -> None:
        fs.blocked = [
            *[b for b in fs.blocked if b.external_player_id != blocked.external_player_id],
            blocked,
        ]
        self._removed(fs, blocked.external_player_id, f"Blocked {name}")
        self.refresh_requests()
        self.refresh_blocks()

    def unblock(self, blocked: BlockedPlayer) -> None:
        """``friends.unblock(external_player_id)``."""
        fs = self.state
        pid = blocked.external_player_id
        self.session.call(
            lambda: self.component.friends.unblock(pid),
            lambda _: self._unblocked(fs, pid, player_name(blocked)),
        )

    def _unblocked(self, fs: FriendsState, pid: str, name: str) -> None:
        fs.blocked = [b for b in fs.blocked if b.external_player_id != pid]
        self.app.notify(f"Unblocked {name}", "info")
        self.refresh_blocks()

    # ================================================================== gifts

    def cooldown_left(self, external_player_id: str) -> float | None:
        """Seconds until ``external_player_id`` can be gifted again (server clock), or None."""
        until = self.state.cooldowns.get(external_player_id)
        if until is None:
            return None
        left = self.session.live.seconds_until(until)
        return left if left is not None and left > 0 else None

    def send_gift(self, friend: Friend, resource: GiftableResource, amount: int) -> None:
        """``friends.send_gift(external_player_id=…, type=…, resource_key=…, amount=…)``."""
        fs = self.state
        pid = friend.external_player_id
        kind: Literal["item", "currency"] = "item" if resource.type == "item" else "currency"
        self.session.call(
            lambda: self.component.friends.send_gift(
                external_player_id=pid,
                type=kind,
                resource_key=resource.key,
                amount=amount,
                message=GIFT_MESSAGE,
            ),
            lambda gift: self._gift_sent(fs, gift),
            lambda error: self._gift_refused(fs, friend, error),
        )

    def _gift_sent(self, fs: FriendsState, gift: Gift) -> None:
        fs.gifts_sent.append(gift.gift_id)
        fs.sent = [gift, *[g for g in fs.sent if g.gift_id != gift.gift_id]]
        catalog = fs.catalog
        sent_at = gift.sent_at_dt
        if catalog is not None and sent_at is not None and catalog.cooldown_seconds > 0:
            # shown at once; the next friend list read confirms it (gift_cooldown_until)
            until = sent_at + timedelta(seconds=catalog.cooldown_seconds)
            fs.cooldowns[gift.player.external_player_id] = until.isoformat()
        names = self.session.state.names()
        self.app.notify(f"Sent {describe_gift(gift, names)} to {player_name(gift.player)}", "good")
        self.app.assets.play("coin")
        self.refresh_list()
        self.refresh_gifts()
        self.session.schedule("player", 0.2)  # the gift may have cost the sender

    def _gift_refused(self, fs: FriendsState, friend: Friend, error: BaseException) -> None:
        details = error.details if isinstance(error, KratyApiError) else None
        reason = (details or {}).get("reason")
        name = player_name(friend)
        if reason == "gift_cooldown":
            until = (details or {}).get("giftCooldownUntil")
            if isinstance(until, str):
                fs.cooldowns[friend.external_player_id] = until
            left = self.cooldown_left(friend.external_player_id)
            wait = rules.countdown(left) if left is not None else "a while"
            self.app.notify(f"You can gift {name} again in {wait}", "warn")
        elif reason == "daily_send_limit":
            self.app.notify("You have sent all of today's gifts.", "warn")
        else:
            self.app.notify(f"Gift to {name}: {_friendly(error)}", "bad")

    def claim_gift(self, gift: Gift) -> None:
        """``friends.claim_gift(gift_id)``: the gift's grant pays out."""
        fs = self.state
        self.session.call(
            lambda: self.component.friends.claim_gift(gift.gift_id),
            lambda claimed: self._gift_claimed(fs, claimed),
        )

    def _gift_claimed(self, fs: FriendsState, gift: Gift) -> None:
        fs.gifts_claimed.append(gift.gift_id)
        fs.inbox = [g for g in fs.inbox if g.gift_id != gift.gift_id]
        names = self.session.state.names()
        self.app.notify(
            f"Claimed {describe_gift(gift, names)} from {player_name(gift.player)}", "good"
        )
        self.app.assets.play("coin")
        self.session.schedule("player", 0.2)

    def _toast(self, title: str, body: str, kind: str) -> None:
        if kind == "grant":
            self.session.toasts.push(title, body, kind="grant")
        else:
            self.session.toasts.push(title, body, kind="info")
