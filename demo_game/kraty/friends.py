"""Friends, presence and gifts, all through the component.

``component.watch_presence()`` sends the presence heartbeat and reads the friend list,
the pending requests and the gift inbox every few seconds; each read and each change
arrives as a ``KRATY_FRIENDS`` event. Snapshots (``friends``, ``requests``, ``gifts``)
replace what the screen shows, changes become toasts. The friend code, blocks, the
gift catalog and sent gifts are plain component calls. Every answer goes into the
``FriendsState`` of the player who asked, so a late answer never lands on the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

import pygame

from kraty_pygame.component import PresenceWatcher
from kraty_pygame.sdk import (
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

from .. import rules
from ..rules import describe_error, describe_gift, player_name

if TYPE_CHECKING:
    from ..state import DemoState, FriendsState
    from .calls import Calls, Feedback, Refresher

log = logging.getLogger(__name__)

#: Balances shown next to every friend (the demo's progression and its derived level).
PROGRESSION: Final = ("level", "xp")
#: How often the presence watcher reads the friend list, the requests and the inbox.
FRIENDS_POLL_S: Final = 5.0
#: How often the flow checks whether the player's activity (the status) changed.
STATUS_CHECK_S: Final = 1.0
#: A read that failed for good (every retry of the SDK's) is tried again this much later,
#: at most ``READ_TRIES`` times in a row.
READ_RETRY_S: Final = 3.0
READ_TRIES: Final = 3
GIFT_MESSAGE: Final = "from the Kraty demo"


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


def _is_final(error: BaseException) -> bool:
    """True for answers a later try would get again (gifting off, a 4xx)."""
    return isinstance(error, KratyApiError) and 400 <= error.status < 500


class Friends:
    """The friend code, presence, friend list, requests, blocks and gifts."""

    def __init__(
        self,
        calls: Calls,
        state: DemoState,
        feedback: Feedback,
        refresher: Refresher,
        activity: Callable[[], str],
    ) -> None:
        """``activity()`` says what the player is looking at (the heartbeat's status)."""
        self.calls = calls
        self.component = calls.component
        self.game_state = state
        self.feedback = feedback
        self.refresher = refresher
        self.activity = activity
        self._watcher: PresenceWatcher | None = None
        self.active = False
        self._clock = 0.0
        self._status = ""
        self._next_status_check = 0.0
        self._busy: set[str] = set()
        self._tries: dict[str, int] = {}
        self._retries: dict[str, tuple[float, Callable[[], None]]] = {}

    @property
    def state(self) -> FriendsState:
        """The active player's friends (a new object after a switch of player)."""
        return self.game_state.friends

    # ================================================================== lifecycle

    def start(self) -> None:
        """Identity known: start the presence watcher and read what it does not cover."""
        if self.calls.closing:
            return
        self.stop_watchers()
        self._status = self.presence_status()
        with self.calls.measure():
            self._watcher = self.component.watch_presence(
                poll_interval=FRIENDS_POLL_S,
                status=self._status,
                progression=list(PROGRESSION),
            )
        self.active = True
        self._busy.clear()
        self._tries.clear()
        self._retries.clear()
        self.refresh()

    def stop_watchers(self) -> None:
        """Stop the presence watcher (sign out, switch player, shutdown)."""
        self.active = False
        if self._watcher is not None:
            with self.calls.measure():
                self._watcher.stop()
            self._watcher = None

    def tick(self, dt: float) -> None:
        """Once per frame: tell the watcher when the player's activity changed."""
        self._clock += dt
        if not self.active:
            return
        for key, (due, retry) in list(self._retries.items()):
            if self._clock >= due:
                del self._retries[key]
                retry()
        if self._clock < self._next_status_check:
            return
        self._next_status_check = self._clock + STATUS_CHECK_S
        status = self.presence_status()
        if status != self._status and self._watcher is not None:
            self._status = status
            with self.calls.measure():
                self._watcher.set_status(status)  # beats at once with the new status

    def poll_now(self) -> None:
        """Have the watcher read the list, requests and inbox now (after our own actions)."""
        if self._watcher is not None:
            with self.calls.measure():
                self._watcher.refresh()

    def _call(
        self,
        key: str,
        make: Callable[[], Any],
        on_ok: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """One read at a time per ``key`` (a refresh never piles up behind a slow one)."""
        if key in self._busy or not self.active:
            return
        self._busy.add(key)

        def ok(result: Any) -> None:
            self._busy.discard(key)
            self._tries.pop(key, None)
            on_ok(result)

        def failed(error: BaseException) -> None:
            self._busy.discard(key)
            tries = self._tries.get(key, 0) + 1
            self._tries[key] = tries
            if tries < READ_TRIES and not _is_final(error):
                self._retries[key] = (
                    self._clock + READ_RETRY_S,
                    lambda: self._call(key, make, on_ok, on_error),
                )
            if on_error is not None:
                on_error(error)
            else:
                log.info("%s failed: %s", key, describe_error(error))

        if self.calls.submit(make, ok, failed) is None:
            self._busy.discard(key)

    # ================================================================== presence

    def presence_status(self) -> str:
        """What friends see the player doing (the heartbeat's ``status``)."""
        quest = self.game_state.quest
        if quest.phase in ("playing", "lobby"):
            return f"playing {rules.pretty_key(quest.event_key)}"
        return self.activity()

    def _beat(self, fs: FriendsState, presence: PlayerPresence) -> None:
        fs.presence = presence
        fs.heartbeats += 1
        fs.last_beat_at = time.monotonic()

    # ================================================================== reads

    def refresh(self) -> None:
        """Everything: the watcher's reads now, plus code, blocks, catalog and sent gifts."""
        fs = self.state
        self.poll_now()
        self._call(
            "code",
            lambda: self.component.friends.get_code(progression=list(PROGRESSION)),
            lambda code: self._got_code(fs, code),
        )
        self.refresh_blocks()
        self.refresh_gifts()

    def _got_code(self, fs: FriendsState, code: FriendCode) -> None:
        fs.code = code

    def on_friends_event(self, event: pygame.event.Event) -> None:
        """``KRATY_FRIENDS`` from the presence watcher: snapshots replace, changes toast."""
        fs = self.state
        fs.watcher_updates += 1
        kind = getattr(event, "kind", "friends")
        if kind == "friends":
            self._got_friends(fs, list(event.friends))
        elif kind == "requests":
            self._got_requests(fs, event.requests)
        elif kind == "gifts":
            self._got_inbox(fs, list(event.gifts))
        elif kind == "heartbeat":
            self._beat(fs, event.presence)
        elif kind == "friend_added":
            pid = event.friend.external_player_id
            if pid not in fs.accepted:
                fs.accepted.append(pid)
            self._drop_requests_with(fs, {pid})
            self._toast(f"{player_name(event.friend)} is your friend now", "", "info")
            self.refresh_gifts()  # a new friend: the gift catalog's counts may differ
        elif kind == "friend_removed":
            self._toast(f"{player_name(event.friend)} left your friends", "", "info")
        elif kind == "presence" and event.online:
            self._toast(f"{player_name(event.friend)} is online", event.friend.status or "", "info")
        elif kind == "request_added" and event.direction == "incoming":
            self._toast("Friend request", f"from {player_name(event.request.player)}", "info")
            self.feedback.play("milestone")
        elif kind == "gift_received":
            names = self.game_state.names()
            gift = event.gift
            self._toast(
                f"Gift from {player_name(gift.player)}", describe_gift(gift, names), "grant"
            )

    def _got_friends(self, fs: FriendsState, friends: list[Friend]) -> None:
        for friend in friends:
            pid = friend.external_player_id
            if friend.progression is not None:
                fs.progression[pid] = dict(friend.progression)
            if friend.gift_cooldown_until:
                fs.cooldowns[pid] = friend.gift_cooldown_until
            else:
                fs.cooldowns.pop(pid, None)
        fs.friends = sorted(friends, key=lambda f: (not f.online, player_name(f).lower()))
        fs.loaded = True
        self._drop_requests_with(fs, {f.external_player_id for f in friends})

    @staticmethod
    def _drop_requests_with(fs: FriendsState, players: set[str]) -> None:
        """A request between friends is settled, even before the next requests read says so."""
        fs.incoming = [r for r in fs.incoming if r.player.external_player_id not in players]
        fs.outgoing = [r for r in fs.outgoing if r.player.external_player_id not in players]

    def _got_requests(self, fs: FriendsState, requests: FriendRequests) -> None:
        fs.incoming = list(requests.incoming)
        fs.outgoing = list(requests.outgoing)
        self._drop_requests_with(fs, {f.external_player_id for f in fs.friends})

    def refresh_blocks(self) -> None:
        """``friends.list_blocks()``."""
        fs = self.state
        self._call(
            "blocks",
            self.component.friends.list_blocks,
            lambda blocked: setattr(fs, "blocked", list(blocked)),
        )

    def refresh_gifts(self) -> None:
        """The gift catalog (rules, today's count) and the sent gifts."""
        fs = self.state
        self._call(
            "gift_catalog",
            self.component.friends.gift_catalog,
            lambda catalog: self._got_catalog(fs, catalog),
            lambda error: self._gifts_failed(fs, error),
        )
        self._call(
            "sent",
            lambda: self.component.friends.sent_gifts(limit=10),
            lambda gifts: setattr(fs, "sent", list(gifts)),
            lambda error: self._gifts_failed(fs, error),
        )

    def gift_arrived(self) -> None:
        """A gift's grant showed up on the live inventory stream: read the inbox now."""
        self.poll_now()

    def _got_catalog(self, fs: FriendsState, catalog: GiftCatalog) -> None:
        fs.catalog = catalog
        fs.gifting_off = None if catalog.enabled else "gifting is turned off"

    def _gifts_failed(self, fs: FriendsState, error: BaseException) -> None:
        if isinstance(error, KratyApiError) and error.code == "gifting_disabled":
            fs.gifting_off = "gifting is turned off for this game"
        else:
            log.info("gift read failed: %s", describe_error(error))

    def _got_inbox(self, fs: FriendsState, gifts: list[Gift]) -> None:
        fs.inbox = [g for g in gifts if g.is_pending]

    # ================================================================== requests

    def add_by_code(self, code: str) -> None:
        """``friends.add(friend_code=…)`` (accepts at once if they had asked you)."""
        code = code.strip().upper()
        if not code:
            self.feedback.notify("Type a friend code first.", "warn")
            return
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.add(friend_code=code),
            lambda result: self._added(fs, result),
            lambda error: self.feedback.notify(_friendly(error, code), "bad"),
        )

    def _added(self, fs: FriendsState, result: SendFriendRequestResult) -> None:
        if result.is_accepted and result.friend is not None:
            name = player_name(result.friend)
            if result.friend.external_player_id not in fs.accepted:
                fs.accepted.append(result.friend.external_player_id)
            self.feedback.notify(f"{name} had asked you already: you are friends now", "good")
        elif result.request is not None:
            fs.outgoing = [
                *[r for r in fs.outgoing if r.request_id != result.request.request_id],
                result.request,
            ]
            self.feedback.notify(f"Request sent to {player_name(result.request.player)}", "good")
        self.poll_now()

    def accept(self, request: FriendRequest) -> None:
        """``friends.accept(request_id)``."""
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.accept(request.request_id),
            lambda friend: self._accepted(fs, request, friend),
        )

    def _accepted(self, fs: FriendsState, request: FriendRequest, friend: Friend) -> None:
        if friend.external_player_id not in fs.accepted:
            fs.accepted.append(friend.external_player_id)
        fs.incoming = [r for r in fs.incoming if r.request_id != request.request_id]
        self.feedback.notify(f"You and {player_name(friend)} are friends", "good")
        self.feedback.play("coin")
        self.poll_now()

    def decline(self, request: FriendRequest) -> None:
        """``friends.decline(request_id)``."""
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.decline(request.request_id),
            lambda _: self._request_gone(fs, request, "Declined"),
        )

    def cancel(self, request: FriendRequest) -> None:
        """``friends.cancel_request(request_id)``: withdraw a request you sent."""
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.cancel_request(request.request_id),
            lambda _: self._request_gone(fs, request, "Cancelled"),
        )

    def _request_gone(self, fs: FriendsState, request: FriendRequest, verb: str) -> None:
        fs.incoming = [r for r in fs.incoming if r.request_id != request.request_id]
        fs.outgoing = [r for r in fs.outgoing if r.request_id != request.request_id]
        self.feedback.notify(f"{verb} the request of {player_name(request.player)}", "info")
        self.poll_now()

    # ================================================================== friends, blocks

    def remove(self, friend: Friend) -> None:
        """``friends.remove(external_player_id)``: end the friendship (both sides)."""
        fs = self.state
        pid = friend.external_player_id
        self.calls.submit(
            lambda: self.component.friends.remove(pid),
            lambda _: self._removed(fs, pid, f"Removed {player_name(friend)}"),
        )

    def _removed(self, fs: FriendsState, pid: str, text: str) -> None:
        fs.friends = [f for f in fs.friends if f.external_player_id != pid]
        self.feedback.notify(text, "info")
        self.poll_now()

    def block(self, external_player_id: str, name: str) -> None:
        """``friends.block(external_player_id=…)``: ends the friendship and any request."""
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.block(external_player_id=external_player_id),
            lambda blocked: self._blocked(fs, blocked, name),
        )

    def _blocked(self, fs: FriendsState, blocked: BlockedPlayer, name: str) -> None:
        fs.blocked = [
            *[b for b in fs.blocked if b.external_player_id != blocked.external_player_id],
            blocked,
        ]
        self._removed(fs, blocked.external_player_id, f"Blocked {name}")
        self.refresh_blocks()

    def unblock(self, blocked: BlockedPlayer) -> None:
        """``friends.unblock(external_player_id)``."""
        fs = self.state
        pid = blocked.external_player_id
        self.calls.submit(
            lambda: self.component.friends.unblock(pid),
            lambda _: self._unblocked(fs, pid, player_name(blocked)),
        )

    def _unblocked(self, fs: FriendsState, pid: str, name: str) -> None:
        fs.blocked = [b for b in fs.blocked if b.external_player_id != pid]
        self.feedback.notify(f"Unblocked {name}", "info")
        self.refresh_blocks()

    # ================================================================== gifts

    def cooldown_left(self, external_player_id: str) -> float | None:
        """Seconds until ``external_player_id`` can be gifted again (server clock), or None."""
        return self.game_state.cooldown_left(external_player_id)

    def send_gift(self, friend: Friend, resource: GiftableResource, amount: int) -> None:
        """``friends.send_gift(external_player_id=…, type=…, resource_key=…, amount=…)``."""
        fs = self.state
        pid = friend.external_player_id
        kind: Literal["item", "currency"] = "item" if resource.type == "item" else "currency"
        self.calls.submit(
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
        names = self.game_state.names()
        text = f"Sent {describe_gift(gift, names)} to {player_name(gift.player)}"
        self.feedback.notify(text, "good")
        self.feedback.play("coin")
        self.poll_now()
        self.refresh_gifts()
        self.refresher.soon("player", 0.2)  # the gift may have cost the sender

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
            self.feedback.notify(f"You can gift {name} again in {wait}", "warn")
        elif reason == "daily_send_limit":
            self.feedback.notify("You have sent all of today's gifts.", "warn")
        else:
            self.feedback.notify(f"Gift to {name}: {_friendly(error)}", "bad")

    def claim_gift(self, gift: Gift) -> None:
        """``friends.claim_gift(gift_id)``: the gift's grant pays out."""
        fs = self.state
        self.calls.submit(
            lambda: self.component.friends.claim_gift(gift.gift_id),
            lambda claimed: self._gift_claimed(fs, claimed),
        )

    def _gift_claimed(self, fs: FriendsState, gift: Gift) -> None:
        fs.gifts_claimed.append(gift.gift_id)
        fs.inbox = [g for g in fs.inbox if g.gift_id != gift.gift_id]
        names = self.game_state.names()
        self.feedback.notify(
            f"Claimed {describe_gift(gift, names)} from {player_name(gift.player)}", "good"
        )
        self.feedback.play("coin")
        self.refresher.soon("player", 0.2)

    def _toast(self, title: str, body: str, kind: str) -> None:
        if kind == "grant":
            self.feedback.toasts.push(title, body, kind="grant")
        else:
            self.feedback.toasts.push(title, body, kind="info")
