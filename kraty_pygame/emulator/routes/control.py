"""The ``/_emulator/*`` control plane: reset, clock, faults, state,
recent requests, finalize, promote. No auth; served only when enabled (by default
when bound to loopback). Not part of Kraty, so hidden from the OpenAPI document."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.domain import lobbies, sweep
from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http import responses
from kraty_pygame.emulator.http.faults import FaultSettings
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of


async def _enabled(request: Request) -> EmulatorRuntime:
    rt = runtime_of(request)
    if not rt.control_plane:
        raise ApiError("not_found", "no such route")
    return rt


router = APIRouter(prefix="/_emulator", include_in_schema=False, tags=["emulator"])


class ClockBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    advance_s: float | None = None
    set: str | None = None


class FaultsBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    latency_ms: float = Field(default=0.0, ge=0)
    fail_rate: float = Field(default=0.0, ge=0, le=1)
    break_after_commit_rate: float = Field(default=0.0, ge=0, le=1)
    routes: list[str] | None = None
    seed: int | None = None


def _clock_state(rt: EmulatorRuntime) -> dict[str, Any]:
    return {"now": iso(rt.now()), "mode": rt.clock.mode, "epoch": iso(rt.epoch)}


@router.get("/health")
async def health(rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    return responses.ok({"ok": True, "now": iso(rt.now())})


@router.post("/reset")
async def reset(rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    rt.reset()
    return responses.ok({"reset": True, **_clock_state(rt)})


@router.get("/clock")
async def read_clock(rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    return responses.ok(_clock_state(rt))


@router.post("/clock")
async def move_clock(body: ClockBody, rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    if (body.advance_s is None) == (body.set is None):
        raise validation_failed("send exactly one of advance_s or set")
    if body.advance_s is not None:
        try:
            rt.clock.advance(body.advance_s)
        except ValueError as exc:
            raise validation_failed(
                str(exc), [{"path": "advance_s", "message": str(exc)}]
            ) from None
    else:
        try:
            moment = parse_iso(str(body.set))
        except ValueError:
            raise validation_failed("set must be an ISO-8601 timestamp") from None
        try:
            rt.clock.set(moment)
        except ValueError as exc:
            raise validation_failed(str(exc), [{"path": "set", "message": str(exc)}]) from None
    with rt.store.write() as tx:
        rt.sweep(tx)
    return responses.ok(_clock_state(rt))


@router.get("/faults")
async def read_faults(rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    return responses.ok(rt.faults.settings.as_dict())


@router.post("/faults")
async def set_faults(body: FaultsBody, rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    rt.faults.configure(
        FaultSettings(
            latency_ms=body.latency_ms,
            fail_rate=body.fail_rate,
            break_after_commit_rate=body.break_after_commit_rate,
            routes=body.routes,
            seed=body.seed,
        )
    )
    return responses.ok(rt.faults.settings.as_dict())


@router.get("/requests")
async def recent_requests(
    limit: int = 50,
    rt: EmulatorRuntime = Depends(_enabled),  # noqa: B008
) -> Response:
    return responses.ok(rt.requests.recent(max(0, min(limit, 10_000))))


@router.post("/events/{event_key}/finalize")
async def finalize_event(event_key: str, rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    with rt.store.write() as tx:
        result = sweep.finalize_event(tx, rt, event_key, rt.now())
    return responses.ok(result)


@router.post("/lobbies/{lobby_id}/promote")
async def promote_lobby(lobby_id: str, rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    with rt.store.write() as tx:
        result = lobbies.force_promote(tx, lobby_id, rt.now())
    return responses.ok(result)


_STATE_TABLES = MappingProxyType(
    {
        "players": "SELECT id, external_id, secret_prefix, registered_at, banned_at, "
        "ban_reason, country, display_name, synthetic_name, metadata, created_at "
        "FROM players ORDER BY created_at",
        "wallet": "SELECT p.external_id, w.economy_key, w.balance, w.updated_at FROM wallet w "
        "JOIN players p ON p.id = w.player_id ORDER BY p.external_id, w.economy_key",
        "inventory": "SELECT p.external_id, i.item_key, i.quantity, i.updated_at FROM inventory i "
        "JOIN players p ON p.id = i.player_id ORDER BY p.external_id, i.item_key",
        "grants": "SELECT g.id, p.external_id, g.kind, g.status, g.source_kind, g.source_ref_id, "
        "g.parent_grant_id, g.contents, g.created_at, g.expires_at FROM grants g "
        "JOIN players p ON p.id = g.player_id ORDER BY g.created_at, g.rowid",
        "attempts": "SELECT a.id, p.external_id, a.event_key, a.window_id, a.leaderboard_id, "
        "a.lobby_id, a.status, a.score, a.metrics, a.metrics_raw, a.started_at, a.ends_at, "
        "a.completed_at FROM attempts a JOIN players p ON p.id = a.player_id ORDER BY a.started_at",
        "windows": "SELECT * FROM windows ORDER BY event_key, starts_at",
        "lobbies": "SELECT * FROM lobbies ORDER BY created_at",
        "lobby_members": "SELECT * FROM lobby_members ORDER BY lobby_id, joined_at",
        # every wallet/inventory change, oldest first: what a test counts to prove a write
        # was applied once (its reason, or the grant it came from in sourceRefId)
        "ledger": "SELECT l.id, p.external_id AS externalPlayerId, l.kind, l.key, l.delta, "
        "l.after, l.reason, l.origin, l.source_ref_id AS sourceRefId, l.occurred_at AS occurredAt "
        "FROM ledger l JOIN players p ON p.id = l.player_id ORDER BY l.id",
    }
)
_JSON_COLUMNS = frozenset({"metadata", "contents", "metrics", "metrics_raw"})


def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [
        {
            name: (json.loads(value) if name in _JSON_COLUMNS and isinstance(value, str) else value)
            for name, value in zip(names, row, strict=True)
        }
        for row in cur.fetchall()
    ]


@router.get("/state")
async def state(rt: EmulatorRuntime = Depends(_enabled)) -> Response:  # noqa: B008
    dump: dict[str, Any] = {
        "clock": _clock_state(rt),
        "config": rt.config.source,
        "database": rt.store.path,
        "faults": rt.faults.settings.as_dict(),
    }
    with rt.store.read() as conn:
        for name, sql in _STATE_TABLES.items():
            dump[name] = _rows(conn, sql)
    return responses.ok(dump)
