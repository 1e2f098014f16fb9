"""``KratyComponent``: the blocking SDK behind a non-blocking, once-per-frame pygame API.

The three-line integration::

    component = KratyComponent(Kraty("kr_test.client-demo"))   # starts the worker
    component.update()              # every frame, before pygame.event.get()
    component.events.progress(...)  # returns a RequestHandle at once

Data path (STYLE.md section 3): a call becomes a job on the request worker; the worker
calls the SDK and puts the result in a bounded buffer; ``update()`` (main thread) takes
at most ``max_results_per_update`` items, runs handle callbacks and posts the
``KRATY_*`` events. Watchers (grants poller, live leaderboards, lobby watcher) run on
threads of their own and feed the same buffer. Worker and watcher threads never call
pygame.

Overflow policy (no unbounded memory when the game stops calling ``update()``):

* **Calls.** At most ``max_pending_requests`` calls may be outstanding: queued, in
  flight, or finished but not yet delivered by ``update()``. Beyond that a call returns
  a handle that has already failed with ``KratyQueueFullError``; nothing is sent, no
  event is posted for it (its ``on_done`` callbacks still run), ``stats.refused``
  counts it.
* **Live data.** Stream and watcher output is coalesced per key (leaderboard entries
  per participant, snapshots per board, lobby states per lobby: latest wins) and capped
  at ``max_live_items``; beyond that the oldest live item is dropped
  (``stats.live_dropped``).
* **pygame's queue.** SDL holds 65,535 events and ``pygame.event.post`` raises when it
  is full. Events that could not be posted wait in the component (at most one
  ``update()``'s worth) and are retried on the next ``update()``; meanwhile no new
  results are taken, so the bounds above apply (``stats.post_retries``).
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

import pygame

from kraty_pygame.component.batching import PROGRESS_OPERATION, ProgressBatcher
from kraty_pygame.component.errors import KratyThreadError
from kraty_pygame.component.event_types import (
    KRATY_CONNECTION,
    KRATY_FRIENDS,
    KRATY_GRANTS,
    KRATY_IDENTITY,
    KRATY_INVENTORY,
    KRATY_LEADERBOARD,
    KRATY_LOBBY,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    ensure_event_types,
)
from kraty_pygame.component.handles import RequestHandle, SentRequest
from kraty_pygame.component.platform_watchers import FriendsWatcher, InventoryWatcher
from kraty_pygame.component.proxies import (
    CatalogProxy,
    EventLeaderboardsProxy,
    EventsProxy,
    FriendsProxy,
    GrantsProxy,
    InventoryProxy,
    LeaderboardsProxy,
    LobbiesProxy,
    PlayersProxy,
    ResourceProxy,
    WalletProxy,
)
from kraty_pygame.component.watchers import (
    GrantsWatcher,
    LeaderboardWatcher,
    LobbyWatcher,
    Watcher,
)
from kraty_pygame.component.worker import (
    CloseReport,
    Job,
    LiveItem,
    RequestResult,
    RequestWorker,
    ResultsBuffer,
)
from kraty_pygame.sdk.errors import KratyApiError
from kraty_pygame.sdk.transport import CancelToken

if TYPE_CHECKING:
    from kraty_pygame.sdk.finalization import FinalizationResult, MembershipRef
    from kraty_pygame.sdk.identity import Identity
    from kraty_pygame.sdk.kraty import Kraty
    from kraty_pygame.sdk.models.time import ServerTime, TimeSync
    from kraty_pygame.sdk.streaming import ReconnectPolicy

__all__ = ["ComponentStats", "KratyComponent"]

_log = logging.getLogger("kraty_pygame.component")

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_MAX_PER_UPDATE: Final = 64
DEFAULT_CLOSE_TIMEOUT: Final = 2.0
DEFAULT_SWITCH_INTERVAL: Final = 0.001
_EMA: Final = 0.05

_EVENT_OF_KIND: Final[dict[str, int]] = {
    "grants": KRATY_GRANTS,
    "leaderboard": KRATY_LEADERBOARD,
    "lobby": KRATY_LOBBY,
    "identity": KRATY_IDENTITY,
    "connection": KRATY_CONNECTION,
    "inventory": KRATY_INVENTORY,
    "friends": KRATY_FRIENDS,
}

_PROXIES: Final[tuple[type[ResourceProxy[Any]], ...]] = (
    EventsProxy,
    GrantsProxy,
    LobbiesProxy,
    InventoryProxy,
    WalletProxy,
    CatalogProxy,
    EventLeaderboardsProxy,
    LeaderboardsProxy,
    PlayersProxy,
    FriendsProxy,
)


def _accepts_idempotency_key(fn: Callable[..., Any]) -> bool:
    try:
        return "idempotency_key" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class ComponentStats:
    """A snapshot of the component's counters (``KratyComponent.stats``).

    Attributes:
        queue_depth: calls waiting for a worker thread.
        in_flight: calls being sent right now.
        outstanding: calls not yet delivered by ``update()`` (the overflow bound).
        results_waiting: results and live items waiting for ``update()``.
        events_waiting: pygame events waiting for room in SDL's queue.
        coalesced: progress increments merged plus live items replaced by newer ones.
        dropped: calls refused plus live items dropped by the overflow policy.
        refused: calls refused because ``max_pending_requests`` were outstanding.
        live_dropped: live items dropped because ``max_live_items`` were waiting.
        post_retries: ``update()`` calls that found SDL's event queue full.
        callback_errors: exceptions raised by ``on_done`` callbacks (logged).
        handled_last_update: items ``update()`` handled on its last call.
        max_per_update: the per-call bound (``max_results_per_update``).
        update_ms_last: main-thread time of the last ``update()``, milliseconds.
        update_ms_avg: exponential moving average of that time, milliseconds.
        update_ms_max: the largest ``update()`` time seen, milliseconds.
        updates: ``update()`` calls so far.
        watchers: watchers currently running.
        threads: component threads alive (request workers and watchers).
    """

    queue_depth: int
    in_flight: int
    outstanding: int
    results_waiting: int
    events_waiting: int
    coalesced: int
    dropped: int
    refused: int
    live_dropped: int
    post_retries: int
    callback_errors: int
    handled_last_update: int
    max_per_update: int
    update_ms_last: float
    update_ms_avg: float
    update_ms_max: float
    updates: int
    watchers: int
    threads: int


class KratyComponent:
    """Runs a ``Kraty`` facade on background threads and talks to the game through events.

    Construct it on the main thread (the one running the pygame loop): the request
    worker starts at once. Call :meth:`update` once per frame before
    ``pygame.event.get()``. Every SDK operation is available without blocking through
    the resource proxies (``component.events``, ``component.grants``, ...) or
    :meth:`call`; each returns a :class:`RequestHandle`.

    Args:
        kraty: the blocking SDK facade; the component never closes it unless
            ``owns_kraty`` is True.
        workers: request threads. One keeps every call in submission order; with more,
            calls of the same player (``as_``) still keep their order.
        max_pending_requests: overflow bound on outstanding calls (module docstring).
        max_live_items: overflow bound on waiting live items (module docstring).
        max_results_per_update: most results ``update()`` handles per call.
        batch_progress: merge queued ``increment`` progress calls of one attempt.
        progress_batch_limit: most calls merged into one progress request.
        close_timeout: default timeout of :meth:`close` and of the context manager.
        owns_kraty: also close the facade in :meth:`close`.
        on_callback_error: called (main thread) with the exception and the handle when
            an ``on_done`` callback raises; the error is logged either way.
        switch_interval: while the component runs, lower the interpreter's thread switch
            interval (``sys.setswitchinterval``, 5 ms by default in CPython) to this many
            seconds, so a worker decoding a large response holds the GIL for at most
            about that long before the main thread gets it back. ``None`` leaves the
            interpreter alone. Restored by :meth:`close`. Default 0.001.
    """

    def __init__(
        self,
        kraty: Kraty,
        *,
        workers: int = 1,
        max_pending_requests: int = 10_000,
        max_live_items: int = 4_096,
        max_results_per_update: int = DEFAULT_MAX_PER_UPDATE,
        batch_progress: bool = True,
        progress_batch_limit: int = 32,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        owns_kraty: bool = False,
        on_callback_error: Callable[[BaseException, RequestHandle[Any]], None] | None = None,
        switch_interval: float | None = DEFAULT_SWITCH_INTERVAL,
    ) -> None:
        if max_results_per_update < 1:
            raise ValueError("max_results_per_update must be at least 1")
        if switch_interval is not None and switch_interval <= 0:
            raise ValueError("switch_interval must be > 0 seconds, or None")
        self._kraty = kraty
        self._owner = threading.get_ident()
        self._max_per_update = max_results_per_update
        self._close_timeout = close_timeout
        self._owns_kraty = owns_kraty
        self._on_callback_error = on_callback_error
        self._results = ResultsBuffer(max_live=max_live_items)
        self._batcher = ProgressBatcher(enabled=batch_progress, limit=progress_batch_limit)
        self._worker = RequestWorker(
            self._results,
            threads=workers,
            max_pending=max_pending_requests,
            run=self._run_job,
            interrupt=self._interrupt_job,
            after_job=self._after_job,
            name="kraty-worker",
        )
        self._outbox: deque[tuple[int, dict[str, Any]]] = deque()
        self._late: deque[RequestHandle[Any]] = deque()
        self._watchers: list[Watcher] = []
        self._grant_watchers: list[GrantsWatcher] = []
        self._identity_lock = threading.Lock()
        self._retry_lock = threading.Lock()
        self._identity: str | None = None
        self._paused = False
        self._closed = False
        self._close_report: CloseReport | None = None
        self._post_retries = 0
        self._callback_errors = 0
        self._handled_last = 0
        self._updates = 0
        self._ms_last = 0.0
        self._ms_avg = 0.0
        self._ms_max = 0.0
        self.events = EventsProxy(self)
        self.grants = GrantsProxy(self)
        self.lobbies = LobbiesProxy(self)
        self.inventory = InventoryProxy(self)
        self.wallet = WalletProxy(self)
        self.catalog = CatalogProxy(self)
        self.event_leaderboards = EventLeaderboardsProxy(self)
        self.leaderboards = LeaderboardsProxy(self)
        self.players = PlayersProxy(self)
        self.friends = FriendsProxy(self)
        self._switch_interval = switch_interval
        self._saved_switch_interval: float | None = None
        if switch_interval is not None and switch_interval < sys.getswitchinterval():
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(switch_interval)
        ensure_event_types()
        self._worker.start()
        self._observe_identity(None)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "paused" if self._paused else "running"
        return f"<KratyComponent {state}>"

    # -- facade-level operations -----------------------------------------------------------

    @property
    def kraty(self) -> Kraty:
        """The blocking facade the component runs (do not call it from the game loop)."""
        return self._kraty

    @property
    def active_external_player_id(self) -> str | None:
        """The active player's id as last seen (no I/O); ``None`` before it resolved."""
        return self._kraty.active_external_player_id

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RequestHandle[T]:
        """Queue any blocking SDK callable, e.g. ``call(kraty.events.progress, key, id, ...)``.

        A bound method of one of the facade's resource clients behaves exactly like the
        matching proxy method (same operation name, ordering and progress batching).
        """
        operation, is_write = self._describe(fn)
        return self._submit(operation, fn, args, kwargs, is_write=is_write)

    def ensure_identity(self) -> RequestHandle[Identity]:
        """Queue ``kraty.ensure_identity()`` (posts ``KRATY_IDENTITY`` once resolved)."""
        return self._submit(
            "ensure_identity", self._kraty.ensure_identity, (), {}, is_write=True
        )

    def sign_in(self, *, external_player_id: str, secret: str) -> RequestHandle[None]:
        """Queue ``kraty.sign_in(...)``: later calls run as that player (no network)."""
        kwargs = {"external_player_id": external_player_id, "secret": secret}
        return self._submit("sign_in", self._kraty.sign_in, (), kwargs, is_write=True)

    def logout(self) -> RequestHandle[None]:
        """Queue ``kraty.logout()``; the next player call registers a fresh player."""
        return self._submit("logout", self._kraty.logout, (), {}, is_write=True)

    def get_server_time(self, *, timezone: str | None = None) -> RequestHandle[ServerTime]:
        """Queue ``kraty.get_server_time(...)`` (E37)."""
        return self._submit(
            "get_server_time", self._kraty.get_server_time, (), {"timezone": timezone},
            is_write=False,
        )

    def sync_time(self) -> RequestHandle[TimeSync]:
        """Queue ``kraty.sync_time()``; afterwards ``kraty.server_now()`` needs no I/O."""
        return self._submit("sync_time", self._kraty.sync_time, (), {}, is_write=False)

    def check_finalizations(self) -> RequestHandle[list[FinalizationResult]]:
        """Queue ``kraty.check_finalizations()``: boards that ended while the game was away."""
        return self._submit(
            "check_finalizations", self._kraty.check_finalizations, (), {}, is_write=False
        )

    def dismiss(self, ref: MembershipRef | str) -> RequestHandle[None]:
        """Queue ``kraty.dismiss(ref)``: stop tracking a board for finalization."""
        return self._submit("dismiss", self._kraty.dismiss, (ref,), {}, is_write=True)

    def clear_reported(self) -> RequestHandle[int]:
        """Queue ``kraty.clear_reported()``: forget boards already reported as finalized."""
        return self._submit("clear_reported", self._kraty.clear_reported, (), {}, is_write=True)

    def retry(self, handle: RequestHandle[T]) -> RequestHandle[T]:
        """Send a failed or cancelled call again, without ever applying a write twice.

        The retry repeats the request exactly as it went out and, when the failure left
        the outcome unknown, reuses its ``idempotency_key`` so the server replays instead
        of applying again. Merged progress increments are retried as the one request
        they were: every handle of a ``handle.batch`` returns the same retry handle, so
        retrying each of them is safe. A call that was never sent is simply queued again.
        Any thread.

        Raises:
            ValueError: the handle has not finished, or it succeeded.
        """
        if not handle.done or handle.succeeded:
            raise ValueError(f"retry() needs a failed or cancelled handle, not {handle!r}")
        sent = handle._sent
        if sent is None:
            origin = handle._origin
            if origin is None:
                raise ValueError(f"{handle!r} was not created by this component")
            return self._submit(
                origin.operation, origin.fn, origin.args, origin.kwargs, is_write=origin.is_write
            )
        with self._retry_lock:
            if sent.retry is not None:
                again: RequestHandle[T] = sent.retry
                return again
            kwargs = dict(sent.kwargs)
            key = getattr(handle.error, "idempotency_key", None)
            if isinstance(key, str) and _accepts_idempotency_key(sent.fn):
                kwargs["idempotency_key"] = key
            retried: RequestHandle[T] = self._submit(
                sent.operation, sent.fn, sent.args, kwargs, is_write=sent.is_write
            )
            sent.retry = retried
        return retried

    def _describe(self, fn: Callable[..., Any]) -> tuple[str, bool]:
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", type(fn).__name__)
        if owner is not None:
            for proxy_type in _PROXIES:
                if getattr(self._kraty, proxy_type.area, None) is owner:
                    op = proxy_type.__dict__.get(name)
                    write = bool(getattr(op, "is_write", True))
                    return f"{proxy_type.area}.{name}", write
        return str(getattr(fn, "__qualname__", name)), True

    # -- submission (any thread) -----------------------------------------------------------

    def _submit(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_write: bool,
    ) -> RequestHandle[Any]:
        handle: RequestHandle[Any] = RequestHandle(operation, is_write=is_write)
        handle._origin = SentRequest((handle,), operation, fn, tuple(args), dict(kwargs), is_write)
        player = kwargs.get("as_")
        job = Job(
            operation=operation,
            fn=fn,
            args=tuple(args),
            kwargs=dict(kwargs),
            handles=[handle],
            player=player if isinstance(player, str) else None,
            is_write=is_write,
        )
        job.info["cancel"] = CancelToken()
        if operation == PROGRESS_OPERATION:
            self._batcher.prepare(job)
        if not self._worker.submit(job):
            handle._deliver(self._late.append)
        return handle

    def _run_job(self, job: Job) -> Any:
        token: CancelToken = job.info["cancel"]
        with self._kraty.client.cancellation(token):
            return job.call()

    @staticmethod
    def _interrupt_job(job: Job) -> None:
        token: CancelToken = job.info["cancel"]
        token.cancel()

    def _after_job(self, job: Job, error: BaseException | None) -> None:
        self._observe_identity(error)

    def _observe_identity(self, error: BaseException | None) -> None:
        """Queue ``KRATY_IDENTITY`` when the active player changed or its secret was refused."""
        current = self._kraty.active_external_player_id
        with self._identity_lock:
            previous, self._identity = self._identity, current
        if current != previous:
            reason = "resolved" if previous is None else "changed"
            self._put_live(LiveItem("identity", {"external_player_id": current, "reason": reason}))
        if isinstance(error, KratyApiError) and error.is_player_secret_invalid:
            attrs = {"external_player_id": current, "reason": "secret_invalid"}
            self._put_live(LiveItem("identity", attrs))

    def _put_live(self, item: LiveItem, key: Hashable | None = None) -> None:
        self._results.put_live(item, key)

    # -- the frame -------------------------------------------------------------------------

    def _check_thread(self, method: str) -> None:
        if threading.get_ident() != self._owner:
            raise KratyThreadError(
                f"KratyComponent.{method}() must be called on the thread that created the "
                f"component (the pygame main thread), not {threading.current_thread().name!r}"
            )

    def update(self) -> int:
        """Deliver finished work: run callbacks and post ``KRATY_*`` events. Never blocks.

        Call once per frame before ``pygame.event.get()``. Handles at most
        ``max_results_per_update`` results; the rest wait for the next frame.
        Main thread only.

        Returns:
            The number of results and late callbacks handled.

        Raises:
            KratyThreadError: called from another thread.
        """
        if threading.get_ident() != self._owner:
            self._check_thread("update")
        started = time.perf_counter()
        ensure_event_types()
        handled = 0
        if (self._outbox or self._late or self._results) and self._flush_outbox():
            budget = self._max_per_update
            while self._late and handled < budget:
                self._run_callbacks(self._late.popleft(), None)
                handled += 1
            items = self._results.drain(budget - handled) if handled < budget else []
            delivered = 0
            for item in items:
                if isinstance(item, RequestResult):
                    delivered += self._deliver_result(item)
                else:
                    self._deliver_live(item)
            handled += len(items)
            if delivered:
                self._worker.release(delivered)
            self._flush_outbox()
        self._handled_last = handled
        self._updates += 1
        elapsed = (time.perf_counter() - started) * 1000.0
        self._ms_last = elapsed
        self._ms_avg += _EMA * (elapsed - self._ms_avg)
        self._ms_max = max(self._ms_max, elapsed)
        return handled

    def _deliver_result(self, result: RequestResult) -> int:
        late = self._late.append
        post = self._outbox.append
        operation = result.job.operation
        for handle in result.handles:
            callbacks = handle._deliver(late)
            if callbacks:
                self._run_callbacks(handle, callbacks)
            error = handle.error
            if error is None:
                attrs = {"handle": handle, "operation": operation, "result": handle.result}
                post((KRATY_REQUEST_DONE, attrs))
            else:
                attrs = {"handle": handle, "operation": operation, "error": error}
                post((KRATY_REQUEST_FAILED, attrs))
        if result.error is None and operation == PROGRESS_OPERATION and result.handles:
            self._post_milestones(result)
        return len(result.handles)

    def _post_milestones(self, result: RequestResult) -> None:
        fired = getattr(result.value, "milestones_fired", None) or []
        info = result.job.info
        all_grants: list[Any] = []
        for milestone in fired:
            grants = list(getattr(milestone, "grants", None) or [])
            all_grants.extend(grants)
            attrs = {
                "event_key": info.get("event_key", ""),
                "attempt_id": info.get("attempt_id", ""),
                "milestone": milestone,
                "grants": grants,
            }
            self._outbox.append((KRATY_MILESTONE, attrs))
        if all_grants:
            for watcher in self._grant_watchers:
                watcher.mark_seen(all_grants)
            self._outbox.append((KRATY_GRANTS, {"grants": all_grants, "source": "milestone"}))

    def _deliver_live(self, item: LiveItem) -> None:
        event_type = _EVENT_OF_KIND.get(item.kind)
        if event_type is not None:
            self._outbox.append((event_type, item.attrs))

    def _run_callbacks(
        self,
        handle: RequestHandle[Any],
        callbacks: list[Callable[[RequestHandle[Any]], None]] | None,
    ) -> None:
        for callback in callbacks if callbacks is not None else handle._take_callbacks():
            try:
                callback(handle)
            except Exception as exc:
                self._callback_errors += 1
                _log.exception("kraty component: on_done callback of %r raised", handle)
                if self._on_callback_error is not None:
                    try:
                        self._on_callback_error(exc, handle)
                    except Exception:
                        _log.exception("kraty component: on_callback_error raised")

    def _flush_outbox(self) -> bool:
        """Post waiting events; False when SDL's queue is full (the rest wait)."""
        outbox = self._outbox
        post, event = pygame.event.post, pygame.event.Event
        while outbox:
            event_type, attrs = outbox[0]
            try:
                post(event(event_type, attrs))
            except pygame.error:
                self._post_retries += 1
                return False
            outbox.popleft()
        return True

    def wait_for_results(self, timeout: float) -> bool:
        """Block until a result or live item is waiting (tests and tools; never the game loop).

        Returns:
            True when something is waiting for ``update()``.
        """
        return self._results.wait(timeout) or bool(self._late)

    # -- watchers --------------------------------------------------------------------------

    def _add_watcher(self, watcher: Watcher) -> Watcher:
        self._check_thread("watch")
        if self._closed:
            raise KratyThreadError("the component is closed; no watcher can start")
        self._watchers = [w for w in self._watchers if not (w.is_stopped and not w.threads)]
        self._watchers.append(watcher)
        if not self._paused:
            watcher.run()
        return watcher

    def _watch_error(self, error: BaseException) -> None:
        self._observe_identity(error)

    def watch_grants(
        self,
        *,
        start: float = 2.0,
        grow: float = 1.5,
        max_interval: float = 30.0,
        as_: str | None = None,
    ) -> GrantsWatcher:
        """Poll pending grants adaptively; posts ``KRATY_GRANTS`` for grants not seen before.

        Wraps the SDK's ``poll_pending_grants`` (same ``start``/``grow``/``max_interval``
        seconds) on a thread of its own; failures post ``KRATY_CONNECTION``
        (``dropped``, ``reconnecting``, then ``polling``) and are retried. Stop it with
        ``watcher.stop()``. Main thread only.
        """
        watcher = GrantsWatcher(
            self._kraty, self._results.put_live, self._watch_error,
            start=start, grow=grow, max_interval=max_interval, as_=as_,
        )
        self._grant_watchers.append(watcher)
        self._add_watcher(watcher)
        return watcher

    def watch_leaderboard(
        self,
        leaderboard_id: str,
        *,
        limit: int | None = None,
        include_self: bool = False,
        poll_interval: float = 15.0,
        reconnect: ReconnectPolicy | None = None,
    ) -> LeaderboardWatcher:
        """Follow a per-event board live; posts ``KRATY_LEADERBOARD`` and ``KRATY_CONNECTION``.

        Reads a snapshot, then follows ``event_leaderboards.live`` with the reconnect
        policy; ``score_update`` events are coalesced per participant. Main thread only.
        """
        watcher = LeaderboardWatcher(
            self._kraty, self._results.put_live, self._watch_error, leaderboard_id,
            limit=limit, include_self=include_self, poll_interval=poll_interval,
            reconnect=reconnect,
        )
        self._add_watcher(watcher)
        return watcher

    def watch_lobby(
        self, lobby_id: str, *, interval: float = 1.0, timeout: float = 60.0
    ) -> LobbyWatcher:
        """Read a lobby every ``interval`` seconds; posts ``KRATY_LOBBY`` for each new state.

        Wraps the SDK's ``poll_lobby_until_active``: ends once the lobby leaves
        ``forming`` (then call ``events.start`` again when ``active`` is True).
        Main thread only.
        """
        watcher = LobbyWatcher(
            self._kraty, self._results.put_live, self._watch_error, lobby_id,
            interval=interval, timeout=timeout,
        )
        self._add_watcher(watcher)
        return watcher

    def watch_inventory(
        self, *, ignore_own_writes: bool = False, as_: str | None = None
    ) -> InventoryWatcher:
        """Follow the live inventory stream; posts ``KRATY_INVENTORY`` for every change.

        Reconnects with a backoff when the stream drops (``KRATY_CONNECTION`` with
        source ``inventory``). Main thread only.
        """
        watcher = InventoryWatcher(
            self._kraty, self._results.put_live, self._watch_error,
            ignore_own_writes=ignore_own_writes, as_=as_,
        )
        self._add_watcher(watcher)
        return watcher

    def watch_friends(self, *, interval: float = 30.0, as_: str | None = None) -> FriendsWatcher:
        """Poll the friend list every ``interval`` seconds; posts ``KRATY_FRIENDS`` on change.

        Main thread only.
        """
        watcher = FriendsWatcher(
            self._kraty, self._results.put_live, self._watch_error, interval=interval, as_=as_
        )
        self._add_watcher(watcher)
        return watcher

    @property
    def watchers(self) -> list[Watcher]:
        """Watchers that are running or paused (not stopped or finished)."""
        return [w for w in self._watchers if not w.is_stopped]

    # -- pause, resume, close --------------------------------------------------------------

    @property
    def is_paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def pause(self) -> None:
        """Stop polling and disconnect streams (e.g. while the window is minimised).

        Calls keep working. Returns at once; watcher threads end in the background.
        Main thread only.
        """
        self._check_thread("pause")
        if self._paused or self._closed:
            return
        self._paused = True
        for watcher in self._watchers:
            watcher.halt()

    def resume(self) -> None:
        """Restart the watchers: streams reconnect and boards are read again. Main thread only."""
        self._check_thread("resume")
        if not self._paused or self._closed:
            return
        self._paused = False
        for watcher in self._watchers:
            watcher.run()

    def close(self, timeout: float | None = None) -> CloseReport:
        """Stop everything; returns within about ``timeout`` seconds even if the server hangs.

        Watchers stop at once. Queued writes keep draining until the timeout (queued
        reads are dropped); then the rest is cancelled: queued calls are never sent and
        calls in flight are aborted (writes end with ``outcome_unknown``). Every
        component thread is joined. Callbacks of the finished and cancelled calls run
        here and their events are posted when pygame is still up. Idempotent.
        Main thread only.

        Returns:
            The :class:`CloseReport` (cancelled handles, outcome unknown, threads left).
        """
        self._check_thread("close")
        if self._close_report is not None:
            return self._close_report
        wait = self._close_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + wait
        self._closed = True
        for watcher in self._watchers:
            watcher.halt()
        report = self._worker.close(wait)
        grace = max(deadline - time.monotonic(), 0.0) + 0.2
        watcher_threads: list[str] = []
        for watcher in self._watchers:
            if not watcher.join(grace):
                watcher_threads.extend(t.name for t in watcher.threads)
            grace = max(deadline - time.monotonic(), 0.0) + 0.05
        if watcher_threads:
            report = CloseReport(
                drained=report.drained,
                cancelled=report.cancelled,
                outcome_unknown=report.outcome_unknown,
                threads_alive=report.threads_alive + tuple(watcher_threads),
            )
        self._deliver_remaining()
        saved = self._saved_switch_interval
        ours = self._switch_interval or 0.0
        if saved is not None and abs(sys.getswitchinterval() - ours) < 1e-6:
            sys.setswitchinterval(saved)
        if self._owns_kraty:
            try:
                self._kraty.close()
            except Exception:
                _log.exception("kraty component: closing the facade failed")
        self._close_report = report
        return report

    def _deliver_remaining(self) -> None:
        while self._late:
            self._run_callbacks(self._late.popleft(), None)
        for item in self._results.drain(len(self._results)):
            if isinstance(item, RequestResult):
                self._deliver_result(item)
            else:
                self._deliver_live(item)
        if pygame.get_init():
            self._flush_outbox()
        self._outbox.clear()

    def __enter__(self) -> KratyComponent:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- stats -----------------------------------------------------------------------------

    @property
    def stats(self) -> ComponentStats:
        """Counters for a debug overlay or a test (cheap; any thread)."""
        worker = self._worker.stats()
        watcher_threads = sum(len(w.threads) for w in self._watchers)
        return ComponentStats(
            queue_depth=worker.queued,
            in_flight=worker.in_flight,
            outstanding=worker.outstanding,
            results_waiting=len(self._results),
            events_waiting=len(self._outbox),
            coalesced=worker.merged + self._results.coalesced,
            dropped=worker.rejected + self._results.dropped,
            refused=worker.rejected,
            live_dropped=self._results.dropped,
            post_retries=self._post_retries,
            callback_errors=self._callback_errors,
            handled_last_update=self._handled_last,
            max_per_update=self._max_per_update,
            update_ms_last=self._ms_last,
            update_ms_avg=self._ms_avg,
            update_ms_max=self._ms_max,
            updates=self._updates,
            watchers=sum(1 for w in self._watchers if w.is_running),
            threads=worker.threads_alive + watcher_threads,
        )

    @property
    def threads(self) -> list[threading.Thread]:
        """Every component thread still alive (request workers and watchers)."""
        alive = [t for t in self._worker.threads if t.is_alive()]
        for watcher in self._watchers:
            alive.extend(watcher.threads)
        return alive
