"""``KratyComponent``: the blocking SDK behind a non-blocking, once-per-frame pygame API.

Durable writes are recorded in the outbox on the calling thread (``outbox_link.py``);
other calls become jobs on the request worker (``worker.py``). ``update()`` delivers
at most ``max_results_per_update`` results per frame as ``KRATY_*`` events; worker and
watcher threads never call pygame. The bounds that keep memory flat when the game
stops calling ``update()`` are in docs/pygame-guide.md ("Bounds and overflow").
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from types import EllipsisType, TracebackType
from typing import TYPE_CHECKING, Any, Final, ParamSpec, TypeVar

import pygame

from kraty_pygame.component.attempts import ATTEMPT_OPERATIONS, AttemptTracker
from kraty_pygame.component.batching import PROGRESS_OPERATION, ProgressBatcher, progress_target
from kraty_pygame.component.board_watcher import LeaderboardWatcher
from kraty_pygame.component.calls import FacadeCalls, check_call
from kraty_pygame.component.delivery import CallbackErrorHandler, Delivery
from kraty_pygame.component.errors import (
    KratyAttemptEndedError,
    KratyClockNotSyncedError,
    KratyComponentClosedError,
    KratyThreadError,
)
from kraty_pygame.component.event_types import (
    ensure_event_types,
)
from kraty_pygame.component.handles import HandleStatus, RequestHandle, SentRequest
from kraty_pygame.component.outbox_link import OutboxLink, is_durable
from kraty_pygame.component.outbox_setup import open_outbox
from kraty_pygame.component.platform_watchers import (
    DEFAULT_PRESENCE_POLL_INTERVAL,
    ClockSync,
    FriendsWatcher,
    InventoryWatcher,
    PresenceWatcher,
)
from kraty_pygame.component.proxies import ResourceProxy
from kraty_pygame.component.stats import ComponentStats
from kraty_pygame.component.watchers import GrantsWatcher, LobbyWatcher, Watcher
from kraty_pygame.component.worker import (
    CloseReport,
    Job,
    LiveItem,
    RequestResult,
    RequestWorker,
    ResultsBuffer,
)
from kraty_pygame.sdk._constants import PRESENCE_HEARTBEAT_INTERVAL
from kraty_pygame.sdk.errors import KratyApiError, KratyCancelledError, KratyNetworkError
from kraty_pygame.sdk.transport import CancelToken

if TYPE_CHECKING:
    # generated from the SDK's declarations: typed ``component.<area>`` proxies
    from kraty_pygame.component._typed_proxies import Proxies as _Proxies
    from kraty_pygame.sdk.kraty import Kraty
    from kraty_pygame.sdk.models.time import TimeSync
    from kraty_pygame.sdk.streams.leaderboard import ReconnectPolicy

__all__ = ["ComponentStats", "KratyComponent"]

_log = logging.getLogger("kraty_pygame.component")

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_MAX_PER_UPDATE: Final = 64
DEFAULT_CLOSE_TIMEOUT: Final = 2.0
_EMA: Final = 0.05
#: How long a read may take while calls are offline before it fails with a network error.
OFFLINE_READ_BUDGET: Final = 0.9
#: How long a call waits, online, for the durable writes made before it to be applied.
WRITES_FIRST_WAIT: Final = 2.0
_START: Final = "events.start"
_LISTINGS: Final = "events.list_for_player"


def _event_key(job: Job) -> str:
    """The ``event_key`` of an ``events.start`` / ``list`` job (first argument)."""
    return _start_event_key(job.args, job.kwargs)


def _start_event_key(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    """The ``event_key`` of an ``events.start`` / ``list`` call (first argument)."""
    return str(args[0] if args else kwargs.get("event_key", ""))


def _outbox_job(
    operation: str,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    handle: RequestHandle[Any],
) -> Job:
    """The job reporting a durable write that ended before it was recorded."""
    job = Job(operation, fn, args, kwargs, [handle])
    job.info["outbox"] = True
    if operation == PROGRESS_OPERATION:
        job.info["event_key"], job.info["attempt_id"] = progress_target(args, kwargs)
    return job


_NOT_SYNCED: Final = (
    "the server clock is not synced yet: the component syncs it at start (off the main "
    "thread); check component.is_time_synced, or queue component.sync_time()"
)


if not TYPE_CHECKING:
    _Proxies = object


class KratyComponent(FacadeCalls, _Proxies):
    """Runs a ``Kraty`` facade on background threads and talks to the game through events.

    Construct it on the main thread (the one running the pygame loop): the request
    worker starts at once. Call :meth:`update` once per frame before
    ``pygame.event.get()``. Every SDK operation is available without blocking through
    the resource proxies (``component.events``, ``component.grants``, ...) or
    :meth:`call`; each returns a :class:`RequestHandle`.

    Args:
        kraty: the blocking SDK facade; :meth:`close` closes it too unless
            ``owns_kraty`` is False.
        workers: request threads. One keeps every call in submission order; with more,
            calls of the same player (``as_``) still keep their order.
        max_pending_requests: overflow bound on outstanding calls (module docstring).
        max_live_items: overflow bound on waiting live items (module docstring).
        max_results_per_update: most results ``update()`` handles per call.
        batch_progress: merge queued ``increment`` progress calls of one attempt.
        progress_batch_limit: most calls merged into one progress request.
        close_timeout: default timeout of :meth:`close` and of the context manager.
        owns_kraty: also close the facade in :meth:`close` (its deadline thread and
            connection pool go with it). Default True, so the usual
            ``KratyComponent(Kraty(...))`` leaves nothing behind; pass False when the
            program keeps using the same ``Kraty`` after the component closed.
        on_callback_error: called (main thread) with the exception and the handle when
            an ``on_done`` callback raises; the error is logged either way.
        switch_interval: while the component runs, lower the interpreter's thread switch
            interval (``sys.setswitchinterval``, 5 ms by default in CPython) to this many
            seconds, so a worker decoding a large response holds the GIL for at most
            about that long before the main thread gets it back. Opt-in: this is a
            process-wide setting. ``None`` (the default) leaves the interpreter alone.
            Restored by :meth:`close`. Measured effect: the pygame guide.
        sync_time_at_start: sync the server clock (``kraty.sync_time()``) on a thread of
            the component's own right after construction and again on :meth:`resume`,
            without posting events; then :meth:`server_now` and
            :attr:`server_time_offset_ms` work without I/O. Default True.
        outbox: where durable writes wait for the server (see ``docs/offline.md``).
            ``True`` (default): the facade's own outbox when it has one, else one next
            to the player's secret store in the user data dir; a path: an outbox in
            that directory; an ``Outbox``: that one (the component does not close it);
            ``False``: no outbox, every call goes through the request worker as before.
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
        owns_kraty: bool = True,
        on_callback_error: CallbackErrorHandler | None = None,
        switch_interval: float | None = None,
        sync_time_at_start: bool = True,
        outbox: bool | str | os.PathLike[str] | Any = True,
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
        self._delivery = Delivery(on_callback_error)
        self._attempts = AttemptTracker()
        self._watchers: list[Watcher] = []
        self._identity_lock = threading.Lock()
        self._retry_lock = threading.Lock()
        self._identity: str | None = None
        self._paused = False
        self._closed = False
        self._close_report: CloseReport | None = None
        self._handled_last = 0
        self._updates = 0
        self._ms_last = 0.0
        self._ms_avg = 0.0
        self._ms_max = 0.0
        self._wall_ms_last = 0.0
        self._wall_ms_max = 0.0
        self._time_synced = threading.Event()
        self._sync_at_start = sync_time_at_start
        self._clock = ClockSync(
            kraty, self._results.put_live, self._watch_error, on_synced=self._clock_synced
        )
        self._outbox: OutboxLink | None = None
        #: Events known to have a lobby (from listings or a lobby_forming answer): their
        #: start needs the server, so it is never recorded in the outbox.
        self._lobby_events: set[str] = set()
        opened = open_outbox(kraty, outbox)
        if opened is not None:
            box, owns = opened
            self._outbox = OutboxLink(
                box,
                put_request=self._results.put_request,
                put_live=self._results.put_live,
                owns=owns,
            )
            self._delivery.shown = self._outbox.shown
            self._outbox.attempts = self._attempts
            self._outbox.on_held = self._observe_identity  # KRATY_IDENTITY secret_invalid
        from kraty_pygame.sdk.kraty import resource_areas  # noqa: PLC0415 - loaded with Kraty

        for area in resource_areas(type(kraty)):  # component.events, .grants, ...
            setattr(self, area, ResourceProxy(self, area))
        self._switch_interval = switch_interval
        self._saved_switch_interval: float | None = None
        if switch_interval is not None and switch_interval < sys.getswitchinterval():
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(switch_interval)
        ensure_event_types(probe=True)
        self._worker.start()
        self._observe_identity(None)
        if sync_time_at_start:
            self._clock.run()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "paused" if self._paused else "running"
        return f"<KratyComponent {state}>"

    # -- facade-level operations -----------------------------------------------------------

    @property
    def outbox(self) -> Any:
        """The ``Outbox`` durable writes go through, or ``None`` when it is off."""
        return None if self._outbox is None else self._outbox.outbox

    @property
    def online(self) -> bool | None:
        """Whether calls reach the server, as last seen (``None``: not known yet). No I/O."""
        return None if self._outbox is None else self._outbox.online

    @property
    def kraty(self) -> Kraty:
        """The blocking facade the component runs (do not call it from the game loop)."""
        return self._kraty

    @property
    def active_external_player_id(self) -> str | None:
        """The active player's id as last seen (no I/O); ``None`` before it resolved."""
        return self._kraty.active_external_player_id

    # -- server clock (no I/O, any thread) ---------------------------------------------------

    def _clock_synced(self, sync: TimeSync) -> None:
        self._time_synced.set()

    @property
    def is_time_synced(self) -> bool:
        """True once the server clock was synced (at start, by ``sync_time()``, or by the
        facade itself). No I/O."""
        return bool(self._kraty.is_time_synced)

    @property
    def time_sync(self) -> TimeSync | None:
        """The latest clock sync (``round_trip_ms``, ``offset_ms``), or ``None``. No I/O."""
        return self._kraty.last_time_sync

    @property
    def server_time_offset_ms(self) -> float | None:
        """Server clock minus this machine's wall clock, in ms (positive: the server is
        ahead), as measured by the latest sync; ``None`` before the first sync. No I/O."""
        sync = self._kraty.last_time_sync
        return None if sync is None else sync.offset_ms

    def server_now(self) -> datetime:
        """The server's time now (aware UTC datetime), computed locally: no I/O, any thread.

        Right after a sync it is within half that sync's round trip of the server clock.

        Raises:
            KratyClockNotSyncedError: no sync has succeeded yet (see
                :attr:`is_time_synced`).
        """
        if self._kraty.last_time_sync is None:
            raise KratyClockNotSyncedError(_NOT_SYNCED)
        return self._kraty.server_now()

    def server_now_ms(self) -> int:
        """:meth:`server_now` in ms since the Unix epoch (no I/O, any thread).

        Raises:
            KratyClockNotSyncedError: no sync has succeeded yet.
        """
        if self._kraty.last_time_sync is None:
            raise KratyClockNotSyncedError(_NOT_SYNCED)
        return self._kraty.server_now_ms()

    def wait_for_time_sync(self, timeout: float) -> bool:
        """Block until the server clock is synced (tests and tools; never the game loop).

        Returns:
            True when synced within ``timeout`` seconds.
        """
        return self.is_time_synced or self._time_synced.wait(timeout) or self.is_time_synced

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
        player = kwargs.get("as_")
        link = self._outbox
        if link is None or not is_write or player is not None or not is_durable(fn):
            check_call(operation, fn, args, kwargs)
            queued: RequestHandle[Any] = RequestHandle(operation, is_write=is_write)
            return self._queue(
                queued, operation, fn, args, kwargs, player=player, is_write=is_write
            )
        return self._submit_durable(operation, fn, args, kwargs)

    def _submit_durable(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> RequestHandle[Any]:
        """:meth:`_submit` of a durable write (the proxies of durable writes call this)."""
        link = self._outbox
        if link is None or kwargs.get("as_") is not None:  # not for the outbox
            return self._submit(operation, fn, args, kwargs, is_write=True)
        # A durable write: the main thread's cheapest path, a copy into the outbox and
        # nothing else queued. Its arguments are checked as on every other path (wrong
        # ones raise here, nothing recorded), but only when the outbox did not take the
        # call: the outbox runs (or reuses) the SDK method, which checks them as well.
        # The handle is the one object left alive (it keeps the call until the write
        # settles); the job reporting the result is made then, on the sender's thread.
        handle: RequestHandle[Any] = RequestHandle(operation)
        # every caller passes a dict of its own (a proxy's **kwargs): kept, not copied
        own = kwargs if type(kwargs) is dict else dict(kwargs)
        call_args = args if type(args) is tuple else tuple(args)
        if operation in ATTEMPT_OPERATIONS:  # an attempt seen ending: not even recorded
            ended, attempt_id = None, ""
            if self._attempts.any_ended:  # none seen ending yet: nothing to look up
                attempt_id = progress_target(call_args, own)[1]
                ended = self._attempts.status_of(attempt_id) if attempt_id else None
            if ended is not None:
                check_call(operation, fn, args, kwargs)
                error: BaseException = KratyAttemptEndedError(
                    f"{operation}: attempt {attempt_id} already ended ({ended}); not sent",
                    attempt_id=attempt_id,
                    status=ended,
                )
                handle._complete(HandleStatus.FAILED, None, error)
                job = _outbox_job(operation, fn, call_args, own, handle)
                link.put_finished(RequestResult(job, (handle,), None, error))
                return handle
        elif operation == _START and self._lobby_events:
            event_key = _start_event_key(call_args, own)
            if event_key in self._lobby_events:
                check_call(operation, fn, args, kwargs)
                if link.online is False:  # a lobby seats the player on the server: not offline
                    error = KratyNetworkError(
                        f"events.start: {event_key!r} is a lobby event; a lobby run "
                        "cannot start offline (the server seats the players). Try again "
                        "when KRATY_CONNECTION says calls are online."
                    )
                    handle._complete(HandleStatus.FAILED, None, error)
                    job = _outbox_job(operation, fn, call_args, own, handle)
                    link.put_finished(RequestResult(job, (handle,), None, error))
                    return handle
                # online: the request worker sends it
                return self._queue(handle, operation, fn, args, kwargs, player=None, is_write=True)
        if self._closed:
            failure: BaseException | None = KratyComponentClosedError(
                f"{operation}: the component is closed; nothing was recorded"
            )
        else:
            failure = link.record(handle, fn, call_args, own)
        if failure is not None:
            check_call(operation, fn, args, kwargs)  # wrong arguments raise, as on other paths
            if handle._complete(HandleStatus.FAILED, None, failure):
                # never recorded: retry() may queue it again as it was
                handle._origin = SentRequest((handle,), operation, fn, call_args, dict(own), True)
                job = _outbox_job(operation, fn, call_args, own, handle)
                link.put_finished(RequestResult(job, (handle,), None, failure))
        return handle

    def _queue(
        self,
        handle: RequestHandle[Any],
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        player: object,
        is_write: bool,
    ) -> RequestHandle[Any]:
        """Queue a call on the request worker (after this run's recorded writes)."""
        link = self._outbox
        handle._origin = SentRequest((handle,), operation, fn, tuple(args), dict(kwargs), is_write)
        after = None if link is None else link.barrier()
        job = Job(
            operation=operation,
            fn=fn,
            args=tuple(args),
            kwargs=dict(kwargs),
            handles=[handle],
            player=player if isinstance(player, str) else None,
            is_write=is_write,
        )
        if after is not None:
            job.info["after"] = after
        if operation == PROGRESS_OPERATION:
            self._batcher.prepare(job)
        if not self._worker.submit(job):
            handle._deliver(self._delivery.late)
        return handle

    def _run_job(self, job: Job) -> Any:
        # The token is made here, not per call: setdefault is atomic, so a cancel that
        # raced ahead of us has already stored (and cancelled) the one we must use.
        token: CancelToken = job.info.setdefault("cancel", CancelToken())
        link = self._outbox
        after = job.info.get("after")
        if after is not None and link is not None:
            # Online, a call comes after the durable writes made before it (a read sees
            # them), waiting at most WRITES_FIRST_WAIT; offline it never waits.
            link.wait_writes_before(after, WRITES_FIRST_WAIT, lambda: token.cancelled)
        offline = link is not None and link.online is False and not job.is_write
        timer: threading.Timer | None = None
        expired = threading.Event()
        if offline:
            # Reads never wait behind the outbox's retries: while offline they get a
            # short budget and fail with a network error (the game keeps its last data).
            def expire() -> None:
                expired.set()
                token.cancel()

            timer = threading.Timer(OFFLINE_READ_BUDGET, expire)
            timer.daemon = True
            timer.start()
        try:
            if job.operation in ATTEMPT_OPERATIONS:
                value = self._attempts.run(job, token, self._kraty.client.cancellation)
            else:
                with self._kraty.client.cancellation(token):
                    value = job.call()
        except KratyApiError as exc:
            if job.operation == _START and exc.is_lobby_forming:
                self._lobby_events.add(_event_key(job))
            raise
        except KratyNetworkError as exc:
            if link is not None and not isinstance(exc, KratyCancelledError):
                link.set_online(False, exc)
            if expired.is_set() and isinstance(exc, KratyCancelledError):
                raise KratyNetworkError(
                    f"{job.operation}: offline (no answer within {OFFLINE_READ_BUDGET:g} s)",
                    original_cause=exc,
                ) from exc
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if link is not None and link.online is not True:
            link.set_online(True, None)
        if job.operation == _LISTINGS and isinstance(value, list):
            self._lobby_events.update(
                str(listing.event_key) for listing in value if listing.is_lobby_matched
            )
        return value

    @staticmethod
    def _interrupt_job(job: Job) -> None:
        token: CancelToken = job.info.setdefault("cancel", CancelToken())
        token.cancel()

    def _after_job(self, job: Job, error: BaseException | None) -> None:
        self._observe_identity(error)
        if error is None and job.operation == "sync_time":
            self._time_synced.set()

    def _observe_identity(self, error: BaseException | None) -> None:
        """Queue ``KRATY_IDENTITY`` when the active player changed or its secret was refused."""
        current = self._kraty.active_external_player_id
        with self._identity_lock:
            previous, self._identity = self._identity, current
        if current != previous:
            reason = "resolved" if previous is None else "changed"
            attrs = {"external_player_id": current, "reason": reason, "hint": ""}
            self._put_live(LiveItem("identity", attrs))
        if isinstance(error, KratyApiError) and error.is_player_secret_invalid:
            attrs = {"external_player_id": current, "reason": "secret_invalid", "hint": error.hint}
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
        Main thread only. The CPU time of its work goes to ``stats.update_ms_*`` (an
        update with nothing to deliver counts as 0) and its wall-clock time to
        ``stats.update_wall_ms_*``.

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
        cpu_ms = 0.0
        delivery = self._delivery
        link = self._outbox
        if delivery.busy or self._results or (link is not None and link.pending_dirty):
            # Only work is timed on the CPU clock: the idle path costs about a
            # microsecond, less than reading the thread CPU clock (a system call).
            cpu_started = time.thread_time()
            if delivery.flush():
                budget = self._max_per_update
                handled = delivery.run_late(budget)
                items = self._results.drain(budget - handled) if handled < budget else []
                delivered = 0
                from_outbox = 0
                for item in items:
                    if isinstance(item, RequestResult):
                        count = delivery.deliver_result(item)
                        if "outbox" in item.job.info:
                            from_outbox += count
                        else:
                            delivered += count
                    else:
                        delivery.deliver_live(item)
                handled += len(items)
                if delivered:
                    self._worker.release(delivered)
                if link is not None:
                    if from_outbox:
                        link.delivered(from_outbox)
                    sync = link.take_pending()
                    if sync is not None:
                        delivery.post_sync(sync)
                delivery.flush()
            cpu_ms = (time.thread_time() - cpu_started) * 1000.0
        wall_ms = (time.perf_counter() - started) * 1000.0
        self._handled_last = handled
        self._updates += 1
        self._ms_last = cpu_ms
        self._ms_avg += _EMA * (cpu_ms - self._ms_avg)
        self._ms_max = max(self._ms_max, cpu_ms)
        self._wall_ms_last = wall_ms
        self._wall_ms_max = max(self._wall_ms_max, wall_ms)
        return handled

    def wait_for_results(self, timeout: float) -> bool:
        """Block until a result or live item is waiting (tests and tools; never the game loop).

        Returns:
            True when something is waiting for ``update()``.
        """
        return self._results.wait(timeout) or self._delivery.has_late

    # -- watchers --------------------------------------------------------------------------

    def _add_watcher(self, watcher: Watcher, method: str) -> Watcher:
        self._check_thread(method)
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
        self._check_thread("watch_grants")
        watcher = GrantsWatcher(
            self._kraty,
            self._results.put_live,
            self._watch_error,
            start=start,
            grow=grow,
            max_interval=max_interval,
            as_=as_,
        )
        self._delivery.grant_watchers.append(watcher)
        self._add_watcher(watcher, "watch_grants")
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

        One board has at most one watcher: while a watcher of ``leaderboard_id`` is
        running or paused, calling this again with the same arguments returns that
        watcher (no second stream, no update posted twice).

        Raises:
            ValueError: a watcher of this board is already running with other arguments
                (``stop()`` it first).
        """
        self._check_thread("watch_leaderboard")
        wanted = (limit, include_self, poll_interval, reconnect)
        for existing in self._watchers:
            if (
                isinstance(existing, LeaderboardWatcher)
                and existing.leaderboard_id == leaderboard_id
                and not existing.is_stopped
            ):
                if existing.arguments == wanted:
                    return existing
                raise ValueError(
                    f"watch_leaderboard({leaderboard_id!r}): this board is already watched "
                    f"with other arguments ({existing!r}); stop() that watcher first"
                )
        watcher = LeaderboardWatcher(
            self._kraty,
            self._results.put_live,
            self._watch_error,
            leaderboard_id,
            limit=limit,
            include_self=include_self,
            poll_interval=poll_interval,
            reconnect=reconnect,
        )
        self._add_watcher(watcher, "watch_leaderboard")
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
            self._kraty,
            self._results.put_live,
            self._watch_error,
            lobby_id,
            interval=interval,
            timeout=timeout,
        )
        self._add_watcher(watcher, "watch_lobby")
        return watcher

    def watch_inventory(
        self, *, ignore_own_writes: bool = False, as_: str | None = None
    ) -> InventoryWatcher:
        """Follow the live inventory stream; posts ``KRATY_INVENTORY`` for every change.

        Reconnects with a backoff when the stream drops (``KRATY_CONNECTION`` with
        source ``inventory``). Main thread only.
        """
        watcher = InventoryWatcher(
            self._kraty,
            self._results.put_live,
            self._watch_error,
            ignore_own_writes=ignore_own_writes,
            as_=as_,
        )
        self._add_watcher(watcher, "watch_inventory")
        return watcher

    def watch_friends(self, *, interval: float = 30.0, as_: str | None = None) -> FriendsWatcher:
        """Poll the friend list every ``interval`` seconds; posts ``KRATY_FRIENDS`` on change.

        The events have ``kind="friends"``, ``friends`` and ``source="poller"``. Sends no
        heartbeat: :meth:`watch_presence` does, and also reports requests and gifts.
        Main thread only.
        """
        watcher = FriendsWatcher(
            self._kraty, self._results.put_live, self._watch_error, interval=interval, as_=as_
        )
        self._add_watcher(watcher, "watch_friends")
        return watcher

    def watch_presence(
        self,
        *,
        heartbeat_interval: float | None = PRESENCE_HEARTBEAT_INTERVAL,
        poll_interval: float = DEFAULT_PRESENCE_POLL_INTERVAL,
        status: str | EllipsisType | None = ...,
        requests: bool = True,
        gifts: bool = True,
        progression: Sequence[str] | None = None,
        as_: str | None = None,
    ) -> PresenceWatcher:
        """Keep the player online and report friends, requests and gifts as ``KRATY_FRIENDS``.

        Sends the presence heartbeat itself (at once, then every ``heartbeat_interval``
        seconds, ``PRESENCE_HEARTBEAT_INTERVAL`` by default; ``None`` sends none) on a
        thread of its own, and reads the friend list, pending requests and gift inbox
        every ``poll_interval`` seconds on another. Posts ``KRATY_FRIENDS`` with a
        ``kind``: snapshots (``friends``, ``requests``, ``gifts``), changes
        (``presence``, ``friend_added``, ``friend_removed``, ``request_added``,
        ``request_removed``, ``gift_received``) and ``heartbeat``; see
        :class:`PresenceWatcher`. Its connection source is ``presence``.
        :meth:`pause` stops the heartbeats and reads, :meth:`resume` restarts them.
        Main thread only.
        """
        watcher = PresenceWatcher(
            self._kraty,
            self._results.put_live,
            self._watch_error,
            heartbeat_interval=heartbeat_interval,
            poll_interval=poll_interval,
            status=status,
            requests=requests,
            gifts=gifts,
            progression=progression,
            as_=as_,
        )
        self._add_watcher(watcher, "watch_presence")
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
        self._clock.halt()

    def resume(self) -> None:
        """Restart the watchers: streams reconnect and boards are read again.

        With ``sync_time_at_start`` the server clock is synced again too (in the
        background). Main thread only.
        """
        self._check_thread("resume")
        if not self._paused or self._closed:
            return
        self._paused = False
        for watcher in self._watchers:
            watcher.run()
        if self._sync_at_start:
            self._clock.run()

    def close(self, timeout: float | None = None) -> CloseReport:
        """Stop everything; returns within about ``timeout`` seconds even if the server hangs.

        Watchers stop at once. Durable writes in the outbox keep syncing until the
        timeout; what is not delivered by then stays on disk and is sent by the next
        start of the game (``CloseReport.pending_writes`` says how many; their handles
        stay unfinished, ``handle.queued`` True). Other queued writes keep draining
        until the timeout (queued reads are dropped); then the rest is cancelled:
        queued calls are never sent and calls in flight are aborted (writes end with
        ``outcome_unknown``). Every component thread is joined. Callbacks of the
        finished and cancelled calls run here and their events are posted when pygame
        is still up. Idempotent. Main thread only.

        Returns:
            The :class:`CloseReport` (cancelled handles, outcome unknown, threads left,
            writes kept for the next start).
        """
        self._check_thread("close")
        if self._close_report is not None:
            return self._close_report
        wait = self._close_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + wait
        self._closed = True
        for watcher in self._watchers:
            watcher.halt()
        self._clock.halt()
        report = self._worker.close(wait)
        pending_writes = 0
        if self._outbox is not None:
            pending_writes = self._outbox.close(max(deadline - time.monotonic(), 0.0))
            if pending_writes:
                _log.info(
                    "kraty component: %d write(s) not synced yet; kept for the next start",
                    pending_writes,
                )
        grace = max(deadline - time.monotonic(), 0.0) + 0.2
        watcher_threads: list[str] = []
        for watcher in [*self._watchers, self._clock]:
            if not watcher.join(grace):
                watcher_threads.extend(t.name for t in watcher.threads)
            grace = max(deadline - time.monotonic(), 0.0) + 0.05
        if watcher_threads or pending_writes:
            report = CloseReport(
                drained=report.drained,
                cancelled=report.cancelled,
                outcome_unknown=report.outcome_unknown,
                threads_alive=report.threads_alive + tuple(watcher_threads),
                pending_writes=pending_writes,
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
        delivery = self._delivery
        delivery.run_late(None)
        for item in self._results.drain(len(self._results)):
            if isinstance(item, RequestResult):
                delivery.deliver_result(item)
            else:
                delivery.deliver_live(item)
        if pygame.get_init():
            delivery.flush()
        delivery.discard()

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
        link = self._outbox
        watcher_threads = sum(len(w.threads) for w in self._watchers) + len(self._clock.threads)
        return ComponentStats(
            queue_depth=worker.queued,
            in_flight=worker.in_flight,
            outstanding=worker.outstanding
            + (0 if link is None else link.waiting_handles + link.undelivered),
            results_waiting=len(self._results),
            events_waiting=self._delivery.events_waiting,
            coalesced=worker.merged
            + self._results.coalesced
            + (0 if link is None else link.merged),
            dropped=worker.rejected + self._results.dropped,
            refused=worker.rejected,
            live_dropped=self._results.dropped,
            post_retries=self._delivery.post_retries,
            callback_errors=self._delivery.callback_errors,
            handled_last_update=self._handled_last,
            max_per_update=self._max_per_update,
            update_ms_last=self._ms_last,
            update_ms_avg=self._ms_avg,
            update_ms_max=self._ms_max,
            update_wall_ms_last=self._wall_ms_last,
            update_wall_ms_max=self._wall_ms_max,
            updates=self._updates,
            watchers=sum(1 for w in self._watchers if w.is_running),
            threads=worker.threads_alive + watcher_threads,
            pending_writes=0 if self._outbox is None else self._outbox.pending,
            online=None if self._outbox is None else self._outbox.online,
        )

    @property
    def threads(self) -> list[threading.Thread]:
        """Every component thread still alive (request workers and watchers)."""
        alive = [t for t in self._worker.threads if t.is_alive()]
        for watcher in self._watchers:
            alive.extend(watcher.threads)
        alive.extend(self._clock.threads)
        return alive
