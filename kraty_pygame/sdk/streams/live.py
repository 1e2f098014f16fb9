"""The base of every live stream: one SSE connection, cancellable from any thread
(``cancel()`` shuts the socket's read side, which wakes a blocked read at once)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Final, Generic, TypeVar

import requests

from kraty_pygame.sdk.errors import KratyError
from kraty_pygame.sdk.http.calls import NETWORK_ERRORS
from kraty_pygame.sdk.streams.sse import (
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    SseMessage,
    iter_sse_messages,
)

__all__ = ["READ_ERRORS", "TRANSPORT_ERRORS", "Dropped", "LiveStream", "describe"]

_log = logging.getLogger(__name__)
_READ_SIZE: Final = 64 * 1024

TRANSPORT_ERRORS: Final = NETWORK_ERRORS
READ_ERRORS: Final = (
    *TRANSPORT_ERRORS,
    ValueError,  # reading a response closed under us
    AttributeError,  # ditto: http.client drops its fp on close
)

E = TypeVar("E")


class Dropped(Exception):
    """The connection ended before the stream's last event (its cause: the read error)."""


class LiveStream(Generic[E]):
    """One live SSE connection at a time: iterate it for events of type ``E``.

    Iterate on one thread; ``cancel()`` / ``close()`` may be called from any thread, is
    idempotent and ends the iteration promptly even while the server is silent.
    Subclasses implement :meth:`_run` with :meth:`_messages`.
    """

    def __init__(
        self,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        mask: Callable[[BaseException], BaseException] | None = None,
    ) -> None:
        self._mask = mask  # the client's secrets out of every error shown
        self._max_line = max_line_bytes
        self._max_event = max_event_bytes
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._response: requests.Response | None = None
        self._reading = False  # True only while blocked in a read
        self._gen: Iterator[E] | None = None

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
            response, reading = self._response, self._reading
            if not reading:
                self._response = None
        self._on_cancel()
        if response is not None:
            with contextlib.suppress(ValueError, RuntimeError, OSError, AttributeError):
                response.raw.shutdown()
            if not reading:  # a reader closes it itself once its read returns
                _close_quietly(response)
        self._after_cancel()

    def close(self) -> None:
        """Same as :meth:`cancel`."""
        self.cancel()

    def _on_cancel(self) -> None:
        """Hook: runs in ``cancel()`` before the connection is shut."""

    def _after_cancel(self) -> None:
        """Hook: runs at the end of ``cancel()``."""

    def __enter__(self) -> LiveStream[E]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def __iter__(self) -> LiveStream[E]:
        return self

    def __next__(self) -> E:
        if self._gen is None:
            self._gen = self._run()
        try:
            return next(self._gen)
        except KratyError as exc:
            if self._mask is not None:
                self._mask(exc)
            raise

    def _run(self) -> Iterator[E]:
        raise NotImplementedError

    def _adopt(self, response: requests.Response) -> bool:
        """Make ``response`` the current connection; False (closed) if cancelled."""
        with self._lock:
            adopted = not self._cancelled.is_set()
            if adopted:
                self._response = response
        if not adopted:
            _close_quietly(response)
        return adopted

    def _release_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is not None:
            _close_quietly(response)

    def _messages(self) -> Iterator[SseMessage]:
        """Messages of the current connection; returns quietly once cancelled.

        Raises:
            Dropped: a read failed, or the server ended the stream.
            KratyStreamError: a line or event over its limit.
        """
        with self._lock:
            response = self._response
        if response is None:
            return
        messages = iter_sse_messages(
            _read_chunks(response), max_line_bytes=self._max_line, max_event_bytes=self._max_event
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
            except KratyError:
                raise
            except READ_ERRORS as exc:
                if self._cancelled.is_set():
                    return
                raise Dropped(describe(exc)) from exc
            finally:
                with self._lock:
                    self._reading = False
            if self._cancelled.is_set():
                return  # cancelled during the read: the caller closes now, not at GC
            yield message
        if not self._cancelled.is_set():
            raise Dropped("the server ended the stream before sending closed")


def describe(exc: BaseException) -> str:
    """``Type: text`` of an exception (its type alone when the text is empty)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_chunks(response: requests.Response) -> Iterator[bytes]:
    """Bytes as they arrive (``read1`` returns what the socket has, chunked or not)."""
    raw = response.raw
    while chunk := raw.read1(_READ_SIZE, decode_content=True):
        yield chunk


def _close_quietly(response: requests.Response) -> None:
    try:
        response.close()
    except Exception:
        _log.debug("closing a stream response failed", exc_info=True)
