"""Watchers for the later platform features: inventory, friends, presence, clock (no pygame).

* :class:`InventoryWatcher` follows ``kraty.inventory.live()`` and reconnects
  with a backoff when it drops; each event becomes ``KRATY_INVENTORY`` (``kind``:
  ``inventory_changed``, ``wallet_changed``, ``grant_created``; ``data``: the SDK's
  typed model; ``source``: ``"stream"``).
* :class:`FriendsWatcher` polls ``kraty.friends.list()`` and posts ``KRATY_FRIENDS``
  (``kind="friends"``, ``friends``, ``source="poller"``) whenever the list or a
  friend's presence changed. It sends no heartbeat.
* :class:`PresenceWatcher` sends the presence heartbeat itself on a thread of its own
  and polls the friend list, the pending requests and the gift inbox on another; it
  posts ``KRATY_FRIENDS`` snapshots and one event per change (the ``kind`` table is on
  the class).
* :class:`ClockSync` syncs the server clock (``kraty.sync_time()``) once per run,
  off the main thread, and posts nothing: the component starts it at construction and
  on ``resume()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.component.results import LiveItem
from kraty_pygame.component.watchers import ErrorObserver, Sink, Watcher, backoff
from kraty_pygame.sdk._constants import PRESENCE_HEARTBEAT_INTERVAL
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.streams.leaderboard import StreamState

if TYPE_CHECKING:
    from kraty_pygame.sdk.models.friends import Friend, FriendRequest, FriendRequests, Gift
    from kraty_pygame.sdk.models.time import TimeSync
    from kraty_pygame.sdk.streams.inventory import InventoryStream

__all__ = [
    "DEFAULT_PRESENCE_POLL_INTERVAL",
    "ClockSync",
    "FriendsWatcher",
    "InventoryWatcher",
    "PresenceWatcher",
]

_log = logging.getLogger("kraty_pygame.component")

_READY: Final = "ready"

#: Seconds between two reads of the friend list, requests and gift inbox by default:
#: a third of the heartbeat interval, so a friend's presence change is seen well within
#: one heartbeat interval.
DEFAULT_PRESENCE_POLL_INTERVAL: Final = PRESENCE_HEARTBEAT_INTERVAL / 3.0


class InventoryWatcher(Watcher):
    """Live inventory, wallet and grant changes of the active player (or ``as_``).

    Args:
        ignore_own_writes: skip changes this game made itself (``origin == "client"``).
        retry_delay: first reconnect delay in seconds (doubles, capped at 30 s).
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        *,
        ignore_own_writes: bool = False,
        retry_delay: float = 1.0,
        as_: str | None = None,
    ) -> None:
        super().__init__(kraty, sink, on_error, "inventory" if as_ is None else f"inventory:{as_}")
        self._ignore_own = ignore_own_writes
        self._retry_delay = retry_delay
        self._as = as_
        self._stream: InventoryStream | None = None

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        return [self._thread(self._follow, stop)]

    def _interrupt(self, stop: threading.Event) -> None:
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.cancel()

    def _follow(self, stop: threading.Event) -> None:
        attempt = 0
        try:
            while not stop.is_set():
                try:
                    stream = self._kraty.inventory.live(as_=self._as)
                    with self._lock:
                        self._stream = stream
                    if stop.is_set():
                        stream.cancel()
                    self._connection(StreamState.CONNECTED)
                    attempt = 0
                    for event in stream:  # runs to its end so the stream closes its socket
                        if stop.is_set() or event.kind == _READY:
                            continue
                        if self._ignore_own and event.is_own_write:
                            continue
                        attrs = {"kind": event.kind, "data": event.data, "source": "stream"}
                        self._sink(LiveItem("inventory", attrs), None)
                except Exception as exc:
                    if stop.is_set():
                        return
                    self._failed(exc)
                    if isinstance(exc, KratyApiError) and exc.status in (401, 403, 404):
                        self._finished = True
                        return
                    self._connection(StreamState.DROPPED, exc)
                finally:
                    with self._lock:
                        self._stream = None
                if stop.is_set():
                    return
                attempt += 1
                self._connection(StreamState.RECONNECTING)
                if stop.wait(backoff(self._retry_delay, attempt)):
                    return
        finally:
            self._connection(StreamState.CLOSED)


class FriendsWatcher(Watcher):
    """Polls the friend list every ``interval`` seconds; posts it when it changed."""

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        *,
        interval: float = 30.0,
        as_: str | None = None,
    ) -> None:
        super().__init__(kraty, sink, on_error, "friends" if as_ is None else f"friends:{as_}")
        if interval <= 0:
            raise ValueError("interval must be > 0 seconds")
        self._interval = interval
        self._as = as_
        self._last: list[Any] | None = None

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        return [self._thread(self._poll, stop)]

    def _poll(self, stop: threading.Event) -> None:
        failures = 0
        self._connection(StreamState.POLLING)
        try:
            while not stop.is_set():
                try:
                    friends = list(self._kraty.friends.list(as_=self._as))
                except Exception as exc:
                    if stop.is_set():
                        return
                    self._failed(exc)
                    failures += 1
                    self._connection(StreamState.DROPPED, exc)
                    if stop.wait(backoff(self._interval, failures)):
                        return
                    self._connection(StreamState.POLLING)
                    continue
                failures = 0
                if friends != self._last:
                    self._last = friends
                    attrs = {"kind": "friends", "friends": friends, "source": "poller"}
                    self._sink(LiveItem("friends", attrs), ("friends", self.source))
                if stop.wait(self._interval):
                    return
        finally:
            self._connection(StreamState.CLOSED)


class PresenceWatcher(Watcher):
    """Presence heartbeats plus the friend list, pending requests and gift inbox, as events.

    Two threads per run: one sends ``kraty.friends.heartbeat(...)`` at once and then
    every ``heartbeat_interval`` seconds (so the player shows as online to friends);
    the other reads ``friends.list()``, ``friends.list_requests()`` and
    ``friends.gifts(status="pending")`` every ``poll_interval`` seconds and compares
    each read with the previous one. Every ``KRATY_FRIENDS`` event has ``kind`` and
    ``source`` plus the attributes of its kind:

    * ``friends`` (``friends``: ``list[Friend]``): the first read of a run, then
      whenever the list changed (presence, status, progression, members).
    * ``presence`` (``friend``, ``online``): a friend went online or offline.
    * ``friend_added`` / ``friend_removed`` (``friend``, the removed one as last seen).
    * ``requests`` (``requests``: ``FriendRequests``): first read of a run, then
      whenever the pending requests changed.
    * ``request_added`` / ``request_removed`` (``request``, ``direction``:
      ``incoming`` or ``outgoing``): a new pending request; one that was accepted,
      declined or cancelled (as last seen).
    * ``gifts`` (``gifts``: pending ``list[Gift]``): first read of a run, then whenever
      the inbox changed; ``gift_received`` (``gift``): a new pending gift.
    * ``heartbeat`` (``presence``: ``PlayerPresence``): a heartbeat was accepted.

    ``source`` is ``"heartbeat"`` for ``heartbeat`` and ``"poller"`` for the rest.
    Change events (``presence``, ``friend_*``, ``request_*``, ``gift_received``) compare
    with the watcher's previous read, also across a ``pause()``: what changed while
    paused is reported on ``resume()``. The first read ever (and the first read after
    the active player changed) posts the snapshots only. Snapshots and ``heartbeat``
    are coalesced (latest wins while ``update()`` lags); change events never are.
    Failures post ``KRATY_CONNECTION`` ``dropped`` (with the error) and are retried;
    once every part works again it posts ``polling``.

    Args:
        heartbeat_interval: seconds between heartbeats; ``None`` sends none.
        poll_interval: seconds between reads of the list, requests and inbox.
        status: the activity string sent with each heartbeat (``None`` clears it;
            leave it out to keep the server's); change it with :meth:`set_status`.
        requests: also watch pending friend requests.
        gifts: also watch the gift inbox (turned off by itself when the game has
            gifting disabled).
        progression: economy keys passed to ``friends.list(progression=...)``.
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        *,
        heartbeat_interval: float | None = PRESENCE_HEARTBEAT_INTERVAL,
        poll_interval: float = DEFAULT_PRESENCE_POLL_INTERVAL,
        status: str | EllipsisType | None = ...,
        requests: bool = True,
        gifts: bool = True,
        progression: Sequence[str] | None = None,
        as_: str | None = None,
    ) -> None:
        super().__init__(kraty, sink, on_error, "presence" if as_ is None else f"presence:{as_}")
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be > 0 seconds, or None")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be > 0 seconds")
        self._beat_interval = heartbeat_interval
        self._poll_interval = poll_interval
        self._status: str | EllipsisType | None = status
        self._want_requests = requests
        self._want_gifts = gifts
        self._progression = list(progression) if progression is not None else None
        self._as = as_
        self._wake: threading.Event | None = None
        self._poll_wake: threading.Event | None = None
        self._health_lock = threading.Lock()
        self._failing: dict[str, BaseException] = {}
        self._player: str | None = None
        self._friends: dict[str, Friend] | None = None
        self._friend_list: list[Friend] | None = None
        self._requests: dict[str, FriendRequest] | None = None
        self._request_snapshot: FriendRequests | None = None
        self._gifts: dict[str, Gift] | None = None
        self._gift_list: list[Gift] | None = None
        self._last_presence: Any = None
        self._heartbeats = 0

    # -- public ---------------------------------------------------------------------------

    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats (``None``: no heartbeats)."""
        return self._beat_interval

    @property
    def poll_interval(self) -> float:
        """Seconds between reads of the friend list, requests and inbox."""
        return self._poll_interval

    @property
    def heartbeats(self) -> int:
        """Heartbeats the server accepted so far (all runs)."""
        return self._heartbeats

    @property
    def last_presence(self) -> Any:
        """The ``PlayerPresence`` of the latest accepted heartbeat, or ``None``."""
        return self._last_presence

    @property
    def friends(self) -> list[Friend]:
        """The friend list as last read (empty before the first read)."""
        return list(self._friend_list or [])

    def set_status(self, status: str | None) -> None:
        """Send ``status`` with the heartbeats from now on, and beat at once (any thread).

        ``None`` clears the status friends see. Without heartbeats (``heartbeat_interval``
        None) the status is only remembered.
        """
        self._status = status
        wake = self._wake
        if wake is not None:
            wake.set()

    def refresh(self) -> None:
        """Read the friend list, requests and inbox now instead of at the next interval
        (e.g. right after the game accepted a request). Any thread; no-op while paused."""
        wake = self._poll_wake
        if wake is not None:
            wake.set()

    # -- threads --------------------------------------------------------------------------

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        wake, poll_wake = threading.Event(), threading.Event()
        self._wake, self._poll_wake = wake, poll_wake
        with self._health_lock:
            self._failing.clear()
        threads = [self._thread(lambda s: self._poll(s, poll_wake), stop, "-poll")]
        if self._beat_interval is not None:
            threads.append(self._thread(lambda s: self._beat(s, wake), stop, "-heartbeat"))
        return threads

    def _interrupt(self, stop: threading.Event) -> None:
        for wake in (self._wake, self._poll_wake):
            if wake is not None:
                wake.set()

    def _beat(self, stop: threading.Event, wake: threading.Event) -> None:
        interval = self._beat_interval
        assert interval is not None
        failures = 0
        while not stop.is_set():
            wake.clear()
            status = self._status
            kwargs: dict[str, Any] = {"as_": self._as}
            if status is not ...:
                kwargs["status"] = status
            try:
                presence = self._kraty.friends.heartbeat(**kwargs)
            except Exception as exc:
                if stop.is_set():
                    return
                self._failed(exc)
                failures += 1
                self._health("heartbeat", exc)
                delay = min(backoff(min(interval, 2.0), failures), interval)
            else:
                failures = 0
                self._last_presence = presence
                self._heartbeats += 1
                self._health("heartbeat", None)
                attrs = {"kind": "heartbeat", "presence": presence, "source": "heartbeat"}
                self._post(attrs, "heartbeat")
                delay = interval
            wake.wait(delay)

    def _poll(self, stop: threading.Event, wake: threading.Event) -> None:
        self._connection(StreamState.POLLING)
        failures = 0
        fresh_run = True
        try:
            while not stop.is_set():
                wake.clear()
                ok = self._read_all(stop, snapshot=fresh_run)
                if stop.is_set():
                    return
                if ok:
                    failures = 0
                    fresh_run = False
                    delay = self._poll_interval
                else:
                    failures += 1
                    delay = backoff(self._poll_interval, failures)
                wake.wait(delay)
        finally:
            self._connection(StreamState.CLOSED)

    # -- reads and diffs ------------------------------------------------------------------

    def _read_all(self, stop: threading.Event, *, snapshot: bool) -> bool:
        """One round: read and compare each part; False when a read failed."""
        player = self._kraty.active_external_player_id if self._as is None else self._as
        if player != self._player:  # another player: nothing to compare with
            self._player = player
            self._friends = self._requests = self._gifts = None
            self._friend_list = self._gift_list = None
            self._request_snapshot = None
        friends = self._kraty.friends
        parts: list[tuple[str, Callable[[], Any], Callable[[Any, bool], None]]] = [
            ("friends", lambda: list(friends.list(progression=self._progression, as_=self._as)),
             self._friends_read),
        ]
        if self._want_requests:
            parts.append(("requests", lambda: friends.list_requests(as_=self._as),
                          self._requests_read))
        if self._want_gifts:
            parts.append(("gifts", lambda: list(friends.gifts(status="pending", as_=self._as)),
                          self._gifts_read))
        error: BaseException | None = None
        for name, read, compare in parts:
            if stop.is_set():
                return False
            try:
                value = read()
            except Exception as exc:
                if stop.is_set():
                    return False
                if name == "gifts" and isinstance(exc, KratyApiError) and exc.is_gifting_disabled:
                    _log.info("kraty component: gifting is disabled; %s stops reading gifts",
                              self.source)
                    self._want_gifts = False
                    continue
                self._failed(exc)
                error = exc
                continue
            compare(value, snapshot)
        self._health("poll", error)
        return error is None

    def _friends_read(self, friends: list[Friend], snapshot: bool) -> None:
        old = self._friends
        new = {f.external_player_id: f for f in friends}
        if old is not None:
            for pid, friend in new.items():
                before = old.get(pid)
                if before is None:
                    self._post({"kind": "friend_added", "friend": friend, "source": "poller"})
                elif before.online != friend.online:
                    attrs = {
                        "kind": "presence", "friend": friend, "online": friend.online,
                        "source": "poller",
                    }
                    self._post(attrs)
            for pid, friend in old.items():
                if pid not in new:
                    self._post({"kind": "friend_removed", "friend": friend, "source": "poller"})
        if snapshot or old is None or friends != self._friend_list:
            self._post({"kind": "friends", "friends": friends, "source": "poller"}, "friends")
        self._friends = new
        self._friend_list = friends

    def _requests_read(self, requests: FriendRequests, snapshot: bool) -> None:
        old = self._requests
        new = {r.request_id: r for r in (*requests.incoming, *requests.outgoing)}
        if old is not None:
            for rid, request in new.items():
                if rid not in old:
                    self._post({
                        "kind": "request_added", "request": request,
                        "direction": request.direction, "source": "poller",
                    })
            for rid, request in old.items():
                if rid not in new:
                    self._post({
                        "kind": "request_removed", "request": request,
                        "direction": request.direction, "source": "poller",
                    })
        if snapshot or old is None or requests != self._request_snapshot:
            self._post({"kind": "requests", "requests": requests, "source": "poller"}, "requests")
        self._requests = new
        self._request_snapshot = requests

    def _gifts_read(self, gifts: list[Gift], snapshot: bool) -> None:
        old = self._gifts
        new = {g.gift_id: g for g in gifts}
        if old is not None:
            for gid, gift in new.items():
                if gid not in old:
                    self._post({"kind": "gift_received", "gift": gift, "source": "poller"})
        if snapshot or old is None or gifts != self._gift_list:
            self._post({"kind": "gifts", "gifts": gifts, "source": "poller"}, "gifts")
        self._gifts = new
        self._gift_list = gifts

    # -- helpers --------------------------------------------------------------------------

    def _post(self, attrs: dict[str, Any], coalesce: str | None = None) -> None:
        key: Hashable | None = None if coalesce is None else ("friends", self.source, coalesce)
        self._sink(LiveItem("friends", attrs), key)

    def _health(self, part: str, error: BaseException | None) -> None:
        """Report ``dropped`` on each failure and ``polling`` once every part works again."""
        with self._health_lock:
            was_failing = bool(self._failing)
            if error is None:
                self._failing.pop(part, None)
            else:
                self._failing[part] = error
            recovered = was_failing and not self._failing
        if error is not None:
            self._connection(StreamState.DROPPED, error)
        elif recovered:
            self._connection(StreamState.POLLING)


class ClockSync(Watcher):
    """Syncs the server clock once per run on a thread of its own; posts no event.

    Calls ``kraty.sync_time()`` (one GET) and hands the ``TimeSync`` to
    ``on_synced``; a failure is logged and retried after ``retry_delay`` seconds
    (doubling) up to ``attempts`` times, then the run ends quietly (the game can still
    call ``component.sync_time()``). The component runs it at construction and on
    ``resume()``; ``halt()`` aborts a sync in flight.
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        *,
        on_synced: Callable[[TimeSync], None],
        attempts: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        super().__init__(kraty, sink, on_error, "clock")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._on_synced = on_synced
        self._attempts = attempts
        self._retry_delay = retry_delay
        self.last_error: BaseException | None = None

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        return [self._thread(self._sync, stop)]

    def _sync(self, stop: threading.Event) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                sync = self._kraty.sync_time()
            except Exception as exc:
                if stop.is_set():
                    return
                self.last_error = exc
                _log.info("kraty component: server clock sync failed (attempt %d): %s",
                          attempt, exc)
                if attempt == self._attempts or stop.wait(backoff(self._retry_delay, attempt)):
                    return
                continue
            self.last_error = None
            self._on_synced(sync)
            return
