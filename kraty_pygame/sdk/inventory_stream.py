"""Live inventory (PROTOCOL E39, §5.5): ``InventoryStream`` and the ``watch`` helper.

The stream reuses the board streams' SSE parser (``streaming.iter_sse_messages``: size
limits, CRLF handling, JSON decoding) and their cancellation (urllib3's
``HTTPResponse.shutdown()`` wakes a reader blocked in ``recv``). As in every reference
SDK there is no reconnection: when the connection ends the iteration raises
``KratyStreamError``, and ``watch`` reports it once through ``on_error``. Events are
"something changed" signals; list the inventory / wallet again to be exact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import requests

from kraty_pygame.sdk.errors import KratyError, KratyStreamError
from kraty_pygame.sdk.models.inventory import InventoryStreamEvent, InventoryStreamKind
from kraty_pygame.sdk.streaming import (
    _READ_ERRORS,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    _close_quietly,
    _describe,
    _read_chunks,
    _shutdown,
    iter_sse_messages,
)

__all__ = ["InventoryHandler", "InventoryStream", "start_watch"]

_log = logging.getLogger(__name__)

InventoryHandler = Callable[[InventoryStreamEvent], None]

WATCH_JOIN_TIMEOUT = 5.0
"""Seconds ``stop()`` waits for the watch thread to end."""


class InventoryStream:
    """A player's live inventory: iterate it for :class:`InventoryStreamEvent` objects.

    Created (already connected) by ``inventory.live()``. Iterate on one thread;
    ``cancel()`` / ``close()`` may be called from any thread, is idempotent, and ends
    the iteration promptly even while the server is silent. The iteration ends
    quietly after ``cancel()`` or a ``closed`` event; a connection that ends
    otherwise raises ``KratyStreamError`` (its ``__cause__`` is the transport error).
    """

    def __init__(
        self,
        external_player_id: str,
        response: requests.Response,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        mask: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        self.external_player_id = external_player_id
        self._mask = mask  # the client's secrets out of every error shown (a server may echo them)
        self._response: requests.Response | None = response
        self._max_line = max_line_bytes
        self._max_event = max_event_bytes
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._reading = False
        self._gen: Iterator[InventoryStreamEvent] | None = None

    @property
    def is_cancelled(self) -> bool:
        """True once ``cancel()`` / ``close()`` was called."""
        return self._cancelled.is_set()

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
        if response is not None:
            _shutdown(response)
            if not reading:
                _close_quietly(response)

    close = cancel

    def __enter__(self) -> InventoryStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def __iter__(self) -> InventoryStream:
        return self

    def __next__(self) -> InventoryStreamEvent:
        if self._gen is None:
            self._gen = self._run()
        try:
            return next(self._gen)
        except KratyError as exc:
            if self._mask is not None:
                self._mask(exc)
            raise

    def _run(self) -> Iterator[InventoryStreamEvent]:
        """Events of the connection. ``_reading`` is True only while blocked in a read, so
        ``cancel()`` closes the response itself whenever the consumer sits between events
        (or stopped iterating); a ``cancel()`` that lands during a read leaves the close to
        the reader, which checks for it as soon as the read returns."""
        with self._lock:
            response = self._response
        if response is None:
            return
        try:
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
                    raise KratyStreamError(f"inventory stream dropped: {_describe(exc)}") from exc
                finally:
                    with self._lock:
                        self._reading = False
                if self._cancelled.is_set():
                    return  # cancelled during the read: close now, not at garbage collection
                event = InventoryStreamEvent.from_sse(message.event, message.data)
                if event.kind == "closed":
                    # Nothing follows: free the connection before handing the event out, so
                    # a consumer that stops iterating here leaks nothing.
                    self._release_response()
                    yield event
                    return
                yield event
        finally:
            self._release_response()
        if not self._cancelled.is_set():
            raise KratyStreamError("inventory stream dropped: the server ended the stream")

    def _release_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is not None:
            _close_quietly(response)

    def __repr__(self) -> str:
        state = "cancelled" if self.is_cancelled else "open"
        return f"InventoryStream(external_player_id={self.external_player_id!r}, state={state!r})"


def start_watch(
    stream: InventoryStream,
    handler: InventoryHandler,
    *,
    ignore_own_writes: bool = False,
    on_error: Callable[[BaseException], None] | None = None,
) -> Callable[[], None]:
    """Run ``handler`` for each event of ``stream`` on a daemon thread; returns ``stop``.

    ``stop()`` is idempotent, cancels the stream and joins the thread (unless called
    from the handler itself). ``on_error`` is called once, on the watch thread, when
    the stream dies on its own (never after ``stop()``); an exception raised by the
    handler is logged and the watch goes on.
    """
    stopped = threading.Event()

    def run() -> None:
        try:
            for event in stream:
                if stopped.is_set():
                    return
                if event.kind == InventoryStreamKind.PARSE_ERROR:
                    _log.debug("inventory stream: an event with invalid JSON was skipped")
                    continue
                if ignore_own_writes and event.is_own_write:
                    continue
                try:
                    handler(event)
                except Exception:
                    _log.exception("inventory watch handler failed")
        except (KratyError, OSError) as exc:
            if stopped.is_set() or stream.is_cancelled:
                return
            if on_error is not None:
                try:
                    on_error(exc)
                except Exception:
                    _log.exception("inventory watch on_error failed")
            else:
                _log.warning("inventory watch ended: %s", exc)

    thread = threading.Thread(target=run, name="kraty-inventory-watch", daemon=True)
    thread.start()

    def stop() -> None:
        stopped.set()
        stream.cancel()
        if threading.current_thread() is not thread:
            thread.join(WATCH_JOIN_TIMEOUT)

    return stop
