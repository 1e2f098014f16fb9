"""Shared route plumbing: auth dependencies, body access, strict body models and the
one write path every write route takes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.config.models import ApiKeyConfig
from kraty_pygame.emulator.errors import not_found
from kraty_pygame.emulator.http import auth
from kraty_pygame.emulator.http.idempotency import run_write
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of
from kraty_pygame.emulator.store import Transaction

#: ``handler(tx, player) -> (status, data)`` of a player write (see ``run_write``).
PlayerHandler = Callable[[Transaction, auth.PlayerRow], tuple[int, Any]]


class StrictBody(BaseModel):
    """Base of request bodies: wrong JSON types are 400s, unknown fields are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    idempotencyKey: str | None = Field(default=None, min_length=1, max_length=128)


class EmptyBody(StrictBody):
    """``{}`` plus the auto-stamped ``idempotencyKey``."""


# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in
# a worker thread, which costs more than the whole request.


async def _client_key(request: Request) -> ApiKeyConfig:
    return auth.api_key(request, runtime_of(request).api_keys)


async def _server_key(request: Request) -> ApiKeyConfig:
    return auth.server_key(request, runtime_of(request).api_keys)


async def _runtime(request: Request) -> EmulatorRuntime:
    return runtime_of(request)


ClientKey = Annotated[ApiKeyConfig, Depends(_client_key)]
ServerKey = Annotated[ApiKeyConfig, Depends(_server_key)]
Runtime = Annotated[EmulatorRuntime, Depends(_runtime)]


async def body_dict(request: Request) -> dict[str, Any] | None:
    """The JSON body as a dict (already validated by the route's body model), or None."""
    raw = await request.body()
    if not raw.strip():
        return None
    value = await request.json()  # cached by Starlette: FastAPI parsed it already
    return value if isinstance(value, dict) else None


def limit_param(value: int | None, default: int = 50, maximum: int = 200) -> int:
    """``limit`` query values are clamped into 1..maximum."""
    if value is None:
        return default
    return max(1, min(maximum, value))


# ------------------------------------------------------------------------ writes
#
# Every write route takes the one write path: ``run_write`` authorizes the caller,
# replays or rejects a repeated idempotency key, runs the route's handler in one
# store transaction and turns its ``(status, data)`` into the response. A route
# supplies its handler and picks who may act:


async def player_write(
    request: Request,
    key: ApiKeyConfig,
    handler: PlayerHandler,
    *,
    require_key: bool = False,
    with_body: bool = True,
) -> Response:
    """A ``/sdk/v1`` write acting for the path's ``external_id``, authorized by the
    player's secret; ``with_body=False`` ignores any body (no idempotency key)."""
    external_id = str(request.path_params["external_id"])
    return run_write(
        runtime_of(request),
        request,
        api_key=key.key,
        external_id=external_id,
        body=await body_dict(request) if with_body else None,
        authorize=lambda conn: auth.player_for_write(conn, request, external_id),
        handler=handler,
        require_key=require_key,
    )


def server_player(conn: sqlite3.Connection, external_id: str) -> auth.PlayerRow:
    """The player a ``/server/v1`` call names (no secret needed); 404 ``not_found`` if unknown."""
    player = auth.find_player(conn, external_id)
    if player is None:
        raise not_found(f"player {external_id!r}")
    return player


async def server_write(
    request: Request,
    key: ApiKeyConfig,
    handler: PlayerHandler,
    *,
    external_id: str | None = None,
    require_key: bool = False,
) -> Response:
    """A ``/server/v1`` write on behalf of a player (the path's ``external_id`` unless
    given); the server key authorizes it."""
    player_id = external_id if external_id is not None else str(request.path_params["external_id"])
    return run_write(
        runtime_of(request),
        request,
        api_key=key.key,
        external_id=player_id,
        body=await body_dict(request),
        authorize=lambda conn: server_player(conn, player_id),
        handler=handler,
        require_key=require_key,
    )


async def open_write(
    request: Request,
    key: ApiKeyConfig,
    handler: Callable[[Transaction, None], tuple[int, Any]],
    *,
    external_id: str | None = None,
) -> Response:
    """A write that acts for no existing player (registration, a server-made lobby)."""
    return run_write(
        runtime_of(request),
        request,
        api_key=key.key,
        external_id=external_id,
        body=await body_dict(request),
        authorize=lambda _conn: None,
        handler=handler,
    )
