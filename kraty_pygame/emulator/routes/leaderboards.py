"""Keyed leaderboards and the seed meaning of ``/sdk/v1/leaderboards/{x}``.

``GET /sdk/v1/leaderboards/{x}`` serves both meanings: an existing
event-board id answers the ``EventLeaderboard`` shape (seed meaning, logged once as
deprecated), a configured board key the keyed ``Leaderboard`` shape, anything else
404. ``/sdk/v1/shared-leaderboards/{key}`` (+ ``/periods``) are aliases of the keyed
routes for pre-v0.4.1 clients.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.config.models import EVENT_BOARD_ID_RE, LeaderboardConfig
from kraty_pygame.emulator.domain.leaderboards import board_views, event_boards, keyed_segments
from kraty_pygame.emulator.domain.leaderboards.boards import Transaction
from kraty_pygame.emulator.domain.leaderboards.keyed_boards import (
    BoardError,
    PlayerRef,
    join,
    past_periods,
    resolve_period,
    submit_score,
    sync_progression,
)
from kraty_pygame.emulator.errors import not_found
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    Runtime,
    ServerKey,
    StrictBody,
    player_write,
    server_write,
)
from kraty_pygame.emulator.routes.event_boards import (
    BoardQuery,
    ExternalQuery,
    LimitQuery,
    ProgressionQuery,
    SelfQuery,
    api_error,
    open_stream,
    read_event_board,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime

router = APIRouter(tags=["leaderboards"])

_log = logging.getLogger(__name__)

SegmentQuery = Annotated[str | None, Query(description="bucket or division")]
PeriodQuery = Annotated[str | None, Query(description="'current' or an ISO periodStartedAt")]
ScopeQuery = Annotated[str | None, Query(description="all | self_segment | mine | segment")]
MaxSegmentsQuery = Annotated[str | None, Query(alias="maxSegments", description="1-100")]

STANDINGS_SCOPES = ("all", "self_segment", "mine", "segment")


class ScoreBody(StrictBody):
    """A client score submission."""

    value: float = Field(allow_inf_nan=False)
    segment: str | None = None


class ServerScoreBody(ScoreBody):
    """A server score submission."""

    externalPlayerId: str = Field(min_length=1)


class JoinBody(StrictBody):
    """Joining a keyed board."""

    segment: str | None = None


def _board(rt: EmulatorRuntime, key: str) -> LeaderboardConfig:
    board = rt.config.leaderboard(key)
    if board is None:
        raise not_found(f"leaderboard {key!r}")
    return board


def _tz(rt: EmulatorRuntime) -> str:
    return rt.config.game.timezone or "UTC"


def _prepare(
    tx: Transaction,
    *,
    rt: EmulatorRuntime,
    board: LeaderboardConfig,
    period: str,
    now: datetime,
    live: bool,
) -> None:
    """Live partitions are brought up to date (progression balances) before reading."""
    if live and keyed_segments.segmentation_kind(board) == "progression":
        sync_progression(tx.conn, board, period, now, tz=_tz(rt))


async def _keyed_query(
    *,
    limit: LimitQuery = None,
    progression: ProgressionQuery = None,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    include_self: SelfQuery = None,
    external_id: ExternalQuery = None,
) -> BoardQuery:
    return BoardQuery(
        limit=limit,
        progression=progression,
        include_self=include_self,
        external_id=external_id,
        segment=segment,
        period=period,
    )


KeyedQuery = Annotated[BoardQuery, Depends(_keyed_query)]


def read_keyed(rt: EmulatorRuntime, key: str, query: BoardQuery) -> Response:
    """One (period, segment) partition of a keyed board."""
    limit, progression, segment = query.limit, query.progression, query.segment
    period, include_self, external_id = query.period, query.include_self, query.external_id
    board = _board(rt, key)
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
        keys = board_views.parse_progression(progression)
        want_self = board_views.parse_bool(include_self, "includeSelf")
        with rt.store.write() as tx:
            now = rt.now()
            period_key, live = resolve_period(board.reset_cadence, period, now, _tz(rt))
            _prepare(tx, rt=rt, board=board, period=period_key, now=now, live=live)
            self_id = (
                event_boards.player_id_of(tx.conn, external_id) if want_self and live else None
            )
            seg = keyed_segments.read_segment(tx.conn, board, segment, self_id)
            if live:
                keyed_segments.ensure_partition(
                    tx.conn,
                    board=board,
                    period=period_key,
                    segment=seg,
                    seed_bots=rt.config.seed_bots,
                    now=now,
                )
            data = board_views.keyed_board(
                tx.conn,
                board,
                period=period_key,
                segment=seg,
                limit=count,
                self_id=self_id,
                progression=keys,
            )
    except BoardError as err:
        raise api_error(err) from None
    return responses.ok(data)


@router.get("/sdk/v1/leaderboards/{board}")
async def read(board: str, key: ClientKey, rt: Runtime, query: KeyedQuery) -> Response:
    """A keyed board read or, for an event-board id, the older event-board read."""
    del key
    if EVENT_BOARD_ID_RE.match(board) and _is_event_board(rt, board):
        if not rt.seed_path_logged:
            rt.seed_path_logged = True
            _log.warning(
                "GET /sdk/v1/leaderboards/<event board id> is the pre-v0.4.1 path; "
                "use /sdk/v1/event-leaderboards/<id>"
            )
        return read_event_board(rt, board, query)
    return read_keyed(rt, board, query)


def _is_event_board(rt: EmulatorRuntime, leaderboard_id: str) -> bool:
    with rt.store.write() as tx:
        return event_boards.resolve(tx.conn, rt, leaderboard_id, rt.now()) is not None


@router.get("/sdk/v1/shared-leaderboards/{board}")
async def read_shared(board: str, key: ClientKey, rt: Runtime, query: KeyedQuery) -> Response:
    """Older alias of the keyed board read."""
    del key
    return read_keyed(rt, board, query)


@router.get("/sdk/v1/leaderboards/{board}/stream")
async def seed_stream(board: str, key: ClientKey, rt: Runtime) -> Response:
    """The older stream path: only event boards ever had a stream (keyed keys get 404)."""
    del key
    return open_stream(rt, board)


def periods_of(rt: EmulatorRuntime, key: str, limit: str | None) -> Response:
    """Past periods, newest first."""
    board = _board(rt, key)
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
    except BoardError as err:
        raise api_error(err) from None
    with rt.store.read() as conn:
        now = rt.now()
        current, _ = resolve_period(board.reset_cadence, None, now, _tz(rt))
        periods = past_periods(conn, board, now, limit=count, tz=_tz(rt))
    data = board_views.keyed_identity(board)
    data.update({"currentPeriodStartedAt": current, "periods": periods})
    return responses.ok(data)


@router.get("/sdk/v1/leaderboards/{board}/periods")
async def periods(board: str, key: ClientKey, rt: Runtime, limit: LimitQuery = None) -> Response:
    """Past periods of a keyed board."""
    del key
    return periods_of(rt, board, limit)


@router.get("/sdk/v1/shared-leaderboards/{board}/periods")
async def shared_periods(
    board: str, key: ClientKey, rt: Runtime, limit: LimitQuery = None
) -> Response:
    """Older alias of the past-periods read."""
    del key
    return periods_of(rt, board, limit)


@router.get("/sdk/v1/leaderboards/{board}/standings")
async def standings(
    board: str,
    *,
    key: ClientKey,
    rt: Runtime,
    scope: ScopeQuery = None,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    limit: LimitQuery = None,
    max_segments: MaxSegmentsQuery = None,
    progression: ProgressionQuery = None,
    external_id: ExternalQuery = None,
) -> Response:
    """Several segments of one period at once."""
    del key
    cfg = _board(rt, board)
    selection = scope or "all"
    try:
        if selection not in STANDINGS_SCOPES:
            raise BoardError(
                "validation_failed",
                f"scope must be one of {', '.join(STANDINGS_SCOPES)}",
                {"errors": [{"path": "scope", "message": "unknown scope"}]},
            )
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
        most = board_views.parse_int(max_segments, "maxSegments", default=20, low=1, high=100)
        keys = board_views.parse_progression(progression)
        with rt.store.write() as tx:
            now = rt.now()
            period_key, live = resolve_period(cfg.reset_cadence, period, now, _tz(rt))
            _prepare(tx, rt=rt, board=cfg, period=period_key, now=now, live=live)
            self_id = event_boards.player_id_of(tx.conn, external_id)
            if selection in ("self_segment", "mine") and not external_id:
                raise BoardError(
                    "validation_failed",
                    f"scope={selection} needs externalId",
                    {"errors": [{"path": "externalId", "message": "required"}]},
                )
            chosen = keyed_segments.standings_segments(
                tx.conn,
                board=cfg,
                selection=selection,
                segment=segment,
                self_id=self_id,
                period=period_key,
            )
            data = board_views.keyed_identity(cfg)
            data.update(
                {
                    "period": period_key,
                    "progression": keyed_segments.progression_limits(cfg),
                    "segments": [
                        board_views.standings_segment(
                            tx.conn,
                            cfg,
                            period=period_key,
                            segment=seg,
                            limit=count,
                            self_id=self_id,
                            progression=keys,
                        )
                        for seg in chosen[:most]
                    ],
                    "segmentsTruncated": len(chosen) > most,
                }
            )
    except BoardError as err:
        raise api_error(err) from None
    return responses.ok(data)


# ----------------------------------------------------------------------- writes


def _submit(
    rt: EmulatorRuntime,
    tx: Transaction,
    board: LeaderboardConfig,
    player: auth.PlayerRow,
    body: ScoreBody,
    *,
    server: bool,
) -> tuple[int, Any]:
    ref = PlayerRef(player.id, player.external_id, player.name)
    try:
        result = submit_score(
            tx.conn,
            board,
            ref,
            value=body.value,
            segment=body.segment,
            now=rt.now(),
            seed_bots=rt.config.seed_bots,
            tz=_tz(rt),
            server=server,
        )
    except BoardError as err:
        raise api_error(err) from None
    return 200, result.payload()


@router.post("/sdk/v1/players/{external_id}/leaderboards/{board}/score")
async def submit(
    request: Request,
    external_id: str,
    board: str,
    *,
    body: ScoreBody,
    key: ClientKey,
    rt: Runtime,
) -> Response:
    """Submit a score (403 ``client_scoring_disabled``, 400 ``score_not_supported``)."""
    cfg = _board(rt, board)
    return await player_write(
        request, key, lambda tx, player: _submit(rt, tx, cfg, player, body, server=False)
    )


@router.post("/server/v1/leaderboards/{board}/score")
async def server_submit(
    request: Request, board: str, body: ServerScoreBody, key: ServerKey, rt: Runtime
) -> Response:
    """The server-authoritative score (client_scoring does not apply)."""
    cfg = _board(rt, board)

    return await server_write(
        request,
        key,
        lambda tx, player: _submit(rt, tx, cfg, player, body, server=True),
        external_id=body.externalPlayerId,
    )


@router.post("/sdk/v1/players/{external_id}/leaderboards/{board}/join")
async def join_board(
    request: Request,
    external_id: str,
    board: str,
    *,
    key: ClientKey,
    rt: Runtime,
    limit: LimitQuery = None,
    body: JoinBody | None = None,
) -> Response:
    """Enrol at score 0 in the caller's segment (idempotent, never resets)."""
    cfg = _board(rt, board)
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
    except BoardError as err:
        raise api_error(err) from None
    segment = body.segment if body is not None else None

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
        now = rt.now()
        try:
            period, seg = join(
                tx.conn,
                cfg,
                PlayerRef(player.id, player.external_id, player.name),
                segment=segment,
                now=now,
                seed_bots=rt.config.seed_bots,
                tz=_tz(rt),
            )
        except BoardError as err:
            raise api_error(err) from None
        data = board_views.keyed_board(
            tx.conn, cfg, period=period, segment=seg, limit=count, self_id=player.id
        )
        data["joined"] = True
        return 200, data

    return await player_write(request, key, handler)
