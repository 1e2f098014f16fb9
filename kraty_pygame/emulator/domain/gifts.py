"""Friend gifting: a gift is a pending reward grant for its recipient."""

from __future__ import annotations

import sqlite3
import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.config.models import GiftingConfig
from kraty_pygame.emulator.domain import economy, friends, grants, identity
from kraty_pygame.emulator.errors import ApiError, not_found, validation_failed
from kraty_pygame.emulator.http.auth import PlayerRow
from kraty_pygame.emulator.ids import new_id

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

MAX_MESSAGE_LENGTH: Final = 140
GIFT_STATUSES: Final = ("pending", "claimed", "expired", "failed")

_STATUS_SQL: Final = (
    "CASE WHEN gr.status = 'claimed' THEN 'claimed' "
    "WHEN gr.status = 'expired' OR (gr.expires_at IS NOT NULL AND gr.expires_at <= :now) "
    "THEN 'expired' WHEN gr.id IS NULL THEN 'failed' ELSE 'pending' END"
)
_SELECT: Final = (
    "SELECT g.id, g.grant_id, g.sender_id, g.recipient_id, g.type, g.resource_key, g.amount, "
    f"g.message, g.sent_at, gr.claimed_at, gr.expires_at, {_STATUS_SQL} AS gift_status "
    "FROM gifts g LEFT JOIN grants gr ON gr.id = g.grant_id"
)


def gifting(rt: GameContext) -> GiftingConfig:
    """The ``[gifting]`` section.

    Raises:
        ApiError: 403 ``gifting_disabled`` when gifting is off for this game.
    """
    section = rt.config.platform.gifting
    if not section.enabled:
        raise ApiError("gifting_disabled", "gifting is disabled for this game")
    return section


def _local_day(rt: GameContext, now: datetime) -> str:
    return now.astimezone(zoneinfo.ZoneInfo(rt.config.game.timezone)).date().isoformat()


def sent_today(conn: sqlite3.Connection, rt: GameContext, me: str, now: datetime) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM gifts WHERE sender_id = ? AND sent_day = ?",
        (me, _local_day(rt, now)),
    ).fetchone()
    return int(row[0])


def catalog(conn: sqlite3.Connection, rt: GameContext, me: str, now: datetime) -> dict[str, Any]:
    """``GiftCatalog``."""
    section = gifting(rt)
    resources: list[dict[str, Any]] = []
    for res in section.resources:
        entry: dict[str, Any] = {"type": res.type, "key": res.key}
        if res.type == "currency":
            currency = rt.config.currency(res.key)
            entry.update(
                name=currency.name if currency else res.key,
                iconUrl=currency.icon_url if currency else None,
                economyKind=currency.kind if currency else None,
            )
        else:
            item = rt.config.item(res.key)
            entry.update(
                name=item.name if item else res.key,
                iconUrl=item.icon_url if item else None,
                rarity=item.rarity if item else None,
            )
        entry.update(maxAmount=res.max_amount, costsSender=res.costs_sender)
        resources.append(entry)
    return {
        "enabled": True,
        "cooldownSeconds": _number(section.cooldown_seconds),
        "dailySendLimit": section.daily_send_limit or None,
        "sentToday": sent_today(conn, rt, me, now),
        "resources": resources,
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _dto(conn: sqlite3.Connection, row: sqlite3.Row, viewer: str) -> dict[str, Any]:
    incoming = row[3] == viewer
    other = row[2] if incoming else row[3]
    return {
        "giftId": row[0],
        "grantId": row[1],
        "direction": "incoming" if incoming else "outgoing",
        "player": identity.player_ref(conn, other),
        "type": row[4],
        "resourceKey": row[5],
        "amount": int(row[6]),
        "message": row[7],
        "status": row[11],
        "sentAt": row[8],
        "claimedAt": row[9],
        "expiresAt": row[10],
    }


def get_gift(
    conn: sqlite3.Connection, gift_id: str, viewer: str, now: datetime
) -> dict[str, Any] | None:
    row = conn.execute(f"{_SELECT} WHERE g.id = :id", {"id": gift_id, "now": iso(now)}).fetchone()
    return _dto(conn, row, viewer) if row is not None else None


def list_gifts(
    conn: sqlite3.Connection,
    me: str,
    *,
    direction: str,
    status: str | None,
    limit: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Incoming or outgoing gifts: newest first, optionally one status."""
    if status is not None and status not in GIFT_STATUSES:
        raise validation_failed(
            f"status must be one of {', '.join(GIFT_STATUSES)}",
            [{"path": "status", "message": "invalid status"}],
        )
    column = "g.recipient_id" if direction == "incoming" else "g.sender_id"
    sql = f"{_SELECT} WHERE {column} = :me"
    if status is not None:
        sql += f" AND {_STATUS_SQL} = :status"
    sql += " ORDER BY g.sent_at DESC, g.rowid DESC LIMIT :limit"
    rows = conn.execute(
        sql, {"me": me, "now": iso(now), "status": status, "limit": limit}
    ).fetchall()
    return [_dto(conn, row, me) for row in rows]


def _check_input(section: GiftingConfig, body: dict[str, Any]) -> tuple[str, str, int, str | None]:
    kind, key, amount = body.get("type"), body.get("resourceKey"), body.get("amount")
    message = body.get("message")
    problems: list[dict[str, Any]] = []
    if kind not in ("item", "currency"):
        problems.append({"path": "type", "message": "must be 'item' or 'currency'"})
    if not isinstance(key, str) or not key:
        problems.append({"path": "resourceKey", "message": "required"})
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        problems.append({"path": "amount", "message": "must be a positive integer"})
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE_LENGTH):
        problems.append({"path": "message", "message": f"at most {MAX_MESSAGE_LENGTH} characters"})
    if problems:
        raise validation_failed("invalid gift", problems)
    assert isinstance(kind, str) and isinstance(key, str) and isinstance(amount, int)
    resource = section.resource(kind, key)
    if resource is None:
        raise validation_failed(
            f"{kind} {key!r} is not giftable",
            [{"path": "resourceKey", "message": "not in the gift catalog"}],
        )
    if amount > resource.max_amount:
        raise validation_failed(
            f"at most {resource.max_amount} {key} per gift",
            [{"path": "amount", "message": f"maximum {resource.max_amount}"}],
        )
    return kind, key, amount, message


def send(
    conn: sqlite3.Connection,
    rt: GameContext,
    me: PlayerRow,
    body: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Send a gift; returns the ``Gift`` (outgoing).

    The gift is a pending reward grant for the recipient (``sourceKind: "gift"``,
    ``sourceRefId`` = the gift id) that pays out when claimed, through :func:`claim`
    or through ``grants.claim(grantId)``; the gift's ``status`` follows its grant
    (``pending``, ``claimed``, ``expired``). A ``costsSender`` resource is debited from
    the sender first.

    Raises:
        ApiError: 403 ``forbidden`` (not friends) or ``player_blocked`` (a block either
            way); 400 ``validation_failed`` (to yourself, a resource not listed in
            ``[gifting] resources`` with that ``type``, an amount outside
            ``1..maxAmount``); 409 ``conflict`` with ``details.reason``
            ``gift_cooldown`` (plus ``giftCooldownUntil``) or ``daily_send_limit``,
            or when the sender is short of a ``costsSender`` resource (nothing sent).
    """
    section = gifting(rt)
    kind, key, amount, message = _check_input(section, body)
    target = friends.resolve_target(conn, body)
    if target.id == me.id:
        raise validation_failed(
            "you cannot gift yourself", [{"path": "externalPlayerId", "message": "self"}]
        )
    if friends.is_blocked_between(conn, me.id, target.id):
        raise ApiError("player_blocked", "one of the two players blocked the other")
    if not friends.are_friends(conn, me.id, target.id):
        raise ApiError("forbidden", "gifts can only be sent to friends")
    until = friends.gift_cooldown_until(
        conn, me.id, target.id, cooldown_s=section.cooldown_seconds, now=now
    )
    if until is not None:
        raise ApiError(
            "conflict",
            f"you can gift this friend again at {until}",
            {"reason": "gift_cooldown", "giftCooldownUntil": until},
        )
    count = sent_today(conn, rt, me.id, now)
    if section.daily_send_limit and count >= section.daily_send_limit:
        raise ApiError(
            "conflict",
            f"daily gift limit of {section.daily_send_limit} reached",
            {
                "reason": "daily_send_limit",
                "dailySendLimit": section.daily_send_limit,
                "sentToday": count,
            },
        )
    gift_id = new_id(conn, "gift", rt.rng_seed)
    resource = section.resource(kind, key)
    if resource is not None and resource.costs_sender:
        if kind == "currency":
            economy.change_balance(
                conn,
                player_id=me.id,
                economy_key=key,
                delta=-amount,
                now=iso(now),
                reason="gift_sent",
                origin="client",
                source_ref_id=gift_id,
            )
        else:
            economy.change_quantity(
                conn,
                player_id=me.id,
                item_key=key,
                delta=-amount,
                now=iso(now),
                reason="gift_sent",
                origin="client",
                source_ref_id=gift_id,
            )
    entry = (
        {"type": "currency", "currencyKey": key, "amount": amount}
        if kind == "currency"
        else {"type": "item", "itemKey": key, "quantity": amount}
    )
    grant = grants.create_pending_grant(
        conn,
        rt,
        player_id=target.id,
        kind="reward",
        entries=[entry],
        source_kind="gift",
        source_ref_id=gift_id,
        now=now,
        metadata={"giftId": gift_id, "from": me.external_id},
    )
    conn.execute(
        "INSERT INTO gifts (id, grant_id, sender_id, recipient_id, type, resource_key, amount, "
        "message, sent_at, sent_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            gift_id,
            grant["id"],
            me.id,
            target.id,
            kind,
            key,
            amount,
            message,
            iso(now),
            _local_day(rt, now),
        ),
    )
    gift = get_gift(conn, gift_id, me.id, now)
    assert gift is not None
    return gift


def claim(
    conn: sqlite3.Connection, rt: GameContext, me: str, gift_id: str, now: datetime
) -> dict[str, Any]:
    """Claim an incoming gift (its grant pays out); claiming again returns the same row.

    Raises:
        ApiError: 404 ``not_found`` (unknown, not yours, or expired).
    """
    gifting(rt)
    row = conn.execute(
        "SELECT grant_id, recipient_id FROM gifts WHERE id = ?", (gift_id,)
    ).fetchone()
    if row is None or row[1] != me:
        raise not_found(f"gift {gift_id!r}")
    grants.claim(conn, rt, me, str(row[0]), now)
    gift = get_gift(conn, gift_id, me, now)
    assert gift is not None
    return gift
