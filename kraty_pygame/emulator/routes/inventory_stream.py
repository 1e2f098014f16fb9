"""The inventory stream: ``GET /sdk/v1/players/{externalId}/inventory/stream`` (SSE).

Framing as the board streams: ``: connected``, ``event: ready`` with
``{externalPlayerId}``, then ``inventory_changed`` / ``wallet_changed`` /
``grant_created`` events of committed writes (see ``inventory_feed``), ``: hb``
heartbeats every ``sse_heartbeat_s``; ``/_emulator/reset`` ends open streams with
``closed {"reason": "reset"}``.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http import auth
from kraty_pygame.emulator.routes._common import ClientKey, Runtime
from kraty_pygame.emulator.streams.broadcast import comment, encode_event
from kraty_pygame.emulator.streams.sse import SubscriptionStream

router = APIRouter(tags=["inventory"])


@router.get("/sdk/v1/players/{external_id}/inventory/stream")
async def inventory_stream(
    request: Request, external_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """Live holding changes and new grants of one player (subscribed before ``ready``)."""
    del key
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            raise ApiError("player_secret_invalid", "player secret missing or invalid")
        # Under the store lock no write is half-way: each one either committed before
        # this subscription (and precedes ``ready``) or will see it and publish to it.
        sub = rt.inventory_feed.subscribe(player.id)
    ready = encode_event("ready", {"externalPlayerId": player.external_id})
    return SubscriptionStream(sub, comment("connected") + ready, heartbeat_s=rt.heartbeat_s())
