"""``/server/v1`` gameplay: progress, finish, create a lobby, read a lobby."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import lobbies, players, windows
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.routes._common import (
    EmptyBody,
    ServerKey,
    StrictBody,
    open_write,
    server_write,
)
from kraty_pygame.emulator.routes.events import (
    ProgressBody,
    event_or_404,
    finish_handler,
    progress_handler,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["server"])

_ATTEMPT = "/server/v1/players/{external_id}/events/{event_key}/attempts/{attempt_id}"


class LobbyBody(StrictBody):
    """``key`` is the studio's idempotency token for the lobby."""

    key: str = Field(min_length=1, max_length=128)
    externalPlayerIds: list[str] = Field(min_length=1, max_length=100)
    capacity: int | None = Field(default=None, ge=1, le=100)
    fillBots: bool | None = None


def _game(rt: EmulatorRuntime, game_id: str) -> None:
    if game_id != rt.config.game.id:
        raise not_found(f"game {game_id!r}")


@router.post(f"{_ATTEMPT}/progress")
async def server_progress(
    request: Request,
    *,
    external_id: str,
    event_key: str,
    attempt_id: str,
    body: ProgressBody,
    key: ServerKey,
) -> Response:
    """Progress on behalf of a player (no player secret)."""
    handler = progress_handler(runtime_of(request), event_key, attempt_id, body)
    return await server_write(request, key, handler)


@router.post("/server/v1/games/{game_id}/events/{event_key}/lobbies", status_code=201)
async def create_lobby(
    request: Request,
    *,
    game_id: str,
    event_key: str,
    body: LobbyBody,
    key: ServerKey,
) -> Response:
    """A pre-matched, already active lobby (same ``key`` -> the same lobby)."""
    rt = runtime_of(request)

    def handler(tx: Transaction, _: None) -> tuple[int, Any]:
        _game(rt, game_id)
        event = event_or_404(rt, event_key)
        if not event.is_lobby_matched:
            raise ApiError("conflict", f"event {event_key!r} is not lobby-matched")
        now = rt.now()
        window = windows.active_window(tx.conn, rt, event, now)
        if window is None:
            raise ApiError("no_active_window", f"event {event_key!r} has no open window")
        ids = [players.ensure_player(tx, rt, ext, now).id for ext in body.externalPlayerIds]
        row = lobbies.server_create(
            tx,
            rt,
            event=event,
            window=window,
            key=body.key,
            player_ids=ids,
            capacity=body.capacity,
            fill_bots=body.fillBots,
            now=now,
        )
        return 201, lobbies.dto(tx.conn, row, now)

    return await open_write(request, key, handler)


@router.post(f"{_ATTEMPT}/finish")
async def server_finish(
    request: Request,
    *,
    external_id: str,
    event_key: str,
    attempt_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """Finish on behalf of a player."""
    del body
    handler = finish_handler(runtime_of(request), event_key, attempt_id)
    return await server_write(request, key, handler)


@router.get("/server/v1/games/{game_id}/lobbies/{lobby_id}")
async def read_lobby(
    request: Request,
    game_id: str,
    lobby_id: str,
    key: ServerKey,
) -> Response:
    """Read a lobby."""
    rt = runtime_of(request)
    del key
    _game(rt, game_id)
    with rt.store.write() as tx:
        return responses.ok(lobbies.read(tx, board_services(rt), lobby_id, rt.now()))
