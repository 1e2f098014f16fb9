"""Events: list the startable ones, start an attempt, report progress, finish."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import attempts, events
from kraty_pygame.emulator.errors import not_found
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    EmptyBody,
    PlayerHandler,
    StrictBody,
    player_write,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["events"])

_PLAYER = "/sdk/v1/players/{external_id}"


class StartBody(StrictBody):
    """``{"playerContext"?: {...}, "idempotencyKey": ...}``."""

    playerContext: dict[str, Any] | None = None


class ProgressBody(StrictBody):
    """``ProgressInput``: ``mode`` plus ``metricValue`` or ``metrics``."""

    mode: Literal["set", "increment"] = "set"
    metricValue: float | None = None
    metrics: dict[str, float] | None = None
    occurredAt: str | None = None


@router.get(f"{_PLAYER}/events")
async def list_events(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
) -> Response:
    """Events the player can start now (key-only; unknown ids see a new player's list)."""
    rt = runtime_of(request)
    del key, request
    with rt.store.write() as tx:
        player = auth.find_player(tx.conn, external_id)
        return responses.ok(events.list_for_player(tx, rt, player, rt.now()))


@router.post(f"{_PLAYER}/events/{{event_key}}/start", status_code=201)
async def start(
    request: Request,
    *,
    external_id: str,
    event_key: str,
    key: ClientKey,
    body: StartBody | None = None,
) -> Response:
    """201 new attempt, 200 the in-progress one, 202 ``lobby_forming``, or an error."""
    rt = runtime_of(request)
    context = body.playerContext if body is not None else None

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
        return events.start(
            tx, rt, event_key=event_key, player=player, player_context=context, now=rt.now()
        )

    return await player_write(request, key, handler)


def event_or_404(rt: EmulatorRuntime, event_key: str) -> Any:
    event = rt.config.event(event_key)
    if event is None:
        raise not_found(f"event {event_key!r}")
    return event


def progress_handler(
    rt: EmulatorRuntime, event_key: str, attempt_id: str, body: ProgressBody
) -> PlayerHandler:
    """The write of a progress report (client or server side)."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
        return 200, attempts.progress(
            tx,
            rt,
            event=event_or_404(rt, event_key),
            player=player,
            attempt_id=attempt_id,
            body=body.model_dump(exclude_none=True),
            now=rt.now(),
        )

    return handler


def finish_handler(rt: EmulatorRuntime, event_key: str, attempt_id: str) -> PlayerHandler:
    """The write that ends an attempt now (client or server side)."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
        return 200, attempts.finish(
            tx.conn,
            rt,
            event=event_or_404(rt, event_key),
            player=player,
            attempt_id=attempt_id,
            now=rt.now(),
        )

    return handler


@router.post(f"{_PLAYER}/events/{{event_key}}/attempts/{{attempt_id}}/finish")
async def finish(
    request: Request,
    *,
    external_id: str,
    event_key: str,
    attempt_id: str,
    key: ClientKey,
    body: EmptyBody | None = None,
) -> Response:
    """End the attempt now: ``{attempt, outcome: completed | expired}``."""
    del body
    handler = finish_handler(runtime_of(request), event_key, attempt_id)
    return await player_write(request, key, handler)


@router.post(f"{_PLAYER}/events/{{event_key}}/attempts/{{attempt_id}}/progress")
async def progress(
    request: Request,
    *,
    external_id: str,
    event_key: str,
    attempt_id: str,
    body: ProgressBody,
    key: ClientKey,
) -> Response:
    """Set / increment metrics; ``milestonesFired`` lists what this write crossed."""
    handler = progress_handler(runtime_of(request), event_key, attempt_id, body)
    return await player_write(request, key, handler)
