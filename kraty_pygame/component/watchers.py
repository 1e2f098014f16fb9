"""Watchers: background threads that turn polls and streams into live items (no pygame).

Each watcher runs on threads of its own (never the request worker) and hands its
output to the component as :class:`~kraty_pygame.component.results.LiveItem` objects;
``update()`` turns them into pygame events on the main thread.

* :class:`GrantsWatcher` wraps the SDK's adaptive ``poll_pending_grants`` and reports
  grants it has not reported before (``KRATY_GRANTS``, ``source="poller"``).
* ``LeaderboardWatcher`` (``board_watcher.py``) reads a snapshot, then follows the
  board's live stream (``event_leaderboards.live`` with a ``ReconnectPolicy``) and re-reads the
  board every ``poll_interval`` seconds so bots that move without a push are seen
  (``KRATY_LEADERBOARD``; its connection states become ``KRATY_CONNECTION``).
* :class:`LobbyWatcher` wraps ``poll_lobby_until_active`` and reports every new lobby
  state until the lobby leaves ``forming`` (``KRATY_LOBBY``).

``halt()`` stops the threads (pause, close); ``run()`` starts fresh ones (start,
resume) unless the watcher finished or was stopped for good with ``stop()``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Final, cast

from kraty_pygame.component.results import LiveItem
from kraty_pygame.sdk.backoff import backoff_delay
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyPollTimeoutError,
)
from kraty_pygame.sdk.polling import poll_lobby_until_active, poll_pending_grants
from kraty_pygame.sdk.streams.leaderboard import StreamState, as_kraty_error
from kraty_pygame.sdk.transport import CancelToken

if TYPE_CHECKING:
    from kraty_pygame.sdk.models.grants import Grant
    from kraty_pygame.sdk.models.lobbies import Lobby
    from kraty_pygame.sdk.resources.lobbies import LobbiesClient

__all__ = [
    "ConnectionState",
    "ErrorObserver",
    "GrantsWatcher",
    "LobbyWatcher",
    "Sink",
    "Watcher",
    "backoff",
]

_log = logging.getLogger("kraty_pygame.component")

Sink = Callable[[LiveItem, Hashable | None], None]
ErrorObserver = Callable[[BaseException], None]

#: Connection states of ``KRATY_CONNECTION`` (the SDK's ``StreamState`` values).
ConnectionState = StreamState

_SEEN_GRANTS_CAP: Final = 4_096
_MAX_BACKOFF: Final = 30.0
_jitter: Final = random.Random()  # noqa: S311 - spreading retries, not cryptography


class Watcher:
    """Base class: owns the threads of one watch and the stop flag of the current run.

    Args:
        kraty: the blocking facade.
        sink: where live items go (the component's results buffer).
        on_error: told about every error a watcher meets (identity checks).
        source: the ``source`` attribute of this watcher's ``KRATY_CONNECTION`` events.
    """

    def __init__(self, kraty: Any, sink: Sink, on_error: ErrorObserver, source: str) -> None:
        self._kraty = kraty
        self._sink = sink
        self._on_error = on_error
        self.source = source
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._token: CancelToken | None = None
        self._threads: list[threading.Thread] = []
        self._stopped_for_good = False
        self._finished = False
        self._halt_hook: Callable[[threading.Event], None] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.source} running={self.is_running}>"

    # -- public ---------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """True while the current run's threads are alive and not told to stop."""
        with self._lock:
            stop = self._stop
            return stop is not None and not stop.is_set() and self._alive_locked()

    @property
    def is_stopped(self) -> bool:
        """True after :meth:`stop` or once the watch ended by itself (lobby left forming)."""
        return self._stopped_for_good or self._finished

    def stop(self) -> None:
        """Stop watching for good (any thread; returns at once; ``close()`` joins)."""
        self._stopped_for_good = True
        self.halt()

    # -- component side -------------------------------------------------------------------

    def run(self) -> None:
        """Start a fresh run unless one is going or the watcher is done."""
        with self._lock:
            if self._stopped_for_good or self._finished:
                return
            if self._stop is not None and not self._stop.is_set():
                return
            stop = threading.Event()
            self._stop = stop
            self._token = CancelToken()
            self._threads = [t for t in self._threads if t.is_alive()]
            threads = self._make_threads(stop)
            self._threads.extend(threads)
        for thread in threads:
            thread.start()

    def halt(self) -> None:
        """End the current run (pause / stop / close); returns at once."""
        with self._lock:
            stop, token = self._stop, self._token
        if stop is None or stop.is_set():
            return
        stop.set()
        if token is not None:
            token.cancel()  # aborts the run's HTTP calls and its stream socket at once
        self._interrupt(stop)

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every thread ever started; True if all ended."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    @property
    def threads(self) -> list[threading.Thread]:
        """Threads of this watcher that are still alive."""
        with self._lock:
            return [t for t in self._threads if t.is_alive()]

    # -- subclass hooks -------------------------------------------------------------------

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        raise NotImplementedError

    def _interrupt(self, stop: threading.Event) -> None:
        """Wake the run's threads (cancel a stream); the stop flag is already set."""

    # -- helpers --------------------------------------------------------------------------

    def _thread(
        self, target: Callable[[threading.Event], None], stop: threading.Event, suffix: str = ""
    ) -> threading.Thread:
        name = f"kraty-watch-{self.source}{suffix}"
        token = self._token
        assert token is not None
        return threading.Thread(
            target=self._guarded, args=(target, stop, token), name=name, daemon=True
        )

    def _guarded(
        self, target: Callable[[threading.Event], None], stop: threading.Event, token: CancelToken
    ) -> None:
        try:
            with self._kraty.client.cancellation(token):
                target(stop)
        except BaseException as exc:  # never let a watcher thread die with a traceback
            _log.exception("kraty component: watcher %s failed", self.source)
            self._connection(StreamState.CLOSED, exc)

    def _alive_locked(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _connection(self, state: StreamState, error: BaseException | None = None) -> None:
        attrs = {"source": self.source, "state": state.value, "error": as_kraty_error(error)}
        self._sink(LiveItem("connection", attrs), None)

    def _failed(self, exc: BaseException) -> None:
        try:
            self._on_error(exc)
        except Exception:
            _log.exception("kraty component: error observer failed")


def backoff(start: float, attempt: int) -> float:
    """Retry delay in seconds: ``start`` doubled per attempt, capped at 30 s, with full
    jitter (spread over [0, 2 × that)), so clients that lost the server together do not
    come back in lockstep."""
    return backoff_delay(start, attempt, cap=_MAX_BACKOFF, r=_jitter.uniform(-1.0, 1.0), jitter=1.0)


class GrantsWatcher(Watcher):
    """Adaptive pending-grants polling; reports each grant once (``KRATY_GRANTS``).

    ``start``, ``grow`` and ``max_interval`` are those of ``poll_pending_grants``.
    A failed listing is reported as ``dropped``, retried after a backoff
    (``reconnecting``) and reported as ``polling`` again once a listing succeeds.
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        *,
        start: float = 2.0,
        grow: float = 1.5,
        max_interval: float = 30.0,
        as_: str | None = None,
    ) -> None:
        super().__init__(kraty, sink, on_error, "grants" if as_ is None else f"grants:{as_}")
        if start <= 0 or grow < 1 or max_interval < start:
            raise ValueError("watch_grants(): need start > 0, grow >= 1, max_interval >= start")
        self._start = start
        self._grow = grow
        self._max = max_interval
        self._as = as_
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()
        self._healthy = False

    def mark_seen(self, grants: list[Grant]) -> None:
        """Grants already reported elsewhere (a fired milestone); the poller skips them."""
        with self._seen_lock:
            for grant in grants:
                self._remember_locked(grant.id)

    def _remember_locked(self, grant_id: str) -> None:
        self._seen[grant_id] = None
        self._seen.move_to_end(grant_id)
        while len(self._seen) > _SEEN_GRANTS_CAP:
            self._seen.popitem(last=False)

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        return [self._thread(self._poll, stop)]

    def _on_batch(self, batch: list[Grant]) -> None:
        if not self._healthy:
            self._healthy = True
            self._connection(StreamState.POLLING)
        with self._seen_lock:
            fresh = [g for g in batch if g.id not in self._seen]
            for grant in fresh:
                self._remember_locked(grant.id)
        if fresh:
            self._sink(LiveItem("grants", {"grants": fresh, "source": "poller"}), None)

    def _poll(self, stop: threading.Event) -> None:
        attempt = 0
        self._healthy = False
        try:
            while not stop.is_set():
                try:
                    poll_pending_grants(
                        self._kraty.grants,
                        start=self._start,
                        grow=self._grow,
                        max_interval=self._max,
                        on_batch=self._on_batch,
                        stop=stop,
                        as_=self._as,
                    )
                    return
                except Exception as exc:
                    if stop.is_set():
                        return
                    self._failed(exc)
                    attempt = 0 if self._healthy else attempt
                    attempt += 1
                    self._healthy = False
                    self._connection(StreamState.DROPPED, exc)
                    self._connection(StreamState.RECONNECTING, exc)
                    if stop.wait(backoff(self._start, attempt)):
                        return
        finally:
            self._connection(StreamState.CLOSED)


class _ReportingLobbies:
    """Stands in for ``kraty.lobbies`` inside ``poll_lobby_until_active``: reports each read."""

    def __init__(self, lobbies: Any, report: Callable[[Lobby], None]) -> None:
        self._lobbies = lobbies
        self._report = report

    def read(self, lobby_id: str) -> Lobby:
        lobby: Lobby = self._lobbies.read(lobby_id)
        self._report(lobby)
        return lobby


class LobbyWatcher(Watcher):
    """Reads a lobby every ``interval`` seconds and reports each new state (``KRATY_LOBBY``).

    Ends by itself once the lobby leaves ``forming`` (``active`` is True when it became
    active; a ``closed`` lobby is reported with ``active`` False). A timeout or repeated
    failures end it with a ``KRATY_CONNECTION`` ``closed`` event carrying the error.
    """

    def __init__(
        self,
        kraty: Any,
        sink: Sink,
        on_error: ErrorObserver,
        lobby_id: str,
        *,
        interval: float = 1.0,
        timeout: float = 60.0,
        max_failures: int = 5,
    ) -> None:
        super().__init__(kraty, sink, on_error, f"lobby:{lobby_id}")
        self.lobby_id = lobby_id
        self._interval = interval
        self._timeout = timeout
        self._max_failures = max_failures
        self._last: Lobby | None = None

    def _make_threads(self, stop: threading.Event) -> list[threading.Thread]:
        return [self._thread(self._watch, stop)]

    def _report(self, lobby: Lobby) -> None:
        if lobby == self._last:
            return
        self._last = lobby
        attrs = {"lobby": lobby, "active": lobby.status == "active"}
        self._sink(LiveItem("lobby", attrs), ("lobby", self.lobby_id))

    def _watch(self, stop: threading.Event) -> None:
        failures = 0
        self._connection(StreamState.POLLING)
        reporting = _ReportingLobbies(self._kraty.lobbies, self._report)
        while not stop.is_set():
            try:
                poll_lobby_until_active(
                    cast("LobbiesClient", reporting),  # duck-typed: only read() is used
                    self.lobby_id,
                    interval=self._interval,
                    timeout=self._timeout,
                    stop=stop,
                )
            except KratyCancelledError:
                self._connection(StreamState.CLOSED)
                return
            except KratyPollTimeoutError as exc:
                self._finished = True
                self._connection(StreamState.CLOSED, exc)
                return
            except Exception as exc:
                if stop.is_set():
                    self._connection(StreamState.CLOSED)
                    return
                self._failed(exc)
                failures += 1
                if failures >= self._max_failures or (
                    isinstance(exc, KratyApiError) and exc.status == 404
                ):
                    self._finished = True
                    self._connection(StreamState.CLOSED, exc)
                    return
                self._connection(StreamState.RECONNECTING, exc)
                if stop.wait(backoff(self._interval, failures)):
                    self._connection(StreamState.CLOSED)
                    return
                continue
            self._finished = True
            self._connection(StreamState.CLOSED)
            return
