"""Watchers for the later platform features: live inventory and the friend list (no pygame).

* :class:`InventoryWatcher` follows ``kraty.inventory.live()`` (E39) and reconnects
  with a backoff when it drops; each event becomes ``KRATY_INVENTORY`` (``kind``:
  ``inventory_changed``, ``wallet_changed``, ``grant_created``; ``data``: the SDK's
  typed model; ``source``: ``"stream"``).
* :class:`FriendsWatcher` polls ``kraty.friends.list()`` and posts ``KRATY_FRIENDS``
  (``friends``, ``source="poller"``) whenever the list or a friend's presence changed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.component.results import LiveItem
from kraty_pygame.component.watchers import ErrorObserver, Sink, Watcher, backoff
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.streaming import StreamState

if TYPE_CHECKING:
    from kraty_pygame.sdk.inventory_stream import InventoryStream

__all__ = ["FriendsWatcher", "InventoryWatcher"]

_READY: Final = "ready"


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
                    attrs = {"friends": friends, "source": "poller"}
                    self._sink(LiveItem("friends", attrs), ("friends", self.source))
                if stop.wait(self._interval):
                    return
        finally:
            self._connection(StreamState.CLOSED)
