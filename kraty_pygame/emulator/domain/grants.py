"""Grants: creation, pending list, claim (with deposit), crate open, expiry.

Other emulator modules create grants with :func:`create_pending_grant` (for example
the reward policies at window/session finalization); it is the single
place that mints grant ids, resolves reward ranges and stamps ``expiresAt``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.config.models import RewardEntry
from kraty_pygame.emulator.domain import economy, rewards
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.ids import new_id

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

_COLUMNS = (
    "id, kind, contents, source_kind, source_ref_id, parent_grant_id, status, rolled_at, "
    "claimed_at, expires_at, created_at, opened_grant_id, player_id"
)


def grant_dto(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """A ``grants`` row (selected with the module's columns) as the wire ``Grant``."""
    return {
        "id": row[0],
        "kind": row[1],
        "contents": json.loads(row[2]),
        "sourceKind": row[3],
        "sourceRefId": row[4],
        "parentGrantId": row[5],
        "status": row[6],
        "rolledAt": row[7],
        "claimedAt": row[8],
        "expiresAt": row[9],
        "createdAt": row[10],
    }


def _row(conn: sqlite3.Connection, grant_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_COLUMNS} FROM grants WHERE id = ?", (grant_id,)
    ).fetchone()
    return row


def get_grant(conn: sqlite3.Connection, grant_id: str) -> dict[str, Any] | None:
    row = _row(conn, grant_id)
    return grant_dto(row) if row is not None else None


def create_pending_grant(
    conn: sqlite3.Connection,
    rt: GameContext,
    *,
    player_id: str,
    kind: str,
    entries: list[RewardEntry] | tuple[RewardEntry, ...],
    source_kind: str,
    now: datetime,
    source_ref_id: str | None = None,
    parent_grant_id: str | None = None,
    expires_at: datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create one pending grant and return it as the wire ``Grant`` dict.

    Args:
        conn: the write transaction's connection (``tx.conn``).
        rt: the emulator runtime (config, RNG seed, id counter).
        player_id: the internal player id (``players.id``), not the external id.
        kind: ``"reward"`` (claimed by the player) or ``"crate"`` (opened by the player).
        entries: reward entries in wire form; ``{min, max, step}`` ranges are rolled
            now with the grant's own RNG and ``rolledAt`` is set. Crate grants
            keep their ``crate`` entries and are rolled when opened.
        source_kind: ``event_milestone``, ``event_reward``, ``crate``, ``api``, ``admin``, …
        now: the emulator time of the write.
        expires_at: explicit expiry; default ``now + grant_default_ttl_days`` (0 = never).
    """
    grant_id = new_id(conn, "gr", rt.rng_seed)
    stamp = iso(now)
    rolled_at: str | None = None
    contents_entries: list[RewardEntry] = [dict(e) for e in entries]
    if kind == "reward":
        contents_entries = rewards.resolve_entries(
            entries, rewards.grant_rng(rt.rng_seed, grant_id)
        )
        rolled_at = stamp
    if expires_at is None:
        ttl_days = rt.config.game.grant_default_ttl_days
        expires = iso(now + timedelta(days=ttl_days)) if ttl_days > 0 else None
    else:
        expires = iso(expires_at)
    conn.execute(
        "INSERT INTO grants (id, player_id, kind, contents, source_kind, source_ref_id, "
        "parent_grant_id, status, rolled_at, claimed_at, expires_at, created_at, metadata) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, NULL, ?, ?, ?)",
        (
            grant_id,
            player_id,
            kind,
            json.dumps({"entries": contents_entries}),
            source_kind,
            source_ref_id,
            parent_grant_id,
            rolled_at,
            expires,
            stamp,
            json.dumps(metadata or {}),
        ),
    )
    created = get_grant(conn, grant_id)
    assert created is not None
    return created


def expire_due(conn: sqlite3.Connection, now: datetime, player_id: str | None = None) -> int:
    """Flip pending grants whose ``expiresAt`` passed to ``expired``."""
    sql = (
        "UPDATE grants SET status = 'expired' WHERE status = 'pending' "
        "AND expires_at IS NOT NULL AND expires_at <= ?"
    )
    params: tuple[str, ...] = (iso(now),)
    if player_id is not None:
        sql += " AND player_id = ?"
        params = (iso(now), player_id)
    return conn.execute(sql, params).rowcount


def list_pending(
    conn: sqlite3.Connection, player_id: str, now: datetime, limit: int = 50
) -> list[dict[str, Any]]:
    """Pending, unexpired grants, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM grants WHERE player_id = ? AND status = 'pending' "
        "AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, rowid LIMIT ?",
        (player_id, iso(now), limit),
    ).fetchall()
    return [grant_dto(row) for row in rows]


def _owned(conn: sqlite3.Connection, player_id: str, grant_id: str, now: datetime) -> sqlite3.Row:
    row = _row(conn, grant_id)
    if row is None or row[12] != player_id:
        raise not_found(f"grant {grant_id!r}")
    if row[6] == "expired" or (row[6] == "pending" and row[9] is not None and row[9] <= iso(now)):
        if row[6] == "pending":
            conn.execute("UPDATE grants SET status = 'expired' WHERE id = ?", (grant_id,))
        raise ApiError("not_found", f"grant {grant_id} expired")
    return row


def deposit(
    conn: sqlite3.Connection,
    rt: GameContext,
    *,
    player_id: str,
    entries: list[RewardEntry],
    now: datetime,
    source_ref_id: str,
    origin: str = "engine",
    reason: str = "grant_deposit",
) -> None:
    """Credit entries to holdings: currency -> wallet, item -> inventory, crate -> new
    pending crate grants (one per unit)."""
    stamp = iso(now)
    for entry in entries:
        kind = entry.get("type")
        if kind == "currency":
            economy.change_balance(
                conn,
                player_id=player_id,
                economy_key=str(entry["currencyKey"]),
                delta=int(entry["amount"]),
                now=stamp,
                reason=reason,
                origin=origin,
                source_ref_id=source_ref_id,
            )
        elif kind == "item":
            economy.change_quantity(
                conn,
                player_id=player_id,
                item_key=str(entry["itemKey"]),
                delta=int(entry["quantity"]),
                now=stamp,
                reason=reason,
                origin=origin,
                source_ref_id=source_ref_id,
            )
        elif kind == "crate":
            for _ in range(int(entry.get("quantity", 1))):
                create_pending_grant(
                    conn,
                    rt,
                    player_id=player_id,
                    kind="crate",
                    entries=[
                        {"type": "crate", "crateItemKey": entry["crateItemKey"], "quantity": 1}
                    ],
                    source_kind="crate",
                    source_ref_id=source_ref_id,
                    parent_grant_id=source_ref_id,
                    now=now,
                )


def claim(
    conn: sqlite3.Connection, rt: GameContext, player_id: str, grant_id: str, now: datetime
) -> dict[str, Any]:
    """Claim a reward grant (idempotent); deposits its entries unless inventory is studio-managed.

    Raises:
        ApiError: 404 ``not_found`` (unknown, other player's, expired);
            409 ``conflict`` for a crate.
    """
    row = _owned(conn, player_id, grant_id, now)
    if row[1] == "crate":
        raise ApiError("conflict", f"grant {grant_id} is a crate; open it instead")
    if row[6] == "claimed":
        return grant_dto(row)
    if rt.config.game.inventory_management != "studio":
        entries = json.loads(row[2]).get("entries", [])
        deposit(conn, rt, player_id=player_id, entries=entries, now=now, source_ref_id=grant_id)
    conn.execute(
        "UPDATE grants SET status = 'claimed', claimed_at = ? WHERE id = ?", (iso(now), grant_id)
    )
    claimed = get_grant(conn, grant_id)
    assert claimed is not None
    return claimed


def open_crate(
    conn: sqlite3.Connection, rt: GameContext, player_id: str, grant_id: str, now: datetime
) -> dict[str, Any]:
    """Open a crate grant: roll once, mark it claimed, create the contents grant.

    Re-opening returns the earlier result, never a second roll.

    Raises:
        ApiError: 404 ``not_found``; 409 ``conflict`` when the grant is not a crate.
    """
    row = _owned(conn, player_id, grant_id, now)
    if row[1] != "crate":
        raise ApiError("conflict", f"grant {grant_id} is not a crate")
    if row[11] is not None:
        contents = get_grant(conn, row[11])
        assert contents is not None
        return {"crate": grant_dto(row), "contents": contents}
    rng = rewards.grant_rng(rt.rng_seed, grant_id)
    rolled: list[RewardEntry] = []
    for entry in json.loads(row[2]).get("entries", []):
        if entry.get("type") != "crate":
            rolled.extend(rewards.resolve_entries([entry], rng))
            continue
        table = rewards.crate_of(rt.config, str(entry.get("crateItemKey")))
        if table is None:
            raise ApiError(
                "conflict", f"crate item {entry.get('crateItemKey')!r} has no roll table"
            )
        for _ in range(int(entry.get("quantity", 1))):
            rolled.extend(rewards.roll_crate(table, rng))
    contents = create_pending_grant(
        conn,
        rt,
        player_id=player_id,
        kind="reward",
        entries=rolled,
        source_kind="crate",
        source_ref_id=grant_id,
        parent_grant_id=grant_id,
        now=now,
    )
    stamp = iso(now)
    conn.execute(
        "UPDATE grants SET status = 'claimed', claimed_at = ?, rolled_at = ?, opened_grant_id = ?"
        " WHERE id = ?",
        (stamp, stamp, contents["id"], grant_id),
    )
    crate = get_grant(conn, grant_id)
    assert crate is not None
    return {"crate": crate, "contents": contents}


def ack(
    conn: sqlite3.Connection, rt: GameContext, player_id: str, grant_id: str, now: datetime
) -> dict[str, Any]:
    """Server-side claim: flips the grant to claimed without depositing."""
    row = _owned(conn, player_id, grant_id, now)
    if row[6] != "claimed":
        stamp = iso(now)
        conn.execute(
            "UPDATE grants SET status = 'claimed', claimed_at = ?, "
            "rolled_at = COALESCE(rolled_at, ?) WHERE id = ?",
            (stamp, stamp, grant_id),
        )
    acked = get_grant(conn, grant_id)
    assert acked is not None
    return acked


def recent(conn: sqlite3.Connection, player_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The player's newest grants of any status (``recentGrants`` of the server's player read)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM grants WHERE player_id = ? ORDER BY created_at DESC, rowid DESC "
        "LIMIT ?",
        (player_id, limit),
    ).fetchall()
    return [grant_dto(row) for row in rows]
