"""E13 wallet list and E14 debit."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator import auth, responses
from kraty_pygame.emulator.domain import economy
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    StrictBody,
    body_dict,
    change_balance,
    player_write,
)
from kraty_pygame.emulator.runtime import runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["wallet"])


class DebitBody(StrictBody):
    """``DebitWalletInput``."""

    amount: int = Field(gt=0)
    reason: str | None = None


@router.get("/sdk/v1/players/{external_id}/wallet")
async def list_wallet(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
) -> Response:
    """``{"wallet": PlayerWalletHolding[]}`` (empty for unknown players and studio inventories)."""
    rt = runtime_of(request)
    del key
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None or rt.config.game.inventory_management == "studio":
            return responses.ok({"wallet": []})
        return responses.ok({"wallet": economy.wallet_rows(conn, player.id)})


@router.post("/sdk/v1/players/{external_id}/wallet/{economy_key}/debit")
async def debit_wallet(
    request: Request,
    *,
    external_id: str,
    economy_key: str,
    body: DebitBody,
    key: ClientKey,
) -> Response:
    """Debit a balance; 409 ``conflict`` when it would go negative."""
    rt = runtime_of(request)
    raw = await body_dict(request)

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return change_balance(
            rt,
            tx,
            player,
            economy_key,
            -body.amount,
            reason=body.reason or "client_debit",
            origin="client",
        )

    return player_write(
        request,
        rt,
        api_key=key.key,
        external_id=external_id,
        body=raw,
        handler=handler,
        require_key=True,
    )
