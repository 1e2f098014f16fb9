"""Wallet and inventory holdings with a ledger (PROTOCOL.md E11-E14, S1-S4, §8 Q25).

Every change goes through :func:`change_balance` / :func:`change_quantity`, which
refuse to go below zero (409 ``conflict``) or above the ledger's range (400
``validation_failed``), stamp ``updatedAt`` and append a ledger row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http.bounds import MAX_INT

#: ``fn(tx_conn, change)`` called for every holding change (e.g. inventory streams).
ChangeListener = Callable[[sqlite3.Connection, "HoldingChange"], None]


@dataclass(frozen=True)
class HoldingChange:
    """One ledger movement."""

    ledger_id: int
    player_id: str
    kind: str  # "wallet" | "inventory"
    key: str
    delta: int
    after: int
    reason: str | None
    origin: str
    occurred_at: str


def balance(conn: sqlite3.Connection, player_id: str, economy_key: str) -> int:
    row = conn.execute(
        "SELECT balance FROM wallet WHERE player_id = ? AND economy_key = ?",
        (player_id, economy_key),
    ).fetchone()
    return int(row[0]) if row is not None else 0


def quantity(conn: sqlite3.Connection, player_id: str, item_key: str) -> int:
    row = conn.execute(
        "SELECT quantity FROM inventory WHERE player_id = ? AND item_key = ?",
        (player_id, item_key),
    ).fetchone()
    return int(row[0]) if row is not None else 0


def _ledger(
    conn: sqlite3.Connection,
    *,
    player_id: str,
    kind: str,
    key: str,
    delta: int,
    after: int,
    reason: str | None,
    origin: str,
    source_ref_id: str | None,
    now: str,
) -> HoldingChange:
    cur = conn.execute(
        "INSERT INTO ledger (player_id, kind, key, delta, after, reason, origin, source_ref_id,"
        " occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (player_id, kind, key, delta, after, reason, origin, source_ref_id, now),
    )
    return HoldingChange(
        ledger_id=int(cur.lastrowid or 0),
        player_id=player_id,
        kind=kind,
        key=key,
        delta=delta,
        after=after,
        reason=reason,
        origin=origin,
        occurred_at=now,
    )


def change_balance(
    conn: sqlite3.Connection,
    *,
    player_id: str,
    economy_key: str,
    delta: int,
    now: str,
    reason: str | None = None,
    origin: str = "engine",
    source_ref_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> HoldingChange:
    """Add ``delta`` (may be negative or zero) to a wallet row, creating it (Q25).

    Raises:
        ApiError: 409 ``conflict`` when the balance would go below zero.
    """
    current = conn.execute(
        "SELECT balance FROM wallet WHERE player_id = ? AND economy_key = ?",
        (player_id, economy_key),
    ).fetchone()
    before = int(current[0]) if current is not None else 0
    after = before + delta
    if after > MAX_INT:
        raise validation_failed(
            f"{economy_key} balance would exceed {MAX_INT}",
            [{"path": "amount", "message": "result out of range"}],
        )
    if after < 0:
        raise ApiError(
            "conflict",
            f"insufficient {economy_key} balance: need {-delta}, have {before}",
            {"economyKey": economy_key, "needed": -delta, "have": before},
        )
    if current is None:
        conn.execute(
            "INSERT INTO wallet (player_id, economy_key, balance, metadata, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (player_id, economy_key, after, json.dumps(metadata or {}), now, now),
        )
    else:
        conn.execute(
            "UPDATE wallet SET balance = ?, updated_at = ? WHERE player_id = ? AND economy_key = ?",
            (after, now, player_id, economy_key),
        )
    return _ledger(
        conn,
        player_id=player_id,
        kind="wallet",
        key=economy_key,
        delta=delta,
        after=after,
        reason=reason,
        origin=origin,
        source_ref_id=source_ref_id,
        now=now,
    )


def change_quantity(
    conn: sqlite3.Connection,
    *,
    player_id: str,
    item_key: str,
    delta: int,
    now: str,
    reason: str | None = None,
    origin: str = "engine",
    source_ref_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> HoldingChange:
    """Add ``delta`` to an inventory row; rows at zero are kept but never listed.

    Raises:
        ApiError: 409 ``conflict`` when the quantity would go below zero.
    """
    current = conn.execute(
        "SELECT quantity FROM inventory WHERE player_id = ? AND item_key = ?",
        (player_id, item_key),
    ).fetchone()
    before = int(current[0]) if current is not None else 0
    after = before + delta
    if after > MAX_INT:
        raise validation_failed(
            f"{item_key} quantity would exceed {MAX_INT}",
            [{"path": "quantity", "message": "result out of range"}],
        )
    if after < 0:
        raise ApiError(
            "conflict",
            f"insufficient {item_key} quantity: need {-delta}, have {before}",
            {"itemKey": item_key, "needed": -delta, "have": before},
        )
    if current is None:
        conn.execute(
            "INSERT INTO inventory (player_id, item_key, quantity, metadata, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (player_id, item_key, after, json.dumps(metadata or {}), now, now),
        )
    else:
        conn.execute(
            "UPDATE inventory SET quantity = ?, updated_at = ?"
            + (", metadata = ?" if metadata else "")
            + " WHERE player_id = ? AND item_key = ?",
            (after, now, *([json.dumps(metadata)] if metadata else []), player_id, item_key),
        )
    return _ledger(
        conn,
        player_id=player_id,
        kind="inventory",
        key=item_key,
        delta=delta,
        after=after,
        reason=reason,
        origin=origin,
        source_ref_id=source_ref_id,
        now=now,
    )


def wallet_rows(conn: sqlite3.Connection, player_id: str) -> list[dict[str, Any]]:
    """``PlayerWalletHolding`` rows (zero balances included, Q25)."""
    return [
        {
            "economyKey": row[0],
            "balance": int(row[1]),
            "metadata": json.loads(row[2]),
            "createdAt": row[3],
            "updatedAt": row[4],
        }
        for row in conn.execute(
            "SELECT economy_key, balance, metadata, created_at, updated_at FROM wallet "
            "WHERE player_id = ? ORDER BY economy_key",
            (player_id,),
        )
    ]


def inventory_rows(conn: sqlite3.Connection, player_id: str) -> list[dict[str, Any]]:
    """``PlayerItemHolding`` rows with a positive quantity."""
    return [
        {
            "itemKey": row[0],
            "quantity": int(row[1]),
            "metadata": json.loads(row[2]),
            "createdAt": row[3],
            "updatedAt": row[4],
        }
        for row in conn.execute(
            "SELECT item_key, quantity, metadata, created_at, updated_at FROM inventory "
            "WHERE player_id = ? AND quantity > 0 ORDER BY item_key",
            (player_id,),
        )
    ]
