"""``/server/v1`` (PROTOCOL.md A.9): S1-S8, S14, S15 with a server_integration key.

Gameplay routes S9/S10/S12/S13 live in ``routes/server_gameplay.py``; S11 (keyed
score) belongs to emulator-boards.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kraty_pygame.emulator import responses
from kraty_pygame.emulator.auth import PlayerRow
from kraty_pygame.emulator.clock import parse_iso
from kraty_pygame.emulator.domain import grants, players, rewards
from kraty_pygame.emulator.errors import validation_failed
from kraty_pygame.emulator.routes._common import (
    PlayerHandler,
    ServerKey,
    StrictBody,
    body_dict,
    change_balance,
    change_quantity,
    server_player,
    server_write,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["server"])

_PLAYER = "/server/v1/players/{external_id}"


class AmountBody(StrictBody):
    amount: int = Field(gt=0)
    reason: str | None = None
    sourceRefId: str | None = None


class QuantityBody(StrictBody):
    quantity: int = Field(gt=0)
    reason: str | None = None
    sourceRefId: str | None = None


class GrantBody(StrictBody):
    idempotencyKey: str = Field(min_length=1, max_length=128)
    kind: Literal["reward", "crate"] = "reward"
    entries: list[dict[str, Any]]
    sourceKind: Literal["api", "admin"] = "api"
    expiresAt: str | None = None
    sourceRefId: str | None = None
    metadata: dict[str, Any] | None = None


class EmptyBody(StrictBody):
    pass


class BanBody(StrictBody):
    reason: str | None = None


async def _write(
    request: Request,
    rt: EmulatorRuntime,
    key: str,
    external_id: str,
    handler: PlayerHandler,
    *,
    require_key: bool = False,
) -> Response:
    raw = await body_dict(request)
    return server_write(
        request,
        rt,
        api_key=key,
        external_id=external_id,
        body=raw,
        handler=handler,
        require_key=require_key,
    )


@router.post(f"{_PLAYER}/wallet/{{economy_key}}/credit")
async def credit(
    request: Request,
    *,
    external_id: str,
    economy_key: str,
    body: AmountBody,
    key: ServerKey,
) -> Response:
    """S1: credit a balance."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return change_balance(
            rt,
            tx,
            player,
            economy_key,
            body.amount,
            reason=body.reason or "server_credit",
            origin="server",
            source_ref_id=body.sourceRefId,
        )

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/wallet/{{economy_key}}/debit")
async def debit(
    request: Request,
    *,
    external_id: str,
    economy_key: str,
    body: AmountBody,
    key: ServerKey,
) -> Response:
    """S2: debit a balance; 409 ``conflict`` if insufficient."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return change_balance(
            rt,
            tx,
            player,
            economy_key,
            -body.amount,
            reason=body.reason or "server_debit",
            origin="server",
            source_ref_id=body.sourceRefId,
        )

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/inventory/{{item_key}}/grant")
async def grant_item(
    request: Request,
    *,
    external_id: str,
    item_key: str,
    body: QuantityBody,
    key: ServerKey,
) -> Response:
    """S3: add items."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return change_quantity(
            rt,
            tx,
            player,
            item_key,
            body.quantity,
            reason=body.reason or "admin_grant",
            origin="server",
            source_ref_id=body.sourceRefId,
        )

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/inventory/{{item_key}}/revoke")
async def revoke_item(
    request: Request,
    *,
    external_id: str,
    item_key: str,
    body: QuantityBody,
    key: ServerKey,
) -> Response:
    """S4: remove items; 409 ``conflict`` if insufficient."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return change_quantity(
            rt,
            tx,
            player,
            item_key,
            -body.quantity,
            reason=body.reason or "admin_revoke",
            origin="server",
            source_ref_id=body.sourceRefId,
        )

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/grants", status_code=201)
async def create_grant(
    request: Request,
    *,
    external_id: str,
    body: GrantBody,
    key: ServerKey,
) -> Response:
    """S5: create a pending grant (201)."""
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

    return await _write(request, rt, key.key, external_id, handler, require_key=True)


@router.post(f"{_PLAYER}/grants/{{grant_id}}/ack")
async def ack_grant(
    request: Request,
    *,
    external_id: str,
    grant_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """S6: mark a grant claimed server-side."""
    rt = runtime_of(request)
    del body

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return 200, grants.ack(tx.conn, rt, player.id, grant_id, rt.now())

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/secret/rotate")
async def rotate_secret(
    request: Request,
    *,
    external_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """S7 (Q20): new secret; the old one stops working at once."""
    rt = runtime_of(request)
    del body

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return 200, players.rotate(tx, player, rt.now())

    return await _write(request, rt, key.key, external_id, handler)


@router.get(_PLAYER)
async def read_player(
    request: Request,
    external_id: str,
    key: ServerKey,
) -> Response:
    """S8: player, inventory, wallet and recent grants."""
    rt = runtime_of(request)
    del key
    with rt.store.read() as conn:
        return responses.ok(players.server_view(conn, rt, server_player(conn, external_id)))


@router.post(f"{_PLAYER}/ban")
async def ban_player(
    request: Request, *, external_id: str, key: ServerKey, body: BanBody | None = None
) -> Response:
    """S14: ban (``applied`` false on a re-ban)."""
    rt = runtime_of(request)
    reason = body.reason if body is not None else None

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return 200, players.ban(tx, player, reason, rt.now())

    return await _write(request, rt, key.key, external_id, handler)


@router.post(f"{_PLAYER}/unban")
async def unban_player(
    request: Request,
    *,
    external_id: str,
    key: ServerKey,
    body: EmptyBody | None = None,
) -> Response:
    """S14: unban (``applied`` false when not banned)."""
    rt = runtime_of(request)
    del body

    def handler(tx: Transaction, player: PlayerRow) -> tuple[int, Any]:
        return 200, players.unban(tx, player, rt.now())

    return await _write(request, rt, key.key, external_id, handler)


@router.get("/server/v1/ping", response_class=JSONResponse)
async def ping(
    request: Request,
    key: ServerKey,
) -> Response:
    """S15: the only un-enveloped response."""
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
