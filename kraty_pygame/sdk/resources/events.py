"""``kraty.events``: list, start, progress and finish event attempts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.models._base import decode_list
from kraty_pygame.sdk.models.events import (
    EventListing,
    FinishAttemptResponse,
    ProgressInput,
    ProgressMode,
    ProgressResponse,
    StartAttemptResponse,
    check_progress_mode,
)
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["EventsClient", "progress_input"]


def _listings(data: Any) -> list[EventListing]:
    return decode_list(EventListing, data, "data")


def progress_input(
    input: ProgressInput | None,
    *,
    mode: object = None,
    metric_value: float | None = None,
    metrics: Mapping[str, float] | None = None,
    occurred_at: str | None = None,
) -> ProgressInput:
    """The :class:`ProgressInput` of an ``events.progress`` call, checked before sending.

    The component calls this on the game's thread, so a missing or wrong ``mode``
    raises at the call instead of arriving later as a failed request.

    Raises:
        KratyConfigError: ``mode`` is missing or not ``"set"`` / ``"increment"``.
        TypeError: both ``input`` and keyword fields were given, or ``input`` is not a
            ``ProgressInput``.
    """
    if input is None:
        check_progress_mode(mode)
        return ProgressInput(
            mode=mode,  # type: ignore[arg-type]  # checked just above
            metric_value=metric_value,
            metrics=dict(metrics) if metrics is not None else None,
            occurred_at=occurred_at,
        )
    if not isinstance(input, ProgressInput):
        raise TypeError(
            f"progress(): input must be a ProgressInput, got {type(input).__name__}; "
            "or pass mode=..., metric_value=... as keywords"
        )
    if (
        mode is not None
        or metric_value is not None
        or metrics is not None
        or (occurred_at is not None)
    ):
        raise TypeError("progress(): pass either a ProgressInput or keyword fields, not both")
    return input


class EventsClient(ResourceClient):
    """Event attempts of the active player (or of ``as_``)."""

    # Set by the facade: records the attempt's board so that a board which ends while
    # the game is away is still reported (docs/leaderboards.md). Called as
    # (as_, event_key, leaderboard_id); never raises.
    on_started: Callable[[str | None, str, str], None] | None = None

    @operation(
        "events",
        write=False,
        http="GET /players/{player}/events",
        official="events.listForPlayer({as})",
    )
    def list_for_player(self, *, as_: str | None = None) -> list[EventListing]:
        """Events whose current window the player can start now.

        Args:
            as_: address this player id instead of the active player (tooling).
        """
        return self._client.request_decoded(*self._route(as_), _listings)

    @operation(
        "events",
        write=True,
        durable=True,
        http="POST /players/{player}/events/{event_key}/start",
        official="events.start(eventKey, {playerContext, as})",
    )
    def start(
        self,
        event_key: str,
        *,
        player_context: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> StartAttemptResponse:
        """Start an attempt, paying the entry cost atomically.

        Args:
            player_context: free-form values for score formulas and segmentation.
            idempotency_key: replaying the same key returns the same attempt (charged once).

        Raises:
            KratyApiError: ``is_lobby_forming`` (status 202, ``details["lobbyId"]`` to poll),
                ``is_insufficient_entry_cost`` (402), ``is_entry_requirement_failed`` /
                ``is_unlock_condition_failed`` (403), ``is_no_active_window`` /
                ``is_event_disabled`` (409), ``is_max_attempts_reached`` /
                ``is_max_daily_attempts_reached`` (429).
        """
        body: dict[str, Any] = {}
        if player_context is not None:
            body["playerContext"] = dict(player_context)
        started = self._client.request_decoded(
            *self._route(as_, event_key=event_key),
            StartAttemptResponse.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )
        if self.on_started is not None:
            self.on_started(as_, event_key, started.leaderboard_id)
        return started

    @operation(
        "events",
        write=True,
        durable=True,
        merge=True,
        http="POST /players/{player}/events/{event_key}/attempts/{attempt_id}/progress",
        official="events.progress(eventKey, attemptId, input, {as})",
    )
    def progress(
        self,
        event_key: str,
        attempt_id: str,
        input: ProgressInput | None = None,
        *,
        mode: ProgressMode | None = None,
        metric_value: float | None = None,
        metrics: Mapping[str, float] | None = None,
        occurred_at: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> ProgressResponse:
        """Report progress: ``mode="set"`` overwrites a metric, ``mode="increment"`` adds.

        Pass a :class:`ProgressInput` or its fields as keywords (not both). ``mode`` is
        required either way: there is no default (see ``docs/api-notes.md``). The
        response lists only the milestones crossed by this update; once the attempt
        has ended (``response.attempt.is_in_progress`` is False) further calls fail
        with 409 ``attempt_finished``.

        Raises:
            KratyApiError: ``is_attempt_finished`` (409), ``is_invalid_metric`` /
                ``is_validation_failed`` (400), ``is_not_found`` (404).
            KratyConfigError: ``mode`` is missing or not ``"set"`` / ``"increment"``
                (raised before anything is sent).
            TypeError: both ``input`` and keyword fields were given.
        """
        input = progress_input(
            input, mode=mode, metric_value=metric_value, metrics=metrics, occurred_at=occurred_at
        )
        return self._client.request_decoded(
            *self._route(as_, event_key=event_key, attempt_id=attempt_id),
            ProgressResponse.from_wire,
            body=input.to_body(),
            idempotency_key=idempotency_key or input.idempotency_key,
        )

    @operation(
        "events",
        write=True,
        durable=True,
        http="POST /players/{player}/events/{event_key}/attempts/{attempt_id}/finish",
        official="events.finish(eventKey, attemptId) (v0.10)",
    )
    def finish(
        self,
        event_key: str,
        attempt_id: str,
        *,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> FinishAttemptResponse:
        """End an in-progress attempt now, locking in its score (v0.10.0+).

        ``outcome`` is ``completed`` (no target, or target met) or ``expired``;
        collect any rewards afterwards with ``grants.collect_all()``.

        Raises:
            KratyApiError: ``is_attempt_finished`` (409) when it already ended.
        """
        return self._client.request_decoded(
            *self._route(as_, event_key=event_key, attempt_id=attempt_id),
            FinishAttemptResponse.from_wire,
            body={},
            idempotency_key=idempotency_key,
        )
