"""Event leaderboards: read a board, its live stream, and joining it.

SSE framing: LF line endings, ``event:`` + one ``data:`` line of JSON,
a blank line after each event, a ``: connected`` comment first and a ``: hb``
comment every ``sse_heartbeat_s`` seconds (see ``streams/sse.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.domain.leaderboards import board_views, event_boards
from kraty_pygame.emulator.domain.leaderboards.keyed_boards import BoardError
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import ClientKey, Runtime, player_write
from kraty_pygame.emulator.runtime import EmulatorRuntime
from kraty_pygame.emulator.store import Transaction
from kraty_pygame.emulator.streams.broadcast import comment, encode_event
from kraty_pygame.emulator.streams.sse import SubscriptionStream

router = APIRouter(tags=["event-leaderboards"])

_log = logging.getLogger(__name__)


LimitQuery = Annotated[str | None, Query(description="1-200, default 50")]
SelfQuery = Annotated[str | None, Query(alias="includeSelf", description="true | false")]
ExternalQuery = Annotated[str | None, Query(alias="externalId")]
ProgressionQuery = Annotated[str | None, Query(description="economy keys, comma-separated")]


def api_error(err: BoardError) -> ApiError:
    """A board error as the emulator's error envelope."""
    return ApiError(err.code, err.message, err.details)


# ------------------------------------------------------------------------ reads


@dataclass(frozen=True)
class BoardQuery:
    """The query of a board read (what a read does not take stays None)."""

    limit: str | None = None
    progression: str | None = None
    include_self: str | None = None
    external_id: str | None = None
    segment: str | None = None
    period: str | None = None


async def _event_board_query(
    limit: LimitQuery = None,
    include_self: SelfQuery = None,
    external_id: ExternalQuery = None,
    progression: ProgressionQuery = None,
) -> BoardQuery:
    return BoardQuery(
        limit=limit, progression=progression, include_self=include_self, external_id=external_id
    )


EventBoardQuery = Annotated[BoardQuery, Depends(_event_board_query)]


def read_event_board(rt: EmulatorRuntime, leaderboard_id: str, query: BoardQuery) -> Response:
    """The ``EventLeaderboard`` snapshot (404 for an unknown board)."""
    limit, include_self, external_id = query.limit, query.include_self, query.external_id
    progression = query.progression
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
        want_self = board_views.parse_bool(include_self, "includeSelf")
        keys = board_views.parse_progression(progression)
    except BoardError as err:
        raise api_error(err) from None
    if want_self and not external_id:
        raise ApiError(
            "validation_failed",
            "includeSelf=true needs externalId",
            {"errors": [{"path": "externalId", "message": "required with includeSelf"}]},
        )
    with rt.store.write() as tx:
        now = rt.now()
        board = event_boards.resolve(tx.conn, rt, leaderboard_id, now)
        if board is None:
            raise not_found(f"leaderboard {leaderboard_id!r}")
        board = event_boards.refresh(tx, board_services(rt), board, now)
        data = event_boards.snapshot(
            tx.conn,
            board,
            limit=count,
            self_external_id=external_id if want_self else None,
            progression=keys,
        )
    return responses.ok(data)


@router.get("/sdk/v1/event-leaderboards/{leaderboard_id}")
async def read(
    leaderboard_id: str, key: ClientKey, rt: Runtime, query: EventBoardQuery
) -> Response:
    """Read an event board (top ``limit`` entries, optional self row)."""
    del key
    return read_event_board(rt, leaderboard_id, query)


# ----------------------------------------------------------------------- stream


def open_stream(rt: EmulatorRuntime, leaderboard_id: str) -> Response:
    """Subscribe first, then check the board, so no update is missed."""
    sub = rt.broadcaster.subscribe(leaderboard_id)
    try:
        with rt.store.write() as tx:
            now = rt.now()
            board = event_boards.resolve(tx.conn, rt, leaderboard_id, now)
            if board is None:
                raise not_found(f"leaderboard {leaderboard_id!r}")
            board = event_boards.refresh(tx, board_services(rt), board, now)
    except BaseException:
        sub.close()
        raise
    first = comment("connected") + encode_event(
        "ready", {"leaderboardId": leaderboard_id, "serverTime": iso(now)}
    )
    if board.finalized:
        first += encode_event("closed", {"reason": "finalized"})
    return SubscriptionStream(sub, first, heartbeat_s=rt.heartbeat_s(), ended=board.finalized)


@router.get("/sdk/v1/event-leaderboards/{leaderboard_id}/stream")
async def stream(leaderboard_id: str, key: ClientKey, rt: Runtime) -> Response:
    """Live ``ready`` / ``score_update`` / ``finalized`` / ``closed`` events (SSE)."""
    del key
    return open_stream(rt, leaderboard_id)


# ------------------------------------------------------------------------- join


@router.post("/sdk/v1/players/{external_id}/event-leaderboards/{leaderboard_id}/join")
async def join(
    request: Request,
    *,
    external_id: str,
    leaderboard_id: str,
    key: ClientKey,
    rt: Runtime,
    limit: LimitQuery = None,
    body: dict[str, Any] | None = None,
) -> Response:
    """Enrol in an event board at score 0 (idempotent; 409 once finalized)."""
    del body
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
    except BoardError as err:
        raise api_error(err) from None

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        now = rt.now()
        board = event_boards.resolve(tx.conn, rt, leaderboard_id, now)
        if board is None:
            raise not_found(f"leaderboard {leaderboard_id!r}")
        board = event_boards.refresh(tx, board_services(rt), board, now)
        try:
            event_boards.join(
                tx,
                board_services(rt),
                board,
                player_id=player.id,
                external_id=player.external_id,
                name=player.name,
                now=now,
            )
        except BoardError as err:
            raise api_error(err) from None
        data = event_boards.snapshot(
            tx.conn, board, limit=count, self_external_id=player.external_id
        )
        data["joined"] = True
        return 200, data

    return await player_write(request, key, handler)
