"""``Outbox``: durable writes, delivered exactly once by a background sender."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import platformdirs

from kraty_pygame.sdk import transport
from kraty_pygame.sdk._constants import ATTEMPT_CAP_CODES, IDEMPOTENCY_FIELD, IDEMPOTENT_METHODS
from kraty_pygame.sdk._operation import PLAYER_SLOT, CallContext, capturing
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyError,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
    OutboxError,
    OutboxWriteError,
)
from kraty_pygame.sdk.http.calls import CancelToken
from kraty_pygame.sdk.outbox._decoders import gone_answer
from kraty_pygame.sdk.outbox._handoff import Handoff, adopt_orphans, orphans
from kraty_pygame.sdk.outbox._journal import Journal, _open_private, frame, try_lock
from kraty_pygame.sdk.outbox._state import (
    APPLIED,
    FAILED,
    IN_FLIGHT,
    RECORDED,
    UNKNOWN,
    Batch,
    Entry,
    State,
    decode_record,
    encode_record,
)
from kraty_pygame.sdk.transport import QueryValue, build_query, encode_segment

if TYPE_CHECKING:
    from kraty_pygame.sdk.identity import IdentityManager
    from kraty_pygame.sdk.kraty import Kraty
    from kraty_pygame.sdk.transport import KratyClient

__all__ = [
    "DEFAULT_WINDOW_S",
    "Capture",
    "Outbox",
    "OutboxNotice",
    "OutboxStats",
    "Recorded",
    "default_outbox_dir",
]

_log = logging.getLogger("kraty_pygame.sdk")

DEFAULT_WINDOW_S: Final = 86_400.0
"""How long the server remembers an idempotency key (24 h): the longest resend window."""
_MERGE_LIMIT: Final = 32
_KEEP_ENDED_MS: Final = 120_000
_COMPACT_BYTES: Final = 1 << 20
_SYNC_MAX_AGE_S: Final = 60.0
_LOCK_RETRY_S: Final = 1.0
_TAIL_S: Final = 0.1
_IDLE_S: Final = 0.5
_START_OP: Final = "events.start"
_NOT_STARTED: Final = "attempt_not_started"
_PROGRESS_OP: Final = "events.progress"
_PLACEHOLDER: Final = re.compile(r"^offline-[0-9a-f]{16}$")
_PACE_CAP_S: Final = 1.0
_GATHER_S: Final = 0.004
_ADOPT_S: Final = 1.0

_capturing = capturing
_template_wanted: ContextVar[bool] = ContextVar("kraty_outbox_template", default=False)
"""Set by :meth:`Outbox.record` while its call may be reused (internal)."""
_MEMO_LIMIT: Final = 256
_PURE_OPS: Final = frozenset(
    {
        "events.progress",
        "events.finish",
        "wallet.debit",
        "wallet.progress",
        "inventory.consume",
        "grants.claim",
        "grants.open",
        "leaderboards.submit_score",
    }
)
"""Durable writes whose request is a function of the arguments and the active player
alone (no local state read or changed), so :meth:`Outbox.record` may reuse it."""
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def _no_key() -> str:
    raise KratyConfigError("this outbox serves no client yet")


class _Ids:
    """Random ids made without a system call.

    ``os.urandom`` lets other threads take the interpreter while it runs, so on the
    game's thread a busy worker could hold the call up for a whole switch interval.
    These come from a generator seeded from ``os.urandom`` once per process (again
    after a fork, so two processes never share a sequence); ids and idempotency keys
    need to be unique, not secret.
    """

    __slots__ = ("_bits", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bits: Callable[[int], int] | None = None

    def _seed(self) -> Callable[[int], int]:
        with self._lock:
            if self._bits is None:
                if hasattr(os, "register_at_fork"):  # a child process gets its own sequence
                    os.register_at_fork(after_in_child=self._forget)
                rng = random.Random(os.urandom(32))  # noqa: S311 - unique, not secret
                self._bits = rng.getrandbits
            return self._bits

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._bits = None
        self._seed()

    def hex(self, digits: int) -> str:
        """``digits`` random hex digits."""
        bits = self._bits or self._seed()
        return "%0*x" % (digits, bits(digits * 4))  # noqa: UP031 - the quickest form

    def entry_id(self) -> str:
        """A new entry id (24 hex digits)."""
        bits = self._bits or self._seed()
        return "%024x" % bits(96)  # noqa: UP031

    def uuid4_hex(self) -> str:
        """A random version-4 UUID as 32 hex digits (the SDK's own key format)."""
        bits = self._bits or self._seed()
        return "%032x" % (bits(128) & _UUID_CLEAR | _UUID_SET)

    def entry_id_and_key(self) -> tuple[str, str]:
        """:meth:`entry_id` and :meth:`uuid4_hex` from one draw (the key is the low
        128 bits, with the version and variant bits set as a UUID's)."""
        bits = self._bits or self._seed()
        both = "%056x" % (bits(224) & _UUID_CLEAR | _UUID_SET)
        return both[:24], both[24:]


_UUID_CLEAR: Final = ~((0xF << 76) | (0x3 << 62))
_UUID_SET: Final = (0x4 << 76) | (0x2 << 62)
_ids = _Ids()
_UUID4_HEX: Final = _ids.uuid4_hex
"""The SDK's own key maker (one bound method, so a check for it is an identity test)."""


def _memo_key(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], player: str | None
) -> tuple[Any, ...] | None:
    """What makes two calls the same request: the method, the player, each argument's
    type and value; None when an argument is not plain (a dict, a model object)."""
    values = kwargs.values()
    if _UNAMBIGUOUS.issuperset(map(type, args)) and _UNAMBIGUOUS.issuperset(map(type, values)):
        # text, whole numbers and None: no two of these are equal across types, so the
        # values alone tell calls apart (the usual call, keyed without a types tuple)
        return (fn, player, args, *kwargs, *values)
    kinds = (*map(type, args), *map(type, values))
    if not _SCALARS.issuperset(kinds):
        return None
    if float in kinds:  # -0.0 equals 0.0 but is another JSON number: compare the text
        args = tuple(repr(v) if type(v) is float else v for v in args)
        values = [repr(v) if type(v) is float else v for v in values]  # type: ignore[assignment]
    # True equals 1 and 1 equals 1.0: the types are part of this key, and the marker
    # keeps it apart from the shorter key above
    return (fn, player, _TYPED, kinds, args, *kwargs, *values)


_UNAMBIGUOUS: Final = frozenset({str, int, type(None)})
_TYPED: Final = object()


class _Template:
    """A recorded request cut around its entry id, key and time, to record it again."""

    __slots__ = ("decoder", "end", "head", "middle", "operation", "tail")

    def __init__(
        self,
        head: str,
        middle: str,
        tail: str,
        end: str,
        *,
        operation: str,
        decoder: Callable[[Any], Any] | None,
    ) -> None:
        self.head, self.middle, self.tail, self.end = head, middle, tail, end
        self.operation, self.decoder = operation, decoder

    @classmethod
    def of(
        cls,
        head: bytes,
        payload: bytes,
        entry_id: str,
        key: str | None,
        *,
        operation: str,
        decoder: Callable[[Any], Any] | None,
    ) -> _Template | None:
        """Cut a record made by :meth:`Outbox.submit`; None when it cannot be cut
        safely (then the call is never reused)."""
        if key is None or not _PLAIN_TEXT.fullmatch(key):
            return None
        text = head.decode("utf-8")
        body = payload.decode("utf-8")
        lead = f'{{"t":"rec","id":"{entry_id}"'
        quoted = f'"{key}"'
        if not text.startswith(lead) or text.count(quoted) != 1 or body.count(quoted) != 1:
            return None
        before_key, after_key = text[len(lead) :].split(quoted)
        at = after_key.find(',"at":')
        if at < 0 or not body.endswith(quoted + "}"):
            return None
        stop = at + len(',"at":')
        digits = stop
        while digits < len(after_key) and after_key[digits].isdigit():
            digits += 1
        body_head = body[: -len(quoted) - 1]
        template = cls(
            before_key + '"',
            '"' + after_key[:stop],
            after_key[digits:] + "\n" + body_head + '"',
            '"}',
            operation=operation,
            decoder=decoder,
        )
        check = (
            f"{lead}{template.head}{key}{template.middle}{after_key[stop:digits]}"
            f"{template.tail}{key}{template.end}"
        )
        return template if check == text + "\n" + body else None


def default_outbox_dir(namespace: str) -> Path:
    """The outbox directory for ``namespace`` in the user data directory.

    ``namespace`` keeps games (and backends) apart, e.g. the secret store's namespace.
    Nothing is created until an :class:`Outbox` opens it.
    """
    given: object = namespace
    if not isinstance(given, str) or not namespace.strip():
        raise KratyConfigError("namespace must be a non-empty string")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", namespace.strip())[:120]
    return platformdirs.user_data_path("kraty_pygame", appauthor=False) / "outbox" / safe


def api_key_fingerprint(api_key: str) -> str:
    """A short one-way digest of an API key: tells keys apart, reveals nothing."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


class Recorded(BaseException):
    """Raised out of an SDK call made inside :meth:`Outbox.capture`: the write was
    recorded (it is in the kernel, so it survives the process being killed) and the
    call returns without any network I/O. The outcome arrives as an :class:`OutboxNotice`.

    Attributes:
        entry_id: the outbox entry (notices carry it).
        idempotency_key: the key the write will be sent with (None for deletes).
        operation: ``"events.progress"`` and so on.
        decoder: turns the notice's ``data`` into the SDK method's return value.
        placeholder: for ``events.start``: a provisional attempt id
            (``offline-<hex>``) that later calls may use as ``attempt_id``; the sender
            replaces it with the server's attempt id.
    """

    # slots: one is made per recorded write, on the game's thread (no attribute dict)
    __slots__ = ("decoder", "entry_id", "idempotency_key", "operation", "placeholder", "template")

    def __init__(
        self,
        entry_id: str,
        idempotency_key: str | None,
        operation: str,
        decoder: Callable[[Any], Any] | None,
        placeholder: str | None,
    ) -> None:
        super().__init__(entry_id)
        self.entry_id = entry_id
        self.idempotency_key = idempotency_key
        self.operation = operation
        self.decoder = decoder
        self.placeholder = placeholder
        self.template: _Template | None = None


def _recorded(
    entry_id: str, key: str, operation: str, decoder: Callable[[Any], Any] | None
) -> Recorded:
    """A :class:`Recorded` for a reused request, made without the constructor's call
    chain (the same fields; no placeholder, no template)."""
    signal = _new_exception(Recorded, entry_id)
    signal.entry_id = entry_id
    signal.idempotency_key = key
    signal.operation = operation
    signal.decoder = decoder
    signal.placeholder = None
    signal.template = None
    return signal


_new_exception: Final = BaseException.__new__


class Capture:
    """Context manager of :meth:`Outbox.capture` (durable calls inside are recorded
    only; each raises :class:`Recorded`)."""

    __slots__ = ("_outbox", "_reset")

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._reset: Any = None

    def __enter__(self) -> Capture:
        self._reset = _capturing.set(self._outbox)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _capturing.reset(self._reset)


@dataclass(frozen=True, slots=True)
class OutboxNotice:
    """Something happened to the outbox (listeners get it on the sender thread).

    Kinds: ``pending_changed``; ``applied`` (``data`` is the server's answer);
    ``failed`` (the server refused it for good: ``error``); ``unknown`` (it may or may
    not have been applied and cannot be sent again safely: ``error`` says why);
    ``held`` (the server no longer accepts the player's secret: the player's writes
    wait until that player signs in again); ``foreign`` (writes recorded with another
    API key or server, left alone); ``corrupt`` (a damaged journal was set aside);
    ``connection`` (``online`` changed); ``run_synced`` (an attempt started offline
    got its server id: ``placeholder`` and ``data["attemptId"]``); ``run_failed``
    (the server refused an attempt started offline: ``error``; its later writes fail).

    Attributes:
        pending: writes of this client not yet settled, after this notice.
        replayed: the write was recorded by another process or an earlier run.
        event_key: for a write to an event's path (start, progress, finish), the event.
        attempt_id: for a write to an attempt's path, the attempt (the server's id once
            known, else the offline placeholder).
        in_failed_run: the write belonged to an attempt started offline that the server
            refused; the run is reported once by ``run_failed``, so such a write gets a
            ``failed`` notice only in the process that recorded it (where a handle may
            wait for it), with the run's error, and a listener need not report it again.
    """

    kind: str
    entry_id: str | None = None
    operation: str | None = None
    player: str | None = None
    idempotency_key: str | None = None
    data: Any = None
    error: BaseException | None = None
    pending: int = 0
    online: bool | None = None
    placeholder: str | None = None
    replayed: bool = False
    event_key: str | None = None
    attempt_id: str | None = None
    in_failed_run: bool = False


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Counts of :meth:`Outbox.stats` (``applied``/``failed``/``unknown``: entries seen
    to end since this outbox was opened)."""

    pending: int
    in_flight: int
    held: int
    applied: int
    failed: int
    unknown: int
    foreign: int
    set_aside: int
    sending: bool


class _Waiter:
    """A blocking caller waiting for its entry."""

    __slots__ = ("data", "error", "event", "kind")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.kind = ""
        self.data: Any = None
        self.error: BaseException | None = None

    def settle(self, kind: str, data: Any, error: BaseException | None) -> None:
        if not self.event.is_set():
            self.kind, self.data, self.error = kind, data, error
            self.event.set()


def _validate_seconds(name: str, value: object, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise KratyConfigError(f"{name} must be a positive number of seconds")
    if upper is not None and value > upper:
        raise KratyConfigError(
            f"{name} cannot exceed {upper:g} s: the server forgets idempotency keys after "
            "that, so a later resend could apply a write twice"
        )
    return float(value)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Outbox:
    """A durable queue of writes in a directory, delivered exactly once.

    Attach it to a client with ``Kraty(..., outbox=outbox)`` (or a path). Every durable
    write (see docs/offline.md) is then recorded here before it is sent, and a
    background sender delivers it with its original idempotency key: across quits,
    crashes, outages and restarts, each write is applied once. Several processes may
    open the same directory; one of them sends, all of them record.

    Args:
        directory: where the journal lives (created 0700; files 0600).
        window_s: how long after its first send a write whose answer was lost may
            still be sent again (default and maximum 24 h, the server's idempotency
            window, judged on the server's clock). Past it the write is reported as
            ``unknown`` and never sent again.
        transient_limit_s: how long one write may keep getting temporary refusals
            from the server (5xx, 429 rate limits) before it is reported and the
            player's later writes move on (default 10 min). Being offline never
            ends a write.
        fsync_interval_s: how often a background thread flushes new records to the
            disk (default 0.05 s).
        max_backoff_s: the longest pause between delivery tries while the server
            cannot be reached (default 30 s; each pause is random up to it).

    Raises:
        KratyConfigError: an option is invalid.
        OutboxError: the directory cannot be used.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        window_s: float = DEFAULT_WINDOW_S,
        transient_limit_s: float = 600.0,
        fsync_interval_s: float = 0.05,
        max_backoff_s: float = 30.0,
    ) -> None:
        given: object = directory
        if not isinstance(given, str | os.PathLike) or not str(directory):
            raise KratyConfigError("directory must be a path")
        self._window_ms = int(
            _validate_seconds("window_s", window_s, upper=DEFAULT_WINDOW_S) * 1000
        )
        self._transient_limit = _validate_seconds("transient_limit_s", transient_limit_s)
        self._fsync_interval = _validate_seconds("fsync_interval_s", fsync_interval_s)
        self._max_backoff = _validate_seconds("max_backoff_s", max_backoff_s)
        self._dir = Path(directory)
        self._journal = Journal(self._dir)
        self._origin = os.urandom(6).hex()
        self._lock = threading.RLock()
        self._state = State()
        self._listeners: list[Callable[[OutboxNotice], None]] = []
        self._sticky: list[OutboxNotice] = []
        self._waiters: dict[str, _Waiter] = {}
        self._data: dict[str, Any] = {}
        self._recorded = 0
        self._seen_own = 0
        self._online: bool | None = None
        self._kraty: Kraty | None = None
        self._client: KratyClient | None = None
        self._fingerprint: str | None = None
        self._rec_suffix = ""
        self._statics: dict[tuple[str, str], tuple[str, str]] = {}
        self._memo: dict[tuple[Any, ...], _Template] = {}
        self._identity: IdentityManager | None = None
        self._key_maker: Callable[[], str] = _no_key
        self._players: dict[str | None, str] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._cancel = CancelToken()
        self._threads: list[threading.Thread] = []
        self._sender_fd = -1
        self._holding = False
        self._held: dict[str, KratyApiError] = {}
        self._sent_here: set[str] = set()
        self._transient_since: dict[str, float] = {}
        self._run_failed: set[str] = set()
        self._run_errors: dict[str, BaseException] = {}
        self._paced: dict[str, tuple[float, int]] = {}
        self._foreign_reported = False
        self._corrupt_reported = 0
        self._synced_at = -1e9
        self._stuck_since: float | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._closed = False
        self._remove_identity: Callable[[], None] | None = None
        self._handoff: Handoff | None = None
        self._move_wake = threading.Event()
        self._disk_error: OSError | None = None
        self._adopt()
        self._catch_up()

    def __repr__(self) -> str:
        return f"Outbox({str(self._dir)!r}, pending={self.pending_count})"

    # ------------------------------------------------------------------ public API

    @property
    def directory(self) -> Path:
        """The outbox directory."""
        return self._dir

    @property
    def pending_count(self) -> int:
        """Writes of this client not yet settled (recorded or in flight); no I/O."""
        return max(0, self._state.live_count + self._recorded - self._seen_own)

    @property
    def online(self) -> bool | None:
        """Whether the last delivery try reached the server (None: nothing tried yet)."""
        return self._online

    @property
    def sending(self) -> bool:
        """True while this process is the one delivering (another process may be)."""
        return self._holding

    def stats(self) -> OutboxStats:
        """Counts of entries by state (reads the journal's new records first)."""
        if not self._closed:
            self._catch_up()
        with self._lock:
            live = self._state.live_entries()
            return OutboxStats(
                pending=self.pending_count,
                in_flight=sum(1 for e in live if e.state == IN_FLIGHT),
                held=sum(1 for e in live if e.player is not None and e.player in self._held),
                applied=self._state.counts[APPLIED],
                failed=self._state.counts[FAILED],
                unknown=self._state.counts[UNKNOWN],
                foreign=self._state.foreign_count,
                set_aside=len(self._journal.set_aside),
                sending=self._holding,
            )

    def add_listener(self, fn: Callable[[OutboxNotice], None]) -> Callable[[], None]:
        """Call ``fn(notice)`` for every :class:`OutboxNotice`; returns a remover.

        ``fn`` runs on the outbox's thread; it must be quick and its exceptions are
        logged and ignored. A ``corrupt`` or ``foreign`` notice issued before ``fn``
        was added is given to it at once, on the calling thread.
        """
        if not callable(fn):
            raise KratyConfigError("listener must be callable")
        with self._lock:
            self._listeners.append(fn)
            sticky = tuple(self._sticky)
        for notice in sticky:  # conditions found before this listener came
            try:
                fn(notice)
            except Exception:
                _log.exception("kraty outbox: a listener raised; ignored")

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(fn)

        return remove

    def capture(self) -> Capture:
        """Record durable SDK calls made in this block without sending them here.

        Each durable call raises :class:`Recorded` as soon as its request is in the
        journal (one ``write(2)``); nothing touches the network on this thread. A
        player not resolved yet is filled in by the sender. Argument errors raise at
        the call; a full disk raises :class:`OutboxWriteError`.
        """
        return Capture(self)

    def record(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Recorded:
        """Record the durable SDK call ``fn(*args, **kwargs)`` (a bound method such as
        ``kraty.events.progress``) and return its :class:`Recorded` (not raised).

        The same as calling it inside :meth:`capture`, only cheaper when the game
        repeats a call: for the writes whose request depends only on their arguments
        and the active player (progress, finish, wallet and inventory writes, grant
        claims and opens, score submits), the first call with given plain arguments
        (text, numbers, None) runs the SDK method, which checks them and builds the
        request; a later call with the same arguments and player reuses that request
        with a new idempotency key and entry id.

        Raises:
            KratyConfigError: ``fn`` is not a durable write of the active player, or
                its arguments are invalid (as the SDK method raises them).
            OutboxWriteError: the write could not be recorded (a full disk).
        """
        return self._record_call(fn, args, kwargs)

    def _record_call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Recorded:
        """:meth:`record` with the arguments as given (the component's proxies call
        this: no packing them again)."""
        identity = self._identity
        memo_key = None
        if identity is not None:
            memo_key = _memo_key(fn, args, kwargs, identity.active_external_player_id)
            try:
                template = None if memo_key is None else self._memo.get(memo_key)
            except TypeError:  # a callable that cannot be a dictionary key
                memo_key = template = None
            if template is not None:
                done = self._record_template(template)
                if done is not None:
                    return done
        wanted = _template_wanted.set(memo_key is not None)
        try:
            with self.capture():
                fn(*args, **kwargs)
        except Recorded as signal:
            if memo_key is not None and signal.template is not None:
                if len(self._memo) >= _MEMO_LIMIT:
                    self._memo.clear()
                self._memo[memo_key] = signal.template
            return signal
        finally:
            _template_wanted.reset(wanted)
        name = getattr(fn, "__qualname__", repr(fn))
        raise KratyConfigError(
            f"{name}: not recorded: only durable writes of the active player are recorded"
        )

    def _record_template(self, template: _Template) -> Recorded | None:
        """Record a request again with a new key and entry id; None when the client's
        key maker gave a key that needs escaping (the SDK method then runs)."""
        maker = self._key_maker
        if maker is _UUID4_HEX:
            entry_id, key = _ids.entry_id_and_key()
        else:
            key = maker()
            if type(key) is not str or not key or not _PLAIN_TEXT.fullmatch(key):
                return None
            entry_id = _ids.entry_id()
        text = (
            f'{{"t":"rec","id":"{entry_id}"{template.head}{key}{template.middle}'
            f"{int(time.time() * 1000)}{template.tail}{key}{template.end}"
        )
        self._store(text.encode("utf-8"))
        self._recorded += 1
        return _recorded(entry_id, key, template.operation, template.decoder)

    def wait(self, entry_id: str, timeout: float) -> OutboxNotice:
        """Block until the entry settles; returns its notice.

        Raises:
            TimeoutError: still pending after ``timeout`` seconds.
        """
        waiter = self._waiters.get(entry_id)
        with self._lock:
            entry = self._state.entries.get(entry_id)
            if entry is not None and not entry.live:
                return self._notice_for(entry)
            if waiter is None:
                waiter = self._waiters.setdefault(entry_id, _Waiter())
        if not waiter.event.wait(timeout):
            raise TimeoutError(f"outbox entry {entry_id} is still pending")
        with self._lock:
            entry = self._state.entries.get(entry_id)
        if entry is not None and not entry.live:
            return self._notice_for(entry)
        return OutboxNotice(waiter.kind, entry_id, data=waiter.data, error=waiter.error)

    def flush(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for this client's pending writes to settle;
        returns how many are still pending (they stay for later)."""
        deadline = time.monotonic() + max(0.0, timeout)
        if not self._closed:
            self._move()
        self._wake.set()
        while True:
            if not self._closed:
                self._catch_up()
            left = self.pending_count
            if left == 0 or time.monotonic() >= deadline or self._closed:
                return left
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    def discard(self, player: str) -> int:
        """Drop every pending write of ``player`` (for example after :meth:`Kraty.logout`
        when that player will never sign in again); returns how many were dropped.

        They end as ``failed`` with the error code ``discarded`` and are not sent; one
        that was already sent once (its answer lost) ends as ``unknown`` instead, as it
        may have been applied.
        """
        given: object = player
        if not isinstance(given, str) or not player:
            raise KratyConfigError("player must be a non-empty player id")
        self._move()
        self._catch_up()
        with self._lock:
            doomed = [e for e in self._state.live_entries() if e.player == player]
        if not doomed:
            return 0
        now = _now_ms()
        records = []
        for e in doomed:
            # one that was sent before may have been applied: it cannot end as a failure
            sent = e.state == IN_FLIGHT
            header = {
                "t": "end",
                "id": e.batch or e.id,
                "s": UNKNOWN if sent else FAILED,
                "at": now,
                "c": "discarded",
                "msg": "discarded by the game"
                + ("; it was sent before and may have been applied" if sent else ""),
            }
            records.append(frame(encode_record(header)))
        self._append(b"".join(records))
        self._catch_up()
        return len(doomed)

    def close(self, timeout: float = 0.0) -> int:
        """Deliver for up to ``timeout`` seconds, then stop the sender and flush to disk.

        What is not delivered stays in the journal for the next start. Idempotent.
        Returns the number of writes still pending.
        """
        if self._closed:
            return self.pending_count
        if timeout > 0 and self._client is not None:
            self.flush(timeout)
        self._closed = True
        self._stop.set()
        self._wake.set()
        self._cancel.cancel()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(10.0)
        if self._remove_identity is not None:
            self._remove_identity()
        if self._client is not None and self._client.outbox is self:
            self._client.outbox = None
        if self._handoff is not None:
            self._move()  # what stays in the map is moved by the next start
            self._handoff.close()
        left = self.pending_count
        for entry_id, waiter in list(self._waiters.items()):
            error = KratyCancelledError(
                "the outbox was closed; the write stays recorded and is sent at the next start"
            )
            error.queued = True
            waiter.settle("closed", None, error)
            self._waiters.pop(entry_id, None)
        self._journal.close()
        if self._sender_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._sender_fd)
            self._sender_fd = -1
        self._holding = False
        return left

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ wiring (internal)

    def attach(self, kraty: Kraty) -> None:
        """Serve ``kraty`` (called by ``Kraty(outbox=...)``): start the threads."""
        if self._closed:
            raise KratyConfigError("this outbox is closed")
        if self._kraty is not None:
            raise KratyConfigError("this outbox already serves another Kraty client")
        client = kraty.client
        self._kraty = kraty
        self._client = client
        self._fingerprint = client.api_key_fingerprint
        self._identity = kraty.identity
        maker = client.generate_key
        default = getattr(transport, "_uuid4_hex", None)
        self._key_maker = _UUID4_HEX if maker is default else maker
        url = client.base_url
        self._rec_suffix = f',"fp":"{self._fingerprint}","u":{_json_text(url)},"o":"{self._origin}"'
        fingerprint = self._fingerprint

        def accept(entry: Entry) -> bool:
            return entry.fingerprint == fingerprint and entry.url == url

        with self._lock:  # rebuild the state with this client's filter
            self._state = State(accept)
            self._seen_own = self._recorded = 0
            self._journal.rewind()
        self._catch_up()
        try:
            self._sender_fd = _open_private(self._dir / "sender.lock", os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise OutboxError(f"cannot use the outbox directory {self._dir}: {exc}") from None
        try:
            self._handoff = Handoff(self._dir, self._origin)
        except OSError as exc:
            raise OutboxError(
                f"cannot create the outbox's hand-off map in {self._dir}: {exc}"
            ) from None
        client.outbox = self
        self._remove_identity = kraty.identity.add_listener(self._on_identity)
        for name, target in (("sender", self._sender_loop), ("io", self._io_loop)):
            thread = threading.Thread(target=target, name=f"kraty-outbox-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()
        if self._state.foreign_count:
            self._report_foreign()

    # ------------------------------------------------------------------ recording

    def submit(
        self,
        client: KratyClient,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None,
        body: Mapping[str, Any] | None,
        override: str | None,
        ctx: CallContext,
    ) -> tuple[Any, bytes | None, str | None]:
        """Record one durable request; in capture mode raise :class:`Recorded`, else
        wait for its outcome within the call's time budget and return (the answer's
        ``data``, the body, its key) (called by the transport).

        In capture mode this runs on the game's thread, so it does the least it can:
        the body of a plain write is encoded here with a prebuilt encoder, the record's
        header is joined from cached pieces, and the record is copied into the
        hand-off map (no system call).
        """
        capture = _capturing.get() is self
        field = IDEMPOTENCY_FIELD
        if (
            capture
            and override is None
            and type(body) is dict
            and field not in body
            and method in IDEMPOTENT_METHODS
        ):
            key: str | None = self._key_maker()
            if type(key) is not str or not key:
                raise KratyConfigError("idempotency keys must be non-empty strings")
            fields = dict(body)
            fields[field] = key
            try:
                payload: bytes | None = _encode_body(fields).encode("utf-8")
            except (TypeError, ValueError, RecursionError) as exc:
                raise KratyConfigError(f"request body is not JSON-serialisable: {exc}") from None
            own_key = True
        else:
            payload, key = client.prepare_body(method, body, override)
            own_key = override is None and not (body is not None and body.get(field))
        op = ctx.operation.name
        entry_id = _ids.entry_id()
        statics = self._statics.get((op, method))
        if statics is None:
            statics = self._statics[(op, method)] = (
                f',"op":{_json_text(op)},"m":{_json_text(method)},"p":',
                ',"mg":1' if op == _PROGRESS_OP else "",
            )
        player = ctx.player
        player_text = self._players.get(player)
        if player_text is None:
            player_text = _json_text(player)
            if len(self._players) < 64:
                self._players[player] = player_text
        extra = ""
        if query:
            extra += ',"q":' + _json_text(build_query(query))
        placeholder = None
        if op == _START_OP:
            placeholder = "offline-" + _ids.hex(16)
            extra += f',"ph":"{placeholder}"'
        if capture:
            extra += ',"cap":1'
        if own_key:
            extra += statics[1]
        head = (
            f'{{"t":"rec","id":"{entry_id}"{statics[0]}{_json_text(path)},"k":'
            f'{_json_text(key)},"pl":{player_text},"at":{int(time.time() * 1000)}'
            f"{self._rec_suffix}{extra}}}"
        ).encode()
        record = head if payload is None else head + b"\n" + payload
        if capture:
            self._store(record)
            self._recorded += 1
            signal = Recorded(entry_id, key, op, ctx.decode, placeholder)
            if (
                own_key
                and placeholder is None
                and op in _PURE_OPS
                and payload is not None
                and _template_wanted.get()
            ):
                signal.template = _Template.of(
                    head, payload, entry_id, key, operation=op, decoder=ctx.decode
                )
            raise signal
        waiter = self._waiters[entry_id] = _Waiter()
        try:
            self._store(record)
        except OutboxWriteError:
            self._waiters.pop(entry_id, None)
            raise
        self._recorded += 1
        self._move()  # this caller waits for the answer anyway: no need to wait for the mover
        held = self._held.get(ctx.player) if ctx.player is not None else None
        if held is not None:  # kept, but not sent until that player signs in again
            self._waiters.pop(entry_id, None)
            error = KratyApiError(
                held.status, str(held.code), held.message, held.details, idempotency_key=key
            )
            error.queued = True
            raise error
        data = self._wait_blocking(waiter, entry_id, op, key, client)
        return data, payload, key

    def _store(self, payload: bytes) -> None:
        """Hand one record over: framed into the map, no system call."""
        handoff = self._handoff
        if self._closed or handoff is None:
            raise OutboxWriteError(
                "the outbox is closed; the write was not recorded", directory=str(self._dir)
            )
        failure = self._disk_error
        try:
            if failure is not None:  # the journal cannot grow: say so now, not later
                raise failure
            handoff.store(payload)
        except OSError as exc:
            raise OutboxWriteError(
                f"could not record the write in the outbox at {self._dir}: "
                f"{exc.strerror or exc}; nothing was queued or sent",
                directory=str(self._dir),
                errno=exc.errno,
            ) from None
        # Wake the mover so the sender sees the write at once. Offline the sender waits
        # out its backoff anyway and the mover's own round (every fsync_interval_s)
        # moves it: no wake-up, so no thread competes with the game's for the
        # interpreter during a burst of writes.
        if self._online is not False and not self._move_wake.is_set():  # plain reads
            self._move_wake.set()

    def _move(self) -> bool:
        """Move the records stored in the map into the journal; False when the journal
        could not take them (they stay in the map)."""
        handoff = self._handoff
        if handoff is None or not handoff.unmoved:
            return True
        try:
            moved = handoff.move(self._journal)
        except OSError as exc:
            if self._disk_error is None:
                _log.warning(
                    "kraty outbox: cannot append to the journal in %s (%s); recorded writes "
                    "stay in the hand-off map and new ones are refused until it works",
                    self._dir,
                    exc.strerror or exc,
                )
            self._disk_error = exc
            return False
        self._disk_error = None
        if moved and not self._wake.is_set():
            self._wake.set()
        return True

    def _adopt(self) -> None:
        """Move what ended (or killed) processes left in their maps into the journal."""
        try:
            adopt_orphans(
                self._dir,
                self._journal,
                self._origin,
                report=lambda text: _log.warning("kraty outbox: %s", text),
            )
        except OSError as exc:
            _log.warning("kraty outbox: moving an earlier run's writes failed: %s", exc)

    def _append(self, data: bytes) -> None:
        if self._closed:
            raise OutboxWriteError(
                "the outbox is closed; the write was not recorded", directory=str(self._dir)
            )
        try:
            self._journal.append(data)
        except OSError as exc:
            raise OutboxWriteError(
                f"could not record the write in the outbox at {self._dir}: "
                f"{exc.strerror or exc}; nothing was queued or sent",
                directory=str(self._dir),
                errno=exc.errno,
            ) from None

    def _wait_blocking(
        self, waiter: _Waiter, entry_id: str, op: str, key: str | None, client: KratyClient
    ) -> Any:
        budget = client.call_budget()
        if not waiter.event.wait(budget):
            self._waiters.pop(entry_id, None)
            error = KratyTimeoutError(
                f"{op} is recorded in the outbox but was not delivered within {budget:g} s; "
                "it will be delivered later (do not repeat the call)",
                idempotency_key=key,
            )
            error.queued = True
            raise error
        self._waiters.pop(entry_id, None)
        if waiter.kind == APPLIED:
            return waiter.data
        failure: BaseException = waiter.error or OutboxError(f"{op} ended as {waiter.kind}")
        if waiter.kind in ("transient", "held", "closed") and isinstance(
            failure, KratyApiError | KratyNetworkError
        ):
            failure.queued = True
        raise failure

    # ------------------------------------------------------------------ reading the journal

    def _catch_up(self) -> None:
        """Apply records appended since the last read (by any process)."""
        ended: list[Entry] = []
        with self._lock:
            try:
                payloads, reset, stuck = self._journal.read_new()
            except OSError as exc:
                _log.warning("kraty outbox: reading the journal failed: %s", exc)
                return
            if reset and self._state.entries:  # the file was rewritten: replay it
                self._state.forget_ended(_now_ms() - 2 * _KEEP_ENDED_MS)
            for payload in payloads:
                decoded = decode_record(payload)
                if decoded is None:
                    continue
                header, body = decoded
                if (
                    header["t"] == "rec"
                    and header.get("o") == self._origin
                    and header.get("id") not in self._state.entries
                ):
                    self._seen_own += 1
                ended.extend(self._state.apply(header, body))
        if stuck:
            self._check_stuck()
        else:
            self._stuck_since = None
        for entry in ended:  # settled by another process: tell this one's waiters
            if entry.origin == self._origin:
                self._settled(entry, replayed=False)
        if self._journal.set_aside and len(self._journal.set_aside) > self._corrupt_reported:
            self._corrupt_reported = len(self._journal.set_aside)
            self._emit(
                OutboxNotice(
                    "corrupt",
                    error=OutboxError(
                        f"the outbox journal was damaged and moved to "
                        f"{self._journal.set_aside[-1]}; its intact records were kept"
                    ),
                    pending=self.pending_count,
                )
            )

    def _check_stuck(self) -> None:
        """A bad record that stays bad (not a write in progress) is damage: recover."""
        now = time.monotonic()
        if self._stuck_since is None:
            self._stuck_since = now
            return
        if now - self._stuck_since < 2.0:
            return
        self._stuck_since = None
        try:
            if self._journal.check_damage():
                self._journal.rewind()
        except OSError as exc:
            _log.warning("kraty outbox: repairing the journal failed: %s", exc)

    # ------------------------------------------------------------------ notices

    def _emit(self, notice: OutboxNotice) -> None:
        with self._lock:
            if notice.kind in ("corrupt", "foreign"):
                self._sticky.append(notice)
            listeners = tuple(self._listeners)
        for listener in listeners:
            try:
                listener(notice)
            except Exception:  # a listener never breaks delivery
                _log.exception("kraty outbox: a listener raised; ignored")

    def _notice_for(self, entry: Entry) -> OutboxNotice:
        result = entry.result or {}
        error = entry.error
        data = self._data.get(entry.id, result.get("d"))
        if error is None and entry.state != APPLIED:
            error = _error_from_record(entry, result)
        event_key, attempt = _event_of(entry.path)
        if attempt is not None and attempt.startswith("offline-"):
            with self._lock:
                attempt = self._state.binds.get(attempt, attempt)
        return OutboxNotice(
            entry.state,
            entry.id,
            entry.op,
            entry.player,
            entry.key,
            data if entry.state == APPLIED else None,
            error,
            self.pending_count,
            self._online,
            entry.placeholder,
            entry.origin != self._origin,
            event_key,
            attempt,
        )

    def _settled(self, entry: Entry, *, replayed: bool) -> None:
        notice = self._notice_for(entry)
        changes: dict[str, Any] = {}
        if replayed != notice.replayed:
            changes["replayed"] = replayed
        run_error = self._run_errors.pop(entry.id, None)
        in_run = run_error is not None or (
            entry.state == FAILED
            and (
                (entry.result or {}).get("c") == _NOT_STARTED
                or (entry.op == _START_OP and self._has_members(entry.placeholder))
            )
        )
        if in_run:
            changes["in_failed_run"] = True
            if run_error is not None:
                changes["error"] = run_error
        if changes:
            notice = OutboxNotice(**{**_asdict(notice), **changes})
        waiter = self._waiters.get(entry.id)
        if waiter is not None:
            waiter.settle(entry.state, notice.data, notice.error)
        self._data.pop(entry.id, None)
        self._transient_since.pop(entry.id, None)
        if in_run and entry.op == _START_OP and entry.placeholder and notice.error is not None:
            self._report_run(entry.placeholder, entry, entry.player, notice.error)
        if in_run and entry.origin != self._origin:
            return  # the run's refusal was reported once; no handle waits here
        self._emit(notice)

    def _set_online(self, online: bool, error: BaseException | None = None) -> None:
        if self._online is online:
            return
        self._online = online
        self._emit(
            OutboxNotice("connection", error=error, pending=self.pending_count, online=online)
        )

    def _report_foreign(self) -> None:
        if self._foreign_reported:
            return
        self._foreign_reported = True
        count = self._state.foreign_count
        _log.warning(
            "kraty outbox: %d write(s) in %s were recorded with another API key or server; "
            "they are kept and never sent with this one",
            count,
            self._dir,
        )
        self._emit(OutboxNotice("foreign", pending=self.pending_count, data={"count": count}))

    def _on_identity(self, player: str | None, reason: str) -> None:
        if reason in ("signed_in", "resumed", "registered", "recovered", "rotated"):
            if player is not None:
                self._held.pop(player, None)
            self._wake.set()

    # ------------------------------------------------------------------ threads

    def _io_loop(self) -> None:
        """Move stored records into the journal, fsync it, adopt orphaned maps."""
        interval = self._fsync_interval
        handoff = self._handoff
        last_sync = last_look = time.monotonic()
        while not self._stop.is_set():
            if self._move_wake.wait(interval):
                # let a burst of stores gather, so one append moves them all
                self._stop.wait(_GATHER_S)
                self._move_wake.clear()
            try:
                self._move()
                if handoff is not None:
                    handoff.prepare()
                now = time.monotonic()
                if now - last_sync >= interval:
                    last_sync = now
                    self._journal.fsync()
                if now - last_look >= _ADOPT_S:
                    last_look = now
                    if orphans(self._dir, self._origin):
                        self._adopt()
                        self._wake.set()
            except Exception:
                _log.exception("kraty outbox: moving records to the journal failed")

    def _sender_loop(self) -> None:
        failures = 0
        last_try = -1e9
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._catch_up()
            except Exception:
                _log.exception("kraty outbox: reading the journal failed")
            if not self._holding:
                now = time.monotonic()
                if now - last_try >= _LOCK_RETRY_S:
                    last_try = now
                    self._holding = self._try_hold()
                if not self._holding:
                    self._stop.wait(_TAIL_S)
                    continue
            try:
                verdict = self._send_next()
            except Exception:
                _log.exception("kraty outbox: delivering a write failed unexpectedly")
                verdict = "retry"
            if verdict == "idle":
                failures = 0
                self._maybe_compact()
                self._wake.wait(_IDLE_S)
            elif verdict in ("offline", "retry"):
                failures += 1
                # full jitter: a random pause up to the exponential bound, so copies of
                # the game coming back together do not retry in step
                bound = min(self._max_backoff, 0.5 * (2 ** min(failures, 16)))
                self._stop.wait(self._rng.uniform(0.0, bound))
            else:
                failures = 0

    def _try_hold(self) -> bool:
        try:
            return try_lock(self._sender_fd)
        except OSError:
            return False

    # ------------------------------------------------------------------ delivery

    def _server_now(self, *, fresh: bool) -> int:
        kraty = self._kraty
        assert kraty is not None
        clock = kraty.server_clock
        if not clock.is_time_synced or (
            fresh and time.monotonic() - self._synced_at > _SYNC_MAX_AGE_S
        ):
            assert self._client is not None
            with self._client.cancellation(self._cancel):
                clock.sync_time()
            self._synced_at = time.monotonic()
        return clock.server_now_ms()

    def _pick(self) -> tuple[Entry | None, bool]:
        """The next entry to send and whether the identity must be resolved first.

        With no identity resolved yet, the player this profile would resume (the
        constructor's id or the stored active id) counts as the active one; nothing
        is registered for the sake of another player's writes.
        """
        kraty = self._kraty
        assert kraty is not None
        identity = kraty.identity
        current = identity.current()
        wanted = current.external_player_id if current is not None else None
        if wanted is None:
            wanted = identity.active_external_player_id
            if wanted is None and self._state.live_count:
                try:
                    wanted = identity.store.read_active_external_player_id()
                except Exception:  # an unreadable store: resolved (and reported) by ensure()
                    wanted = None
        with self._lock:
            state = self._state
            unbound = state.head(None)
            mine = state.head(wanted) if wanted is not None and wanted not in self._held else None
        candidates = [e for e in (unbound, mine) if e is not None]
        if not candidates:
            return None, False
        entry = min(candidates, key=lambda e: e.order)
        return entry, current is None

    def _send_next(self) -> str:
        kraty = self._kraty
        client = self._client
        assert kraty is not None and client is not None
        entry, resolve = self._pick()
        if entry is None:
            return "idle"
        try:
            if resolve or entry.player is None:
                with client.cancellation(self._cancel):
                    player = kraty.identity.ensure().external_player_id
            else:
                player = entry.player
        except KratyCancelledError:
            return "stopped"
        except KratyNetworkError as exc:
            return self._offline(entry, exc)
        except KratyError as exc:
            _log.warning("kraty outbox: cannot resolve the player: %s", exc)
            self._tell_waiters(entry, "transient", exc)
            return "retry"
        if entry.player is not None and entry.player != player:
            return "retry"  # the identity changed under us; pick again
        if entry.player is None:
            # Writes recorded before any player was known belong to the first player
            # this profile resolves: bind them all now, then pick again.
            with self._lock:
                unbound = [e for e in self._state.live_entries() if e.player is None]
            self._append_and_apply(
                [frame(encode_record({"t": "pl", "id": e.id, "pl": player})) for e in unbound]
            )
            return "sent"
        records: list[bytes] = []
        target: Entry | Batch = entry
        batch = self._batch_of(entry)
        if batch is not None:
            target = batch
        # sent before (this or an earlier run): its first send may have been applied
        resend = target.state == IN_FLIGHT or entry.ambiguous or target.id in self._sent_here
        try:  # a resend must judge the idempotency window by a fresh server time
            server_now = self._server_now(fresh=target.state == IN_FLIGHT)
        except KratyCancelledError:
            return "stopped"
        except KratyNetworkError as exc:
            return self._offline(target, exc)
        except KratyApiError as exc:
            self._tell_waiters(target, "transient", exc)
            return "retry"
        if target.state == IN_FLIGHT:
            sent_at = target.fly_server if target.fly_server is not None else 0
            if server_now - sent_at >= self._window_ms:
                self._end(
                    target,
                    UNKNOWN,
                    records,
                    code="idempotency_window_passed",
                    message=(
                        "the write was sent but its answer was lost, and the server's "
                        "idempotency window has passed since, so it is not sent again"
                    ),
                )
                return "sent"
        else:
            if batch is None and entry.mergeable:
                batch = self._merge(entry, records)
                if batch is not None:
                    target = batch
            records.append(
                frame(
                    encode_record({"t": "fly", "id": target.id, "at": _now_ms(), "srv": server_now})
                )
            )
        path = self._resolve_path(entry, player)
        if path is None:
            self._fail_run(entry, records)
            return "sent"
        run = entry.placeholder or _run_of(entry.path)
        if run is not None and not self._pace(run, entry):
            return "stopped"
        if records:
            self._append_and_apply(records)
            records = []
        self._sent_here.add(target.id)
        body = target.body
        key = target.key
        try:
            envelope = client.send_recorded(
                entry.method, path, entry.query, body, key, cancel=self._cancel
            )
        except KratyCancelledError:
            return "stopped"
        except KratyApiError as exc:
            return self._refused(entry, target, exc, resend=resend)
        except KratyNetworkError as exc:
            if exc.outcome_unknown:
                entry.ambiguous = True
            return self._offline(target, exc)
        self._set_online(True)
        data = envelope.get("data")
        self._applied(entry, target, data)
        return "sent"

    def _offline(self, target: Entry | Batch, exc: KratyNetworkError) -> str:
        """No answer from the server: note being offline, and tell the waiters."""
        self._set_online(False, exc)
        self._tell_waiters(target, "transient", exc)
        return "offline"

    # -- outcomes

    def _members(self, target: Entry | Batch) -> list[Entry]:
        if isinstance(target, Batch):
            with self._lock:
                return [m for m in (self._state.entries.get(i) for i in target.members) if m]
        return [target]

    def _tell_waiters(self, target: Entry | Batch, kind: str, error: BaseException) -> None:
        for member in self._members(target):
            waiter = self._waiters.get(member.id)
            if waiter is not None:
                waiter.settle(kind, None, error)

    def _applied(self, entry: Entry, target: Entry | Batch, data: Any) -> None:
        records: list[bytes] = []
        header: dict[str, Any] = {"t": "end", "id": target.id, "s": APPLIED, "at": _now_ms()}
        members = self._members(target)
        if any(m.origin != self._origin for m in members):
            header["d"] = data  # another process may be waiting for this answer
        for member in members:
            self._data[member.id] = data
        attempt = _attempt_id(data) if entry.placeholder else None
        if entry.placeholder and attempt is not None:
            records.append(
                frame(encode_record({"t": "bind", "ph": entry.placeholder, "to": attempt}))
            )
        records.append(frame(encode_record(header)))
        waited = entry.id in self._waiters  # a blocking start tracks its board itself
        self._append_and_apply(records)
        if entry.op == _START_OP and not waited:
            self._track_board(entry, player=entry.player, data=data)
        if entry.placeholder and attempt is not None:
            self._emit(
                OutboxNotice(
                    "run_synced",
                    entry.id,
                    entry.op,
                    entry.player,
                    entry.key,
                    {"attemptId": attempt},
                    pending=self.pending_count,
                    placeholder=entry.placeholder,
                )
            )

    def _end_applied_gone(self, entry: Entry, target: Entry | Batch, exc: KratyApiError) -> None:
        """End a resent delete that the server answers 404 as applied ("already gone")."""
        _log.info("kraty outbox: %s was already gone on a resend (%s)", entry.op, exc.code)
        data = gone_answer(entry.op)
        for member in self._members(target):
            self._data[member.id] = data
        header = {"t": "end", "id": target.id, "s": APPLIED, "at": _now_ms(), "d": data}
        self._append_and_apply([frame(encode_record(header))])

    def _refused(
        self, entry: Entry, target: Entry | Batch, exc: KratyApiError, *, resend: bool = False
    ) -> str:
        self._set_online(True)
        status = exc.status
        if status == 202:  # lobby_forming: a lobby event cannot start from the outbox
            self._end(target, FAILED, [], error=exc)
            return "sent"
        if isinstance(exc, KratyProtocolError):
            # applied, but the answer was unusable: send again with the same key (the
            # server replays its answer) while that is safe
            entry.ambiguous = True
            self._tell_waiters(target, "transient", exc)
            return "retry"
        if status == 401:
            player = entry.player
            if player is not None and player not in self._held:
                self._held[player] = exc
                _log.warning(
                    "kraty outbox: the server refused player %s's secret; their writes are "
                    "kept until that player signs in again",
                    player,
                )
                self._emit(
                    OutboxNotice(
                        "held",
                        entry.id,
                        entry.op,
                        player,
                        entry.key,
                        error=exc,
                        pending=self.pending_count,
                    )
                )
            self._tell_waiters(target, "held", exc)
            return "retry"
        transient = (
            status in (408, 425)
            or status >= 500
            or (status == 429 and exc.code not in ATTEMPT_CAP_CODES)
        )
        if not transient:
            if status == 404 and entry.method == "DELETE" and resend:
                # an earlier send may have deleted it already: a delete's goal holds
                self._end_applied_gone(entry, target, exc)
                return "sent"
            self._end(target, FAILED, [], error=exc)
            return "sent"
        if exc.outcome_unknown:
            entry.ambiguous = True
        self._tell_waiters(target, "transient", exc)
        now = time.monotonic()
        first = self._transient_since.setdefault(target.id, now)
        if now - first < self._transient_limit:
            return "retry"
        ambiguous = entry.ambiguous or (
            target.state == IN_FLIGHT and target.id not in self._sent_here
        )
        self._end(
            target,
            UNKNOWN if ambiguous else FAILED,
            [],
            error=exc,
            message=(
                f"the server kept refusing this write for {self._transient_limit:g} s; "
                "the player's later writes go ahead"
            ),
        )
        return "sent"

    def _end(
        self,
        target: Entry | Batch,
        state: str,
        records: list[bytes],
        *,
        error: BaseException | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        header: dict[str, Any] = {"t": "end", "id": target.id, "s": state, "at": _now_ms()}
        if isinstance(error, KratyApiError):
            header["st"] = error.status
            header["c"] = str(error.code)
            header["msg"] = error.message
        if code is not None:
            header["c"] = code
        if message is not None:
            header["msg"] = message if error is None else f"{message} ({error})"
        members = self._members(target)
        if error is None:
            error = OutboxError(header.get("msg") or f"the write ended as {state}")
        for member in members:
            member.error = error
        records.append(frame(encode_record(header)))
        self._append_and_apply(records)

    def _append_and_apply(self, records: list[bytes]) -> None:
        """Write this sender's records, then apply them here at once (reading them
        back later changes nothing)."""
        ended: list[Entry] = []
        with self._lock:  # no reader in this process applies them before we do
            self._append(b"".join(records))
            for record in records:
                decoded = decode_record(record[10:])
                if decoded is not None:
                    ended.extend(self._state.apply(*decoded))
        for entry in ended:
            self._settled(entry, replayed=entry.origin != self._origin)
        if ended:
            self._emit(OutboxNotice("pending_changed", pending=self.pending_count))

    def _track_board(self, entry: Entry, *, player: str | None, data: Any) -> None:
        """Track the board of a start recorded without waiting, as ``events.start``
        does for its own calls (for the finalization catch-up)."""
        kraty = self._kraty
        hook = kraty.events.on_started if kraty is not None else None
        board = data.get("leaderboardId") if isinstance(data, dict) else None
        parts = entry.path.split("/")
        if hook is None or not isinstance(board, str) or len(parts) < 3:
            return
        event_key = urllib.parse.unquote(parts[-2])
        current = kraty.identity.current() if kraty is not None else None
        as_ = None if current is not None and current.external_player_id == player else player
        try:
            hook(as_, event_key, board)
        except Exception:  # the hook never breaks delivery
            _log.warning("kraty outbox: tracking the board of %s failed", event_key, exc_info=True)

    # -- placeholders and merging

    def _pace(self, run: str, entry: Entry) -> bool:
        """Keep a run started offline from arriving faster than it was played: each
        request waits for its recorded distance from the previous one (at most
        ``_PACE_CAP_S``), since the server judges expiry and rates by arrival time.
        False when the outbox is closing."""
        previous = self._paced.get(run)
        now = time.monotonic()
        if previous is not None:
            sent_at, recorded_at = previous
            gap = min(max(0, entry.at - recorded_at) / 1000.0, _PACE_CAP_S)
            wait = sent_at + gap - now
            if wait > 0 and self._stop.wait(wait):
                return False
        self._paced[run] = (time.monotonic(), entry.at)
        return True

    def _resolve_path(self, entry: Entry, player: str) -> str | None:
        """The path to send: the player filled in, offline attempt ids replaced; None
        when it names an attempt whose start the server refused."""
        path = entry.path
        if PLAYER_SLOT in path:
            path = path.replace(PLAYER_SLOT, encode_segment(player), 1)
        if "offline-" not in path:
            return path
        parts = path.split("/")
        with self._lock:
            for index, part in enumerate(parts):
                if not _PLACEHOLDER.match(part):
                    continue
                real = self._state.binds.get(part)
                if real is not None:
                    parts[index] = encode_segment(real)
                    continue
                start = self._state.placeholders.get(part)
                if start is not None and not start.live:
                    return None  # its start ended without an attempt
        return "/".join(parts)

    def _fail_run(self, entry: Entry, records: list[bytes]) -> None:
        placeholder = next((p for p in entry.path.split("/") if _PLACEHOLDER.match(p)), "offline-?")
        with self._lock:
            start = self._state.placeholders.get(placeholder)
        cause = start.error if start is not None else None
        if cause is None and start is not None and start.result:
            cause = _error_from_record(start, start.result)
        message = "the attempt this write belongs to was never started on the server"
        error = cause or OutboxError(message)
        self._report_run(placeholder, start, entry.player, error)
        self._run_errors[entry.id] = error  # its handle, if any here, ends with the run's error
        self._end(entry, FAILED, records, code=_NOT_STARTED, message=message)

    def _has_members(self, placeholder: str | None) -> bool:
        """Whether writes were recorded under an offline run's placeholder."""
        if not placeholder:
            return False
        with self._lock:
            return any(placeholder in e.path for e in self._state.entries.values())

    def _report_run(
        self, placeholder: str, start: Entry | None, player: str | None, error: BaseException
    ) -> None:
        """One ``run_failed`` notice per refused offline run (in this process)."""
        if placeholder in self._run_failed:
            return
        self._run_failed.add(placeholder)
        _log.warning("kraty outbox: an attempt started offline was refused: %s", error)
        event_key = _event_of(start.path)[0] if start is not None else None
        self._emit(
            OutboxNotice(
                "run_failed",
                start.id if start is not None else None,
                _START_OP,
                player,
                start.key if start is not None else None,
                error=error,
                pending=self.pending_count,
                placeholder=placeholder,
                event_key=event_key,
                attempt_id=placeholder,
                in_failed_run=True,
            )
        )

    def _batch_of(self, entry: Entry) -> Batch | None:
        if entry.batch is None:
            return None
        with self._lock:
            return self._state.batches.get(entry.batch)

    def _merge(self, entry: Entry, records: list[bytes]) -> Batch | None:
        """Merge the increments queued right after ``entry`` into one batch record."""
        first = _increment(entry)
        if first is None:
            return None
        shape, total = first
        members = [entry]
        with self._lock:
            unbound = self._state.head(None) if entry.player is not None else None
            limit_order = unbound.order if unbound is not None else None
            for other in self._state.following(entry, _MERGE_LIMIT - 1):
                if limit_order is not None and other.order > limit_order:
                    break
                if (
                    other.state != RECORDED
                    or other.batch is not None
                    or not other.mergeable
                    or other.path != entry.path
                    or other.query != entry.query
                ):
                    break
                part = _increment(other)
                if part is None or part[0] != shape:
                    break
                total = _add(total, part[1])
                members.append(other)
        if len(members) < 2:
            return None
        body = dict(json.loads(entry.body or b"{}"))
        body.pop("metricValue", None)
        body.pop("metrics", None)
        if shape == "value":
            body["metricValue"] = total
        else:
            body["metrics"] = total
        batch_id = os.urandom(12).hex()
        key = "b" + batch_id
        body["idempotencyKey"] = key
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        header = {"t": "bat", "id": batch_id, "mem": [m.id for m in members], "k": key}
        records.append(frame(encode_record(header, raw)))
        batch = Batch(header, raw)
        return batch

    # ------------------------------------------------------------------ compaction

    def _maybe_compact(self) -> None:
        state = self._state
        if state.ended_count < 2 * state.live_count + 256:
            return
        if self._journal.size() < _COMPACT_BYTES:
            return
        try:
            with self._journal.alone() as alone:
                if not alone:  # another process has the journal open: later
                    return
                if orphans(self._dir, self._origin):  # an ended run's map is moved first
                    return
                if self._handoff is not None:
                    self._handoff.sync()
                self._catch_up()
                with self._lock:
                    payloads = self._snapshot()
                self._journal.rewrite(payloads)
        except OSError as exc:
            _log.warning("kraty outbox: compacting the journal failed: %s", exc)
            return
        self._catch_up()

    def _snapshot(self) -> list[bytes]:
        # Only live entries are kept: a rewrite happens only while no other process has
        # the journal open, so nobody else still has to learn an outcome from it.
        state = self._state
        kept = [e for e in state.entries.values() if e.live]
        out: list[bytes] = []
        for e in kept:
            header: dict[str, Any] = {
                "t": "rec",
                "id": e.id,
                "op": e.op,
                "m": e.method,
                "p": e.path,
                "k": e.key,
                "pl": e.player,
                "fp": e.fingerprint,
                "u": e.url,
                "at": e.at,
                "o": e.origin,
            }
            if e.query:
                header["q"] = e.query
            if e.placeholder:
                header["ph"] = e.placeholder
            if e.mergeable:
                header["mg"] = 1
            out.append(encode_record(header, e.body))
        for placeholder, real in state.binds.items():
            out.append(encode_record({"t": "bind", "ph": placeholder, "to": real}))
        batches = {e.batch for e in kept if e.batch is not None}
        for batch_id in batches:
            batch = state.batches.get(batch_id)
            if batch is not None:
                header = {"t": "bat", "id": batch.id, "mem": batch.members, "k": batch.key}
                out.append(encode_record(header, batch.body))
        for e in kept:
            if e.state == RECORDED or e.fly_at is None:
                continue
            target = e.batch or e.id
            out.append(
                encode_record({"t": "fly", "id": target, "at": e.fly_at, "srv": e.fly_server})
            )
        state.forget_ended(_now_ms() + 1)
        return out


_PLAIN_TEXT: Final = re.compile(r'[^"\\\x00-\x1f\x7f]*')
_encode_text = json.JSONEncoder(ensure_ascii=False).encode


def _not_json(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _body_encoder() -> Callable[[Any], str]:
    """Compact JSON, no NaN, text kept as is: the transport's encoding, without
    building an encoder per call (the C one where this Python has it)."""
    slow: Callable[[Any], str] = json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    try:
        chunks = make(  # type: ignore[misc]
            None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False
        )
        if slow({"a": [1.5, None, "\u00e9"]}) != "".join(chunks({"a": [1.5, None, "\u00e9"]}, 0)):
            return slow  # pragma: no cover - a C encoder that disagrees: do not use it
    except TypeError:  # pragma: no cover - no C accelerator, or another signature
        return slow
    join = "".join

    def encode(value: Any) -> str:
        return join(chunks(value, 0))

    return encode


_encode_body = _body_encoder()


def _json_text(value: str | None) -> str:
    """A JSON string (or ``null``), quickly for text that needs no escaping."""
    if value is None:
        return "null"
    if _PLAIN_TEXT.fullmatch(value):
        return f'"{value}"'
    return _encode_text(value)


def _run_of(path: str) -> str | None:
    """The offline attempt id a recorded path names, if any."""
    if "offline-" not in path:
        return None
    return next((part for part in path.split("/") if _PLACEHOLDER.match(part)), None)


def _event_of(path: str) -> tuple[str | None, str | None]:
    """The event key and attempt id a recorded write's path names, if any."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    event_key = attempt = None
    for index, part in enumerate(parts[:-1]):
        if part == "events" and event_key is None:
            event_key = urllib.parse.unquote(parts[index + 1])
        elif part == "attempts" and attempt is None:
            attempt = urllib.parse.unquote(parts[index + 1])
    return event_key, attempt


def _attempt_id(data: Any) -> str | None:
    """The attempt id in an ``events.start`` answer."""
    attempt = data.get("attempt") if isinstance(data, dict) else None
    value = attempt.get("id") if isinstance(attempt, dict) else None
    return value if isinstance(value, str) and value else None


def _asdict(notice: OutboxNotice) -> dict[str, Any]:
    return {name: getattr(notice, name) for name in OutboxNotice.__slots__}


def _error_from_record(entry: Entry, result: dict[str, Any]) -> BaseException:
    status = result.get("st")
    code = result.get("c")
    message = str(result.get("msg") or "")
    if isinstance(status, int) and status >= 400 and isinstance(code, str):
        return KratyApiError(status, code, message, idempotency_key=entry.key)
    return OutboxError(message or f"the write ended as {entry.state}")


def _increment(entry: Entry) -> tuple[str, Any] | None:
    """(shape, amount) of a plain increment progress body, else None."""
    try:
        body = json.loads(entry.body or b"")
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("mode") != "increment" or "occurredAt" in body:
        return None
    value, metrics = body.get("metricValue"), body.get("metrics")
    if (value is None) == (metrics is None):
        return None
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return "value", value
    if not isinstance(metrics, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()
    ):
        return None
    return "metrics:" + ",".join(sorted(metrics)), dict(metrics)


def _add(total: Any, part: Any) -> Any:
    if isinstance(total, dict):
        return {k: total[k] + part[k] for k in total}
    return total + part
