"""Server time: ``GET /sdk/v1/time[?timezone=<IANA>]`` (key only), on the emulator clock.

``data = {epochMs, iso, timezone, offsetMinutes, local}``; ``local`` is the wall time
in ``timezone`` without an offset (``YYYY-MM-DDTHH:MM:SS``). An unknown zone is a 400
``validation_failed``; no zone means the game's timezone (``[game] timezone``).
"""

from __future__ import annotations

import zoneinfo

from fastapi import APIRouter
from starlette.responses import Response

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.errors import validation_failed
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.routes._common import ClientKey, Runtime

router = APIRouter(tags=["time"])


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise validation_failed(
            f"unknown timezone {name!r} (expected an IANA name such as Europe/Lisbon)",
            [{"path": "timezone", "message": "unknown IANA timezone"}],
        ) from None


@router.get("/sdk/v1/time")
async def server_time(key: ClientKey, rt: Runtime, timezone: str | None = None) -> Response:
    """The emulator clock now, plus its reading in ``timezone``."""
    del key
    name = timezone or rt.config.game.timezone
    zone = _zone(name)
    now = rt.now()
    local = now.astimezone(zone)
    offset = local.utcoffset()
    return responses.ok(
        {
            "epochMs": round(now.timestamp() * 1000),
            "iso": iso(now),
            "timezone": name,
            "offsetMinutes": int(offset.total_seconds() // 60) if offset is not None else 0,
            "local": local.replace(tzinfo=None, microsecond=0).isoformat(),
        }
    )
