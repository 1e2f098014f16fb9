"""Friend gifting: gift catalog, send, inbox, sent, claim (key + secret)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import gifts
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    EmptyBody,
    Runtime,
    StrictBody,
    body_dict,
    limit_param,
    player_write,
)
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["gifts"])

_BASE = "/sdk/v1/players/{external_id}/friends/gifts"
StatusQuery = Annotated[str | None, Query(description="pending | claimed | expired | failed")]
LimitQuery = Annotated[int | None, Query(ge=1, le=200)]


class SendGiftBody(StrictBody):
    """``{friendCode | externalPlayerId, type, resourceKey, amount, message?}``."""

    friendCode: str | None = None
    externalPlayerId: str | None = None
    type: str
    resourceKey: str
    amount: int
    message: str | None = Field(default=None, max_length=gifts.MAX_MESSAGE_LENGTH)


@router.get(_BASE + "/catalog")
async def gift_catalog(
    request: Request, *, external_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """``GiftCatalog``; 403 ``gifting_disabled`` when the game has no gifting."""
    del key
    gifts.gifting(rt)
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        player_id = player.id if player is not None else ""
        return responses.ok(gifts.catalog(conn, rt, player_id, rt.now()))


async def _list(
    request: Request,
    rt: Runtime,
    external_id: str,
    direction: str,
    *,
    status: str | None,
    limit: int | None,
) -> Response:
    gifts.gifting(rt)
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok({"gifts": []})
        rows = gifts.list_gifts(
            conn,
            player.id,
            direction=direction,
            status=status,
            limit=limit_param(limit),
            now=rt.now(),
        )
    return responses.ok({"gifts": rows})


@router.get(_BASE)
async def inbox(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    status: StatusQuery = None,
    limit: LimitQuery = None,
) -> Response:
    """``{gifts: Gift[]}`` received, newest first."""
    del key
    return await _list(request, rt, external_id, "incoming", status=status, limit=limit)


@router.get(_BASE + "/sent")
async def sent(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    status: StatusQuery = None,
    limit: LimitQuery = None,
) -> Response:
    """``{gifts: Gift[]}`` sent, newest first."""
    del key
    return await _list(request, rt, external_id, "outgoing", status=status, limit=limit)


@router.post(_BASE)
async def send_gift(
    request: Request, *, external_id: str, body: SendGiftBody, key: ClientKey, rt: Runtime
) -> Response:
    """``{gift: Gift}``: a pending grant for the friend; cooldown and daily limit apply."""
    del body
    raw = await body_dict(request) or {}

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return 200, {"gift": gifts.send(tx.conn, rt, player, raw, rt.now())}

    return await player_write(request, key, handler)


@router.post(_BASE + "/{gift_id}/claim")
async def claim_gift(
    request: Request,
    *,
    external_id: str,
    gift_id: str,
    key: ClientKey,
    rt: Runtime,
    body: EmptyBody | None = None,
) -> Response:
    """``{gift: Gift}``; claiming again returns the same claimed row."""
    del body

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        return 200, {"gift": gifts.claim(tx.conn, rt, player.id, gift_id, rt.now())}

    return await player_write(request, key, handler)
