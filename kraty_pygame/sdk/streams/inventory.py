"""Live inventory: ``InventoryStream`` and the ``watch`` helper.

There is no reconnection: when the connection ends the iteration raises
``KratyStreamError``, and ``watch`` reports it once through ``on_error``. Events are
"something changed" signals; list the inventory or wallet again to be exact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import requests

from kraty_pygame.sdk.errors import KratyError, KratyStreamError
from kraty_pygame.sdk.models.inventory import InventoryStreamEvent, InventoryStreamKind
from kraty_pygame.sdk.streams.live import Dropped, LiveStream
from kraty_pygame.sdk.streams.sse import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_LINE_BYTES

__all__ = ["InventoryHandler", "InventoryStream", "start_watch"]

_log = logging.getLogger(__name__)

InventoryHandler = Callable[[InventoryStreamEvent], None]

WATCH_JOIN_TIMEOUT = 5.0
"""Seconds ``stop()`` waits for the watch thread to end."""


class InventoryStream(LiveStream[InventoryStreamEvent]):
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
        super().__init__(max_line_bytes=max_line_bytes, max_event_bytes=max_event_bytes, mask=mask)
        self.external_player_id = external_player_id
        self._response = response

    def _run(self) -> Iterator[InventoryStreamEvent]:
        try:
            for message in self._messages():
                event = InventoryStreamEvent.from_sse(message.event, message.data)
                if event.kind == "closed":
                    # Nothing follows: free the connection before handing the event out,
                    # so a consumer that stops iterating here leaks nothing.
                    self._release_response()
                    yield event
                    return
                yield event
        except Dropped as exc:
            raise KratyStreamError(f"inventory stream dropped: {exc}") from exc.__cause__
        finally:
            self._release_response()

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
