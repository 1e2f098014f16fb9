"""Friends: friend codes, requests, friendships and blocks."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from typing import Any, Final

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import GameConfig
from kraty_pygame.emulator.domain import identity, presence
from kraty_pygame.emulator.errors import ApiError, not_found, validation_failed
from kraty_pygame.emulator.http.auth import PlayerRow, find_player, find_player_by_id
from kraty_pygame.emulator.ids import new_id

CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH: Final = 6


# ------------------------------------------------------------------ codes and targets


def _code_candidate(seed: int, player_id: str, attempt: int) -> str:
    digest = int(hashlib.sha256(f"{seed}:{player_id}:{attempt}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(CODE_LENGTH):
        digest, index = divmod(digest, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def friend_code(conn: sqlite3.Connection, seed: int, player_id: str, now: datetime) -> str:
    """The player's friend code, minted on first use (needs a write transaction then).

    Six characters of :data:`CODE_ALPHABET` (no 0/O/1/I), derived from the RNG seed
    and the player id; stable once minted.
    """
    row = conn.execute("SELECT code FROM friend_codes WHERE player_id = ?", (player_id,)).fetchone()
    if row is not None:
        return str(row[0])
    attempt = 0
    while True:
        code = _code_candidate(seed, player_id, attempt)
        taken = conn.execute("SELECT 1 FROM friend_codes WHERE code = ?", (code,)).fetchone()
        if taken is None:
            conn.execute(
                "INSERT INTO friend_codes (player_id, code, created_at) VALUES (?, ?, ?)",
                (player_id, code, iso(now)),
            )
            return code
        attempt += 1


def normalize_code(code: str) -> str:
    """Codes are matched case-insensitively, ignoring spaces and dashes."""
    return code.replace(" ", "").replace("-", "").upper()


def resolve_target(conn: sqlite3.Connection, body: dict[str, Any]) -> PlayerRow:
    """The player named by ``friendCode`` or ``externalPlayerId`` (exactly one of them).

    Raises:
        ApiError: 400 ``validation_failed``; 404 ``friend_code_invalid`` / ``not_found``.
    """
    code = body.get("friendCode")
    external_id = body.get("externalPlayerId")
    if (code is None) == (external_id is None):
        raise validation_failed(
            "pass exactly one of friendCode and externalPlayerId",
            [{"path": "friendCode", "message": "friendCode or externalPlayerId required"}],
        )
    if code is not None:
        if not isinstance(code, str) or not code:
            raise validation_failed(
                "friendCode must be a string", [{"path": "friendCode", "message": "invalid"}]
            )
        row = conn.execute(
            "SELECT player_id FROM friend_codes WHERE code = ?", (normalize_code(code),)
        ).fetchone()
        target = find_player_by_id(conn, row[0]) if row is not None else None
        if target is None:
            raise ApiError("friend_code_invalid", f"no player has friend code {code!r}")
        return target
    if not isinstance(external_id, str) or not external_id:
        raise validation_failed(
            "externalPlayerId must be a non-empty string",
            [{"path": "externalPlayerId", "message": "invalid"}],
        )
    target = find_player(conn, external_id)
    if target is None:
        raise not_found(f"player {external_id!r}")
    return target


# ------------------------------------------------------------------ relations


def are_friends(conn: sqlite3.Connection, a: str, b: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM friendships WHERE player_id = ? AND friend_id = ?", (a, b)
    ).fetchone()
    return row is not None


def is_blocked_between(conn: sqlite3.Connection, a: str, b: str) -> bool:
    """True when either player blocked the other."""
    row = conn.execute(
        "SELECT 1 FROM blocks WHERE (player_id = ? AND blocked_id = ?) "
        "OR (player_id = ? AND blocked_id = ?)",
        (a, b, b, a),
    ).fetchone()
    return row is not None


def _pending(conn: sqlite3.Connection, sender: str, recipient: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, created_at FROM friend_requests WHERE from_player = ? AND to_player = ? "
        "AND status = 'pending'",
        (sender, recipient),
    ).fetchone()
    return row


def relationship(conn: sqlite3.Connection, me: str, other: str) -> str:
    """``none`` | ``friends`` | ``request_incoming`` | ``request_outgoing``."""
    if are_friends(conn, me, other):
        return "friends"
    if _pending(conn, other, me) is not None:
        return "request_incoming"
    if _pending(conn, me, other) is not None:
        return "request_outgoing"
    return "none"


def last_gift_sent_at(conn: sqlite3.Connection, sender: str, recipient: str) -> str | None:
    row = conn.execute(
        "SELECT MAX(sent_at) FROM gifts WHERE sender_id = ? AND recipient_id = ?",
        (sender, recipient),
    ).fetchone()
    return str(row[0]) if row is not None and row[0] is not None else None


def gift_cooldown_until(
    conn: sqlite3.Connection, sender: str, recipient: str, *, cooldown_s: float, now: datetime
) -> str | None:
    """When ``sender`` may gift ``recipient`` again; None when it may now."""
    last = last_gift_sent_at(conn, sender, recipient)
    if last is None or cooldown_s <= 0:
        return None
    until = parse_iso(last) + timedelta(seconds=cooldown_s)
    return iso(until) if until > now else None


# ------------------------------------------------------------------ DTOs


def friend_dto(
    conn: sqlite3.Connection,
    me: str,
    friend_id: str,
    since: str,
    *,
    now: datetime,
    ttl_s: float,
    cooldown_s: float | None,
    keys: list[str],
    cfg: GameConfig | None = None,
) -> dict[str, Any]:
    """``Friend {externalPlayerId, progression?, displayIdentity, friendsSince, online,
    lastActiveAt, status, giftCooldownUntil?}`` (``giftCooldownUntil`` only with gifting)."""
    ref = identity.player_ref(conn, friend_id)
    dto: dict[str, Any] = {
        "externalPlayerId": ref["externalPlayerId"],
        "displayIdentity": ref["displayIdentity"],
        "friendsSince": since,
        **presence.presence_of(conn, friend_id, now=now, ttl_s=ttl_s),
    }
    prog = identity.progression(conn, friend_id, keys, cfg)
    if prog is not None:
        dto["progression"] = prog
    if cooldown_s is not None:
        dto["giftCooldownUntil"] = gift_cooldown_until(
            conn, me, friend_id, cooldown_s=cooldown_s, now=now
        )
    return dto


def _request_dto(
    conn: sqlite3.Connection,
    request_id: str,
    direction: str,
    other: str,
    created_at: str,
    *,
    keys: list[str],
    cfg: GameConfig | None = None,
) -> dict[str, Any]:
    player = identity.player_ref(conn, other)
    prog = identity.progression(conn, other, keys, cfg)
    if prog is not None:
        player["progression"] = prog
    return {
        "requestId": request_id,
        "direction": direction,
        "player": player,
        "createdAt": created_at,
    }


# ------------------------------------------------------------------ reads


def list_friends(
    conn: sqlite3.Connection,
    me: str,
    *,
    now: datetime,
    ttl_s: float,
    cooldown_s: float | None,
    keys: list[str],
    cfg: GameConfig | None = None,
) -> list[dict[str, Any]]:
    """Friends, oldest friendship first."""
    rows = conn.execute(
        "SELECT friend_id, since FROM friendships WHERE player_id = ? ORDER BY since, friend_id",
        (me,),
    ).fetchall()
    return [
        friend_dto(
            conn,
            me,
            row[0],
            row[1],
            now=now,
            ttl_s=ttl_s,
            cooldown_s=cooldown_s,
            keys=keys,
            cfg=cfg,
        )
        for row in rows
    ]


def list_requests(
    conn: sqlite3.Connection, me: str, keys: list[str], cfg: GameConfig | None = None
) -> dict[str, Any]:
    """Pending requests ``{incoming, outgoing}``, oldest first."""
    incoming = conn.execute(
        "SELECT id, from_player, created_at FROM friend_requests WHERE to_player = ? "
        "AND status = 'pending' ORDER BY created_at, id",
        (me,),
    ).fetchall()
    outgoing = conn.execute(
        "SELECT id, to_player, created_at FROM friend_requests WHERE from_player = ? "
        "AND status = 'pending' ORDER BY created_at, id",
        (me,),
    ).fetchall()
    return {
        "incoming": [
            _request_dto(conn, r[0], "incoming", r[1], r[2], keys=keys, cfg=cfg) for r in incoming
        ],
        "outgoing": [
            _request_dto(conn, r[0], "outgoing", r[1], r[2], keys=keys, cfg=cfg) for r in outgoing
        ],
    }


def search(
    conn: sqlite3.Connection,
    me: str,
    query: str,
    *,
    limit: int,
    keys: list[str],
    cfg: GameConfig | None = None,
) -> list[dict[str, Any]]:
    """Players whose name or external id contains ``query`` (case-insensitive), or
    whose friend code is ``query``; yourself and blocked players (either way) omitted."""
    text = query.strip()
    if not text:
        return []
    like = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT p.id FROM players p LEFT JOIN friend_codes c ON c.player_id = p.id "
        "WHERE p.id != ? AND p.secret_hash IS NOT NULL AND ("
        "LOWER(COALESCE(p.display_name, p.synthetic_name, '')) LIKE ? ESCAPE '\\' "
        "OR LOWER(p.external_id) LIKE ? ESCAPE '\\' OR c.code = ?) "
        "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.player_id = ? AND b.blocked_id = p.id) "
        "OR (b.player_id = p.id AND b.blocked_id = ?)) "
        "ORDER BY p.external_id LIMIT ?",
        (me, like, like, normalize_code(text), me, me, limit),
    ).fetchall()
    results: list[dict[str, Any]] = []
    for (other,) in rows:
        ref = identity.player_ref(conn, other)
        result: dict[str, Any] = {**ref, "relationship": relationship(conn, me, other)}
        prog = identity.progression(conn, other, keys, cfg)
        if prog is not None:
            result["progression"] = prog
        results.append(result)
    return results


def list_blocks(conn: sqlite3.Connection, me: str) -> list[dict[str, Any]]:
    """Players I blocked, newest first."""
    rows = conn.execute(
        "SELECT blocked_id, blocked_at FROM blocks WHERE player_id = ? "
        "ORDER BY blocked_at DESC, blocked_id",
        (me,),
    ).fetchall()
    return [{**identity.player_ref(conn, row[0]), "blockedAt": row[1]} for row in rows]


# ------------------------------------------------------------------ writes


def _befriend(conn: sqlite3.Connection, a: str, b: str, now: datetime) -> str:
    stamp = iso(now)
    conn.execute(
        "INSERT OR IGNORE INTO friendships (player_id, friend_id, since) VALUES (?, ?, ?), "
        "(?, ?, ?)",
        (a, b, stamp, b, a, stamp),
    )
    return stamp


def send_request(
    conn: sqlite3.Connection,
    seed: int,
    me: PlayerRow,
    target: PlayerRow,
    *,
    now: datetime,
    friend: Any,
) -> dict[str, Any]:
    """``SendFriendRequestResult {status: pending | accepted, request?, friend?}``.

    The target is named by ``friendCode`` or ``externalPlayerId``, exactly one (see
    :func:`resolve_target`). A request to someone who already asked you accepts
    theirs (``status: accepted``); asking again while your request is pending returns
    that same request. ``friend(friend_id, since)`` builds the ``Friend`` DTO of an
    auto-accepted request.

    Raises:
        ApiError: 400 ``cannot_friend_self``; 403 ``player_blocked`` (either side
            blocked the other); 409 ``already_friends``.
    """
    if target.id == me.id:
        raise ApiError("cannot_friend_self", "you cannot send a friend request to yourself")
    if is_blocked_between(conn, me.id, target.id):
        raise ApiError("player_blocked", "one of the two players blocked the other")
    if are_friends(conn, me.id, target.id):
        raise ApiError("already_friends", f"already friends with {target.external_id!r}")
    theirs = _pending(conn, target.id, me.id)
    if theirs is not None:
        conn.execute(
            "UPDATE friend_requests SET status = 'accepted', resolved_at = ? WHERE id = ?",
            (iso(now), theirs[0]),
        )
        since = _befriend(conn, me.id, target.id, now)
        return {"status": "accepted", "friend": friend(target.id, since)}
    mine = _pending(conn, me.id, target.id)
    if mine is None:
        request_id = new_id(conn, "frq", seed)
        conn.execute(
            "INSERT INTO friend_requests (id, from_player, to_player, status, created_at) "
            "VALUES (?, ?, ?, 'pending', ?)",
            (request_id, me.id, target.id, iso(now)),
        )
        created_at = iso(now)
    else:
        request_id, created_at = str(mine[0]), str(mine[1])
    return {
        "status": "pending",
        "request": _request_dto(conn, request_id, "outgoing", target.id, created_at, keys=[]),
    }


def _request_row(conn: sqlite3.Connection, request_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, from_player, to_player, status FROM friend_requests WHERE id = ?",
        (request_id,),
    ).fetchone()
    return row


def resolve_request(
    conn: sqlite3.Connection, me: str, request_id: str, action: str, *, now: datetime
) -> str:
    """Accept / decline (recipient) or cancel (sender) a pending request.

    Returns the other player's id.

    Raises:
        ApiError: 404 ``not_found`` when the request is not a pending one of yours;
            403 ``player_blocked`` when accepting across a block.
    """
    row = _request_row(conn, request_id)
    mine_field = 1 if action == "cancel" else 2
    if row is None or row[3] != "pending" or row[mine_field] != me:
        raise not_found(f"friend request {request_id!r}")
    other = str(row[2] if action == "cancel" else row[1])
    status = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}[action]
    if action == "accept":
        if is_blocked_between(conn, me, other):
            raise ApiError("player_blocked", "one of the two players blocked the other")
        _befriend(conn, me, other, now)
    conn.execute(
        "UPDATE friend_requests SET status = ?, resolved_at = ? WHERE id = ?",
        (status, iso(now), request_id),
    )
    return other


def friends_since(conn: sqlite3.Connection, me: str, other: str) -> str:
    row = conn.execute(
        "SELECT since FROM friendships WHERE player_id = ? AND friend_id = ?", (me, other)
    ).fetchone()
    return str(row[0]) if row is not None else ""


def _unfriend(conn: sqlite3.Connection, a: str, b: str) -> int:
    return conn.execute(
        "DELETE FROM friendships WHERE (player_id = ? AND friend_id = ?) "
        "OR (player_id = ? AND friend_id = ?)",
        (a, b, b, a),
    ).rowcount


def remove(conn: sqlite3.Connection, me: str, friend_external_id: str) -> None:
    """End a friendship (both directions).

    Raises:
        ApiError: 404 ``not_found`` when the two are not friends.
    """
    other = find_player(conn, friend_external_id)
    if other is None or not _unfriend(conn, me, other.id):
        raise not_found(f"friend {friend_external_id!r}")


def block(conn: sqlite3.Connection, me: PlayerRow, target: PlayerRow, *, now: datetime) -> str:
    """Block a player (idempotent); tears down friendship and pending requests.

    Returns ``blockedAt``.
    """
    if target.id == me.id:
        raise validation_failed(
            "you cannot block yourself", [{"path": "externalPlayerId", "message": "self"}]
        )
    conn.execute(
        "INSERT OR IGNORE INTO blocks (player_id, blocked_id, blocked_at) VALUES (?, ?, ?)",
        (me.id, target.id, iso(now)),
    )
    _unfriend(conn, me.id, target.id)
    conn.execute(
        "UPDATE friend_requests SET status = 'cancelled', resolved_at = ? WHERE status = 'pending' "
        "AND ((from_player = ? AND to_player = ?) OR (from_player = ? AND to_player = ?))",
        (iso(now), me.id, target.id, target.id, me.id),
    )
    row = conn.execute(
        "SELECT blocked_at FROM blocks WHERE player_id = ? AND blocked_id = ?", (me.id, target.id)
    ).fetchone()
    return str(row[0])


def unblock(conn: sqlite3.Connection, me: str, blocked_external_id: str) -> None:
    """Unblock a player.

    Raises:
        ApiError: 404 ``not_found`` when that player is not blocked.
    """
    other = find_player(conn, blocked_external_id)
    removed = (
        conn.execute(
            "DELETE FROM blocks WHERE player_id = ? AND blocked_id = ?", (me, other.id)
        ).rowcount
        if other is not None
        else 0
    )
    if not removed:
        raise not_found(f"blocked player {blocked_external_id!r}")
