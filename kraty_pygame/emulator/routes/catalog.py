"""The game catalog: items and currencies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.config.models import GameConfig
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.routes._common import ClientKey
from kraty_pygame.emulator.runtime import runtime_of

router = APIRouter(tags=["catalog"])


def catalog_dto(config: GameConfig) -> dict[str, Any]:
    """``Catalog``: ``{items, currencies}``; names/descriptions verbatim."""
    return {
        "items": [
            {
                "key": item.key,
                "name": item.name,
                "iconUrl": item.icon_url,
                "description": item.description,
                "itemTypeKey": item.item_type,
                "tags": list(item.tags),
                "rarity": item.rarity,
                "attributes": item.attributes,
            }
            for item in config.items
        ],
        "currencies": [
            {
                "key": cur.key,
                "name": cur.name,
                "iconUrl": cur.icon_url,
                "description": cur.description,
                "kind": cur.kind,
            }
            for cur in config.currencies
        ],
    }


@router.get("/sdk/v1/catalog")
async def read_catalog(
    request: Request,
    key: ClientKey,
) -> Response:
    """The game's items and currencies (key-only)."""
    rt = runtime_of(request)
    del key
    return responses.ok(catalog_dto(rt.config))
