"""Player registration (and secret rotation via ``force``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import players
from kraty_pygame.emulator.routes._common import ClientKey, StrictBody, open_write
from kraty_pygame.emulator.runtime import runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["players"])


class RegisterBody(StrictBody):
    """``{}`` plus the auto-stamped ``idempotencyKey``."""


@router.post("/sdk/v1/players/{external_id}/register", status_code=201)
async def register(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    body: RegisterBody | None = None,
    force: bool = False,
) -> Response:
    """Register a player (201 ``PlayerRegistration``); ``force=true`` rotates (non-live keys)."""
    rt = runtime_of(request)

    def handler(tx: Transaction, _: None) -> tuple[int, object]:
        return 201, players.register(
            tx, rt, external_id=external_id, force=force, key=key, now=rt.now()
        )

    return await open_write(request, key, handler, external_id=external_id)
