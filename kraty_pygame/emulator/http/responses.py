"""Both envelopes as ready-to-send responses."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http.bounds import finite_json

JSON_TYPE = "application/json"


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; never ``NaN`` / ``Infinity`` (see :func:`bounds.finite_json`)."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(
            finite_json(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    return text.encode("utf-8")


def ok(data: Any, status: int = 200) -> Response:
    """``{"data": …}`` with the given 2xx status."""
    return Response(content=dumps({"data": data}), status_code=status, media_type=JSON_TYPE)


def raw_json(body: bytes, status: int) -> Response:
    """An already-encoded JSON body (idempotent replays)."""
    return Response(content=body, status_code=status, media_type=JSON_TYPE)


def error(exc: ApiError) -> Response:
    """``{"error": {code, message, details?}}`` with the code's status and headers."""
    return Response(
        content=dumps(exc.envelope()),
        status_code=exc.status,
        media_type=JSON_TYPE,
        headers=exc.headers or None,
    )
