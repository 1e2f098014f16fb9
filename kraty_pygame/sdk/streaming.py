"""Live leaderboard streams (PROTOCOL E6/E6'): SSE parsing, ``LeaderboardStream``, reconnection.

Parsing choice. Frames are parsed by sseclient-py (the only module that imports it),
fed by our own linear pre-pass (``_Feed``). Alone, sseclient-py buffers an unterminated
line or event without limit and joins an event's bytes line by line, so an event of
many short lines costs time quadratic in its size. The pre-pass rewrites CRLF and lone
CR to LF (a CR ending one chunk and the LF opening the next are one line ending), cuts
the stream into whole events with bytes methods, counts bytes per line and per event
(an endless line or event raises ``KratyStreamError`` before it can exhaust memory),
checks UTF-8, and hands sseclient-py each event as pieces of a bounded number of lines,
so parsing stays linear in the bytes received (``tests/benchmarks/test_bench_sse_lines.py``).
sseclient-py does the field handling: comments and heartbeats ignored, ``id``/``retry``
ignored, ``data`` lines joined with ``\\n``, one optional space stripped, data-less
events dropped; an event left without its blank line at the end of the stream is still
dispatched. We decode the JSON (non-objects wrapped as ``{"value": v}``, invalid JSON
becomes a ``parse-error`` event, as in the reference SDK).

Cancellation. Closing a ``requests`` response from another thread does not wake a
read blocked in ``recv`` (psf/requests#5372); ``cancel()`` therefore calls urllib3's
``HTTPResponse.shutdown()`` (urllib3 >= 2.3), which shuts the socket's read side down
so the reader wakes at once and closes the response itself; when no read is in
progress, ``cancel()`` closes it directly. ``live()`` also hands the transport a
``CancelToken``, so ``cancel()`` aborts a connect or reconnect in flight.

Reconnection is off by default, as in the seed. With a ``ReconnectPolicy`` a dropped
stream is reopened after a jittered backoff and, because the protocol carries no
event ids, the board is re-read once the new stream is ``ready``: the stream yields a
``snapshot`` event (data: ``EventLeaderboard``) so the caller's state is complete
again.

Layout: parsing, the reconnect policy and the stream live in this one module (past the
~500-line mark) because sseclient-py must stay confined to it (STYLE §6) and the three
change together.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import requests
import sseclient
import urllib3.exceptions

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

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_STREAM_READ_TIMEOUT",
    "LeaderboardStream",
    "ReconnectPolicy",
    "SseMessage",
    "StreamState",
    "StreamStateChange",
    "as_kraty_error",
    "iter_sse_messages",
]

_log = logging.getLogger(__name__)

DEFAULT_STREAM_READ_TIMEOUT: Final = 45.0
"""Seconds of silence before a stream counts as dead (the server's heartbeat is 15 s)."""
DEFAULT_MAX_LINE_BYTES: Final = 1 << 20
"""Longest SSE line accepted (1 MiB)."""
DEFAULT_MAX_EVENT_BYTES: Final = 4 << 20
"""Largest SSE event accepted, all its lines together (4 MiB)."""
_READ_SIZE: Final = 64 * 1024
_PIECE_LINES: Final = 32
"""Most lines of one piece handed to sseclient-py (its cost per piece grows with lines x bytes)."""
_DATA_LINE: Final = re.compile(rb"^data(?::[^\n]*)?$", re.MULTILINE)
_EVENT_LINE: Final = re.compile(rb"^event(?::[^\n]*)?$", re.MULTILINE)
_RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


# --- parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class SseMessage:
    """One dispatched SSE event: its ``event:`` name and its decoded JSON object."""

    event: str
    data: dict[str, Any]


def _lf_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` with CRLF and lone CR rewritten to LF (a CR ending one chunk and the LF
    opening the next count as one line ending)."""
    carry_cr = False
    for received in chunks:
        chunk = received[1:] if carry_cr and received[:1] == b"\n" else received
        if not chunk:
            continue
        carry_cr = chunk.endswith(b"\r")
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        yield chunk


class _Feed:
    """The linear pre-pass in front of sseclient-py.

    sseclient-py joins the bytes of an event line by line (and the values of its data
    lines the same way), so one event of many short lines costs time quadratic in its
    size, and a line trickled in tiny chunks does too. This pass cuts the stream into
    whole events with bytes methods, enforces the size limits and UTF-8, keeps only the
    lines whose fields we use (``data`` and the last ``event``), and hands sseclient-py
    each event as complete pieces of at most ``_PIECE_LINES`` lines. Every piece carries
    data, so sseclient-py dispatches exactly one event per piece; ``sizes`` says how many
    pieces make up each event, in order, and their data is joined back with ``\\n``.
    """

    def __init__(self, chunks: Iterable[bytes], max_line: int, max_event: int) -> None:
        self._chunks = chunks
        self._max_line = max_line
        self._max_event = max_event
        self.sizes: deque[int] = deque()
        self._data: list[bytes] = []  # data lines of the event being read, in LF-joined blocks
        self._name: bytes | None = None  # its last ``event`` line
        self._event_len = 0

    def pieces(self) -> Iterator[bytes]:
        """The complete pieces, as soon as the blank line ending each event arrives."""
        partial: list[bytes] = []  # the unfinished last line, as received
        line_len = 0
        for chunk in _lf_chunks(self._chunks):
            end = chunk.rfind(b"\n")
            if end < 0:
                partial.append(chunk)
                line_len += len(chunk)
                self._check_open_line(line_len)
                continue
            partial.append(chunk[: end + 1])
            region = b"".join(partial)  # whole lines only
            tail = chunk[end + 1 :]
            partial = [tail] if tail else []
            line_len = len(tail)
            yield from self._region(region)
            self._check_open_line(line_len)
        if partial:  # the stream ended inside a line: that line still counts
            self._event_len -= 1  # (without the line ending added here)
            yield from self._region(b"".join(partial) + b"\n")
        yield from self._dispatch()  # and so does an event without its blank line

    def _check_open_line(self, line_len: int) -> None:
        if line_len > self._max_line:
            raise KratyStreamError(f"SSE line longer than {self._max_line} bytes")
        if self._event_len + line_len > self._max_event:
            raise KratyStreamError(f"SSE event larger than {self._max_event} bytes")

    def _region(self, region: bytes) -> Iterator[bytes]:
        # A blank line ends an event. The leading LF makes a blank first line show as
        # "\n\n" too; every segment but the last is followed by a blank line, which
        # took the line ending of its last line with it.
        segments = (b"\n" + region).split(b"\n\n")
        last = len(segments) - 1
        for index, segment in enumerate(segments):
            # drop that leading LF, or (after a blank line) blank lines ending empty events
            lines = segment.lstrip(b"\n") if index else segment[1:]
            ended = index < last
            self._add(lines, len(lines) + 1 if ended and lines else len(lines))
            if ended:
                yield from self._dispatch()

    def _add(self, segment: bytes, size: int) -> None:
        self._event_len += size
        if self._event_len > self._max_event:
            raise KratyStreamError(f"SSE event larger than {self._max_event} bytes")
        if len(segment) > self._max_line and max(map(len, segment.split(b"\n"))) > self._max_line:
            raise KratyStreamError(f"SSE line longer than {self._max_line} bytes")
        try:
            segment.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KratyStreamError("SSE stream is not valid UTF-8") from exc
        if b"data" in segment:
            found = _DATA_LINE.findall(segment)
            if found:  # one block per segment: a few objects, not one per line
                self._data.append(b"\n".join(found))
        if b"event" in segment:
            names = _EVENT_LINE.findall(segment)
            if names:
                self._name = names[-1]

    def _dispatch(self) -> Iterator[bytes]:
        blocks, name = self._data, self._name
        self._data, self._name, self._event_len = [], None, 0
        if not blocks:
            return  # sseclient-py drops an event without data too
        step = _PIECE_LINES
        self.sizes.append(sum((block.count(b"\n") + step) // step for block in blocks))
        for block in blocks:
            lines = block.split(b"\n")
            for start in range(0, len(lines), step):
                piece = lines[start : start + step]
                if name is not None:
                    piece.insert(0, name)
                    name = None
                yield b"\n".join(piece) + b"\n\n"


def _decode_data(text: str) -> tuple[bool, dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError:
        return False, {"raw": text}
    if isinstance(value, dict):
        return True, value
    return True, {"value": value}


def iter_sse_messages(
    chunks: Iterable[bytes],
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> Iterator[SseMessage]:
    """Parse an SSE byte stream, arriving in arbitrary chunks, into messages.

    Pure: no I/O of its own; ``live()`` feeds it the socket's chunks. Invalid JSON
    yields ``SseMessage("parse-error", {"raw": text})``.

    Raises:
        KratyStreamError: a line or event exceeds its limit, or the bytes are not UTF-8.
    """
    feed = _Feed(chunks, max_line_bytes, max_event_bytes)
    events = sseclient.SSEClient(feed.pieces(), char_enc="utf-8").events()
    while True:
        try:
            first = next(events)
            parts = [str(first.data)]
            for _ in range(feed.sizes.popleft() - 1):
                parts.append(str(next(events).data))
        except StopIteration:
            return
        except UnicodeDecodeError as exc:  # pragma: no cover - the feed checks UTF-8 first
            raise KratyStreamError("SSE stream is not valid UTF-8") from exc
        text = parts[0] if len(parts) == 1 else "\n".join(parts)
        if not text:
            continue
        ok, data = _decode_data(text)
        yield SseMessage(str(first.event) if ok else LeaderboardStreamKind.PARSE_ERROR.value, data)


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
        base = min(self.initial_delay * self.multiplier ** max(attempt - 1, 0), self.max_delay)
        return max(0.0, base * (1 + self.jitter * (2 * self.rng() - 1)))


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, KratyCancelledError):
        return False  # cancel() or the client's close(): never reconnect
    if isinstance(exc, KratyApiError):
        return exc.status in _RETRYABLE_STATUSES
    return isinstance(exc, KratyNetworkError)


_READ_ERRORS: Final = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,  # reading a response closed under us
    AttributeError,  # ditto: http.client drops its fp on close
)


class _Dropped(Exception):
    """Internal: the connection ended before ``closed``."""


_TRANSPORT_ERRORS: Final = _READ_ERRORS[:4]


def as_kraty_error(
    error: BaseException | None, kinds: tuple[type[BaseException], ...] = _TRANSPORT_ERRORS
) -> BaseException | None:
    """``error`` as the SDK reports it: a transport exception (``requests``, ``urllib3``,
    ``http.client``, ``OSError``; or any of ``kinds``) becomes a ``KratyNetworkError``
    whose ``original_cause`` (and ``__cause__``) is the original; anything else is
    returned unchanged. Stream states never carry a raw transport exception."""
    if error is None or isinstance(error, KratyError) or not isinstance(error, kinds):
        return error
    wrapped = KratyNetworkError(
        f"the live connection dropped: {_describe(error)}", original_cause=error
    )
    wrapped.__cause__ = error
    return wrapped


# --- the stream -----------------------------------------------------------------------


class LeaderboardStream:
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
        self.leaderboard_id = leaderboard_id
        self._mask = mask  # the client's secrets out of every error shown (a server may echo them)
        self._open_response = open_response
        self._read_snapshot = read_snapshot
        self._policy = reconnect
        self._on_state = on_state
        self._on_finalized = on_finalized
        self._on_cancel = on_cancel
        self._max_line = max_line_bytes
        self._max_event = max_event_bytes
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._response: requests.Response | None = None
        self._reading = False
        self._state = StreamState.CLOSED
        self._closed_reported = False
        self._seen_finalized = False
        self._gen: Iterator[LeaderboardStreamEvent] | None = None

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

    def _adopt(self, response: requests.Response) -> bool:
        with self._lock:
            if self._cancelled.is_set():
                adopted = False
            else:
                self._response = response
                adopted = True
        if not adopted:
            _close_quietly(response)
        return adopted

    # -- state --

    @property
    def state(self) -> StreamState:
        """The current connection state."""
        return self._state

    @property
    def is_connected(self) -> bool:
        """True while a connection is open."""
        return self._state == StreamState.CONNECTED

    @property
    def is_cancelled(self) -> bool:
        """True once ``cancel()`` / ``close()`` was called."""
        return self._cancelled.is_set()

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

    def cancel(self) -> None:
        """End the stream from any thread; idempotent, returns at once."""
        with self._lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
            response = self._response
            reading = self._reading
            if not reading:
                self._response = None
        if self._on_cancel is not None:
            try:
                self._on_cancel()
            except Exception:
                _log.debug("stream cancel hook failed", exc_info=True)
        if response is not None:
            _shutdown(response)
            if not reading:
                _close_quietly(response)
        self._emit(StreamState.CLOSED)

    close = cancel

    def __enter__(self) -> LeaderboardStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    # -- iterating --

    def __iter__(self) -> LeaderboardStream:
        return self

    def __next__(self) -> LeaderboardStreamEvent:
        if self._gen is None:
            self._gen = self._run()
        try:
            return next(self._gen)
        except KratyError as exc:
            if self._mask is not None:
                self._mask(exc)
            raise

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
                except _Dropped as exc:
                    raw = exc.__cause__
                    cause = as_kraty_error(raw, _READ_ERRORS)  # what the states report
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

    def _release_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is not None:
            _close_quietly(response)

    def _events_of_current(self, resumed: bool) -> Iterator[LeaderboardStreamEvent]:
        """Events of the open connection; raises ``_Dropped`` when it ends early.

        ``_reading`` is True only while blocked in a read, so ``cancel()`` closes the
        response itself when the consumer sits between events (or stopped iterating).
        """
        with self._lock:
            response = self._response
        if response is None:
            return
        messages = iter_sse_messages(
            _read_chunks(response),
            max_line_bytes=self._max_line,
            max_event_bytes=self._max_event,
        )
        while True:
            with self._lock:
                if self._cancelled.is_set():
                    return
                self._reading = True
            try:
                message = next(messages)
            except StopIteration:
                break
            except KratyStreamError:
                raise
            except _READ_ERRORS as exc:
                if self._cancelled.is_set():
                    return
                raise _Dropped(_describe(exc)) from exc
            finally:
                with self._lock:
                    self._reading = False
            if self._cancelled.is_set():
                # cancel() came during the read and left the close to us: end here so
                # _run's finally closes the response now, not at garbage collection.
                return
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
        if not self._cancelled.is_set():
            raise _Dropped("the server ended the stream before sending closed")

    def _resync(self) -> Iterator[LeaderboardStreamEvent]:
        """After a reconnect: re-read the board so nothing missed while away is lost."""
        try:
            board = self._read_snapshot()
        except (KratyApiError, KratyNetworkError) as exc:
            raise _Dropped("snapshot re-read after reconnect failed") from exc
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


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_chunks(response: requests.Response) -> Iterator[bytes]:
    """Bytes as they arrive (``read1`` returns what the socket has, chunked or not)."""
    raw = response.raw
    while True:
        chunk = raw.read1(_READ_SIZE, decode_content=True)
        if not chunk:
            return
        yield chunk


def _shutdown(response: requests.Response) -> None:
    """Wake a reader blocked on this response's socket (urllib3 >= 2.3)."""
    raw = getattr(response, "raw", None)
    shutdown = getattr(raw, "shutdown", None)
    if shutdown is None:
        return
    with contextlib.suppress(ValueError, RuntimeError, OSError):
        shutdown()


def _close_quietly(response: requests.Response) -> None:
    try:
        response.close()
    except Exception:
        _log.debug("closing a stream response failed", exc_info=True)
