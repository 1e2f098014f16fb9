"""``kraty.event_leaderboards``: per-event boards by id: read, join, live stream.

These are the seed's ``leaderboards.read`` / ``live`` (the platform moved them to
``/sdk/v1/event-leaderboards`` in v0.4.1; see docs/seed-names.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import requests

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyError
from kraty_pygame.sdk.finalization import FinalizationTracker, MembershipRef
from kraty_pygame.sdk.http.calls import CancelToken
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    FinalStanding,
    LeaderboardClosed,
    LeaderboardFinalized,
    LeaderboardScoreUpdate,
    LeaderboardStreamEvent,
    LeaderboardStreamKind,
)
from kraty_pygame.sdk.resources._base import ResourceClient
from kraty_pygame.sdk.streams.leaderboard import (
    DEFAULT_STREAM_READ_TIMEOUT,
    LeaderboardStream,
    ReconnectPolicy,
    StreamState,
    StreamStateChange,
)

__all__ = ["EventLeaderboardsClient", "Subscription"]

_log = logging.getLogger(__name__)
_JOIN_TIMEOUT = 5.0


class EventLeaderboardsClient(ResourceClient):
    """Per-event-window (or per-session) boards, addressed by the id ``events.start`` returns."""

    finalization: FinalizationTracker | None = None
    """Set by the facade: live ``finalized`` events and joins are reported to it."""

    @operation(
        "event_leaderboards",
        write=False,
        http="GET /event-leaderboards/{leaderboard_id}",
        official="leaderboards.read(id, {options}) (seed) / eventLeaderboards.read (v0.4.1)",
    )
    def read(
        self,
        leaderboard_id: str,
        *,
        limit: int | None = None,
        include_self: bool = False,
        external_id: str | None = None,
        progression: Sequence[str] | None = None,
    ) -> EventLeaderboard:
        """Snapshot of a board: the top ``limit`` entries (server default 50, max 200).

        Args:
            include_self: also return the caller's placement as ``self_entry``; without
                ``external_id`` this resolves the active player (registering it first
                if needed).
            progression: economy keys whose balances each player entry should carry.

        Raises:
            KratyApiError: ``is_not_found`` (404), ``is_validation_failed`` (400).
        """
        query: dict[str, Any] = {"limit": limit, "progression": _keys(progression)}
        if include_self:
            query["includeSelf"] = True
            query["externalId"] = external_id or self._identity.ensure().external_player_id
        elif external_id is not None:
            query["externalId"] = external_id
        data = self._client.request_data(*self._route(leaderboard_id=leaderboard_id), query=query)
        return EventLeaderboard.from_wire(data, "data")

    @operation(
        "event_leaderboards",
        write=True,
        http="POST /players/{player}/event-leaderboards/{leaderboard_id}/join",
        official="eventLeaderboards.join(id, {limit, as}) (v0.6)",
    )
    def join(
        self, leaderboard_id: str, *, limit: int | None = None, as_: str | None = None
    ) -> EventLeaderboard:
        """Enter the board at score 0 without an attempt (idempotent); ``joined`` is True.

        The membership is tracked for finalization catch-up.

        Raises:
            KratyApiError: ``is_conflict`` (409) once the window has finalized.
        """
        board = self._client.request_decoded(
            *self._route(as_, leaderboard_id=leaderboard_id),
            EventLeaderboard.from_wire,
            body={},
            query={"limit": limit},
        )
        if self.finalization is not None:
            try:
                self.finalization.track(MembershipRef(leaderboard_id=leaderboard_id), player_id=as_)
            except KratyError:
                _log.warning(
                    "could not record the membership of board %s", leaderboard_id, exc_info=True
                )
        return board

    @operation(
        "event_leaderboards",
        write=False,
        stream=True,
        http="GET /event-leaderboards/{leaderboard_id}/stream",
        official="leaderboards.live(id) (seed) / eventLeaderboards.live",
    )
    def live(
        self,
        leaderboard_id: str,
        *,
        reconnect: ReconnectPolicy | None = None,
        on_state: Callable[[StreamStateChange], None] | None = None,
        read_timeout: float = DEFAULT_STREAM_READ_TIMEOUT,
    ) -> LeaderboardStream:
        """Open the board's live stream: iterate it for typed events, ``cancel()`` it from anywhere.

        Args:
            reconnect: opt-in reconnection (off by default, as in the seed); on resume the
                stream re-reads the board and yields a ``snapshot`` event.
            on_state: called with each ``StreamStateChange`` (connected, dropped,
                reconnecting, closed).
            read_timeout: seconds of silence after which the connection counts as dead
                (the server sends a heartbeat every 15 s).

        Raises:
            KratyApiError: the server refused the stream (e.g. ``is_not_found``).
            KratyNetworkError: the connection could not be made.
        """

        _, path = self._route(leaderboard_id=leaderboard_id)
        token = CancelToken()  # cancel() also aborts a connect in progress

        def open_response() -> requests.Response:
            return self._client.open_stream(path, read_timeout=read_timeout, cancel=token)

        tracker = self.finalization
        on_finalized = (
            (lambda event: tracker.handle_live_finalized(event, leaderboard_id=leaderboard_id))
            if tracker is not None
            else None
        )
        stream = LeaderboardStream(
            leaderboard_id,
            open_response=open_response,
            read_snapshot=lambda: self.read(leaderboard_id),
            reconnect=reconnect,
            on_state=on_state,
            on_finalized=on_finalized,
            on_cancel=token.cancel,
            mask=self._client.mask_error,
        )
        return stream.connect()

    @operation(
        "event_leaderboards",
        write=False,
        stream=True,
        http="GET /event-leaderboards/{leaderboard_id}/stream",
        official="eventLeaderboards.subscribe(id, …) (v0.2)",
    )
    def subscribe(
        self,
        leaderboard_id: str,
        on_event: Callable[[LeaderboardStreamEvent], None],
        *,
        poll_interval: float = 15.0,
        on_error: Callable[[BaseException], None] | None = None,
        reconnect: ReconnectPolicy | None = None,
        on_state: Callable[[StreamStateChange], None] | None = None,
    ) -> Subscription:
        """Live view = the stream plus a background snapshot poll, de-duplicated.

        The poll runs at once and then ``poll_interval`` seconds after each read (0 turns
        it off); each read becomes one synthetic ``score_update`` per entry, so bots move
        on idle screens and the view keeps updating where streaming is blocked.
        ``score_update`` events from either source whose score equals the last one
        surfaced for that participant are dropped. ``on_event`` runs on a subscription
        thread, never concurrently with itself. Errors go to ``on_error`` and never stop
        the poll; a failed stream is not reopened unless ``reconnect`` is given.
        """
        return Subscription(
            self,
            leaderboard_id,
            on_event,
            poll_interval=poll_interval,
            on_error=on_error,
            reconnect=reconnect,
            on_state=on_state,
        )


def _keys(progression: Sequence[str] | None) -> list[str] | None:
    if progression is None:
        return None
    if isinstance(progression, str):
        return [progression]
    return list(progression)


class Subscription:
    """A running ``subscribe()``: a stream thread and a poll thread feeding one callback.

    ``close()`` is idempotent, stops both, and joins their threads (except the calling
    thread, so closing from inside ``on_event`` is fine).
    """

    def __init__(
        self,
        boards: EventLeaderboardsClient,
        leaderboard_id: str,
        on_event: Callable[[LeaderboardStreamEvent], None],
        *,
        poll_interval: float,
        on_error: Callable[[BaseException], None] | None,
        reconnect: ReconnectPolicy | None,
        on_state: Callable[[StreamStateChange], None] | None,
    ) -> None:
        if poll_interval < 0:
            raise ValueError("poll_interval must be >= 0")
        self.leaderboard_id = leaderboard_id
        self._boards = boards
        self._on_event = on_event
        self._on_error = on_error
        self._on_state = on_state
        self._reconnect = reconnect
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._lock = threading.RLock()  # serialises dedupe + on_event
        self._last_score: dict[str, float] = {}
        self._finalized_sent = False
        self._closed_sent = False
        self._stream: LeaderboardStream | None = None
        self._stream_alive = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._run_stream, name=f"kraty-lb-stream-{leaderboard_id}", daemon=True
            )
        ]
        if poll_interval > 0:
            self._threads.append(
                threading.Thread(
                    target=self._run_poll, name=f"kraty-lb-poll-{leaderboard_id}", daemon=True
                )
            )
        for thread in self._threads:
            thread.start()

    @property
    def is_closed(self) -> bool:
        """True after ``close()`` or once the board's stream sent ``closed``."""
        return self._stop.is_set()

    @property
    def is_streaming(self) -> bool:
        """True while the stream is connected (False: the poll carries on alone)."""
        return self._stream_alive.is_set()

    def close(self) -> None:
        """Stop the stream and the poll and join their threads; idempotent."""
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.cancel()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(_JOIN_TIMEOUT)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- delivery --

    def _surface(self, event: LeaderboardStreamEvent) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            data = event.data
            if event.kind == LeaderboardStreamKind.SCORE_UPDATE and isinstance(
                data, LeaderboardScoreUpdate
            ):
                if self._last_score.get(data.participant_id) == data.score:
                    return
                self._last_score[data.participant_id] = data.score
            elif event.kind == LeaderboardStreamKind.FINALIZED:
                if self._finalized_sent:
                    return
                self._finalized_sent = True
            elif event.kind == LeaderboardStreamKind.CLOSED:
                if self._closed_sent:
                    return
                self._closed_sent = True
            try:
                self._on_event(event)
            except Exception as exc:
                self._report(exc)

    def _report(self, exc: BaseException) -> None:
        if self._on_error is None:
            _log.warning("leaderboard subscription error: %s", exc)
            return
        try:
            self._on_error(exc)
        except Exception:
            _log.exception("on_error callback failed")

    def _state(self, change: StreamStateChange) -> None:
        if change.state == StreamState.CONNECTED:
            self._stream_alive.set()
        else:
            self._stream_alive.clear()
        if self._on_state is not None:
            try:
                self._on_state(change)
            except Exception:
                _log.exception("on_state callback failed")

    # -- the stream thread --

    def _run_stream(self) -> None:
        try:
            stream = self._boards.live(
                self.leaderboard_id, reconnect=self._reconnect, on_state=self._state
            )
        except Exception as exc:
            if not self._stop.is_set():
                self._report(exc)
                self._state(StreamStateChange(self.leaderboard_id, StreamState.POLLING, exc))
            return
        with self._lock:
            self._stream = stream
        if self._stop.is_set():
            stream.cancel()
            return
        try:
            for event in stream:
                if event.kind == LeaderboardStreamKind.SNAPSHOT and isinstance(
                    event.data, EventLeaderboard
                ):
                    self._surface_board(event.data)
                    continue
                self._surface(event)
                if event.kind == LeaderboardStreamKind.CLOSED:
                    self._stop.set()  # the board is over: the poll has nothing left to show
                    return
        except Exception as exc:
            if not self._stop.is_set():
                self._report(exc)
                if self._poll_interval > 0:
                    self._state(StreamStateChange(self.leaderboard_id, StreamState.POLLING, exc))

    # -- the poll thread --

    def _run_poll(self) -> None:
        while not self._stop.is_set():
            try:
                board = self._boards.read(self.leaderboard_id)
            except Exception as exc:
                if not self._stop.is_set():
                    self._report(exc)
            else:
                self._surface_board(board)
                if board.finalized and not self.is_streaming:
                    # Streaming is blocked or gone: the poll reports the end itself.
                    self._surface_end(board)
                    self._stop.set()
                    return
            if self._stop.wait(self._poll_interval):
                return

    def _surface_board(self, board: EventLeaderboard) -> None:
        board_id = board.leaderboard_id or self.leaderboard_id
        for entry in board.entries:
            self._surface(
                LeaderboardStreamEvent(
                    kind=LeaderboardStreamKind.SCORE_UPDATE.value,
                    data=LeaderboardScoreUpdate(
                        leaderboard_id=board_id,
                        participant_id=entry.participant_id,
                        score=entry.score,
                        rank=entry.rank,
                    ),
                )
            )

    def _surface_end(self, board: EventLeaderboard) -> None:
        final = LeaderboardFinalized(
            leaderboard_id=board.leaderboard_id or self.leaderboard_id,
            reason=board.finalized_reason or "finalized",
            standings=[
                FinalStanding(
                    participant_id=e.participant_id,
                    rank=e.rank,
                    score=e.score,
                    name=e.name,
                    kind=e.kind,
                )
                for e in board.entries
            ],
        )
        tracker = self._boards.finalization
        if tracker is not None and not self._finalized_sent:
            tracker.handle_live_finalized(final, leaderboard_id=self.leaderboard_id)
        self._surface(
            LeaderboardStreamEvent(kind=LeaderboardStreamKind.FINALIZED.value, data=final)
        )
        self._surface(
            LeaderboardStreamEvent(
                kind=LeaderboardStreamKind.CLOSED.value, data=LeaderboardClosed(reason="finalized")
            )
        )
