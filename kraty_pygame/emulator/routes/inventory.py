"""E11 inventory list and E12 consume."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import economy
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    StrictBody,
    change_quantity,
    player_write,
)
from kraty_pygame.emulator.runtime import runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["inventory"])


class ConsumeBody(StrictBody):
    """``ConsumeItemInput``."""

    quantity: int = Field(gt=0)
    reason: str | None = None


@router.get("/sdk/v1/players/{external_id}/inventory")
async def list_inventory(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
) -> Response:
    """``{"items": PlayerItemHolding[]}`` (empty for unknown players and studio inventories)."""
    rt = runtime_of(request)
    del key
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None or rt.config.game.inventory_management == "studio":
            return responses.ok({"items": []})
        return responses.ok({"items": economy.inventory_rows(conn, player.id)})


@router.post("/sdk/v1/players/{external_id}/inventory/{item_key}/consume")
async def consume_item(
    request: Request,
    *,
    external_id: str,
    item_key: str,
    body: ConsumeBody,
    key: ClientKey,
) -> Response:
    """Consume items; 409 ``conflict`` when the player has too few."""
    rt = runtime_of(request)

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return change_quantity(
            rt,
            tx,
            player,
            item_key,
            -body.quantity,
            reason=body.reason or "consume",
            origin="client",
        )

    return await player_write(request, key, handler, require_key=True)
