"""Live leaderboard streams: ``LeaderboardStream``, its states and opt-in reconnection.

Reconnection is off by default. With a ``ReconnectPolicy`` a dropped stream is reopened
after a jittered backoff and, because the protocol carries no event ids, the board is
re-read once the new stream is ``ready``: the stream yields a ``snapshot`` event (data:
``EventLeaderboard``) so the caller's state is complete again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import requests

from kraty_pygame.sdk.backoff import backoff_delay
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyError,
    KratyNetworkError,
    KratyStreamError,
)
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    FinalStanding,
    LeaderboardFinalized,
    LeaderboardStreamEvent,
    LeaderboardStreamKind,
)
from kraty_pygame.sdk.streams.live import (
    READ_ERRORS,
    TRANSPORT_ERRORS,
    Dropped,
    LiveStream,
    describe,
)
from kraty_pygame.sdk.streams.sse import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_LINE_BYTES

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "DEFAULT_STREAM_READ_TIMEOUT",
    "LeaderboardStream",
    "ReconnectPolicy",
    "StreamState",
    "StreamStateChange",
    "as_kraty_error",
]

_log = logging.getLogger(__name__)

DEFAULT_STREAM_READ_TIMEOUT: Final = 45.0
"""Seconds of silence before a stream counts as dead (the server's heartbeat is 15 s)."""
_RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


# --- reconnection policy and states ----------------------------------------------------


class StreamState(StrEnum):
    """Connection states a stream (or ``subscribe()``) reports."""

    CONNECTED = "connected"
    DROPPED = "dropped"
    RECONNECTING = "reconnecting"
    POLLING = "polling"
    CLOSED = "closed"


@dataclass(frozen=True)
class StreamStateChange:
    """A state change: the new ``state``, the ``error`` behind a drop / close, the ``attempt``."""

    leaderboard_id: str
    state: StreamState
    error: BaseException | None = None
    attempt: int = 0


@dataclass(frozen=True)
class ReconnectPolicy:
    """Opt-in reconnection for ``event_leaderboards.live()``.

    Attributes:
        max_attempts: consecutive failed reconnects before giving up with
            ``KratyStreamError`` (``None`` = never give up). Default 8.
        initial_delay: seconds before the first reconnect. Default 0.5.
        max_delay: cap of the exponential backoff, in seconds. Default 30.
        multiplier: backoff growth per attempt. Default 2.
        jitter: relative spread, the delay is scaled by ``1 +/- jitter``. Default 0.2.
        reset_after: a connection that stayed up this many seconds resets the attempt
            count. Default 60.
        clock: monotonic seconds (injectable for tests). Default ``time.monotonic``.
        sleep: waits between attempts (injectable for tests). Default ``None`` = wait on
            the stream's cancel flag, so ``cancel()`` interrupts the wait.
        rng: returns a float in [0, 1) for the jitter. Default ``random.random``.
    """

    max_attempts: int | None = 8
    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.2
    reset_after: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] | None = field(default=None, compare=False)
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1 or None")
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and multiplier >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect number ``attempt`` (1-based)."""
        return backoff_delay(
            self.initial_delay,
            attempt,
            cap=self.max_delay,
            r=2 * self.rng() - 1,
            jitter=self.jitter,
            multiplier=self.multiplier,
        )


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, KratyCancelledError):
        return False  # cancel() or the client's close(): never reconnect
    if isinstance(exc, KratyApiError):
        return exc.status in _RETRYABLE_STATUSES
    return isinstance(exc, KratyNetworkError)


def as_kraty_error(
    error: BaseException | None, kinds: tuple[type[BaseException], ...] = TRANSPORT_ERRORS
) -> BaseException | None:
    """``error`` as the SDK reports it: a transport exception (``requests``, ``urllib3``,
    ``http.client``, ``OSError``; or any of ``kinds``) becomes a ``KratyNetworkError``
    whose ``original_cause`` (and ``__cause__``) is the original; anything else is
    returned unchanged. Stream states never carry a raw transport exception."""
    if error is None or isinstance(error, KratyError) or not isinstance(error, kinds):
        return error
    wrapped = KratyNetworkError(
        f"the live connection dropped: {describe(error)}", original_cause=error
    )
    wrapped.__cause__ = error
    return wrapped


# --- the stream -----------------------------------------------------------------------


class LeaderboardStream(LiveStream[LeaderboardStreamEvent]):
    """A live board: iterate it for ``LeaderboardStreamEvent`` objects; ``cancel()`` ends it.

    Created by ``event_leaderboards.live()``, already connected. Iterate on one
    thread; ``cancel()`` (or ``close()``) may be called from any thread, is
    idempotent, and ends the iteration within a second even while the server sends
    nothing. Iteration ends after ``closed``. Without a reconnect policy a dropped
    connection raises ``KratyStreamError`` (its ``__cause__`` is the transport
    error); with one, the stream reconnects, yields ``ready`` and a ``snapshot``, and
    raises ``KratyStreamError`` only once the policy gives up. ``on_state`` is called
    on the iterating thread (``closed`` by ``cancel()`` on the cancelling thread).
    """

    def __init__(
        self,
        leaderboard_id: str,
        *,
        open_response: Callable[[], requests.Response],
        read_snapshot: Callable[[], EventLeaderboard],
        reconnect: ReconnectPolicy | None = None,
        on_state: Callable[[StreamStateChange], None] | None = None,
        on_finalized: Callable[[LeaderboardFinalized], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        mask: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        super().__init__(max_line_bytes=max_line_bytes, max_event_bytes=max_event_bytes, mask=mask)
        self.leaderboard_id = leaderboard_id
        self._open_response = open_response
        self._read_snapshot = read_snapshot
        self._policy = reconnect
        self._on_state = on_state
        self._on_finalized = on_finalized
        self._cancel_hook = on_cancel
        self._state = StreamState.CLOSED
        self._closed_reported = False
        self._seen_finalized = False

    # -- connecting --

    def connect(self) -> LeaderboardStream:
        """Open the first connection (``live()`` calls this).

        Raises:
            KratyApiError: the server refused the stream (non-2xx), after the policy's
                retries for retryable statuses.
            KratyNetworkError: the connection could not be made (same).
        """
        attempt = 0
        while True:
            try:
                response = self._open_response()
                break
            except (KratyApiError, KratyNetworkError) as exc:
                attempt += 1
                if not self._may_retry(exc, attempt):
                    raise
                self._emit(StreamState.RECONNECTING, exc, attempt)
                if not self._wait(self._policy_delay(attempt)):
                    raise KratyStreamError("stream cancelled while connecting") from exc
        if not self._adopt(response):
            raise KratyStreamError("stream cancelled while connecting")
        self._emit(StreamState.CONNECTED)
        return self

    def _may_retry(self, exc: BaseException, attempt: int) -> bool:
        policy = self._policy
        if policy is None or self._cancelled.is_set() or not _is_retryable(exc):
            return False
        return policy.max_attempts is None or attempt <= policy.max_attempts

    def _policy_delay(self, attempt: int) -> float:
        return self._policy.delay(attempt) if self._policy is not None else 0.0

    def _wait(self, seconds: float) -> bool:
        """Wait between attempts; False when cancelled meanwhile."""
        sleep = self._policy.sleep if self._policy is not None else None
        if sleep is None:
            return not self._cancelled.wait(seconds)
        sleep(seconds)
        return not self._cancelled.is_set()

    # -- state --

    @property
    def state(self) -> StreamState:
        """The current connection state."""
        return self._state

    @property
    def is_connected(self) -> bool:
        """True while a connection is open."""
        return self._state == StreamState.CONNECTED

    def _emit(
        self, state: StreamState, error: BaseException | None = None, attempt: int = 0
    ) -> None:
        if error is not None and self._mask is not None:
            error = self._mask(error)
        with self._lock:
            if self._closed_reported:
                return
            if state == StreamState.CLOSED:
                self._closed_reported = True
            self._state = state
        if self._on_state is not None:
            try:
                self._on_state(StreamStateChange(self.leaderboard_id, state, error, attempt))
            except Exception:
                _log.exception("on_state callback failed")

    # -- cancelling --

    def _on_cancel(self) -> None:
        if self._cancel_hook is not None:
            try:
                self._cancel_hook()
            except Exception:
                _log.debug("stream cancel hook failed", exc_info=True)

    def _after_cancel(self) -> None:
        self._emit(StreamState.CLOSED)

    # -- iterating --

    def _run(self) -> Iterator[LeaderboardStreamEvent]:
        attempt = 0
        resumed = False
        connected_at = self._now()
        try:
            while not self._cancelled.is_set():
                try:
                    for event in self._events_of_current(resumed):
                        yield event
                        if event.kind == LeaderboardStreamKind.CLOSED:
                            return
                except Dropped as exc:
                    raw = exc.__cause__
                    cause = as_kraty_error(raw, READ_ERRORS)  # what the states report
                    if self._cancelled.is_set():
                        return
                    self._release_response()
                    if self._policy is None:
                        self._emit(StreamState.CLOSED, cause)
                        raise KratyStreamError(f"leaderboard stream dropped: {exc}") from raw
                    self._emit(StreamState.DROPPED, cause)
                    if self._now() - connected_at >= self._policy.reset_after:
                        attempt = 0
                    attempt = self._reconnect(attempt, cause)
                    if attempt < 0:
                        return
                    resumed = True
                    connected_at = self._now()
        except KratyStreamError as exc:
            self._emit(StreamState.CLOSED, exc)
            raise
        finally:
            self._release_response()
            self._emit(StreamState.CLOSED)

    def _now(self) -> float:
        return self._policy.clock() if self._policy is not None else time.monotonic()

    def _reconnect(self, attempt: int, cause: BaseException | None) -> int:
        """Reopen the stream; returns the attempt count, or -1 when cancelled."""
        last: BaseException | None = cause
        while True:
            attempt += 1
            policy = self._policy
            assert policy is not None
            if policy.max_attempts is not None and attempt > policy.max_attempts:
                self._emit(StreamState.CLOSED, last)
                raise KratyStreamError(
                    f"leaderboard stream gave up after {attempt - 1} reconnect attempts"
                ) from last
            self._emit(StreamState.RECONNECTING, last, attempt)
            if not self._wait(policy.delay(attempt)):
                return -1
            try:
                response = self._open_response()
            except (KratyApiError, KratyNetworkError) as exc:
                if not _is_retryable(exc):
                    self._emit(StreamState.CLOSED, exc)
                    raise KratyStreamError("leaderboard stream could not reconnect") from exc
                last = exc
                continue
            if not self._adopt(response):
                return -1
            self._emit(StreamState.CONNECTED, None, attempt)
            return attempt

    def _events_of_current(self, resumed: bool) -> Iterator[LeaderboardStreamEvent]:
        """Events of the open connection; raises ``Dropped`` when it ends before ``closed``."""
        for message in self._messages():
            event = LeaderboardStreamEvent.from_sse(message.event, message.data)
            if event.kind == LeaderboardStreamKind.FINALIZED:
                self._route_finalized(event)
            if event.kind == LeaderboardStreamKind.CLOSED:
                # Nothing follows: free the connection before handing the event out, so
                # a consumer that stops iterating here leaks nothing.
                self._release_response()
                self._emit(StreamState.CLOSED)
                yield event
                return
            yield event
            if event.kind == LeaderboardStreamKind.READY and resumed:
                yield from self._resync()

    def _resync(self) -> Iterator[LeaderboardStreamEvent]:
        """After a reconnect: re-read the board so nothing missed while away is lost."""
        try:
            board = self._read_snapshot()
        except (KratyApiError, KratyNetworkError) as exc:
            raise Dropped("snapshot re-read after reconnect failed") from exc
        yield LeaderboardStreamEvent(kind=LeaderboardStreamKind.SNAPSHOT.value, data=board)
        if board.finalized and not self._seen_finalized:
            standings = [
                FinalStanding(
                    participant_id=e.participant_id,
                    rank=e.rank,
                    score=e.score,
                    name=e.name,
                    kind=e.kind,
                )
                for e in board.entries
            ]
            final = LeaderboardFinalized(
                leaderboard_id=board.leaderboard_id or self.leaderboard_id,
                reason=board.finalized_reason or "finalized",
                standings=standings,
            )
            event = LeaderboardStreamEvent(kind=LeaderboardStreamKind.FINALIZED.value, data=final)
            self._route_finalized(event)
            yield event

    def _route_finalized(self, event: LeaderboardStreamEvent) -> None:
        self._seen_finalized = True
        if self._on_finalized is not None and isinstance(event.data, LeaderboardFinalized):
            try:
                self._on_finalized(event.data)
            except Exception:
                _log.exception("finalization tracker failed on a live finalized event")

    def __repr__(self) -> str:
        board, state = self.leaderboard_id, self._state.value
        return f"LeaderboardStream(leaderboard_id={board!r}, state={state!r})"
