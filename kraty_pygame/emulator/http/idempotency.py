"""Idempotent writes: every write runs through :func:`run_write`, which replays or
refuses a repeated ``idempotencyKey`` and stores the answer of a new one."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.http.requestlog import SECRET_BEARING
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.runtime import EmulatorRuntime

TTL_MS: Final = 24 * 3600 * 1000
MAX_KEY_LENGTH: Final = 128
_UNCACHED: Final = frozenset({202, 401, 429})

P = TypeVar("P")


def idempotency_key(body: dict[str, Any] | None, *, required: bool = False) -> str | None:
    """The body's ``idempotencyKey`` (validated), or None when absent.

    Raises:
        ApiError: 400 ``validation_failed`` for a non-string, empty or over-long key,
            or a missing key where the route requires one.
    """
    value = (body or {}).get("idempotencyKey")
    if value is None:
        if required:
            raise validation_failed(
                "idempotencyKey is required",
                [{"path": "idempotencyKey", "message": "field required"}],
            )
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_LENGTH:
        raise validation_failed(
            "idempotencyKey must be a non-empty string of at most 128 characters",
            [{"path": "idempotencyKey", "message": "invalid idempotency key"}],
        )
    return value


#: The canonical form of a body in a fingerprint (one encoder, reused).
_CANONICAL: Final = responses.compiled_encoder(
    json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
)


def _fingerprint(body: dict[str, Any] | None, query: str) -> str:
    payload = {k: v for k, v in (body or {}).items() if k != "idempotencyKey"}
    canonical = _CANONICAL(payload)
    return hashlib.sha256(f"{canonical}\n{query}".encode()).hexdigest()


def _path(request: Request) -> str:
    """``request.url.path`` without building the whole URL."""
    path: str = request.scope["path"]
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


def _query(request: Request) -> str:
    """``request.url.query`` without building the whole URL for the usual empty query."""
    return request.url.query if request.scope.get("query_string") else ""


def _scope(api_key: str, external_id: str | None, method: str, path: str, key: str) -> str:
    text = "\x1f".join((api_key, external_id or "-", method, path, key))
    return hashlib.sha256(text.encode()).hexdigest()


_SEALED: Final = b"sealed:"


def _keystream(key: str, scope: str, size: int) -> int:
    seed = b"kraty-emulator-replay\x00" + key.encode() + b"\x00" + scope.encode()
    return int.from_bytes(hashlib.shake_256(seed).digest(size), "big")


def _seal(content: bytes, key: str, scope: str) -> bytes:
    mixed = int.from_bytes(content, "big") ^ _keystream(key, scope, len(content))
    return _SEALED + mixed.to_bytes(len(content), "big")


def _unseal(stored: bytes, key: str, scope: str) -> bytes:
    if not stored.startswith(_SEALED):
        return stored
    sealed = stored[len(_SEALED) :]
    mixed = int.from_bytes(sealed, "big") ^ _keystream(key, scope, len(sealed))
    return mixed.to_bytes(len(sealed), "big")


def _carries_secret(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("secret"), str)


def _replay_body(status: int, body: bytes) -> bytes:
    """A stored body as replayed: ``applied`` becomes false where the DTO carries it."""
    if not 200 <= status < 300 or b'"applied"' not in body:
        return body
    envelope = json.loads(body)
    data = envelope.get("data")
    if isinstance(data, dict) and "applied" in data:
        data["applied"] = False
        return responses.dumps(envelope)
    return body


def run_write(
    rt: EmulatorRuntime,
    request: Request,
    *,
    api_key: str,
    external_id: str | None,
    body: dict[str, Any] | None,
    authorize: Callable[[sqlite3.Connection], P],
    handler: Callable[[Transaction, P], tuple[int, Any]],
    require_key: bool = False,
) -> Response:
    """Run ``handler(tx, authorize(conn))`` -> ``(status, data)`` idempotently.

    Inside one store transaction it looks up the ``idempotencyKey`` of the body,
    replays a stored response (same key and body) or answers 409
    ``idempotency_conflict`` (same key, different body), else runs the handler and
    stores its response when cacheable (status 200-499 except 202, 401, 429). Records
    live 24 h on the emulator clock. The scope of a key is (API key, external player id
    or "-", method, path with its ids, key); the fingerprint is the canonical JSON of
    the body without ``idempotencyKey``, plus the query string. A stored answer that
    carries a player secret (register, rotate) is sealed with a keystream derived from
    the ``idempotencyKey`` itself, which the database never holds: only a caller who
    knows the key can have the secret replayed.

    ``authorize`` runs first (its ApiErrors propagate and are never cached, so a
    stored response is never replayed to a caller with a wrong secret); ApiErrors of
    the handler become stored error envelopes (its writes rolled back). A handler may
    also *return* an ApiError as its data to answer with that error envelope while
    keeping its writes (``202 lobby_forming`` after joining a lobby).
    """
    key = idempotency_key(body, required=require_key)
    scope = fingerprint = ""
    now_ms = 0
    try:
        with rt.store.write() as tx:
            principal = authorize(tx.conn)
            now_ms = int(rt.clock.now().timestamp() * 1000)
            if key is not None:
                scope = _scope(api_key, external_id, request.scope["method"], _path(request), key)
                fingerprint = _fingerprint(body, _query(request))
                row = tx.conn.execute(
                    "SELECT fingerprint, status, body, stored_at_ms FROM idempotency "
                    "WHERE scope = ?",
                    (scope,),
                ).fetchone()
                if row is not None and now_ms - int(row[3]) < TTL_MS:
                    if row[0] != fingerprint:
                        raise ApiError(
                            "idempotency_conflict",
                            "this idempotencyKey was already used with a different request body",
                            {"idempotencyKey": key},
                        )
                    status = int(row[1])
                    stored = bytes(row[2])
                    if stored.startswith(_SEALED):
                        request.scope[SECRET_BEARING] = True
                    body_bytes = _unseal(stored, key, scope)
                    return responses.raw_json(_replay_body(status, body_bytes), status)
            try:
                status, data = handler(tx, principal)
            except ApiError as exc:
                raise _Rollback(exc) from None
            extra_headers: dict[str, str] = {}
            if isinstance(data, ApiError):  # an error answered *with* the writes kept (202)
                content, extra_headers = responses.dumps(data.envelope()), data.headers
            else:
                content = responses.dumps({"data": data})
            sealed = _carries_secret(data)
            if sealed:
                request.scope[SECRET_BEARING] = True
            _store(
                tx,
                key=key,
                status=status,
                scope=scope,
                fingerprint=fingerprint,
                content=_seal(content, key, scope) if sealed and key is not None else content,
                now_ms=now_ms,
            )
    except _Rollback as rollback:  # the handler's writes are gone; remember the answer
        error = rollback.error
        status, content, extra_headers = (
            error.status,
            responses.dumps(error.envelope()),
            error.headers,
        )
        if key is not None and _cacheable(status):
            with rt.store.write() as tx:
                _store(
                    tx,
                    key=key,
                    status=status,
                    scope=scope,
                    fingerprint=fingerprint,
                    content=content,
                    now_ms=now_ms,
                )
    response = responses.raw_json(content, status)
    for name, value in extra_headers.items():
        response.headers[name] = value
    return response


class _Rollback(Exception):
    """Carries a handler's ApiError out of its transaction (rolling it back)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.code)
        self.error = error


def _cacheable(status: int) -> bool:
    return 200 <= status < 500 and status not in _UNCACHED


def _store(
    tx: Transaction,
    *,
    key: str | None,
    status: int,
    scope: str,
    fingerprint: str,
    content: bytes,
    now_ms: int,
) -> None:
    if key is not None and _cacheable(status):
        tx.conn.execute(
            "INSERT OR REPLACE INTO idempotency"
            " (scope, fingerprint, status, body, stored_at_ms) VALUES (?, ?, ?, ?, ?)",
            (scope, fingerprint, status, content, now_ms),
        )


def purge_expired(tx: Transaction, now_ms: int) -> int:
    """Drop records older than the replay window; returns how many."""
    cur = tx.conn.execute("DELETE FROM idempotency WHERE stored_at_ms <= ?", (now_ms - TTL_MS,))
    return cur.rowcount
