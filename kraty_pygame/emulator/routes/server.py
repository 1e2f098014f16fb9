"""``/server/v1`` player administration: grants, secret rotation, bans, reads, ping.

The server key authorizes every route. Server-side wallet and inventory changes live
in ``routes/holdings.py``, gameplay in ``routes/server_gameplay.py`` and the server
score in ``routes/leaderboards.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kraty_pygame.emulator.clock import parse_iso
from kraty_pygame.emulator.domain import grants, players, rewards
from kraty_pygame.emulator.errors import validation_failed
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.http.auth import PlayerRow
from kraty_pygame.emulator.routes._common import (
    EmptyBody,
    ServerKey,
    StrictBody,
    server_player,
    server_write,
)
from kraty_pygame.emulator.runtime import runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["server"])

_PLAYER = "/server/v1/players/{external_id}"


class GrantBody(StrictBody):
    idempotencyKey: str = Field(min_length=1, max_length=128)
    kind: Literal["reward", "crate"] = "reward"
    entries: list[dict[str, Any]]
    sourceKind: Literal["api", "admin"] = "api"
    expiresAt: str | None = None
    sourceRefId: str | None = None
    metadata: dict[str, Any] | None = None


class BanBody(StrictBody):
    reason: str | None = None


@router.post(f"{_PLAYER}/grants", status_code=201)
async def create_grant(
    request: Request,
    *,
    external_id: str,
    body: GrantBody,
    key: ServerKey,
) -> Response:
    """Create a pending grant (201)."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        entries = rewards.validate_entries(rt.config, body.entries)
        if body.kind == "crate" and any(e["type"] != "crate" for e in entries):
            raise validation_failed("a crate grant holds only crate entries")
        expires = None
        if body.expiresAt is not None:
            try:
                expires = parse_iso(body.expiresAt)
            except ValueError:
                raise validation_failed("expiresAt must be an ISO-8601 timestamp") from None
        grant = grants.create_pending_grant(
            tx.conn,
            rt,
            player_id=player.id,
            kind=body.kind,
            entries=entries,
            source_kind=body.sourceKind,
            source_ref_id=body.sourceRefId,
            expires_at=expires,
            metadata=body.metadata,
            now=rt.now(),
        )
        return 201, grant

    return await server_write(request, key, handler, require_key=True)


@router.post(f"{_PLAYER}/grants/{{grant_id}}/ack")
async def ack_grant(
    request: Request,
    *,
    external_id: str,
    grant_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """Mark a grant claimed server-side."""
    rt = runtime_of(request)
    del body
    return await server_write(
        request,
        key,
        lambda tx, player: (200, grants.ack(tx.conn, rt, player.id, grant_id, rt.now())),
    )


@router.post(f"{_PLAYER}/secret/rotate")
async def rotate_secret(
    request: Request,
    *,
    external_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """New secret; the old one stops working at once."""
    rt = runtime_of(request)
    del body
    return await server_write(
        request, key, lambda tx, player: (200, players.rotate(tx, player, rt.now()))
    )


@router.get(_PLAYER)
async def read_player(
    request: Request,
    external_id: str,
    key: ServerKey,
) -> Response:
    """Player, inventory, wallet and recent grants."""
    rt = runtime_of(request)
    del key
    with rt.store.read() as conn:
        return responses.ok(players.server_view(conn, rt, server_player(conn, external_id)))


@router.post(f"{_PLAYER}/ban")
async def ban_player(
    request: Request, *, external_id: str, key: ServerKey, body: BanBody | None = None
) -> Response:
    """Ban (``applied`` false on a re-ban)."""
    rt = runtime_of(request)
    reason = body.reason if body is not None else None
    return await server_write(
        request, key, lambda tx, player: (200, players.ban(tx, player, reason, rt.now()))
    )


@router.post(f"{_PLAYER}/unban")
async def unban_player(
    request: Request,
    *,
    external_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """Unban (``applied`` false when not banned)."""
    rt = runtime_of(request)
    del body
    return await server_write(
        request, key, lambda tx, player: (200, players.unban(tx, player, rt.now()))
    )


@router.get("/server/v1/ping", response_class=JSONResponse)
async def ping(
    request: Request,
    key: ServerKey,
) -> Response:
    """The only un-enveloped response."""
    rt = runtime_of(request)
    return JSONResponse(
        {
            "ok": True,
            "apiKey": {
                "id": f"key_{key.prefix}",
                "prefix": key.prefix,
                "permissionSet": key.permission_set,
                "environment": key.environment,
                "studioId": rt.config.game.studio_id,
                "gameId": rt.config.game.id,
            },
        }
    )
