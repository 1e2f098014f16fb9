"""Client self-grants (permissive inventory only) and wallet progress (derived levels)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import progression
from kraty_pygame.emulator.http import auth
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    Runtime,
    StrictBody,
    body_dict,
    player_write,
)
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["progression"])


class SelfGrantBody(StrictBody):
    """``GrantSelfInput {entries, kind?, expiresAt?, metadata?}``."""

    entries: list[dict[str, Any]]
    kind: str | None = None
    expiresAt: str | None = None
    metadata: dict[str, Any] | None = None


class WalletProgressBody(StrictBody):
    """``{amount: int (signed), reason?}``."""

    amount: int
    reason: str | None = None


@router.post("/sdk/v1/players/{external_id}/grants", status_code=201)
async def self_grant(
    request: Request, *, external_id: str, body: SelfGrantBody, key: ClientKey, rt: Runtime
) -> Response:
    """A ``Grant`` for yourself; 403 ``inventory_not_permissive`` unless permissive."""
    del body
    raw = await body_dict(request) or {}

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return 201, progression.self_grant(tx.conn, rt, player.id, raw, rt.now())

    return await player_write(request, key, handler)


@router.post("/sdk/v1/players/{external_id}/wallet/{economy_key}/progress")
async def wallet_progress(
    request: Request,
    *,
    external_id: str,
    economy_key: str,
    body: WalletProgressBody,
    key: ClientKey,
    rt: Runtime,
) -> Response:
    """``ProgressWalletResult``; 403 ``forbidden`` unless client-writable progression."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return 200, progression.progress(
            tx.conn,
            rt,
            player.id,
            economy_key,
            amount=body.amount,
            reason=body.reason,
            now=rt.now(),
        )

    return await player_write(request, key, handler)
