"""Lobby read (API key only)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import lobbies
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.routes._common import ClientKey
from kraty_pygame.emulator.runtime import runtime_of

router = APIRouter(tags=["lobbies"])


@router.get("/sdk/v1/lobbies/{lobby_id}")
async def read_lobby(
    request: Request,
    lobby_id: str,
    key: ClientKey,
) -> Response:
    """The lobby with ``botSlots`` projected at read time."""
    rt = runtime_of(request)
    del key
    with rt.store.write() as tx:
        return responses.ok(lobbies.read(tx, board_services(rt), lobby_id, rt.now()))
