"""Shared route plumbing: auth dependencies, body access, strict body models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from kraty_pygame.emulator import auth
from kraty_pygame.emulator.config import ApiKeyConfig
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of


class StrictBody(BaseModel):
    """Base of request bodies: wrong JSON types are 400s, unknown fields are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    idempotencyKey: str | None = Field(default=None, min_length=1, max_length=128)


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
