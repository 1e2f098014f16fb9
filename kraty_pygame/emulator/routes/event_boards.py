"""Event leaderboards: E5' read, E6' live stream, E21 join (and the app wiring of boards).

``install(app, rt)`` gives the app its :class:`~kraty_pygame.emulator.streams.broadcast.Broadcaster`
(``rt.extensions["boards.broadcaster"]``), binds the boards runtime to the store so
the events routes' hooks can publish, and registers the lazy finalization sweep.

SSE framing (PROTOCOL E6): LF line endings, ``event:`` + one ``data:`` line of JSON,
a blank line after each event, a ``: connected`` comment first and a ``: hb``
comment every ``sse_heartbeat_s`` seconds (sse-starlette's own ping, configured to
send exactly that instead of its default CRLF ``: ping - <time>`` comments).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Send

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.domain import grants
from kraty_pygame.emulator.domain.leaderboards import board_views, event_boards, finalization
from kraty_pygame.emulator.domain.leaderboards.boards import (
    BoardsRuntime,
    Transaction,
    bind_runtime,
)
from kraty_pygame.emulator.domain.leaderboards.keyed_boards import (
    BoardError,
    PlayerRef,
    attempt_context,
    contribute,
)
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.http.idempotency import run_write
from kraty_pygame.emulator.routes._common import ClientKey, Runtime, body_dict
from kraty_pygame.emulator.runtime import EmulatorRuntime
from kraty_pygame.emulator.streams.broadcast import Broadcaster, comment, encode_event

router = APIRouter(tags=["event-leaderboards"])

_log = logging.getLogger(__name__)

EXTENSION_KEY = "boards.broadcaster"
RUNTIME_KEY = "boards.runtime"
DEFAULT_HEARTBEAT_S = 15.0

LimitQuery = Annotated[str | None, Query(description="1-200, default 50")]
SelfQuery = Annotated[str | None, Query(alias="includeSelf", description="true | false")]
ExternalQuery = Annotated[str | None, Query(alias="externalId")]
ProgressionQuery = Annotated[str | None, Query(description="economy keys, comma-separated")]


# ----------------------------------------------------------------------- wiring


def broadcaster(rt: EmulatorRuntime) -> Broadcaster:
    """The app's broadcaster (created by :func:`install`)."""
    hub = rt.extensions.get(EXTENSION_KEY)
    if not isinstance(hub, Broadcaster):
        hub = Broadcaster()
        rt.extensions[EXTENSION_KEY] = hub
    return hub


def heartbeat_s(rt: EmulatorRuntime) -> float:
    """Seconds between heartbeat comments (settings ``extra`` wins over the config)."""
    override = rt.settings.extra.get("sse_heartbeat_s")
    if isinstance(override, int | float) and override > 0:
        return float(override)
    value = getattr(rt.config.emulator, "sse_heartbeat_s", DEFAULT_HEARTBEAT_S)
    return float(value) if value and value > 0 else DEFAULT_HEARTBEAT_S


def _contribution(rt: EmulatorRuntime) -> Any:
    def feed(tx: Transaction, **kw: Any) -> None:
        player = PlayerRef(kw["player_id"], kw["external_player_id"], kw["display_name"])
        contribute(
            tx.conn,
            rt.config.leaderboards,
            player,
            event_key=kw["event_key"],
            attempt_score=kw["attempt_score"],
            board_best=kw["board_best"],
            previous_best=kw["previous_best"],
            now=kw["now"],
            seed_bots=rt.config.seed_bots,
            context=attempt_context(tx.conn, kw["player_id"], kw["event_key"]),
            tz=rt.config.game.timezone,
        )

    return feed


def install(app: FastAPI, rt: EmulatorRuntime) -> None:
    """Wire boards into one emulator app (called by ``create_app``)."""
    del app
    hub = broadcaster(rt)

    def create_grant(tx: Transaction, **kw: Any) -> Any:
        return grants.create_pending_grant(tx.conn, rt, **kw)

    runtime = BoardsRuntime(
        publisher=hub,
        board_factory=lambda conn, lb, _key, now: event_boards.resolve(conn, rt, lb, now),
        contribution=_contribution(rt),
        config_source=lambda: rt.config,
        create_grant=create_grant,
        event_id=event_boards.event_id,
    )
    rt.extensions[RUNTIME_KEY] = runtime  # keeps it alive for as long as the app
    with rt.store.read() as conn:
        bind_runtime(conn, runtime)
    rt.sweep_hooks.append(lambda tx, _rt, now: _sweep(tx, now))

    def on_reset(_rt: EmulatorRuntime) -> None:
        hub.close_all("reset")

    rt.reset_hooks.append(on_reset)
    rt.shutdown_hooks.append(lambda: hub.close_all("shutdown"))


def _sweep(tx: Transaction, now: Any) -> None:
    finalization.finalize_due(tx, now=now)


def api_error(err: BoardError) -> ApiError:
    """A board error as the emulator's error envelope."""
    return ApiError(err.code, err.message, err.details)


# ------------------------------------------------------------------------ reads


def read_event_board(
    rt: EmulatorRuntime,
    leaderboard_id: str,
    *,
    limit: str | None,
    include_self: str | None,
    external_id: str | None,
    progression: str | None,
) -> Response:
    """E5 / E5': the ``EventLeaderboard`` snapshot (404 for an unknown board)."""
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
        board = event_boards.refresh(tx, board, now)
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
    leaderboard_id: str,
    *,
    key: ClientKey,
    rt: Runtime,
    limit: LimitQuery = None,
    include_self: SelfQuery = None,
    external_id: ExternalQuery = None,
    progression: ProgressionQuery = None,
) -> Response:
    """E5': read an event board (top ``limit`` entries, optional self row)."""
    del key
    return read_event_board(
        rt,
        leaderboard_id,
        limit=limit,
        include_self=include_self,
        external_id=external_id,
        progression=progression,
    )


# ----------------------------------------------------------------------- stream


def _heartbeat() -> ServerSentEvent:
    return ServerSentEvent(comment="hb", sep="\n")


class _EventStream(EventSourceResponse):
    """sse-starlette's response without a cancel scope around every send.

    With no ``send_timeout`` the library still opens an anyio cancel scope per chunk;
    at a 1,000-subscriber fan-out that is a measurable share of the per-event cost.
    """

    async def _send_with_timeout(self, send: Send, message: Message) -> None:
        if self.send_timeout is None:
            await send(message)
            return
        await super()._send_with_timeout(send, message)


def open_stream(rt: EmulatorRuntime, leaderboard_id: str) -> Response:
    """E6 / E6': subscribe first, then check the board, so no update is missed."""
    hub = broadcaster(rt)
    sub = hub.subscribe(leaderboard_id)
    try:
        with rt.store.write() as tx:
            now = rt.now()
            board = event_boards.resolve(tx.conn, rt, leaderboard_id, now)
            if board is None:
                raise not_found(f"leaderboard {leaderboard_id!r}")
            board = event_boards.refresh(tx, board, now)
    except BaseException:
        sub.close()
        raise
    ready = encode_event("ready", {"leaderboardId": leaderboard_id, "serverTime": iso(now)})
    finalized = board.finalized

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield comment("connected") + ready
            if finalized:
                yield encode_event("closed", {"reason": "finalized"})
                return
            while batch := await sub.next_batch():
                yield batch[0].frame if len(batch) == 1 else b"".join(e.frame for e in batch)
        finally:
            sub.close()

    return _EventStream(
        frames(),
        # A HEAD request never iterates ``frames()``: close the subscription anyway.
        background=BackgroundTask(sub.close),
        ping=heartbeat_s(rt),
        sep="\n",
        ping_message_factory=_heartbeat,
    )


@router.get("/sdk/v1/event-leaderboards/{leaderboard_id}/stream")
async def stream(leaderboard_id: str, key: ClientKey, rt: Runtime) -> Response:
    """E6': live ``ready`` / ``score_update`` / ``finalized`` / ``closed`` events (SSE)."""
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
    """E21: enrol in an event board at score 0 (idempotent; 409 once finalized)."""
    del body
    raw = await body_dict(request)
    try:
        count = board_views.parse_int(limit, "limit", default=50, low=1, high=200)
    except BoardError as err:
        raise api_error(err) from None

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        now = rt.now()
        board = event_boards.resolve(tx.conn, rt, leaderboard_id, now)
        if board is None:
            raise not_found(f"leaderboard {leaderboard_id!r}")
        board = event_boards.refresh(tx, board, now)
        try:
            event_boards.join(
                tx,
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

    return run_write(
        rt,
        request,
        api_key=key.key,
        external_id=external_id,
        body=raw,
        authorize=lambda conn: auth.player_for_write(conn, request, external_id),
        handler=handler,
    )
