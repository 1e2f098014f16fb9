"""The events list and the quest: choose an event, start it (through a lobby when it has
one), tap, finish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pygame

from kraty_pygame.component import KratyAttemptEndedError, LobbyBar, Watcher, WidgetTheme
from kraty_pygame.sdk import (
    EventListing,
    FinishAttemptResponse,
    KratyApiError,
    Lobby,
    ProgressResponse,
    StartAttemptResponse,
    is_lobby_forming,
)

from .. import rules
from ..rules import describe_error
from ..state import QuestState

if TYPE_CHECKING:
    from ..state import DemoState
    from .boards import Boards
    from .calls import Calls, Feedback, Refresher


class Quest:
    """``events.start`` / ``progress`` / ``finish`` for the Quest screen, and its lobby.

    A lobby event answers ``start`` with ``lobby_forming``: the flow reads the lobby,
    starts the component's lobby watcher and calls ``start`` again once ``KRATY_LOBBY``
    says the lobby is active. Attempt caps the server reports lock the event on the
    Events screen until the window ends or the day turns.
    """

    def __init__(
        self,
        calls: Calls,
        state: DemoState,
        feedback: Feedback,
        refresher: Refresher,
        theme: WidgetTheme,
        *,
        boards: Boards,
    ) -> None:
        self.calls = calls
        self.component = calls.component
        self.state = state
        self.feedback = feedback
        self.refresher = refresher
        self.theme = theme
        self.boards = boards
        self.lobby_bar = LobbyBar(None, theme)
        self.exhausted_until: dict[tuple[str, str], float] = {}
        self._lobby_watcher: Watcher | None = None

    def stop_watchers(self) -> None:
        """Stop the lobby watcher (sign out, switch player)."""
        if self._lobby_watcher is not None:
            with self.calls.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None

    # ================================================================== events list

    def refresh_events(self) -> None:
        """``events.list_for_player()``."""
        if self.state.signed_out:
            return
        self.calls.submit(self.component.events.list_for_player, self._got_events)

    def _got_events(self, events: list[EventListing]) -> None:
        self.expire_caps()
        self.state.events = list(events)
        self.state.events_loaded = True
        if self.state.event_board.leaderboard_id is None:
            self.boards.ensure()

    # ================================================================== the run

    def expire_caps(self) -> None:
        """Unlock events whose attempt cap has reset (on the server's clock)."""
        now = datetime.now(UTC).timestamp() + self.state.clock_offset_s
        for slot, until in list(self.exhausted_until.items()):
            if now >= until:
                del self.exhausted_until[slot]
                self.state.exhausted.pop(slot, None)

    def choose(self, event_key: str) -> None:
        """Pick the quest's event; a run in progress stays open on the server (Start resumes it)."""
        quest = self.state.quest
        if event_key == quest.event_key:
            return
        self.stop_watchers()
        self.state.quest = QuestState(event_key=event_key)
        listing = self.state.listing(event_key)
        if listing is not None and listing.leaderboard_id and not listing.is_lobby_matched:
            self.boards.watch(listing.leaderboard_id)
        elif listing is not None and listing.is_lobby_matched:
            # its board exists only once the lobby starts: show none until then
            self.boards.show_none("Live board: when the lobby starts")

    def start(self) -> None:
        """``events.start`` (a lobby event answers ``lobby_forming`` until the lobby fills)."""
        quest = self.state.quest
        if quest.phase in ("starting", "playing") or self.state.signed_out:
            return
        key = quest.event_key
        if quest.phase == "finished":
            self.state.quest = quest = QuestState(event_key=key)
        quest.phase = "starting"
        quest.message = ""
        handle = self.calls.submit(
            lambda: self.component.events.start(key),
            lambda response: self._started(key, response),
            lambda error: self._start_failed(key, error),
        )
        offline = self.component.online is False or self.state.link_cut
        placeholder = None if handle is None or handle.done else handle.provisional_attempt_id
        if placeholder and offline:
            # Offline: play now under the outbox's placeholder; the sync resolves it.
            quest.provisional_id = placeholder
            quest.fired = []
            quest.taps = 0
            quest.phase = "playing"
            self.feedback.notify("Offline run: progress waits in the outbox", "warn")

    def _started(self, key: str, response: StartAttemptResponse) -> None:
        quest = self.state.quest
        if quest.event_key != key:
            return
        attempt = response.attempt
        if quest.provisional_id is not None:
            quest.provisional_id = None  # the offline run now has the server's attempt
        elif quest.attempt_id != attempt.id:
            quest.fired = []
            quest.taps = 0
        quest.attempt = attempt
        quest.phase = "playing" if attempt.status in ("", "in_progress") else "finished"
        if quest.phase == "finished":
            quest.outcome = attempt.status
        self.stop_watchers()
        if attempt.player_id:
            self.boards.self_ids.add(attempt.player_id)
            # the widget marks rows of this participant id as the player's own
            self.boards.mini_board.self_participant_id = attempt.player_id
        board_id = response.leaderboard_id or attempt.leaderboard_id
        if board_id:
            self.boards.watch(board_id)
        self.refresher.soon("player")
        self.refresher.soon("events")

    def _start_failed(self, key: str, error: BaseException) -> None:
        quest = self.state.quest
        if quest.event_key != key:
            return
        if is_lobby_forming(error) and isinstance(error, KratyApiError):
            lobby_id = str((error.details or {}).get("lobbyId", ""))
            quest.phase = "lobby"
            quest.lobby_id = lobby_id or None
            if lobby_id and self._lobby_watcher is None and not self.calls.closing:
                self.lobby_bar = LobbyBar(lobby_id, self.theme)
                self.calls.submit(lambda: self.component.lobbies.read(lobby_id), self._got_lobby)
                with self.calls.measure():
                    self._lobby_watcher = self.component.watch_lobby(
                        lobby_id, interval=1.0, timeout=300.0
                    )
            return
        quest.phase = "idle"
        quest.message = describe_error(error)
        if isinstance(error, KratyApiError) and error.code in (
            "max_attempts_reached",
            "max_daily_attempts_reached",
        ):
            listing = self.state.listing(key)
            if listing is not None:
                slot = (key, listing.window_id)
                self.state.exhausted[slot] = "attempts used up: " + error.message
                # a window cap lasts the window; a daily cap until the next midnight (UTC,
                # the demo config's timezone) on the server's clock
                now = datetime.now(UTC).timestamp() + self.state.clock_offset_s
                until = now + 86400 - now % 86400
                if error.code == "max_attempts_reached":
                    until = now + (self.state.seconds_until(listing.ends_at) or 86400.0)
                self.exhausted_until[slot] = until
        self.feedback.notify(f"Start {key}: {describe_error(error)}", "bad")
        self.feedback.play("error")

    def _got_lobby(self, lobby: Lobby) -> None:
        quest = self.state.quest
        if quest.lobby_id == lobby.id:
            quest.lobby = lobby
            self.lobby_bar.set_lobby(lobby)

    def on_lobby(self, event: pygame.event.Event) -> None:
        """``KRATY_LOBBY``: the lobby filled up (start the match) or ended."""
        lobby: Lobby = event.lobby
        quest = self.state.quest
        if quest.lobby_id != lobby.id:
            return
        quest.lobby = lobby
        if event.active and quest.phase == "lobby":
            self._lobby_watcher = None
            quest.phase = "idle"
            self.feedback.notify("Lobby full: the match starts!", "good")
            self.start()
        elif lobby.status not in ("forming", "active") and quest.phase == "lobby":
            quest.phase = "idle"
            quest.message = f"lobby {lobby.status}"

    def tap(self) -> None:
        """One tap: ``events.progress(increment, 1)`` (the component batches bursts)."""
        quest = self.state.quest
        attempt_id = quest.attempt_id
        if quest.phase != "playing" or attempt_id is None:
            return
        key = quest.event_key
        quest.taps += 1
        quest.unconfirmed_taps += 1
        self.calls.submit(
            lambda: self.component.events.progress(
                key, attempt_id, mode="increment", metric_value=1
            ),
            self._progressed,
            self._progress_failed,
        )

    def _progressed(self, response: ProgressResponse) -> None:
        quest = self.state.quest
        quest.unconfirmed_taps = max(0, quest.unconfirmed_taps - 1)
        attempt = response.attempt
        if attempt.id != quest.attempt_id:
            return
        current = quest.attempt
        if current is None or attempt.score >= current.score or attempt.status != current.status:
            quest.attempt = attempt
        if attempt.status not in ("", "in_progress") and quest.phase == "playing":
            quest.phase = "finished"
            quest.outcome = attempt.status
            quest.unconfirmed_taps = 0
            self.feedback.notify(
                f"Attempt {attempt.status}: score {rules.format_score(attempt.score)}", "good"
            )
            self.refresher.soon("events")
            self.refresher.soon("player", 0.3)

    def _progress_failed(self, error: BaseException) -> None:
        quest = self.state.quest
        quest.unconfirmed_taps = max(0, quest.unconfirmed_taps - 1)
        ended = isinstance(error, KratyApiError) and error.code == "attempt_finished"
        if ended or isinstance(error, KratyAttemptEndedError):  # taps queued past the end
            if quest.phase == "playing":
                quest.phase = "finished"
                quest.outcome = "ended"
                quest.unconfirmed_taps = 0
            return
        quest.message = describe_error(error)

    def finish(self) -> None:
        """``events.finish`` ("cash out" the run)."""
        quest = self.state.quest
        attempt_id = quest.attempt_id
        if quest.phase != "playing" or attempt_id is None:
            return
        key = quest.event_key
        self.calls.submit(lambda: self.component.events.finish(key, attempt_id), self._finished)

    def _finished(self, response: FinishAttemptResponse) -> None:
        quest = self.state.quest
        if response.attempt.id != quest.attempt_id:
            return
        quest.attempt = response.attempt
        quest.phase = "finished"
        quest.outcome = response.outcome or response.attempt.status
        quest.unconfirmed_taps = 0
        self.feedback.notify(f"Run finished: {quest.outcome}", "good")
        self.refresher.soon("events")
        self.refresher.soon("player", 0.3)

    # ================================================================== its events

    def on_milestone(self, event: pygame.event.Event) -> None:
        """``KRATY_MILESTONE``: one per milestone a progress call fired (its grants go to
        the player's pending list)."""
        quest = self.state.quest
        milestone = event.milestone
        if event.attempt_id == quest.attempt_id and milestone.key not in quest.fired:
            quest.fired.append(milestone.key)
        self.feedback.play("milestone")

    def on_attempt(self, event: pygame.event.Event) -> None:
        """``KRATY_ATTEMPT``: the run is over (target reached, finished, expired); taps
        still queued end without being sent, so stop tapping."""
        quest = self.state.quest
        if event.attempt_id != quest.attempt_id or quest.phase != "playing":
            return
        if event.attempt is not None:
            quest.attempt = event.attempt
        quest.phase = "finished"
        quest.outcome = str(event.status)
        quest.unconfirmed_taps = 0
        self.refresher.soon("events")
        self.refresher.soon("player", 0.3)
