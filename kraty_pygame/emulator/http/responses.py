"""Both envelopes as ready-to-send responses."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http.bounds import finite_json

JSON_TYPE = "application/json"


#: One encoder for every answer (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_JSON_HEADER = (b"content-type", JSON_TYPE.encode("latin-1"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; never ``NaN`` / ``Infinity`` (see :func:`bounds.finite_json`)."""
    try:
        text = _ENCODER.encode(value)
    except ValueError:
        text = _ENCODER.encode(finite_json(value))
    return text.encode("utf-8")


class _JsonBody(Response):
    """A ready JSON body with exactly the head :class:`Response` would send for it
    (content-length, then content-type), built without its per-call header logic."""

    media_type = JSON_TYPE

    def __init__(self, body: bytes, status: int) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON_HEADER]


def ok(data: Any, status: int = 200) -> Response:
    """``{"data": …}`` with the given 2xx status."""
    return Response(content=dumps({"data": data}), status_code=status, media_type=JSON_TYPE)


def raw_json(body: bytes, status: int) -> Response:
    """An already-encoded JSON body (writes and their idempotent replays)."""
    return _JsonBody(body, status)


def error(exc: ApiError) -> Response:
    """``{"error": {code, message, details?}}`` with the code's status and headers."""
    return Response(
        content=dumps(exc.envelope()),
        status_code=exc.status,
        media_type=JSON_TYPE,
        headers=exc.headers or None,
    )
