"""Main-thread delivery: run handle callbacks and post the ``KRATY_*`` events.

Only ``KratyComponent.update()`` and ``close()`` use this, on the main thread. Events are
queued in a small outbox first and posted in order; when SDL's queue is full
(``pygame.event.post`` raises) the rest stay in the outbox for the next ``update()``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import pygame

from kraty_pygame.component.attempts import ATTEMPT_ENDED_INFO
from kraty_pygame.component.batching import PROGRESS_OPERATION
from kraty_pygame.component.errors import KratyAttemptEndedError
from kraty_pygame.component.event_types import (
    KRATY_ATTEMPT,
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
    KRATY_SYNC,
    event_name,
)
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.results import LiveItem, RequestResult

if TYPE_CHECKING:
    from kraty_pygame.component.outbox_link import ShownKeys
    from kraty_pygame.component.watchers import GrantsWatcher

__all__ = ["CallbackErrorHandler", "Delivery"]

_log = logging.getLogger("kraty_pygame.component")

CallbackErrorHandler = Callable[[BaseException, RequestHandle[Any]], None]

_EVENT_OF_KIND: Final[dict[str, int]] = {
    "grants": KRATY_GRANTS,
    "leaderboard": KRATY_LEADERBOARD,
    "lobby": KRATY_LOBBY,
    "identity": KRATY_IDENTITY,
    "connection": KRATY_CONNECTION,
    "inventory": KRATY_INVENTORY,
    "friends": KRATY_FRIENDS,
    "sync": KRATY_SYNC,
}


class Delivery:
    """Turns results and live items into callbacks and pygame events (main thread)."""

    def __init__(self, on_callback_error: CallbackErrorHandler | None = None) -> None:
        self._outbox: deque[tuple[int, dict[str, Any]]] = deque()
        self._late: deque[RequestHandle[Any]] = deque()
        self._on_callback_error = on_callback_error
        self.grant_watchers: list[GrantsWatcher] = []
        #: Keys whose milestones were shown (set when the component has an outbox).
        self.shown: ShownKeys | None = None
        self.post_retries = 0
        self.callback_errors = 0
        self.blocked_types: set[int] = set()  # KRATY_* ids the game blocked (warned once)

    @property
    def busy(self) -> bool:
        """True when events or late callbacks are waiting."""
        return bool(self._outbox) or bool(self._late)

    @property
    def has_late(self) -> bool:
        """True when callbacks added after delivery are waiting to run."""
        return bool(self._late)

    @property
    def events_waiting(self) -> int:
        """Events waiting for room in SDL's queue."""
        return len(self._outbox)

    def late(self, handle: RequestHandle[Any]) -> None:
        """Schedule a delivered handle's newly added callbacks (any thread)."""
        self._late.append(handle)

    def run_late(self, budget: int | None) -> int:
        """Run up to ``budget`` handles' late callbacks (all when None); returns how many."""
        ran = 0
        while self._late and (budget is None or ran < budget):
            handle = self._late.popleft()
            self.run_callbacks(handle, handle._take_callbacks())
            ran += 1
        return ran

    def deliver_result(self, result: RequestResult) -> int:
        """Callbacks and DONE/FAILED events for a finished job; returns its handle count."""
        late = self.late
        post = self._outbox.append
        operation = result.job.operation
        for handle in result.handles:
            callbacks = handle._deliver(late)
            if callbacks:
                self.run_callbacks(handle, callbacks)
            error = handle.error
            if error is None:
                attrs = {"handle": handle, "operation": operation, "result": handle.result}
                post((KRATY_REQUEST_DONE, attrs))
            elif not isinstance(error, KratyAttemptEndedError):  # those stay quiet
                attrs = {"handle": handle, "operation": operation, "error": error}
                post((KRATY_REQUEST_FAILED, attrs))
        info = result.job.info
        if (
            result.error is None
            and operation == PROGRESS_OPERATION
            and result.handles
            and not info.get("merged_member")
        ):
            self._post_milestones(
                result.value,
                str(info.get("event_key", "")),
                str(info.get("attempt_id", "")),
                info.get("idempotency_key"),
            )
        ended = result.job.info.get(ATTEMPT_ENDED_INFO)
        if ended is not None:
            post((KRATY_ATTEMPT, dict(ended)))
        return len(result.handles)

    def _post_milestones(
        self, value: Any, event_key: str, attempt_id: str, key: object = None
    ) -> None:
        """One ``KRATY_MILESTONE`` per fired milestone, once per idempotency key: a write
        replayed after a crash (or the members of a merged request) show it once."""
        fired = getattr(value, "milestones_fired", None) or []
        if not fired:
            return
        if isinstance(key, str) and key and self.shown is not None and not self.shown.add(key):
            return
        attempt = getattr(value, "attempt", None)
        real_id = getattr(attempt, "id", "") or ""
        if real_id:
            attempt_id = str(real_id)  # an offline run's placeholder resolved by the sync
        all_grants: list[Any] = []
        for milestone in fired:
            grants = list(getattr(milestone, "grants", None) or [])
            all_grants.extend(grants)
            attrs = {
                "event_key": event_key,
                "attempt_id": attempt_id,
                "milestone": milestone,
                "grants": grants,
                "idempotency_key": key if isinstance(key, str) else None,
            }
            self._outbox.append((KRATY_MILESTONE, attrs))
        if all_grants:
            for watcher in self.grant_watchers:
                watcher.mark_seen(all_grants)
            self._outbox.append((KRATY_GRANTS, {"grants": all_grants, "source": "milestone"}))

    def post_sync(self, attrs: dict[str, Any]) -> None:
        """Queue a ``KRATY_SYNC`` event (the pending count)."""
        self._outbox.append((KRATY_SYNC, attrs))

    def deliver_live(self, item: LiveItem) -> None:
        """Queue the event of a stream or watcher item."""
        event_type = _EVENT_OF_KIND.get(item.kind)
        if event_type is not None:
            self._outbox.append((event_type, item.attrs))
        attrs = item.attrs
        if (
            item.kind == "sync"
            and attrs.get("kind") == "synced"
            and attrs.get("operation") == PROGRESS_OPERATION
            and not attrs.get("merged_member")
        ):  # a progress write of an earlier run: its milestones still reach the game
            self._post_milestones(
                attrs.get("result"),
                str(attrs.get("event_key") or ""),
                "",
                attrs.get("idempotency_key"),
            )

    def run_callbacks(
        self, handle: RequestHandle[Any], callbacks: list[Callable[[RequestHandle[Any]], None]]
    ) -> None:
        """Run ``callbacks`` for ``handle``; an exception is logged and counted, never raised."""
        for callback in callbacks:
            try:
                callback(handle)
            except Exception as exc:
                self.callback_errors += 1
                _log.exception("kraty component: on_done callback of %r raised", handle)
                if self._on_callback_error is not None:
                    try:
                        self._on_callback_error(exc, handle)
                    except Exception:
                        _log.exception("kraty component: on_callback_error raised")

    def flush(self) -> bool:
        """Post waiting events in order; False when SDL's queue is full (the rest wait)."""
        outbox = self._outbox
        post, event = pygame.event.post, pygame.event.Event
        while outbox:
            event_type, attrs = outbox[0]
            try:
                posted = post(event(event_type, attrs))
            except pygame.error:
                self.post_retries += 1
                return False
            outbox.popleft()
            if not posted and event_type not in self.blocked_types:
                self.blocked_types.add(event_type)
                _log.warning(
                    "kraty component: the game blocks %s events (pygame.event.set_blocked or "
                    "set_allowed), so pygame drops them; allow them with "
                    "pygame.event.set_allowed(kraty_pygame.component.ALL_EVENT_TYPES)",
                    event_name(event_type),
                )
        return True

    def discard(self) -> None:
        """Drop events that could not be posted (``close()``, when pygame is gone)."""
        self._outbox.clear()
