"""``LeaderboardWatcher``: a live per-event board for the component (no pygame).

Reads a snapshot, then follows ``event_leaderboards.live`` with a ``ReconnectPolicy``
(the stream re-reads the snapshot after a reconnect) and optionally re-reads the board
every ``poll_interval`` seconds, because bots move without a push.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from kraty_pygame.component.results import LiveItem
from kraty_pygame.component.watchers import ErrorObserver, Sink, Watcher, backoff
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    LeaderboardFinalized,
    LeaderboardScoreUpdate,
    LeaderboardStreamKind,
)
from kraty_pygame.sdk.streams.leaderboard import ReconnectPolicy, StreamState, StreamStateChange

if TYPE_CHECKING:
    from kraty_pygame.sdk.streams.leaderboard import LeaderboardStream

__all__ = ["LeaderboardWatcher"]


class LeaderboardWatcher(Watcher):
    """A live per-event board: snapshot, then stream events, with reconnection.

    Posts ``KRATY_LEADERBOARD`` with ``kind`` ``snapshot`` (``board``:
    ``EventLeaderboard``), ``score_update`` (``entry``: ``LeaderboardScoreUpdate``,
    coalesced per participant), ``finalized`` (``board``: ``LeaderboardFinalized``) and
    ``closed``; stream states become ``KRATY_CONNECTION`` events. After ``closed`` the
    watch ends. When the stream's reconnect policy gives up the watcher waits and starts
    over with a fresh snapshot, until stopped.

    Args:
        leaderboard_id: the board (``attempt.leaderboard_id``).
        limit: passed to every ``event_leaderboards.read``.
        include_self: passed to every ``event_leaderboards.read``.
        poll_interval: re-read the board this often (seconds; 0 disables) so bot moves
            that the stream does not push are seen, as the SDK's ``subscribe`` does.
        reconnect: the stream's policy; a default ``ReconnectPolicy()`` when None.
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        leaderboard_id: str,
        *,
        limit: int | None = None,
        include_self: bool = False,
        poll_interval: float = 15.0,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        super().__init__(kraty, sink, on_error, f"leaderboard:{leaderboard_id}")
        if poll_interval < 0:
            raise ValueError("poll_interval must be >= 0 (0 disables polling)")
        self.leaderboard_id = leaderboard_id
        self._limit = limit
        self._include_self = include_self
        self._poll_interval = poll_interval
        self._given_policy = reconnect
        self._policy = reconnect if reconnect is not None else ReconnectPolicy()
        self._stream: LeaderboardStream | None = None

    @property
    def arguments(self) -> tuple[int | None, bool, float, ReconnectPolicy | None]:
        """``(limit, include_self, poll_interval, reconnect)`` as given (``None``: default)."""
        return self._limit, self._include_self, self._poll_interval, self._given_policy

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        threads = [self._thread(self._follow, stop)]
        if self._poll_interval > 0:
            threads.append(self._thread(self._poll, stop, "-poll"))
        return threads

    def _interrupt(self, stop: threading.Event) -> None:
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.cancel()

    def _read(self) -> EventLeaderboard:
        board: EventLeaderboard = self._kraty.event_leaderboards.read(
            self.leaderboard_id, limit=self._limit, include_self=self._include_self
        )
        return board

    def _put(self, kind: str, *, board: Any = None, entry: Any = None,
             key: Hashable | None = None) -> None:
        attrs = {
            "leaderboard_id": self.leaderboard_id, "kind": kind, "board": board, "entry": entry,
        }
        self._sink(LiveItem("leaderboard", attrs), key)

    def _snapshot(self, board: EventLeaderboard) -> None:
        self._put("snapshot", board=board, key=("lb-snapshot", self.leaderboard_id))

    def _on_state(self, change: StreamStateChange) -> None:
        self._connection(change.state, change.error)

    def _follow(self, stop: threading.Event) -> None:
        attempt = 0
        while not stop.is_set():
            stream: LeaderboardStream | None = None
            try:
                self._snapshot(self._read())
                stream = self._kraty.event_leaderboards.live(
                    self.leaderboard_id, reconnect=self._policy, on_state=self._on_state
                )
                with self._lock:
                    self._stream = stream
                if stop.is_set():
                    return
                attempt = 0
                if self._forward(stream, stop):
                    self._finished = True
                    stop.set()
                    return
            except Exception as exc:
                if stop.is_set():
                    return
                self._failed(exc)
                if isinstance(exc, KratyApiError) and exc.status in (401, 403, 404):
                    self._connection(StreamState.CLOSED, exc)
                    self._finished = True
                    return
                attempt += 1
                self._connection(StreamState.RECONNECTING, exc)
                if stop.wait(backoff(self._policy.initial_delay or 0.5, attempt)):
                    return
            finally:
                if stream is not None:
                    stream.cancel()
                with self._lock:
                    self._stream = None

    def _forward(self, stream: LeaderboardStream, stop: threading.Event) -> bool:
        """Hand the stream's events over; True when the board closed (watch over).

        The loop always runs the stream to its end (it ends by itself after ``closed``
        and soon after a cancel), so the stream releases its connection.
        """
        board_closed = False
        for event in stream:
            data = event.data
            if stop.is_set() or board_closed:
                continue
            if event.kind == LeaderboardStreamKind.SCORE_UPDATE and isinstance(
                data, LeaderboardScoreUpdate
            ):
                key = ("lb", self.leaderboard_id, data.participant_id)
                self._put("score_update", entry=data, key=key)
            elif event.kind == LeaderboardStreamKind.SNAPSHOT and isinstance(
                data, EventLeaderboard
            ):
                self._snapshot(data)
            elif event.kind == LeaderboardStreamKind.FINALIZED and isinstance(
                data, LeaderboardFinalized
            ):
                self._put("finalized", board=data)
            elif event.kind == LeaderboardStreamKind.CLOSED:
                self._put("closed")
                board_closed = True
        return board_closed

    def _poll(self, stop: threading.Event) -> None:
        while not stop.wait(self._poll_interval):
            try:
                self._snapshot(self._read())
            except Exception as exc:  # a failed poll never ends the watch
                if stop.is_set():
                    return
                self._failed(exc)
