"""``create_app(settings)``: a fresh FastAPI app per call, with no module-level state.

OpenAPI: ``GET /openapi.json`` (interactive docs at ``/docs``).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame._version import __version__
from kraty_pygame.emulator import responses
from kraty_pygame.emulator.dispatch import RouteTable
from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.middleware import EmulatorMiddleware
from kraty_pygame.emulator.origins import OriginPolicy
from kraty_pygame.emulator.runtime import EmulatorRuntime
from kraty_pygame.emulator.settings import EmulatorSettings

_log = logging.getLogger(__name__)

#: Route modules of this package, each exposing ``router`` (and optionally ``install(app, rt)``).
_ROUTE_MODULES = (
    "kraty_pygame.emulator.routes.players",
    "kraty_pygame.emulator.routes.events",
    "kraty_pygame.emulator.routes.grants",
    "kraty_pygame.emulator.routes.lobbies",
    "kraty_pygame.emulator.routes.inventory",
    "kraty_pygame.emulator.routes.wallet",
    "kraty_pygame.emulator.routes.catalog",
    "kraty_pygame.emulator.routes.server",
    "kraty_pygame.emulator.routes.server_gameplay",
    "kraty_pygame.emulator.routes.control",
    # emulator-boards' modules (optional until they exist):
    "kraty_pygame.emulator.routes.event_leaderboards",
    "kraty_pygame.emulator.routes.leaderboards",
    # platform-extras: identity/metadata, friends, gifting, time, progression, inventory stream
    "kraty_pygame.emulator.routes.identity",
    "kraty_pygame.emulator.routes.friends",
    "kraty_pygame.emulator.routes.gifts",
    "kraty_pygame.emulator.routes.time",
    "kraty_pygame.emulator.routes.progression",
    "kraty_pygame.emulator.routes.inventory_stream",
)

OPENAPI_PATH = "/openapi.json"

# FastAPI releases with native OpenTelemetry check its providers on every request; a
# local emulator exports nothing, so those checks are switched off where they exist.
_NO_TELEMETRY: dict[str, Any] = (
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
    rt = EmulatorRuntime(settings or EmulatorSettings())
    app = FastAPI(
        title="Kraty emulator",
        version=__version__,
        description="Local Kraty server (PROTOCOL.md). Envelopes: {data} / {error}.",
        openapi_url=OPENAPI_PATH,
        docs_url="/docs",
        redoc_url=None,
        **_NO_TELEMETRY,
    )
    app.state.runtime = rt
    _install_handlers(app)
    routers: list[APIRouter] = []
    for name in _ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
            routers.append(router)
        install = getattr(module, "install", None)
        if install is not None:
            install(app, rt)
    rt.initialize()
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    table = (
        RouteTable([route for router in routers for route in router.routes], app.exception_handlers)
        if rt.settings.route_plans
        else None
    )
    app.add_middleware(EmulatorMiddleware, runtime=rt, routes=table)
    # Outermost: CORS for the game API, none (and same-origin only) for /_emulator/*.
    app.add_middleware(OriginPolicy, bound_host=rt.settings.host, control_plane=rt.control_plane)
    return app
