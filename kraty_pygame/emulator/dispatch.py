"""A lighter way to run the emulator's FastAPI routes: each route compiled once into a
plan that calls its endpoint directly (see :class:`RouteTable`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope

#: How many request paths :class:`RouteTable` remembers the route of.
_MAX_CACHED_PATHS = 4096

#: ``handler(request, exc)`` of the app for the errors routes raise on purpose.
ErrorHandler = Callable[[Request, Any], "Response | Awaitable[Response]"]


@dataclass(frozen=True)
class _Plan:
    """How to call one route's endpoint without FastAPI's per-request work."""

    route: APIRoute
    request_name: str | None
    path_names: tuple[str, ...]
    query_defaults: tuple[tuple[str, Any], ...]
    dependencies: tuple[tuple[str, Callable[[Request], Awaitable[Any]]], ...]
    body_name: str | None
    body_model: type[BaseModel] | None
    body_optional: bool


def _plan(route: APIRoute) -> _Plan | None:
    """The plan of ``route``, or None when FastAPI must run it."""
    dep = route.dependant
    if (
        route.response_model is not None
        or dep.header_params
        or dep.cookie_params
        or dep.websocket_param_name
        or dep.http_connection_param_name
        or dep.response_param_name
        or dep.background_tasks_param_name
        or dep.security_scopes_param_name
        or not inspect.iscoroutinefunction(route.endpoint)
    ):
        return None
    returns = get_typed_return_annotation(route.endpoint)
    if not (isinstance(returns, type) and issubclass(returns, Response)):
        return None
    if any(p.field_info.annotation is not str or p.field_info.metadata for p in dep.path_params):
        return None
    if any(p.field_info.is_required() for p in dep.query_params):
        return None
    dependencies: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    for sub in dep.dependencies:
        simple = (
            sub.name is not None
            and sub.call is not None
            and sub.request_param_name is not None
            and inspect.iscoroutinefunction(sub.call)
            and not (
                sub.dependencies
                or sub.path_params
                or sub.query_params
                or sub.header_params
                or sub.cookie_params
                or sub.body_params
            )
        )
        if not simple or sub.call is None or sub.name is None:
            return None
        if sub.request_param_name != _only_parameter(sub.call):
            return None
        dependencies.append((sub.name, sub.call))
    body_name: str | None = None
    body_model: type[BaseModel] | None = None
    body_optional = False
    if dep.body_params:
        if len(dep.body_params) != 1:
            return None
        field = dep.body_params[0]
        info = field.field_info
        model = info.annotation
        if not info.is_required():  # ``Model | None = None``: no body means None
            if info.get_default() is not None:
                return None
            members = [m for m in get_args(model) if m is not type(None)]
            model = members[0] if len(members) == 1 else None
            body_optional = True
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if getattr(info, "embed", False) or info.metadata:
            return None
        body_name, body_model = field.name, model
    return _Plan(
        route=route,
        request_name=dep.request_param_name,
        path_names=tuple(p.name for p in dep.path_params),
        query_defaults=tuple(
            (p.name, p.field_info.get_default(call_default_factory=True)) for p in dep.query_params
        ),
        dependencies=tuple(dependencies),
        body_name=body_name,
        body_model=body_model,
        body_optional=body_optional,
    )


def _prefix(route: BaseRoute) -> str:
    """The literal start of a route's path (up to its first ``{``)."""
    path = getattr(route, "path", "") if isinstance(route, APIRoute) else ""
    return str(path).split("{", 1)[0]


def _only_parameter(call: Callable[..., Any]) -> str | None:
    params = list(inspect.signature(call).parameters)
    return params[0] if len(params) == 1 else None


def _json_content_type(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            )
    return False


class RouteTable:
    """The app's routes, in matching order, with the plan of each that has one.

    For every request FastAPI matches the path against each route in turn and then
    resolves the endpoint's parameters through its dependency system; for the
    emulator's small endpoints that costs more than the endpoint's own work.
    :class:`RouteTable` compiles each declared route once, at start-up, into a plan:
    which path values to pass, which request-only dependencies to await (the API key
    checks), which body model to validate. A request whose route has a plan is then
    served by calling the endpoint directly with those values.

    Routes are declared as before (their declarations still produce the OpenAPI
    document). A route falls back to FastAPI, unchanged, when its signature uses
    anything the plan does not cover (typed path values, query values that were sent,
    headers, cookies, sub-dependencies, synchronous endpoints, a response model), and so
    does a request whose body is not a JSON object with a JSON content type, or that the
    body model rejects: FastAPI then answers its usual 400. Nothing has run at that
    point, so the fallback is always safe.

    Args:
        routes: the routes as the app matches them (the routers' routes in the
            order they were included).
        error_handlers: the app's exception handlers (by exception class); the
            errors an endpoint raises on purpose are answered with them, anything
            else propagates as it would from FastAPI.
    """

    def __init__(
        self, routes: Iterable[BaseRoute], error_handlers: Mapping[Any, ErrorHandler]
    ) -> None:
        entries: list[tuple[BaseRoute, _Plan | None]] = [
            (route, _plan(route) if isinstance(route, APIRoute) else None) for route in routes
        ]
        self.planned = sum(1 for _, plan in entries if plan is not None)
        # Per method, the routes that could match, in order, with their literal path
        # prefix (a cheap test before the regular expression); a route of another
        # type stays in every list, where it ends the search.
        methods = {m for route, _ in entries for m in getattr(route, "methods", None) or ()}
        self._by_method: dict[str, list[tuple[str, BaseRoute, _Plan | None]]] = {
            method: [
                (_prefix(route), route, plan)
                for route, plan in entries
                if not isinstance(route, APIRoute) or method in (route.methods or ())
            ]
            for method in methods
        }
        #: ``(method, path)`` -> the lookup's answer; the table never changes, so an
        #: answer stays right. Bounded: emptied when full (paths carry player ids).
        self._found: dict[tuple[str, str], tuple[_Plan, dict[str, Any]] | None] = {}
        self._handlers = {
            cls: handler
            for cls, handler in error_handlers.items()
            if isinstance(cls, type) and cls is not Exception
        }

    def _find(self, scope: Scope) -> tuple[_Plan, dict[str, Any]] | None:
        """The plan of the route FastAPI would choose, with its path values (a fresh
        dict per call); None when that route has no plan, or when FastAPI must decide
        (no route matched fully)."""
        cache_key = (scope["method"], scope["path"])
        try:
            found = self._found[cache_key]
        except KeyError:
            found = self._match(*cache_key)
            if len(self._found) >= _MAX_CACHED_PATHS:
                self._found.clear()
            self._found[cache_key] = found
        return None if found is None else (found[0], dict(found[1]))

    def _match(self, method: str, path: str) -> tuple[_Plan, dict[str, Any]] | None:
        for prefix, route, plan in self._by_method.get(method, ()):
            if not isinstance(route, APIRoute):
                return None  # a mount or an included router: FastAPI decides
            if not path.startswith(prefix):
                continue
            match = route.path_regex.match(path)
            if match is None:
                continue
            if plan is None:
                return None
            convert = route.param_convertors
            values = {
                name: convert[name].convert(value) for name, value in match.groupdict().items()
            }
            return plan, values
        return None

    def covers(self, method: str, path: str) -> bool:
        """Whether a ``method`` request for ``path`` (without a query) runs through a plan."""
        return self._find({"method": method, "path": path}) is not None

    async def respond(
        self, scope: Scope, receive: Receive, body: bytes | None, parsed: Any
    ) -> Response | None:
        """The response of the request if its route has a plan and its body suits it
        (the caller sends it); None leaves the request to FastAPI. ``body`` is the body
        when the caller already read it, ``parsed`` its JSON value (anything but a dict
        when there is none)."""
        found = self._find(scope)
        if found is None:
            return None
        plan, path_values = found
        kwargs: dict[str, Any] = {}
        if plan.body_model is not None:
            if plan.body_optional and not body:
                kwargs[plan.body_name or ""] = None
            elif not isinstance(parsed, dict) or not _json_content_type(scope):
                return None
            else:
                try:
                    kwargs[plan.body_name or ""] = plan.body_model.model_validate(parsed)
                except ValidationError:
                    return None
        if plan.query_defaults:
            if scope.get("query_string"):
                return None  # query values are FastAPI's to validate
            kwargs.update(plan.query_defaults)
        scope["path_params"] = path_values
        scope["route"] = plan.route
        scope["endpoint"] = plan.route.endpoint
        request = Request(scope, receive)
        if body is not None:
            request._body = body  # already read: Request.body() returns it
        if plan.body_model is not None and isinstance(parsed, dict):
            request._json = parsed  # already parsed: Request.json() returns it
        try:
            for name, call in plan.dependencies:
                kwargs[name] = await call(request)
            for name in plan.path_names:
                kwargs[name] = path_values[name]
            if plan.request_name is not None:
                kwargs[plan.request_name] = request
            response: Response = await plan.route.endpoint(**kwargs)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            answer = handler(request, exc)
            response = await answer if inspect.isawaitable(answer) else answer
        return response

    def _handler(self, exc: Exception) -> ErrorHandler | None:
        for cls in type(exc).__mro__:
            handler = self._handlers.get(cls)
            if handler is not None:
                return handler
        return None
