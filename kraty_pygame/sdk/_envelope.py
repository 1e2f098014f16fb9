"""Envelope parsing: the one place that maps a response to its data or a typed error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kraty_pygame.sdk._constants import ERROR_BODY_SNIPPET
from kraty_pygame.sdk.errors import KratyApiError, KratyProtocolError, SecretMask, redact_text

__all__ = [
    "Masker",
    "api_error_from_body",
    "decode_error_response",
    "decode_success_response",
    "snippet",
]

_INVALID: Any = object()


Masker = Callable[[], SecretMask]
"""Builds the mask of the secrets a client holds (called on error paths only)."""


def snippet(body: bytes, masker: Masker | None = None) -> str:
    """The first characters of a body for error messages, secret-looking members and the
    client's secrets masked before the cut (so no part of a secret survives it)."""
    text = body[: ERROR_BODY_SNIPPET * 4].decode("utf-8", "replace")
    text = masker().text(text) if masker is not None else redact_text(text)
    return text[:ERROR_BODY_SNIPPET]


def _api_error(status: int, envelope: Any) -> KratyApiError | None:
    if type(envelope) is not dict:
        return None
    error = envelope.get("error")
    if type(error) is not dict:
        return None
    code = error.get("code")
    if not isinstance(code, str) or not code:
        return None
    message = error.get("message")
    return KratyApiError(
        status, code, message if isinstance(message, str) else "", error.get("details")
    )


def api_error_from_body(status: int, body: bytes) -> KratyApiError | None:
    """The error envelope of ``body`` as ``KratyApiError``, or ``None`` without one."""
    try:
        envelope = json.loads(body) if body else None
    except (ValueError, RecursionError):
        envelope = None
    return _api_error(status, envelope)


def decode_error_response(status: int, body: bytes) -> KratyApiError:
    """Map a non-2xx response to ``KratyApiError`` (envelope-less -> ``internal_error``)."""
    error = api_error_from_body(status, body)
    if error is not None:
        return error
    return KratyApiError(
        status, "internal_error", f"non-2xx response without an error envelope (status={status})"
    )


def decode_success_response(
    status: int, body: bytes, masker: Masker | None = None
) -> dict[str, Any]:
    """Parse a 2xx body into its envelope (``{}`` when empty); ``masker`` masks the
    client's secrets in the body snippet of an error.

    Raises:
        KratyApiError: the body carries an ``error`` with a code (202 ``lobby_forming``).
        KratyProtocolError: not JSON, not an object, or an ``error`` without a usable code.
    """
    if not body or body.isspace():
        return {}
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        envelope = _INVALID  # raised below, outside the handler: the decode error (which
        # quotes the whole body) must not stay reachable as __context__
    if envelope is _INVALID:
        text = snippet(body, masker)
        raise KratyProtocolError(
            f"response body is not valid JSON (status={status}): {text!r}", status=status, body=text
        )
    if type(envelope) is not dict:
        kind = "array" if isinstance(envelope, list) else type(envelope).__name__
        raise KratyProtocolError(
            f"response body must be a JSON object, got {kind}",
            status=status,
            body=snippet(body, masker),
        )
    if "error" in envelope:
        error = _api_error(status, envelope)
        if error is not None:
            raise error
        if "data" not in envelope:
            raise KratyProtocolError(
                "2xx response carries an 'error' member without a usable code",
                status=status,
                field="error",
                body=snippet(body, masker),
            )
    return envelope
