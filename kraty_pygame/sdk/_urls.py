"""URL helpers: path-segment and query-string encoding."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, TypeAlias
from urllib.parse import quote

__all__ = ["QueryValue", "build_query", "encode_segment"]

QueryValue: TypeAlias = str | int | float | bool | Sequence[str] | None
"""A query parameter value: ``None`` is dropped, bools become ``true``/``false``,
sequences are comma-joined."""

_SEGMENT_SAFE = "!'()*~"
_PLAIN: Final = re.compile(r"[A-Za-z0-9_.~!'()*-]*")
"""Characters ``encodeURIComponent`` leaves alone: such a segment is its own encoding."""


_encoded: dict[str, str] = {}


def encode_segment(value: str) -> str:
    """Percent-encode one path segment like JavaScript's ``encodeURIComponent``."""
    done = _encoded.get(value)
    if done is not None:  # the same ids and keys come back call after call
        return done
    done = value if _PLAIN.fullmatch(value) else quote(value, safe=_SEGMENT_SAFE)
    if len(value) <= 128:
        if len(_encoded) >= 4096:
            _encoded.clear()
        _encoded[value] = done
    return done


def _encode_query_value(value: str | int | float | bool | Sequence[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return quote(value, safe=_SEGMENT_SAFE)
    return quote(",".join(str(v) for v in value), safe=_SEGMENT_SAFE)


def build_query(query: Mapping[str, QueryValue] | None) -> str:
    """``k=v&k2=v2`` (no leading ``?``): ``None`` dropped, bools ``true``/``false``,
    sequences comma-joined, spaces as ``%20``."""
    if not query:
        return ""
    return "&".join(
        f"{quote(str(k), safe=_SEGMENT_SAFE)}={_encode_query_value(v)}"
        for k, v in query.items()
        if v is not None
    )
