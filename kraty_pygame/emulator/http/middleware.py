"""The emulator's one raw ASGI middleware: body limit (413), body number/depth rules
(400, see :mod:`~kraty_pygame.emulator.http.bounds`), rate limit, faults (latency, 503,
commit-then-break), the recent-requests log; requests whose route has a plan are
served through :class:`~kraty_pygame.emulator.dispatch.RouteTable`."""

from __future__ import annotations

import asyncio
import collections
import time
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http.auth import bearer_token
from kraty_pygame.emulator.http.bounds import BodyRejected, parse_body
from kraty_pygame.emulator.http.requestlog import SECRET_BEARING
from kraty_pygame.emulator.http.responses import dumps
from kraty_pygame.emulator.runtime import RUNTIME_SCOPE_KEY

if TYPE_CHECKING:
    from kraty_pygame.emulator.dispatch import RouteTable
    from kraty_pygame.emulator.runtime import EmulatorRuntime

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_JSON: Any = object()  # the parsed body of a request without a JSON body


async def _send_error(send: Send, exc: ApiError) -> None:
    body = dumps(exc.envelope())
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend((k.encode(), v.encode()) for k, v in exc.headers.items())
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class EmulatorMiddleware:
    """See the module docstring; one instance per app."""

    def __init__(
        self, app: ASGIApp, runtime: EmulatorRuntime, routes: RouteTable | None = None
    ) -> None:
        self.app = app
        self.rt = runtime
        self._hits: dict[str, collections.deque[float]] = {}
        self._routes = routes

    def _bucket(self, scope: Scope) -> str:
        """The configured API key a request names, or ``""`` for everything else: one
        shared bucket for unknown, malformed and missing keys keeps memory bounded."""
        header = next(
            (
                value.decode("latin-1")
                for name, value in scope["headers"]
                if name == b"authorization"
            ),
            None,
        )
        token = bearer_token(header)
        return token if token is not None and token in self.rt.api_keys else ""

    def _rate_limited(self, scope: Scope) -> bool:
        limit = self.rt.config.emulator.rate_limit_per_minute
        if not limit:
            return False
        now = time.monotonic()
        for bucket in [k for k, v in self._hits.items() if not v or now - v[-1] >= 60.0]:
            del self._hits[bucket]  # nothing in the last minute: forget it
        hits = self._hits.setdefault(self._bucket(scope), collections.deque())
        while hits and now - hits[0] >= 60.0:
            hits.popleft()
        if len(hits) >= limit:
            return True
        hits.append(now)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rt = self.rt
        scope[RUNTIME_SCOPE_KEY] = rt  # read by ``runtime_of`` without the app's state lookup
        path: str = scope["path"]
        method: str = scope["method"]
        status: int | None = None
        fault: str | None = None
        body = b""
        parsed: Any = _NOT_JSON

        async def logged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if method in _BODY_METHODS:
                body, too_large, complete = await self._read_body(scope, receive)
                if not complete:  # the client left mid-body: never act on a partial body
                    return
                if too_large:
                    status = 413
                    await _send_error(
                        send,
                        ApiError(
                            "payload_too_large",
                            f"request body is larger than {rt.max_body_bytes} bytes",
                        ),
                    )
                    return
                rejected, parsed = _body_problem(body)
                if rejected is not None:
                    status = 400
                    await _send_error(
                        send,
                        validation_failed(rejected, [{"path": "body", "message": rejected}]),
                    )
                    return
                receive = _replay(body, receive)
            api_route = path.startswith(("/sdk/", "/server/"))
            if api_route:
                rt.maybe_sweep()
            if api_route and self._rate_limited(scope):
                status = 429
                await _send_error(
                    send,
                    ApiError("rate_limited", "too many requests", headers={"retry-after": "1"}),
                )
                return
            decision = rt.faults.decide(path)
            if decision.latency_s > 0:
                await asyncio.sleep(decision.latency_s)
            if decision.fail:
                fault = "fail"
                status = 503
                await _send_error(
                    send, ApiError("service_unavailable", "injected fault: service unavailable")
                )
                return
            if decision.break_after_commit:
                fault = "break_after_commit"
                await self._break_after_commit(scope, receive, send)
                return
            routes = self._routes
            response = (
                None
                if routes is None
                else await routes.respond(
                    scope, receive, body if method in _BODY_METHODS else None, parsed
                )
            )
            if response is None:
                await self.app(scope, receive, logged_send)
            else:  # served through its route's plan: the status is known up front
                status = response.status_code
                await response(scope, receive, send)
        finally:
            rt.requests.record(
                at=rt.clock.now(),
                method=method,
                path=path,
                query=scope.get("query_string", b""),
                headers=scope.get("headers", []),  # the log keeps its own bounded copy
                body=body,
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000.0,
                fault=fault,
                secret_bearing=bool(scope.get(SECRET_BEARING)),
            )

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, bool, bool]:
        """``(body, too_large, complete)``; ``complete`` is False when the client
        disconnected before the end of its body."""
        limit = self.rt.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        return b"", True, True
                except ValueError:
                    pass
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), False, False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", True, True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False, True

    async def _break_after_commit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request (its transaction commits), then send a truncated response
        and return without completing it, so the server drops the connection."""
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        start = next((m for m in captured if m["type"] == "http.response.start"), None)
        payload = b"".join(
            m.get("body", b"") for m in captured if m["type"] == "http.response.body"
        )
        if start is None:
            return
        await send(start)
        await send(
            {"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True}
        )


def _body_problem(body: bytes) -> tuple[str | None, Any]:
    """Why a JSON body breaks the number/depth rules (or None), and the parsed body
    (``_NOT_JSON`` when there is none; bodies that are not JSON at all are left to the
    route, which reports them)."""
    if not body.strip():
        return None, _NOT_JSON
    try:
        return None, parse_body(body)
    except BodyRejected as exc:
        return str(exc), _NOT_JSON
    except ValueError:
        return None, _NOT_JSON


def _replay(body: bytes, original: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the server."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
