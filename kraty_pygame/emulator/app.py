"""``create_app(settings)``: a fresh FastAPI app per call, with no module-level state.

OpenAPI: ``GET /openapi.json`` (interactive docs at ``/docs``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame._version import __version__
from kraty_pygame.emulator.dispatch import RouteTable
from kraty_pygame.emulator.domain import players as player_domain
from kraty_pygame.emulator.domain import sweep
from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.http.middleware import EmulatorMiddleware
from kraty_pygame.emulator.http.origins import OriginPolicy
from kraty_pygame.emulator.routes import (
    catalog,
    control,
    event_boards,
    events,
    friends,
    gifts,
    grants,
    holdings,
    identity,
    inventory_stream,
    leaderboards,
    lobbies,
    players,
    progression,
    server,
    server_gameplay,
    time,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime
from kraty_pygame.emulator.settings import EmulatorSettings

_log = logging.getLogger(__name__)

#: Every API area's router, in the order the OpenAPI document lists them.
ROUTERS: tuple[APIRouter, ...] = (
    players.router,
    events.router,
    grants.router,
    lobbies.router,
    holdings.router,
    catalog.router,
    server.router,
    server_gameplay.router,
    control.router,
    event_boards.router,
    leaderboards.router,
    identity.router,
    friends.router,
    gifts.router,
    time.router,
    progression.router,
    inventory_stream.router,
)

OPENAPI_PATH = "/openapi.json"

# FastAPI releases with native OpenTelemetry check its providers on every request; a
# local emulator exports nothing, so those checks are switched off where they exist.
_NO_TELEMETRY: Mapping[str, Any] = MappingProxyType(
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def _validation_errors(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    malformed = False
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        if err.get("type") == "json_invalid":
            malformed = True
        errors.append({"path": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))})
    message = "request body is not valid JSON" if malformed else "request validation failed"
    return message, errors


def _install_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return responses.error(exc)

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, errors = _validation_errors(exc)
        return responses.error(ApiError("validation_failed", message, {"errors": errors}))

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return responses.error(ApiError("not_found", "no such route"))
        if exc.status_code == 405:
            return responses.error(ApiError("method_not_allowed", "method not allowed"))
        code = "validation_failed" if exc.status_code == 400 else "internal_error"
        return responses.error(ApiError(code, str(exc.detail), status=exc.status_code))

    async def unexpected(_request: Request, exc: Exception) -> Response:
        _log.exception("unhandled emulator error", exc_info=exc)
        return responses.error(ApiError("internal_error", "internal emulator error"))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="Kraty emulator", version=__version__, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    components["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer", "description": "Kraty API key"},
        "playerSecret": {"type": "apiKey", "in": "header", "name": "x-player-secret"},
    }
    schema["security"] = [{"apiKey": [], "playerSecret": []}]
    app.openapi_schema = schema
    return schema


def create_app(settings: EmulatorSettings | None = None) -> FastAPI:
    """Build an emulator app (config loaded, database opened and seeded).

    Raises:
        ConfigError: the config file is invalid.
    """
    rt = EmulatorRuntime(
        settings or EmulatorSettings(), seed=player_domain.seed_content, sweep=sweep.sweep
    )
    app = FastAPI(
        title="Kraty emulator",
        version=__version__,
        description="Local Kraty server. Envelopes: {data} / {error}.",
        openapi_url=OPENAPI_PATH,
        docs_url="/docs",
        redoc_url=None,
        **_NO_TELEMETRY,
    )
    app.state.runtime = rt
    _install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    rt.initialize()
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    table = (
        RouteTable([route for router in ROUTERS for route in router.routes], app.exception_handlers)
        if rt.settings.route_plans
        else None
    )
    app.add_middleware(EmulatorMiddleware, runtime=rt, routes=table)
    # Outermost: CORS for the game API, none (and same-origin only) for /_emulator/*.
    app.add_middleware(OriginPolicy, bound_host=rt.settings.host, control_plane=rt.control_plane)
    return app
