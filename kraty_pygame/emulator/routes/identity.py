"""Player identity (PUT / GET) and player metadata (PUT replace / PATCH merge)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.config.models import ApiKeyConfig
from kraty_pygame.emulator.domain import identity
from kraty_pygame.emulator.errors import not_found, validation_failed
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    Runtime,
    StrictBody,
    body_dict,
    player_write,
)
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["players"])


class IdentityBody(StrictBody):
    """``{"name": string, "avatar"?: string | null}``."""

    name: str
    avatar: str | None = None


@router.put("/sdk/v1/players/{external_id}/identity")
async def set_identity(
    request: Request, *, external_id: str, body: IdentityBody, key: ClientKey, rt: Runtime
) -> Response:
    """Set the display identity; ``{externalPlayerId, displayIdentity, anonymizedIdentity}``."""
    raw = await body_dict(request) or {}

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        identity.set_identity(
            tx.conn,
            player.id,
            name=body.name,
            avatar=raw.get("avatar"),
            avatar_given="avatar" in raw,
            now=rt.now(),
        )
        return 200, {
            "externalPlayerId": player.external_id,
            **identity.identities(tx.conn, player.id),
        }

    return await player_write(request, key, handler)


@router.get("/sdk/v1/players/{external_id}/identity")
async def get_identity(external_id: str, key: ClientKey, rt: Runtime) -> Response:
    """Any player's public identity (key only): ``{displayIdentity, anonymizedIdentity}``."""
    del key
    with rt.store.read() as conn:
        player = auth.find_player(conn, external_id)
        if player is None:
            raise not_found(f"player {external_id!r}")
        return responses.ok(identity.identities(conn, player.id))


async def _metadata_write(request: Request, rt: Any, key: ApiKeyConfig, *, merge: bool) -> Response:
    raw = await body_dict(request)
    if raw is None:
        raise validation_failed(
            "the body must be a JSON object (the metadata)",
            [{"path": "body", "message": "expected an object"}],
        )

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        metadata = identity.write_metadata(tx.conn, player.id, raw, merge=merge, now=rt.now())
        return 200, {"externalPlayerId": player.external_id, "metadata": metadata}

    return await player_write(request, key, handler)


@router.put("/sdk/v1/players/{external_id}/metadata")
async def set_metadata(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    body: dict[str, Any] = Body(...),  # noqa: B008 - FastAPI's body declaration
) -> Response:
    """Replace the player's metadata with the body object: ``{externalPlayerId, metadata}``."""
    del body
    return await _metadata_write(request, rt, key, merge=False)


@router.patch("/sdk/v1/players/{external_id}/metadata")
async def merge_metadata(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    body: dict[str, Any] = Body(...),  # noqa: B008 - FastAPI's body declaration
) -> Response:
    """Shallow-merge the body object into the metadata: ``{externalPlayerId, metadata}``."""
    del body
    return await _metadata_write(request, rt, key, merge=True)
