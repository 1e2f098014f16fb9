"""The recent-requests ring buffer behind ``GET /_emulator/requests`` (secrets masked).

What it keeps is bounded: a few KiB of headers, 64 KiB of body per request. A call
whose answer carries a player secret (register, rotate) is *secret-bearing*: its
``idempotencyKey`` is hidden too, since replaying that call with the key returns the
secret.
"""

from __future__ import annotations

import collections
import threading
from datetime import datetime
from typing import Any, Final

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.http.bounds import BodyRejected, parse_body

#: Scope key a route sets when its answer carries a secret (see the module docstring).
SECRET_BEARING: Final = "kraty.secret_bearing"  # noqa: S105 - a scope key, not a secret
MAX_HEADERS: Final = 64
MAX_HEADER_NAME: Final = 128
MAX_HEADER_VALUE: Final = 1024
MAX_TARGET: Final = 2048

_SECRET_HEADERS = frozenset({"x-player-secret", "cookie"})
_SECRET_FIELDS = frozenset({"secret", "playerSecret"})
_MAX_BODY = 65536
_PUBLIC_KEYS = frozenset({"kr_test.client-demo", "kr_test.server-demo", "kr_live.client-demo"})


def mask_secret(value: str) -> str:
    """Keep a short prefix for recognition, hide the rest."""
    if len(value) <= 8:
        return "***"
    return value[:8] + "***"


def mask_authorization(value: str) -> str:
    """``Bearer prefix.secret`` -> ``Bearer prefix.***`` (the public demo keys stay readable)."""
    scheme, _, token = value.partition(" ")
    if token in _PUBLIC_KEYS:
        return value
    prefix = token.split(".", 1)[0] if "." in token else token[:4]
    return f"{scheme} {prefix}.***" if token else "***"


def _mask_body(value: Any, hidden: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if k in hidden and isinstance(v, str) else _mask_body(v, hidden))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_body(v, hidden) for v in value]
    return value


def _clip(value: bytes, limit: int) -> bytes:
    return value if len(value) <= limit else value[:limit] + b"...(truncated)"


def bounded_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """At most ``MAX_HEADERS`` headers, names and values clipped."""
    if len(headers) <= MAX_HEADERS:
        for name, value in headers:  # a plain loop: this runs for every request
            if len(name) > MAX_HEADER_NAME or len(value) > MAX_HEADER_VALUE:
                break
        else:
            return list(headers)
    kept = [
        (_clip(name, MAX_HEADER_NAME), _clip(value, MAX_HEADER_VALUE))
        for name, value in headers[:MAX_HEADERS]
    ]
    if len(headers) > MAX_HEADERS:
        kept.append((b"x-emulator-note", f"{len(headers) - MAX_HEADERS} more headers".encode()))
    return kept


#: The fields of a log entry, in the order :meth:`RequestLog.record` keeps them.
_FIELDS: Final = (
    "seq",
    "at",
    "method",
    "path",
    "query",
    "headers",
    "body",
    "secretBearing",
    "status",
    "durationMs",
    "fault",
)


class RequestLog:
    """Thread-safe bounded log of recent requests."""

    def __init__(self, size: int = 200) -> None:
        self._entries: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=max(1, size))
        self._lock = threading.Lock()
        self._seq = 0

    def record(
        self,
        *,
        at: datetime,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        status: int | None,
        duration_ms: float,
        fault: str | None,
        secret_bearing: bool = False,
    ) -> None:
        """Keep the (bounded) raw request; decoding, formatting, masking and JSON
        parsing happen only when read (this runs on every request)."""
        headers = bounded_headers(headers)
        with self._lock:
            self._seq += 1
            self._entries.append(
                (
                    self._seq,
                    at,
                    method,
                    path[:MAX_TARGET],
                    query[:MAX_TARGET],
                    headers,
                    body[:_MAX_BODY],
                    secret_bearing,
                    status,
                    duration_ms,
                    fault,
                )
            )

    @staticmethod
    def _render(raw: tuple[Any, ...]) -> dict[str, Any]:
        entry = dict(zip(_FIELDS, raw, strict=True))
        masked: dict[str, str] = {}
        for raw_name, raw_value in entry["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in _SECRET_HEADERS:
                value = mask_secret(value)
            elif name == "authorization":
                value = mask_authorization(value)
            masked[name] = value
        hidden = _SECRET_FIELDS | ({"idempotencyKey"} if entry["secretBearing"] else set())
        parsed: Any = None
        body: bytes = entry["body"]
        if body:
            try:
                parsed = _mask_body(parse_body(body), frozenset(hidden))
            except BodyRejected as exc:
                parsed = f"<{len(body)} bytes, refused: {exc}>"
            except (ValueError, UnicodeDecodeError):
                parsed = f"<{len(body)} bytes, not JSON>"
        shown = {k: v for k, v in entry.items() if k != "secretBearing"}
        return {
            **shown,
            "query": entry["query"].decode("latin-1"),
            "durationMs": round(entry["durationMs"], 3),  # rounded when read, not per request
            "at": iso(entry["at"]),
            "headers": masked,
            "body": parsed,
            "idempotencyKey": parsed.get("idempotencyKey") if isinstance(parsed, dict) else None,
        }

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """Newest last, at most ``limit`` entries."""
        with self._lock:
            entries = list(self._entries)
        chosen = entries[-limit:] if limit > 0 else []
        return [self._render(entry) for entry in chosen]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
