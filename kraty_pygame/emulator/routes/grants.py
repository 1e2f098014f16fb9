"""Grants: the pending list, claiming one, opening a crate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.config.models import ApiKeyConfig
from kraty_pygame.emulator.domain import grants
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import ClientKey, EmptyBody, player_write
from kraty_pygame.emulator.runtime import runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["grants"])


@router.get("/sdk/v1/players/{external_id}/pending-grants")
async def list_pending(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    limit: int = Query(default=50, ge=1, le=200),
) -> Response:
    """Pending grants, oldest first; ``[]`` for unknown players (never 404)."""
    rt = runtime_of(request)
    del key
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok([])
        return responses.ok(grants.list_pending(conn, player.id, rt.now(), limit))


async def _grant_write(request: Request, rt: Any, key: ApiKeyConfig, action: Any) -> Response:
    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
        return 200, action(tx.conn, rt, player.id, request.path_params["grant_id"], rt.now())

    return await player_write(request, key, handler)


@router.post("/sdk/v1/players/{external_id}/grants/{grant_id}/claim")
async def claim_grant(
    request: Request,
    *,
    external_id: str,
    grant_id: str,
    key: ClientKey,
    body: EmptyBody | None = None,
) -> Response:
    """Claim a reward grant (idempotent); deposits its entries."""
    rt = runtime_of(request)
    del body, grant_id
    return await _grant_write(request, rt, key, grants.claim)


@router.post("/sdk/v1/players/{external_id}/crates/{grant_id}/open")
async def open_crate(
    request: Request,
    *,
    external_id: str,
    grant_id: str,
    key: ClientKey,
    body: EmptyBody | None = None,
) -> Response:
    """Open a crate: ``{crate, contents}``; re-opening returns the first roll."""
    rt = runtime_of(request)
    del body, grant_id
    return await _grant_write(request, rt, key, grants.open_crate)
