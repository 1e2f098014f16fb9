"""Leaderboards: the live event board (a watcher and its events) and the keyed board."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pygame

from kraty_pygame.component import LeaderboardPanel, Watcher, WidgetTheme
from kraty_pygame.sdk import (
    EventLeaderboard,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardPeriods,
)

from ..state import BoardState

if TYPE_CHECKING:
    from ..state import DemoState
    from .calls import Calls, Feedback, Refresher

BOARD_LIMIT = 10


class Boards:
    """Follows one event board live (snapshot + stream) and reads the keyed board.

    The component's ``watch_leaderboard`` posts ``KRATY_LEADERBOARD`` events; this
    keeps the merged rows for the Leaderboards screen while the component's
    ``LeaderboardPanel`` widget (``mini_board``) draws the Quest screen's mini board.
    """

    def __init__(
        self,
        calls: Calls,
        state: DemoState,
        feedback: Feedback,
        refresher: Refresher,
        theme: WidgetTheme,
    ) -> None:
        self.calls = calls
        self.component = calls.component
        self.state = state
        self.feedback = feedback
        self.refresher = refresher
        self.theme = theme
        self.self_ids: set[str] = set()  # participant ids that are this player
        self.mini_board = LeaderboardPanel(None, theme, rows=8, title="Live board")
        self._board_watcher: Watcher | None = None

    def stop_watchers(self) -> None:
        """Stop following the board (sign out, switch player)."""
        if self._board_watcher is not None:
            with self.calls.measure():
                self._board_watcher.stop()
            self._board_watcher = None

    def watch(self, leaderboard_id: str) -> None:
        """Follow ``leaderboard_id`` live (snapshot + stream), replacing the previous board."""
        board = self.state.event_board
        if self.calls.closing or (
            board.leaderboard_id == leaderboard_id and self._board_watcher is not None
        ):
            return
        with self.calls.measure():
            if self._board_watcher is not None:
                self._board_watcher.stop()
            self._board_watcher = self.component.watch_leaderboard(
                leaderboard_id, limit=BOARD_LIMIT, include_self=True, poll_interval=5.0
            )
        self.state.event_board = BoardState(leaderboard_id=leaderboard_id, connection="connecting")
        self.mini_board = LeaderboardPanel(
            leaderboard_id,
            self.theme,
            rows=8,
            title="Live board",
            self_participant_id=next(iter(self.self_ids), None),
        )

    def show_none(self, title: str = "Live board") -> None:
        """Follow no board: the selected event has none yet (a lobby event before its
        lobby starts), so the previous event's board must not stay on screen."""
        self.stop_watchers()
        self.state.event_board = BoardState(leaderboard_id=None, connection="idle")
        # "" matches no board id: the panel takes no event until watch() replaces it
        self.mini_board = LeaderboardPanel("", self.theme, rows=8, title=title)

    def watch_event(self, event_key: str) -> None:
        """Show the board of ``event_key`` (its lobby board when the quest plays it)."""
        quest = self.state.quest
        if (
            quest.event_key == event_key
            and quest.attempt is not None
            and quest.attempt.leaderboard_id
        ):
            self.watch(quest.attempt.leaderboard_id)
            return
        listing = self.state.listing(event_key)
        if listing is not None and listing.leaderboard_id:
            self.watch(listing.leaderboard_id)
        else:
            self.feedback.notify(
                "That event has no board yet (lobby boards appear once a lobby starts).", "warn"
            )

    def ensure(self) -> None:
        """Watch some board when none is followed yet (the quest's, else the first event's).

        While the quest's event is a lobby event without a board yet, nothing is
        watched: another event's board would look like this event's.
        """
        if self._board_watcher is not None:
            return
        quest = self.state.quest
        if quest.attempt is not None and quest.attempt.leaderboard_id:
            self.watch(quest.attempt.leaderboard_id)
            return
        selected = self.state.listing(quest.event_key)
        if selected is not None and selected.is_lobby_matched:
            return
        for listing in sorted(self.state.events, key=lambda e: e.event_key != quest.event_key):
            if listing.leaderboard_id and not listing.is_lobby_matched:
                self.watch(listing.leaderboard_id)
                return

    def refresh(self) -> None:
        """A one-off ``event_leaderboards.read`` of the followed board."""
        board_id = self.state.event_board.leaderboard_id
        if board_id is None:
            self.ensure()
            return
        self.calls.submit(
            lambda: self.component.event_leaderboards.read(
                board_id, limit=BOARD_LIMIT, include_self=True
            ),
            lambda board: self._board_snapshot(board_id, board),
        )

    def choices(self) -> list[tuple[str, str]]:
        """Events whose board can be shown, as chip items."""
        quest = self.state.quest
        out = []
        for listing in self.state.events:
            if listing.leaderboard_id and not listing.is_lobby_matched:
                out.append((listing.event_key, listing.display_name()))
            elif quest.event_key == listing.event_key and quest.attempt is not None:
                out.append((listing.event_key, listing.display_name() + " (lobby)"))
        return out

    def choice(self) -> str | None:
        """The chip key of the board being shown."""
        board_id = self.state.event_board.leaderboard_id
        quest = self.state.quest
        if quest.attempt is not None and quest.attempt.leaderboard_id == board_id:
            return quest.event_key
        for listing in self.state.events:
            if listing.leaderboard_id == board_id:
                return listing.event_key
        return None

    def on_leaderboard(self, event: pygame.event.Event) -> None:
        """``KRATY_LEADERBOARD``: a snapshot, a score update, the end of the board."""
        board = self.state.event_board
        if event.leaderboard_id != board.leaderboard_id:
            return
        kind = str(event.kind)
        if kind == "snapshot" and event.board is not None:
            self._board_snapshot(event.leaderboard_id, event.board)
            board.connection = board.connection if board.connection != "connecting" else "connected"
        elif kind == "score_update" and event.entry is not None:
            self._board_update(event.entry)
        elif kind == "finalized":
            board.finalized = True
            board.finalized_reason = str(getattr(event.board, "reason", "") or "") or None
            self.feedback.notify("The board was finalized: rewards are on their way.", "good")
            self.refresher.soon("player", 0.5)
        elif kind == "closed":
            board.connection = "closed"

    def _board_snapshot(self, board_id: str, snapshot: EventLeaderboard) -> None:
        board = self.state.event_board
        if board.leaderboard_id != board_id:
            return
        board.board = snapshot
        board.snapshots += 1
        board.entries = list(snapshot.entries)
        for entry in snapshot.entries:
            if entry.is_self:
                self.self_ids.add(entry.participant_id)
                if entry.name:
                    self.state.player_name = entry.name
        if snapshot.self_entry is not None:
            board.self_rank = snapshot.self_entry.rank
            board.self_score = snapshot.self_entry.score
        board.finalized = board.finalized or snapshot.finalized

    def _board_update(self, update: Any) -> None:
        board = self.state.event_board
        pid = str(update.participant_id)
        entries = board.entries
        existing = next((i for i, e in enumerate(entries) if e.participant_id == pid), None)
        if existing is not None:
            old = entries[existing]
            entries[existing] = dataclasses.replace(
                old,
                score=float(update.score),
                rank=int(update.rank or old.rank),
                name=update.name or old.name,
            )
        else:
            entries.append(
                LeaderboardEntry(
                    participant_id=pid,
                    kind=str(update.kind or "player"),
                    name=update.name,
                    score=float(update.score),
                    rank=int(update.rank or len(entries) + 1),
                )
            )
        entries.sort(key=lambda e: (e.rank, -e.score))
        del entries[50:]
        board.updates += 1
        board.flash[pid] = 1.0
        if pid in self.self_ids:
            board.self_rank = int(update.rank) if update.rank else board.self_rank
            board.self_score = float(update.score)

    def load_keyed(self, period: str | None = None, *, quiet: bool = False) -> None:
        """``leaderboards.read(weekly_global, period=…)`` and ``list_periods``."""
        if self.state.signed_out:
            return
        keyed = self.state.keyed
        keyed.period = period
        key = keyed.key
        # quiet: a failure shows nothing; otherwise KRATY_REQUEST_FAILED shows a notice
        failed = _ignore if quiet else None

        self.calls.submit(
            lambda: self.component.leaderboards.read(
                key, period=period, include_self=True, limit=BOARD_LIMIT
            ),
            lambda board: self._got_keyed(period, board),
            failed,
        )
        self.calls.submit(
            lambda: self.component.leaderboards.list_periods(key, limit=5),
            self._got_periods,
            failed,
        )

    def _got_keyed(self, period: str | None, board: Leaderboard) -> None:
        keyed = self.state.keyed
        if keyed.period == period:
            keyed.board = board
            for entry in board.entries:
                if entry.is_self:
                    self.self_ids.add(entry.participant_id)
                    if entry.name:
                        self.state.player_name = entry.name

    def _got_periods(self, periods: LeaderboardPeriods) -> None:
        self.state.keyed.periods = periods


def _ignore(error: BaseException) -> None:
    """An error callback that shows nothing (a background read the player did not ask for)."""
