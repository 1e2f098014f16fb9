"""Wallet and inventory holdings with a ledger: one implementation for both kinds.

Every change goes through :func:`change_holding` (or its two named forms,
:func:`change_balance` and :func:`change_quantity`), which refuses to go below zero
(409 ``conflict``) or above the ledger's range (400 ``validation_failed``), stamps
``updatedAt`` and appends a ledger row.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from kraty_pygame.emulator.errors import ApiError, validation_failed
from kraty_pygame.emulator.http.bounds import MAX_INT


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


@dataclass(frozen=True)
class HoldingKind:
    """Where one kind of holding is stored and how the API names its fields."""

    ledger_kind: str  # the ledger's ``kind`` and the table name
    key_column: str
    amount_column: str
    key_field: str  # wire names
    amount_field: str
    body_field: str  # the request field of the amount, for error paths
    list_field: str  # the list answer's field
    path_param: str
    keep_zero: bool  # list rows at zero (wallets) or not (inventories)
    updates_metadata: bool  # a change may replace the row's metadata


WALLET = HoldingKind(
    ledger_kind="wallet",
    key_column="economy_key",
    amount_column="balance",
    key_field="economyKey",
    amount_field="balance",
    body_field="amount",
    list_field="wallet",
    path_param="economy_key",
    keep_zero=True,
    updates_metadata=False,
)
INVENTORY = HoldingKind(
    ledger_kind="inventory",
    key_column="item_key",
    amount_column="quantity",
    key_field="itemKey",
    amount_field="quantity",
    body_field="quantity",
    list_field="items",
    path_param="item_key",
    keep_zero=False,
    updates_metadata=True,
)


def amount_of(conn: sqlite3.Connection, kind: HoldingKind, player_id: str, key: str) -> int:
    """The current balance or quantity (0 when the player has no row)."""
    row = conn.execute(
        f"SELECT {kind.amount_column} FROM {kind.ledger_kind} "
        f"WHERE player_id = ? AND {kind.key_column} = ?",
        (player_id, key),
    ).fetchone()
    return int(row[0]) if row is not None else 0


def balance(conn: sqlite3.Connection, player_id: str, economy_key: str) -> int:
    return amount_of(conn, WALLET, player_id, economy_key)


def quantity(conn: sqlite3.Connection, player_id: str, item_key: str) -> int:
    return amount_of(conn, INVENTORY, player_id, item_key)


def change_holding(
    conn: sqlite3.Connection,
    kind: HoldingKind,
    *,
    player_id: str,
    key: str,
    delta: int,
    now: str,
    reason: str | None = None,
    origin: str = "engine",
    source_ref_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> HoldingChange:
    """Add ``delta`` (may be negative or zero) to a holding row, creating it.

    Raises:
        ApiError: 409 ``conflict`` when the amount would go below zero; 400
            ``validation_failed`` above the ledger's range.
    """
    table, key_col, amount_col = kind.ledger_kind, kind.key_column, kind.amount_column
    # A read, then a plain write: cheaper in SQLite than one UPDATE ... RETURNING (which
    # collects its rows in a temporary table), and the writer lock is held throughout.
    current = conn.execute(
        f"SELECT {amount_col} FROM {table} WHERE player_id = ? AND {key_col} = ?",
        (player_id, key),
    ).fetchone()
    before = int(current[0]) if current is not None else 0
    after = before + delta
    if after > MAX_INT:
        raise validation_failed(
            f"{key} {amount_col} would exceed {MAX_INT}",
            [{"path": kind.body_field, "message": "result out of range"}],
        )
    if after < 0:
        raise ApiError(
            "conflict",
            f"insufficient {key} {amount_col}: need {-delta}, have {before}",
            {kind.key_field: key, "needed": -delta, "have": before},
        )
    if current is None:
        conn.execute(
            f"INSERT INTO {table} (player_id, {key_col}, {amount_col}, metadata, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (player_id, key, after, json.dumps(metadata or {}), now, now),
        )
    else:  # the metadata is replaced only by a kind that updates it, when given
        new_metadata = json.dumps(metadata) if kind.updates_metadata and metadata else None
        conn.execute(
            f"UPDATE {table} SET {amount_col} = ?, updated_at = ?,"
            f" metadata = COALESCE(?, metadata) WHERE player_id = ? AND {key_col} = ?",
            (after, now, new_metadata, player_id, key),
        )
    cur = conn.execute(
        "INSERT INTO ledger (player_id, kind, key, delta, after, reason, origin, source_ref_id,"
        " occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (player_id, table, key, delta, after, reason, origin, source_ref_id, now),
    )
    return HoldingChange(
        ledger_id=int(cur.lastrowid or 0),
        player_id=player_id,
        kind=table,
        key=key,
        delta=delta,
        after=after,
        reason=reason,
        origin=origin,
        occurred_at=now,
    )


def change_balance(
    conn: sqlite3.Connection, *, player_id: str, economy_key: str, **change: Any
) -> HoldingChange:
    """:func:`change_holding` on a wallet row."""
    return change_holding(conn, WALLET, player_id=player_id, key=economy_key, **change)


def change_quantity(
    conn: sqlite3.Connection, *, player_id: str, item_key: str, **change: Any
) -> HoldingChange:
    """:func:`change_holding` on an inventory row (rows at zero are kept, never listed)."""
    return change_holding(conn, INVENTORY, player_id=player_id, key=item_key, **change)


def holding_rows(
    conn: sqlite3.Connection, kind: HoldingKind, player_id: str
) -> list[dict[str, Any]]:
    """The player's holdings of one kind, by key (wallets list zero balances too)."""
    positive = "" if kind.keep_zero else f" AND {kind.amount_column} > 0"
    return [
        {
            kind.key_field: row[0],
            kind.amount_field: int(row[1]),
            "metadata": json.loads(row[2]),
            "createdAt": row[3],
            "updatedAt": row[4],
        }
        for row in conn.execute(
            f"SELECT {kind.key_column}, {kind.amount_column}, metadata, created_at, updated_at"
            f" FROM {kind.ledger_kind} WHERE player_id = ?{positive} ORDER BY {kind.key_column}",
            (player_id,),
        )
    ]


def wallet_rows(conn: sqlite3.Connection, player_id: str) -> list[dict[str, Any]]:
    """``PlayerWalletHolding`` rows (zero balances included)."""
    return holding_rows(conn, WALLET, player_id)


def inventory_rows(conn: sqlite3.Connection, player_id: str) -> list[dict[str, Any]]:
    """``PlayerItemHolding`` rows with a positive quantity."""
    return holding_rows(conn, INVENTORY, player_id)
