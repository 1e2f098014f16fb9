"""The component's side of the durable outbox (no pygame).

A durable write made through a proxy is recorded in the outbox on the calling (main)
thread: ``Outbox.record`` runs the SDK call in capture mode (or reuses the request of
an identical earlier call), copies the request into the outbox's hand-off map and
returns without any network I/O. The handle then waits for the
outbox's notices, which arrive on the sender thread:

* ``applied`` / ``failed`` / ``unknown`` finish the handle (or, for a write recorded
  by an earlier run of the game, become a ``KRATY_SYNC`` event);
* ``pending_changed`` and ``connection`` become ``KRATY_SYNC`` ``pending`` and
  ``KRATY_CONNECTION`` (source ``calls``), coalesced so a burst costs one event;
* every other kind (``held``, ``foreign``, ``corrupt``, ``run_synced``,
  ``run_failed``) is passed on as a ``KRATY_SYNC`` event of that kind.

Online, a call the request worker runs first waits (bounded) for the durable writes
recorded before it, so a read sees them; offline nothing waits.

Milestone notifications are deduplicated by idempotency key, and the keys already
shown are kept in a small file beside the journal, so a progress write replayed
after a crash does not show its milestones again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from kraty_pygame.component.batching import PROGRESS_OPERATION, progress_target
from kraty_pygame.component.handles import HandleStatus, RequestHandle, SentRequest
from kraty_pygame.component.jobs import Job
from kraty_pygame.component.outbox_setup import remove_if_run_dir
from kraty_pygame.component.results import LiveItem, RequestResult
from kraty_pygame.sdk._operation import operation_of
from kraty_pygame.sdk.outbox import Recorded, decoder_for

__all__ = ["SHOWN_KEYS_FILE", "OutboxLink", "ShownKeys", "is_durable"]

_log = logging.getLogger("kraty_pygame.component")

#: The file (in the outbox directory) listing keys whose notifications were shown.
SHOWN_KEYS_FILE: Final = "component-shown"
_SHOWN_KEEP: Final = 20_000
_SETTLED: Final = frozenset({"applied", "failed", "unknown"})
_ABSENT: Final = object()
"""A durable handle's second positional argument when the call had one."""


def is_durable(fn: Callable[..., Any]) -> bool:
    """Whether the SDK declares ``fn`` (a resource method, bound or not) a durable write."""
    declared = operation_of(fn)
    return declared is not None and declared.durable


class ShownKeys:
    """Idempotency keys whose notifications the game was shown, kept across runs.

    One key per line, appended with one ``write(2)`` each; the newest ``_SHOWN_KEEP``
    are loaded at start (the file is rewritten when it grows past twice that).
    Without a directory the set lives in memory only.
    """

    def __init__(self, directory: Path | None) -> None:
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._path = None if directory is None else directory / SHOWN_KEYS_FILE
        self._lines = 0
        if self._path is not None:
            with contextlib.suppress(OSError):
                for line in self._path.read_text("utf-8", errors="replace").splitlines():
                    key = line.strip()
                    if key:
                        self._keys[key] = None
                        self._lines += 1
            while len(self._keys) > _SHOWN_KEEP:
                self._keys.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already there (already shown)."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > _SHOWN_KEEP:
                self._keys.popitem(last=False)
            self._append(key)
            return True

    def _append(self, key: str) -> None:
        path = self._path
        if path is None or "\n" in key:
            return
        try:
            if self._lines >= 2 * _SHOWN_KEEP:
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text("".join(k + "\n" for k in self._keys), "utf-8")
                os.chmod(tmp, 0o600)
                os.replace(tmp, path)
                self._lines = len(self._keys)
                return
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (key + "\n").encode("utf-8"))
            finally:
                os.close(fd)
            self._lines += 1
        except OSError as exc:  # a notification may then show twice after a crash; no more
            _log.warning("kraty component: cannot record a shown notification (%s)", exc)


class OutboxLink:
    """Records durable proxy calls and turns the outbox's notices into component results.

    Args:
        outbox: the SDK's ``Outbox``.
        put_request: where finished handles go (the component's results buffer).
        put_live: where ``KRATY_SYNC`` / ``KRATY_CONNECTION`` items go.
        owns: close the outbox in :meth:`close` (the component made it).
    """

    def __init__(
        self,
        outbox: Any,
        *,
        put_request: Callable[[RequestResult], None],
        put_live: Callable[..., None],
        owns: bool,
    ) -> None:
        self.outbox = outbox
        self._put_request = put_request
        self._put_live = put_live
        self._owns = owns
        self._lock = threading.Lock()
        # handles waiting for their entry, in the order they were recorded; each keeps
        # its call, "_seq" (recording order) and "_decoder" (no other object per write:
        # fewer pauses of the collector on the game's thread)
        self._waiting: dict[str, RequestHandle[Any]] = {}
        # Outbox.record without packing the arguments again
        self._record: Callable[..., Any] = outbox._record_call
        self._seq = 0
        self._settled = threading.Condition(self._lock)
        self._last_data: Any = None
        #: The component's attempt tracker (``KRATY_ATTEMPT`` for delivered writes).
        self.attempts: Any = None
        #: Called (sender thread) with the error when the server refused a player's secret.
        self.on_held: Callable[[BaseException | None], None] | None = None
        self._last_sent: SentRequest | None = None
        #: Finished handles whose result ``update()`` has not delivered yet.
        self.undelivered = 0
        #: Writes the outbox sent as part of another write's merged request.
        self.merged = 0
        #: The pending count may have changed since ``update()`` last posted it.
        self.pending_dirty = False
        self._pending_posted = -1
        directory = getattr(outbox, "directory", None)
        self.shown = ShownKeys(Path(directory) if directory is not None else None)
        self.online: bool | None = getattr(outbox, "online", None)
        self._remove = outbox.add_listener(self._on_notice)
        self._closed = False

    # -- the main thread: recording -------------------------------------------------------

    def record(
        self,
        handle: RequestHandle[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> BaseException | None:
        """Record the call ``fn(*args, **kwargs)`` of ``handle`` in the outbox; returns
        the error when it could not be.

        Costs a copy into the outbox's hand-off map and no system call; the call is kept
        on the handle (no other object per write). An argument error (or a full disk)
        comes back as the error; the handle is then not waiting on anything.
        """
        try:
            # the outbox's recorder: a repeated call reuses the request it built
            signal = self._record(fn, args, kwargs)
        except Recorded as raised:  # an outbox that signals by raising
            signal = raised
        except Exception as exc:
            return exc
        entry_id = signal.entry_id
        handle._entry_id = entry_id
        handle._fn = fn
        count = len(args)
        if 0 < count < 3:
            handle._args = None
            handle._arg0 = args[0]
            handle._arg1 = args[1] if count == 2 else _ABSENT
        else:
            handle._args = args
        handle._kwargs = kwargs
        handle._key = signal.idempotency_key
        handle._decoder = signal.decoder
        placeholder = signal.placeholder
        if placeholder:
            handle._provisional = placeholder
        with self._lock:
            handle._seq = self._seq = self._seq + 1
            self._waiting[entry_id] = handle
        self.pending_dirty = True
        return None

    def _job_of(self, handle: RequestHandle[Any]) -> Job:
        """The job reporting a recorded write's result, made when it settles (off the
        game's thread)."""
        operation = handle.operation
        args = handle._args
        if args is None:
            second = handle._arg1
            args = (handle._arg0,) if second is _ABSENT else (handle._arg0, second)
        job = Job(operation, handle._fn, args, handle._kwargs, [handle])
        info = job.info
        info["outbox"] = True
        info["entry_id"] = handle._entry_id
        info["idempotency_key"] = handle._key
        info["decoder"] = handle._decoder
        info["seq"] = handle._seq
        if operation == PROGRESS_OPERATION:
            info["event_key"], info["attempt_id"] = progress_target(job.args, job.kwargs)
        elif handle._provisional:
            info["attempt_id"] = handle._provisional
        return job

    def take_pending(self) -> dict[str, Any] | None:
        """The ``KRATY_SYNC`` ``pending`` attributes when the count may have changed since
        the last call (main thread, once per ``update()``), else None."""
        if not self.pending_dirty:
            return None
        self.pending_dirty = False
        pending = self.pending
        if pending == self._pending_posted:
            return None
        self._pending_posted = pending
        return {
            "kind": "pending",
            "pending": pending,
            "operation": None,
            "idempotency_key": None,
            "external_player_id": None,
            "event_key": None,
            "result": None,
            "error": None,
            "handle": None,
            "replayed": False,
            "placeholder": None,
            "attempt_id": None,
        }

    # -- the sender thread: notices -------------------------------------------------------

    def _on_notice(self, notice: Any) -> None:
        try:
            self._notice(notice)
        except Exception:  # never into the sender thread
            _log.exception("kraty component: handling an outbox notice failed")

    def _notice(self, notice: Any) -> None:
        kind = str(getattr(notice, "kind", ""))
        pending = getattr(notice, "pending", None)
        if kind == "connection":
            self.set_online(bool(getattr(notice, "online", False)), getattr(notice, "error", None))
            return
        if kind == "pending_changed":
            self.pending_dirty = True
            return
        if kind in _SETTLED:
            if kind == "applied" and self.online is not True:
                self.set_online(True, None)
            entry_id = str(getattr(notice, "entry_id", "") or "")
            with self._lock:
                waiting = self._waiting.pop(entry_id, None)
                if waiting is not None:
                    self._settled.notify_all()
            if waiting is not None:
                self._finish(self._job_of(waiting), kind, notice)
            elif not getattr(notice, "in_failed_run", False):
                self._replayed(kind, notice)
            # else: a write of a refused offline run; its run_failed said it once
            self.pending_dirty = True
            return
        self._put_live(LiveItem("sync", self._attrs(kind, notice)))
        if kind == "held" and self.on_held is not None:
            self.on_held(getattr(notice, "error", None))
        if pending is not None:
            self.pending_dirty = True

    def set_online(self, online: bool, error: BaseException | None) -> None:
        """Record whether calls reach the server; posts ``KRATY_CONNECTION`` on a change
        (not for the first success: a game that starts online hears nothing)."""
        previous = self.online
        if previous is online:
            return
        self.online = online
        if not online:
            with self._lock:  # reads waiting for earlier writes go ahead at once
                self._settled.notify_all()
        if previous is None and online:
            return
        attrs = {"source": "calls", "state": "online" if online else "offline", "error": error}
        self._put_live(LiveItem("connection", attrs), ("connection", "calls"))

    def _attrs(self, kind: str, notice: Any) -> dict[str, Any]:
        pending = getattr(notice, "pending", None)
        if not isinstance(pending, int):
            pending = self.pending
        return {
            "kind": kind,
            "pending": pending,
            "operation": getattr(notice, "operation", None),
            "idempotency_key": getattr(notice, "idempotency_key", None),
            "external_player_id": getattr(notice, "player", None),
            "event_key": getattr(notice, "event_key", None),
            "result": None,
            "error": getattr(notice, "error", None),
            "handle": None,
            "replayed": bool(getattr(notice, "replayed", True)),
            "placeholder": getattr(notice, "placeholder", None),
            "attempt_id": _attempt_id(getattr(notice, "data", None))
            or getattr(notice, "attempt_id", None),
        }

    def _finish(self, job: Job, kind: str, notice: Any) -> None:
        handle = job.handles[0]
        error: BaseException | None = None
        value: Any = None
        if kind == "applied":
            value, error = _decode(job.info["decoder"], getattr(notice, "data", None))
        else:
            error = getattr(notice, "error", None) or RuntimeError(
                f"{job.operation}: the write ended as {kind}"
            )
        if self.attempts is not None:
            error = self.attempts.observe(job, value, error)
        data = getattr(notice, "data", None)
        sent = self._last_sent
        if kind == "applied" and data is not None and data is self._last_data and sent:
            # another member of the same merged request: its milestones are shown once
            job.info["merged_member"] = True
            self.merged += 1
            sent.handles = (*sent.handles, handle)
        else:
            sent = SentRequest((handle,), job.operation, job.fn, job.args, job.kwargs, True)
            self._last_data, self._last_sent = (data, sent) if kind == "applied" else (None, None)
        handle._sent = sent
        # what retry() sends again (as a new write) if the server refused this one
        handle._origin = SentRequest(
            (handle,), job.operation, job.fn, job.args, dict(job.kwargs), True
        )
        status = HandleStatus.DONE if error is None else HandleStatus.FAILED
        if handle._complete(status, value, error):
            self.put_finished(RequestResult(job, (handle,), value, error))

    def _replayed(self, kind: str, notice: Any) -> None:
        attrs = self._attrs("synced" if kind == "applied" else kind, notice)
        operation = str(attrs["operation"] or "")
        if kind == "applied":
            data = getattr(notice, "data", None)
            decoder = decoder_for(operation)
            value, error = _decode(decoder, data)
            attrs["result"] = value if error is None else data
            attrs["merged_member"] = data is not None and data is self._last_data
            self._last_data = data
        self._put_live(LiveItem("sync", attrs))

    # -- state, close ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Writes in the outbox not yet settled (no I/O)."""
        count = getattr(self.outbox, "pending_count", 0)
        return int(count) if isinstance(count, int) else 0

    def put_finished(self, result: RequestResult) -> None:
        """Hand a finished outbox handle to ``update()`` (counted until delivered)."""
        with self._lock:
            self.undelivered += len(result.handles)
        self._put_request(result)

    def barrier(self) -> int | None:
        """For a call made now on the main thread: the last write it should come after,
        or None when no write of this run is waiting (no lock; a cheap read)."""
        return self._seq if self._waiting else None

    def wait_writes_before(
        self, barrier: int, timeout: float, stop: Callable[[], bool] | None = None
    ) -> bool:
        """Block (a worker thread) until every write recorded up to ``barrier`` settled;
        gives up at once while offline, when ``stop()`` turns true, and after
        ``timeout`` seconds. True if they settled."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                oldest = next(iter(self._waiting.values()), None)
                if oldest is None or oldest._seq > barrier:
                    return True
                remaining = deadline - time.monotonic()
                if self.online is False or self._closed or remaining <= 0:
                    return False
                if stop is not None and stop():
                    return False
                self._settled.wait(min(remaining, 0.05))

    def delivered(self, count: int) -> None:
        """``update()`` delivered ``count`` results of outbox handles."""
        with self._lock:
            self.undelivered = max(0, self.undelivered - count)

    @property
    def waiting_handles(self) -> int:
        """Handles of this process still waiting for their write to settle."""
        return len(self._waiting)

    def close(self, timeout: float) -> int:
        """Stop listening (and close the outbox when the component made it); returns the
        number of writes still pending, which stay recorded for the next run."""
        if self._closed:
            return self.pending
        self._closed = True
        with self._lock:
            self._settled.notify_all()
        pending = self.pending
        try:
            if self._owns:
                left = self.outbox.close(max(0.0, timeout))
                pending = int(left) if isinstance(left, int) else self.pending
                if pending == 0:
                    remove_if_run_dir(Path(self.outbox.directory))
            else:
                flush = getattr(self.outbox, "flush", None)
                if callable(flush) and timeout > 0:
                    left = flush(timeout)
                    pending = int(left) if isinstance(left, int) else self.pending
        finally:
            with contextlib.suppress(Exception):
                self._remove()
        return pending

    def abandon_handles(self) -> list[RequestHandle[Any]]:
        """Handles still waiting at close: their writes stay in the outbox for next time."""
        with self._lock:
            waiting = list(self._waiting.values())
            self._waiting.clear()
        return waiting


def _decode(decoder: Callable[[Any], Any] | None, data: Any) -> tuple[Any, BaseException | None]:
    if decoder is None:
        return data, None
    try:
        return decoder(data), None
    except Exception as exc:  # the write was applied; only its answer is unreadable
        return None, exc


def _attempt_id(data: Any) -> str | None:
    """The server's attempt id in a ``run_synced`` notice's data."""
    if isinstance(data, Mapping):
        value = data.get("attemptId")
        return value if isinstance(value, str) else None
    return None
