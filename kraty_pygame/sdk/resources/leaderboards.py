"""``kraty.leaderboards``: keyed cross-event boards.

Since v0.4.1 ``/sdk/v1/leaderboards/{key}`` takes a board *key*; per-event boards
(the seed's ``leaderboards.read(start.leaderboardId)``) are ``event_leaderboards``
(see docs/seed-names.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.models.leaderboards import (
    BoardStandings,
    Leaderboard,
    LeaderboardPeriods,
    LeaderboardScoreResult,
)
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["LeaderboardsClient", "StandingsScope"]

StandingsScope = Literal["all", "self_segment", "mine", "segment"]


def _keys(progression: Sequence[str] | None) -> list[str] | None:
    if progression is None:
        return None
    if isinstance(progression, str):
        return [progression]
    return list(progression)


class LeaderboardsClient(ResourceClient):
    """Designer-configured boards addressed by key (``"weekly_global"``): periods, segments."""

    @operation(
        "leaderboards",
        write=False,
        http="GET /leaderboards/{key}",
        official="leaderboards.read(key, {…}) (v0.4.1)",
    )
    def read(
        self,
        key: str,
        *,
        limit: int | None = None,
        segment: str | None = None,
        period: str | None = None,
        include_self: bool = False,
        external_id: str | None = None,
        progression: Sequence[str] | None = None,
    ) -> Leaderboard:
        """Snapshot of a keyed board.

        Args:
            segment: the bucket of a ``context``-segmented board (omit for progression
                boards: the server derives the division; ignored when unsegmented).
            period: ``"current"`` (default) or a ``period_started_at`` from ``list_periods``.
            include_self: also return ``self_entry`` (live periods only); without
                ``external_id`` this resolves the active player, registering it if needed.
            progression: economy keys each player entry should carry.

        Raises:
            KratyApiError: ``is_not_found`` (404), ``is_validation_failed`` (400, e.g.
                an unknown segment bucket).
        """
        query: dict[str, Any] = {
            "limit": limit,
            "progression": _keys(progression),
            "segment": segment,
            "period": period,
        }
        if include_self:
            query["includeSelf"] = True
            query["externalId"] = external_id or self._identity.ensure().external_player_id
        elif external_id is not None:
            query["externalId"] = external_id
        data = self._client.request_data(*self._route(key=key), query=query)
        return Leaderboard.from_wire(data, "data")

    @operation(
        "leaderboards",
        write=False,
        http="GET /leaderboards/{key}/periods",
        official="leaderboards.listPeriods(key, {limit}) (v0.4.1)",
    )
    def list_periods(self, key: str, *, limit: int | None = None) -> LeaderboardPeriods:
        """Past periods of a keyed board, newest first (see also ``current_period_started_at``)."""
        data = self._client.request_data(*self._route(key=key), query={"limit": limit})
        return LeaderboardPeriods.from_wire(data, "data")

    @operation(
        "leaderboards",
        write=True,
        durable=True,
        http="POST /players/{player}/leaderboards/{key}/score",
        official="leaderboards.submitScore(key, value, {…}) (v0.5)",
    )
    def submit_score(
        self,
        key: str,
        value: float,
        *,
        segment: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> LeaderboardScoreResult:
        """Submit a score for the player (the board's aggregation decides what counts).

        Raises:
            KratyApiError: ``is_client_scoring_disabled`` (403, a server-only board),
                ``is_score_not_supported`` (400, progression-ranked board),
                ``is_not_found`` (404), ``is_validation_failed`` (400).
        """
        body: dict[str, Any] = {"value": value}
        if segment is not None:
            body["segment"] = segment
        return self._client.request_decoded(
            *self._route(as_, key=key),
            LeaderboardScoreResult.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )

    @operation(
        "leaderboards",
        write=True,
        http="POST /players/{player}/leaderboards/{key}/join",
        official="leaderboards.join(key, {…}) (v0.6)",
    )
    def join(
        self,
        key: str,
        *,
        segment: str | None = None,
        limit: int | None = None,
        as_: str | None = None,
    ) -> Leaderboard:
        """Enter the board at score 0 without scoring (idempotent, never resets a score).

        Returns the board of the player's segment with ``joined`` True and ``self_entry``.
        """
        body: dict[str, Any] = {}
        if segment is not None:
            body["segment"] = segment
        return self._client.request_decoded(
            *self._route(as_, key=key),
            Leaderboard.from_wire,
            body=body,
            query={"limit": limit},
        )

    @operation(
        "leaderboards",
        write=False,
        http="GET /leaderboards/{key}/standings",
        official="leaderboards.standings(key, {…}) (v0.6)",
    )
    def standings(
        self,
        key: str,
        *,
        scope: StandingsScope = "all",
        segment: str | None = None,
        period: str | None = None,
        external_id: str | None = None,
        limit: int | None = None,
        max_segments: int | None = None,
        progression: Sequence[str] | None = None,
    ) -> BoardStandings:
        """Standings across segments (divisions or context buckets).

        Args:
            scope: ``all`` segments, the caller's (``self_segment``), the ones the caller
                took part in (``mine``), or one ``segment``. The first two resolve the
                active player unless ``external_id`` is given.
            limit: entries per segment (1-200). ``max_segments``: 1-100.
        """
        if external_id is None and scope in ("self_segment", "mine"):
            external_id = self._identity.ensure().external_player_id
        query: dict[str, Any] = {
            "scope": scope,
            "segment": segment,
            "period": period,
            "limit": limit,
            "maxSegments": max_segments,
            "progression": _keys(progression),
            "externalId": external_id,
        }
        data = self._client.request_data(*self._route(key=key), query=query)
        return BoardStandings.from_wire(data, "data")
