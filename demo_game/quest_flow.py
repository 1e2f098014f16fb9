"""The quest: choose an event, start it (through a lobby when it has one), tap, finish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pygame

from kraty_pygame.component.errors import KratyAttemptEndedError
from kraty_pygame.component.watchers import Watcher
from kraty_pygame.component.widgets import LobbyBar
from kraty_pygame.sdk import (
    FinishAttemptResponse,
    KratyApiError,
    Lobby,
    ProgressResponse,
    StartAttemptResponse,
    is_lobby_forming,
)

from . import rules
from .rules import describe_error
from .state import QuestState

if TYPE_CHECKING:
    from kraty_pygame.component import KratyComponent

    from .app import App
    from .session import Session
    from .state import DemoState
    from .timing import FrameMeter


class QuestFlow:
    """``events.start`` / ``progress`` / ``finish`` for the Quest screen, and its lobby.

    A lobby event answers ``start`` with ``lobby_forming``: the flow reads the lobby,
    starts the component's lobby watcher and calls ``start`` again once ``KRATY_LOBBY``
    says the lobby is active. Attempt caps the server reports lock the event on the
    Events screen until the window ends or the day turns.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lobby_bar = LobbyBar(None, session.widget_theme)
        self.exhausted_until: dict[tuple[str, str], float] = {}
        self._lobby_watcher: Watcher | None = None

    @property
    def state(self) -> DemoState:
        return self.session.state

    @property
    def app(self) -> App:
        return self.session.app

    @property
    def component(self) -> KratyComponent:
        return self.session.component

    @property
    def meter(self) -> FrameMeter:
        return self.session.meter

    def stop_watchers(self) -> None:
        """Stop the lobby watcher (sign out, switch player)."""
        if self._lobby_watcher is not None:
            with self.meter.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None

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
        if self._lobby_watcher is not None:
            with self.meter.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None
        self.state.quest = QuestState(event_key=event_key)
        listing = self.state.listing(event_key)
        if listing is not None and listing.leaderboard_id and not listing.is_lobby_matched:
            self.session.boards.watch(listing.leaderboard_id)
        elif listing is not None and listing.is_lobby_matched:
            # its board exists only once the lobby starts: show none until then
            self.session.boards.show_none("Live board: when the lobby starts")

    def start(self) -> None:
        """``events.start`` (a lobby event answers ``lobby_forming`` until the lobby fills)."""
        quest = self.state.quest
        if quest.phase in ("starting", "playing") or self.session.signed_out:
            return
        key = quest.event_key
        if quest.phase == "finished":
            self.state.quest = quest = QuestState(event_key=key)
        quest.phase = "starting"
        quest.message = ""
        handle = self.session.call(
            lambda: self.component.events.start(key),
            lambda response: self._started(key, response),
            lambda error: self._start_failed(key, error),
        )
        offline = self.component.online is False or self.session.emulator.link_cut
        placeholder = None if handle is None or handle.done else handle.provisional_attempt_id
        if placeholder and offline:
            # Offline: play now under the outbox's placeholder; the sync resolves it.
            quest.provisional_id = placeholder
            quest.fired = []
            quest.taps = 0
            quest.phase = "playing"
            self.app.notify("Offline run: progress waits in the outbox", "warn")

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
        if self._lobby_watcher is not None:
            with self.meter.measure():
                self._lobby_watcher.stop()
            self._lobby_watcher = None
        if attempt.player_id:
            self.session.boards.self_ids.add(attempt.player_id)
            # the widget marks rows of this participant id as the player's own
            self.session.boards.mini_board.self_participant_id = attempt.player_id
        board_id = response.leaderboard_id or attempt.leaderboard_id
        if board_id:
            self.session.boards.watch(board_id)
        self.session.schedule("player")
        self.session.schedule("events")

    def _start_failed(self, key: str, error: BaseException) -> None:
        quest = self.state.quest
        if quest.event_key != key:
            return
        if is_lobby_forming(error) and isinstance(error, KratyApiError):
            lobby_id = str((error.details or {}).get("lobbyId", ""))
            quest.phase = "lobby"
            quest.lobby_id = lobby_id or None
            if lobby_id and self._lobby_watcher is None and not self.session.closing:
                self.lobby_bar = LobbyBar(lobby_id, self.session.widget_theme)
                self.session.call(lambda: self.component.lobbies.read(lobby_id), self._got_lobby)
                with self.meter.measure():
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
                    until = now + (self.session.seconds_until(listing.ends_at) or 86400.0)
                self.exhausted_until[slot] = until
        self.app.notify(f"Start {key}: {describe_error(error)}", "bad")
        self.app.assets.play("error")

    def _got_lobby(self, lobby: Lobby) -> None:
        quest = self.state.quest
        if quest.lobby_id == lobby.id:
            quest.lobby = lobby
            self.lobby_bar.set_lobby(lobby)

    def on_lobby(self, event: pygame.event.Event) -> None:
        lobby: Lobby = event.lobby
        quest = self.state.quest
        if quest.lobby_id != lobby.id:
            return
        quest.lobby = lobby
        if event.active and quest.phase == "lobby":
            self._lobby_watcher = None
            quest.phase = "idle"
            self.app.notify("Lobby full: the match starts!", "good")
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
        self.session.call(
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
            self.app.notify(
                f"Attempt {attempt.status}: score {rules.format_score(attempt.score)}", "good"
            )
            self.session.schedule("events")
            self.session.schedule("player", 0.3)

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
        self.session.call(lambda: self.component.events.finish(key, attempt_id), self._finished)

    def _finished(self, response: FinishAttemptResponse) -> None:
        quest = self.state.quest
        if response.attempt.id != quest.attempt_id:
            return
        quest.attempt = response.attempt
        quest.phase = "finished"
        quest.outcome = response.outcome or response.attempt.status
        quest.unconfirmed_taps = 0
        self.app.notify(f"Run finished: {quest.outcome}", "good")
        self.session.schedule("events")
        self.session.schedule("player", 0.3)

    def metric(self) -> float:
        """The primary metric including taps not confirmed yet."""
        quest = self.state.quest
        listing = self.state.listing(quest.event_key)
        key = listing.metric_keys[0] if listing is not None and listing.metric_keys else ""
        return quest.metric_value(key) + quest.unconfirmed_taps

    def score(self) -> float:
        """The score including taps not confirmed yet (optimistic, one point per tap)."""
        quest = self.state.quest
        return quest.confirmed_score + (quest.unconfirmed_taps if quest.phase == "playing" else 0)
