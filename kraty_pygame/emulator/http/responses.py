"""Both envelopes as ready-to-send responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http.bounds import finite_json

JSON_TYPE = "application/json"


def compiled_encoder(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, with the standard library's C encoder built once.

    ``JSONEncoder.encode`` builds a fresh C encoder (and a table of seen containers)
    on every call, which costs more than encoding a small answer. The one built here is
    reused; it skips the check for self-referencing containers, which the emulator's
    answers never are. Where there is no C encoder, or it does not give exactly what
    ``encoder.encode`` gives, this is plain ``encoder.encode``.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    indent: object = encoder.indent  # None when not indenting (typeshed omits None)
    if make is None or indent is not None:
        return encoder.encode
    quote = (
        json.encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else json.encoder.encode_basestring
    )
    try:
        c_encode = make(
            None,
            encoder.default,
            quote,
            None,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
    except TypeError:  # another C encoder signature
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(c_encode(value, 0))

    sample = {"b": [1, 2.5, None, True, 'é\u2028"x"'], "a": {"k": -3}}
    return encode if encode(sample) == encoder.encode(sample) else encoder.encode


#: One encoder for every answer (``json.dumps`` with options builds a new one per call).
_ENCODE = compiled_encoder(
    json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
)
_JSON_HEADER = (b"content-type", JSON_TYPE.encode("latin-1"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; never ``NaN`` / ``Infinity`` (see :func:`bounds.finite_json`)."""
    try:
        text = _ENCODE(value)
    except ValueError:
        text = _ENCODE(finite_json(value))
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
