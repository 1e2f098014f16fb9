"""Friends: friend code, presence, list, search, requests, remove, blocks.

Every route needs the key and the player's secret. List reads of a player that
was never registered answer empty lists; the friend-code read mints the code, so
it needs a registered player.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.domain import friends, identity, presence
from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    EmptyBody,
    Runtime,
    StrictBody,
    body_dict,
    limit_param,
    player_write,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime
from kraty_pygame.emulator.store import Transaction

router = APIRouter(tags=["friends"])

ProgressionQuery = Annotated[str | None, Query(description="economy keys, comma-separated (max 8)")]
_BASE = "/sdk/v1/players/{external_id}"


class PresenceBody(StrictBody):
    """``{"status"?: string | null}`` (omitted = keep the previous status)."""

    status: str | None = None


class TargetBody(StrictBody):
    """A player named by ``friendCode`` **or** ``externalPlayerId``."""

    friendCode: str | None = None
    externalPlayerId: str | None = None


def _timing(rt: EmulatorRuntime) -> tuple[float, float | None]:
    """(presence TTL, gift cooldown or None when gifting is off)."""
    cfg = rt.config.platform
    cooldown = cfg.gifting.cooldown_seconds if cfg.gifting.enabled else None
    return cfg.friends.presence_ttl_s, cooldown


def _friend_builder(tx: Transaction, rt: EmulatorRuntime, me: str) -> Callable[[str, str], Any]:
    ttl, cooldown = _timing(rt)
    now = rt.now()

    def build(friend_id: str, since: str) -> Any:
        return friends.friend_dto(
            tx.conn, me, friend_id, since, now=now, ttl_s=ttl, cooldown_s=cooldown, keys=[]
        )

    return build


# ------------------------------------------------------------------ reads


@router.get(_BASE + "/friend-code")
async def get_friend_code(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    progression: ProgressionQuery = None,
) -> Response:
    """``FriendCode {friendCode, displayIdentity, progression?}`` (stable forever)."""
    del key
    keys = identity.parse_progression(progression)
    with rt.store.write() as tx:
        player = auth.player_for_read(tx.conn, request, external_id)
        if player is None:
            raise ApiError("player_secret_invalid", "player secret missing or invalid")
        data: dict[str, Any] = {
            "friendCode": friends.friend_code(tx.conn, rt.rng_seed, player.id, rt.now()),
            "displayIdentity": identity.public_identity(tx.conn, player.id),
        }
        prog = identity.progression(tx.conn, player.id, keys, rt.config)
        if prog is not None:
            data["progression"] = prog
    return responses.ok(data)


@router.get(_BASE + "/friends")
async def list_friends(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    progression: ProgressionQuery = None,
) -> Response:
    """``{friends: Friend[]}`` with presence (and progression when asked)."""
    del key
    keys = identity.parse_progression(progression)
    ttl, cooldown = _timing(rt)
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok({"friends": []})
        rows = friends.list_friends(
            conn, player.id, now=rt.now(), ttl_s=ttl, cooldown_s=cooldown, keys=keys, cfg=rt.config
        )
    return responses.ok({"friends": rows})


@router.get(_BASE + "/friends/search")
async def search(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    q: str = "",
    limit: int | None = Query(default=None, ge=1, le=200),
    progression: ProgressionQuery = None,
) -> Response:
    """``{results: FriendSearchResult[]}`` (name, id or friend code; blocks omitted)."""
    del key
    keys = identity.parse_progression(progression)
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok({"results": []})
        results = friends.search(
            conn,
            player.id,
            q,
            limit=limit_param(limit, default=20, maximum=50),
            keys=keys,
            cfg=rt.config,
        )
    return responses.ok({"results": results})


@router.get(_BASE + "/friends/requests")
async def list_requests(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    progression: ProgressionQuery = None,
) -> Response:
    """``FriendRequests {incoming[], outgoing[]}`` (pending only)."""
    del key
    keys = identity.parse_progression(progression)
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok({"incoming": [], "outgoing": []})
        return responses.ok(friends.list_requests(conn, player.id, keys, rt.config))


@router.get(_BASE + "/blocks")
async def list_blocks(
    request: Request, *, external_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """``{blocked: BlockedPlayer[]}``."""
    del key
    with rt.store.read() as conn:
        player = auth.player_for_read(conn, request, external_id)
        if player is None:
            return responses.ok({"blocked": []})
        return responses.ok({"blocked": friends.list_blocks(conn, player.id)})


# ------------------------------------------------------------------ writes


@router.post(_BASE + "/presence")
async def heartbeat(
    request: Request,
    *,
    external_id: str,
    key: ClientKey,
    rt: Runtime,
    body: PresenceBody | None = None,
) -> Response:
    """Presence heartbeat: ``PlayerPresence {online, lastActiveAt, status}``."""
    del body
    raw = await body_dict(request)

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        now = rt.now()
        status = (raw or {}).get("status", presence.unset())
        presence.heartbeat(tx.conn, player.id, status=status, now=now)
        ttl, _ = _timing(rt)
        return 200, presence.presence_of(tx.conn, player.id, now=now, ttl_s=ttl)

    return await player_write(request, key, handler)


@router.post(_BASE + "/friends/requests")
async def send_request(
    request: Request, *, external_id: str, body: TargetBody, key: ClientKey, rt: Runtime
) -> Response:
    """``SendFriendRequestResult {status, request?, friend?}``."""
    del body
    raw = await body_dict(request) or {}

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        target = friends.resolve_target(tx.conn, raw)
        return 200, friends.send_request(
            tx.conn,
            rt.rng_seed,
            player,
            target,
            now=rt.now(),
            friend=_friend_builder(tx, rt, player.id),
        )

    return await player_write(request, key, handler)


@router.post(_BASE + "/friends/requests/{request_id}/accept")
async def accept_request(
    request: Request,
    *,
    external_id: str,
    request_id: str,
    key: ClientKey,
    rt: Runtime,
    body: EmptyBody | None = None,
) -> Response:
    """``{friend: Friend}``."""
    del body

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        other = friends.resolve_request(tx.conn, player.id, request_id, "accept", now=rt.now())
        since = friends.friends_since(tx.conn, player.id, other)
        return 200, {"friend": _friend_builder(tx, rt, player.id)(other, since)}

    return await player_write(request, key, handler)


@router.post(_BASE + "/friends/requests/{request_id}/decline")
async def decline_request(
    request: Request,
    *,
    external_id: str,
    request_id: str,
    key: ClientKey,
    rt: Runtime,
    body: EmptyBody | None = None,
) -> Response:
    """``{declined: true}``."""
    del body

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        friends.resolve_request(tx.conn, player.id, request_id, "decline", now=rt.now())
        return 200, {"declined": True}

    return await player_write(request, key, handler)


@router.delete(_BASE + "/friends/requests/{request_id}")
async def cancel_request(
    request: Request, *, external_id: str, request_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """Cancel an outgoing request: ``{cancelled: true}``."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        friends.resolve_request(tx.conn, player.id, request_id, "cancel", now=rt.now())
        return 200, {"cancelled": True}

    return await player_write(request, key, handler, with_body=False)


@router.delete(_BASE + "/friends/{friend_external_id}")
async def remove_friend(
    request: Request, *, external_id: str, friend_external_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """``{removed: true}``."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        friends.remove(tx.conn, player.id, friend_external_id)
        return 200, {"removed": True}

    return await player_write(request, key, handler, with_body=False)


@router.post(_BASE + "/blocks")
async def block(
    request: Request, *, external_id: str, body: TargetBody, key: ClientKey, rt: Runtime
) -> Response:
    """``{blocked: BlockedPlayer}``; ends the friendship and pending requests."""
    del body
    raw = await body_dict(request) or {}

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        target = friends.resolve_target(tx.conn, raw)
        blocked_at = friends.block(tx.conn, player, target, now=rt.now())
        ref = identity.player_ref(tx.conn, target.id)
        return 200, {"blocked": {**ref, "blockedAt": blocked_at}}

    return await player_write(request, key, handler)


@router.delete(_BASE + "/blocks/{blocked_external_id}")
async def unblock(
    request: Request, *, external_id: str, blocked_external_id: str, key: ClientKey, rt: Runtime
) -> Response:
    """``{unblocked: true}``."""

    def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, object]:
        friends.unblock(tx.conn, player.id, blocked_external_id)
        return 200, {"unblocked": True}

    return await player_write(request, key, handler, with_body=False)
