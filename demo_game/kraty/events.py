"""The KRATY_* pygame events, handled in the game's event loop.

Once per frame the game calls ``component.update()`` (it runs the calls' ``on_done``
callbacks and posts these events), then reads ``pygame.event.get()``. Every event
passes through :meth:`KratyEvents.handle` first: the component's drop-in widgets take
what they draw, and each event goes to the feature that owns it, which writes plain
state for the screens. A call that failed with nobody to handle it becomes a notice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pygame

from kraty_pygame.component import (
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
    SyncBadge,
)

from ..rules import describe_error

if TYPE_CHECKING:
    from ..state import DemoState
    from .boards import Boards
    from .calls import Calls, Feedback
    from .friends import Friends
    from .player import Player
    from .quest import Quest

log = logging.getLogger(__name__)

#: What the outbox reports worth a notice (counts go to the badge and the status bar).
SYNC_NOTICES = {
    "synced": ("A write from an earlier session synced", "good"),
    "failed": ("A write from an earlier session was refused", "bad"),
    "unknown": ("A write's outcome can no longer be known", "warn"),
    "held": ("The server refused this player's secret: writes kept", "bad"),
    "run_synced": ("The offline run reached the server", "good"),
    "run_failed": ("The server refused the offline run", "bad"),
    "corrupt": ("A damaged outbox journal was set aside", "warn"),
    "foreign": ("Writes of another server are kept aside", "warn"),
}


class KratyEvents:
    """Routes each KRATY_* event to the widget and the feature that use it."""

    def __init__(
        self,
        state: DemoState,
        calls: Calls,
        feedback: Feedback,
        sync_badge: SyncBadge,
        *,
        player: Player,
        quest: Quest,
        boards: Boards,
        friends: Friends,
    ) -> None:
        self.state = state
        self.calls = calls
        self.feedback = feedback
        self.sync_badge = sync_badge
        self.player = player
        self.quest = quest
        self.boards = boards
        self.friends = friends

    def handle(self, event: pygame.event.Event) -> bool:
        """Take a KRATY_* event (True); False for any other event."""
        kind = event.type
        if kind in (KRATY_GRANTS, KRATY_FRIENDS, KRATY_INVENTORY) and self.player.switching:
            return True  # a stopped watcher's last report belongs to the previous player
        # the component's drop-in widgets take the events they understand
        self.feedback.toasts.handle_event(event)
        self.sync_badge.handle_event(event)
        self.boards.mini_board.handle_event(event)
        self.quest.lobby_bar.handle_event(event)
        if kind == KRATY_REQUEST_DONE:
            self.state.requests_done += 1  # its on_done callback has already run
        elif kind == KRATY_REQUEST_FAILED:
            self._on_failed(event)
        elif kind == KRATY_MILESTONE:
            self.quest.on_milestone(event)
            self.player.merge_pending(list(event.milestone.grants))
        elif kind == KRATY_ATTEMPT:
            self.quest.on_attempt(event)
        elif kind == KRATY_GRANTS:
            self.player.merge_pending(list(event.grants))
        elif kind == KRATY_LEADERBOARD:
            self.boards.on_leaderboard(event)
        elif kind == KRATY_LOBBY:
            self.quest.on_lobby(event)
        elif kind == KRATY_IDENTITY:
            self.player.on_identity(event)
        elif kind == KRATY_CONNECTION:
            self._on_connection(event)
        elif kind == KRATY_FRIENDS:
            self.friends.on_friends_event(event)
        elif kind == KRATY_INVENTORY:
            self.player.on_inventory(event)
        elif kind == KRATY_SYNC:
            self._on_sync(event)
        else:
            return False
        return True

    def _on_failed(self, event: pygame.event.Event) -> None:
        """A failed call: a notice, unless its own error callback dealt with it."""
        self.state.requests_failed += 1
        if self.calls.handled(event.handle):
            return
        text = describe_error(event.error)
        log.info("%s failed: %s", event.operation, text)
        self.feedback.notify(f"{event.operation}: {text}", "bad")

    def _on_connection(self, event: pygame.event.Event) -> None:
        """A stream or watcher changed state (``source``: ``inventory``, ``presence``...)."""
        source, value = str(event.source), str(event.state)
        self.state.connections[source] = value
        board = self.state.event_board
        if board.leaderboard_id and source.endswith(board.leaderboard_id):
            board.connection = value

    def _on_sync(self, event: pygame.event.Event) -> None:
        """The outbox's news worth a notice."""
        notice = SYNC_NOTICES.get(str(event.kind))
        if notice is None:
            return
        text, tone = notice
        error = getattr(event, "error", None)
        self.feedback.notify(f"{text}: {describe_error(error)}" if error else text, tone)
        if event.kind == "synced":
            self.player.refresher.soon("player", 0.3)
