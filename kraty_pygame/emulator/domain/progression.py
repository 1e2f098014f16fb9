"""Wallet progression (derived levels, level rewards) and client self-grants."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import CurrencyConfig
from kraty_pygame.emulator.domain import economy, grants, rewards
from kraty_pygame.emulator.errors import ApiError, not_found, validation_failed

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext


def level_of(thresholds: tuple[int, ...], balance: int) -> int:
    """How many thresholds are at or below ``balance``."""
    return sum(1 for threshold in thresholds if threshold <= balance)


def _derived_of(rt: GameContext, economy_key: str) -> list[CurrencyConfig]:
    return [
        c
        for c in rt.config.currencies
        if c.derived_from is not None and c.derived_from.economy == economy_key
    ]


def progress(
    conn: sqlite3.Connection,
    rt: GameContext,
    player_id: str,
    economy_key: str,
    *,
    amount: int,
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    """``ProgressWalletResult {economyKey, balance, applied, derived[]}``.

    Moves a ``kind = "progression"`` resource flagged ``client_writable`` by a signed
    amount, never below zero. Every resource ``derived_from`` it is recomputed in the
    same transaction (level = count of thresholds <= balance), and each level reached
    upward for the first time pays its ``level_rewards`` as pending grants
    (``sourceKind: "level_up"``); a level lost by a rollback and reached again does not
    pay twice.

    Raises:
        ApiError: 404 ``not_found`` (unknown economy); 403 ``forbidden`` (not a
            client-writable progression resource).
    """
    currency = rt.config.currency(economy_key)
    if currency is None:
        raise not_found(f"economy {economy_key!r}")
    if currency.kind != "progression" or not currency.client_writable:
        raise ApiError(
            "forbidden", f"{economy_key!r} is not a client-writable progression resource"
        )
    stamp = iso(now)
    before = economy.balance(conn, player_id, economy_key)
    delta = max(amount, -before)  # a rollback never goes below zero
    change = economy.change_balance(
        conn,
        player_id=player_id,
        economy_key=economy_key,
        delta=delta,
        now=stamp,
        reason=reason or "progress",
        origin="client",
    )
    derived: list[dict[str, Any]] = []
    for target in _derived_of(rt, economy_key):
        assert target.derived_from is not None
        thresholds = target.derived_from.thresholds
        previous = level_of(thresholds, before)
        current = level_of(thresholds, change.after)
        stored = economy.balance(conn, player_id, target.key)
        if current != stored or not _has_row(conn, player_id, target.key):
            economy.change_balance(
                conn,
                player_id=player_id,
                economy_key=target.key,
                delta=current - stored,
                now=stamp,
                reason=f"derived:{economy_key}",
                origin="engine",
            )
        grant_ids: list[str] = []
        for level in range(previous + 1, current + 1):
            grant_ids.extend(_pay_level(conn, rt, player_id, target, level=level, now=now))
        derived.append(
            {
                "economyKey": target.key,
                "previous": previous,
                "current": current,
                "delta": current - previous,
                "grantIds": grant_ids,
            }
        )
    return {
        "economyKey": economy_key,
        "balance": change.after,
        "applied": True,
        "derived": derived,
    }


def _has_row(conn: sqlite3.Connection, player_id: str, key: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM wallet WHERE player_id = ? AND economy_key = ?", (player_id, key)
    ).fetchone()
    return row is not None


def _pay_level(
    conn: sqlite3.Connection,
    rt: GameContext,
    player_id: str,
    target: CurrencyConfig,
    *,
    level: int,
    now: datetime,
) -> list[str]:
    entries = target.level_rewards.get(level)
    if not entries:
        return []
    cur = conn.execute(
        "INSERT OR IGNORE INTO level_rewards_paid (player_id, economy_key, level, paid_at) "
        "VALUES (?, ?, ?, ?)",
        (player_id, target.key, level, iso(now)),
    )
    if cur.rowcount == 0:
        return []  # paid the first time this level was reached
    grant = grants.create_pending_grant(
        conn,
        rt,
        player_id=player_id,
        kind="reward",
        entries=entries,
        source_kind="level_up",
        source_ref_id=f"{target.key}:{level}",
        now=now,
    )
    return [str(grant["id"])]


# ------------------------------------------------------------------ self-grants


_ENTRY_FIELDS: Final = MappingProxyType(
    {
        "currency": ("amount", "currencyKey"),
        "item": ("quantity", "itemKey"),
        "crate": ("quantity", "crateItemKey"),
    }
)


def _known(rt: GameContext, kind: str, key: object) -> bool:
    if not isinstance(key, str):
        return False
    if kind == "currency":
        return rt.config.currency(key) is not None
    item = rt.config.item(key)
    return item is not None and (kind == "item" or item.crate is not None)


def _check_entries(rt: GameContext, kind: str, entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or not entries:
        raise validation_failed(
            "entries must be a non-empty array", [{"path": "entries", "message": "required"}]
        )
    problems: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        path = f"entries[{i}]"
        if not isinstance(entry, dict):
            problems.append({"path": path, "message": "must be an object"})
            continue
        kind_of = str(entry.get("type"))
        if kind == "crate" and kind_of != "crate":
            problems.append({"path": f"{path}.type", "message": "a crate grant holds crates"})
            continue
        fields = _ENTRY_FIELDS.get(kind_of)
        if fields is None:
            problems.append({"path": f"{path}.type", "message": "currency, item or crate"})
            continue
        count_field, key_field = fields
        if not _known(rt, kind_of, entry.get(key_field)):
            problems.append({"path": f"{path}.{key_field}", "message": f"unknown {kind_of}"})
        count = entry.get(count_field, 1 if kind_of == "crate" else None)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.append({"path": f"{path}.{count_field}", "message": "positive integer"})
    if problems:
        raise validation_failed("invalid grant entries", problems)
    too_much = rewards.totals_problem(entries)
    if too_much is not None:
        raise validation_failed(too_much, [{"path": "entries", "message": too_much}])
    return [dict(e) for e in entries]


def self_grant(
    conn: sqlite3.Connection,
    rt: GameContext,
    player_id: str,
    body: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """``Grant`` (rewards claimed and deposited at once; crates pending).

    Needs ``[game] inventory_management = "permissive"``. A reward self-grant deposits
    at once (ledger origin ``client``) and is returned already claimed; a crate
    self-grant stays pending, to be opened like any crate.

    Raises:
        ApiError: 403 ``inventory_not_permissive``; 400 ``validation_failed``.
    """
    if rt.config.game.inventory_management != "permissive":
        raise ApiError(
            "inventory_not_permissive",
            "client grants need inventory management 'permissive' for this game",
        )
    kind = body.get("kind") or "reward"
    if kind not in ("reward", "crate"):
        raise validation_failed(
            "kind must be 'reward' or 'crate'", [{"path": "kind", "message": "invalid"}]
        )
    entries = _check_entries(rt, kind, body.get("entries"))
    expires_raw = body.get("expiresAt")
    expires_at: datetime | None = None
    if expires_raw is not None:
        try:
            expires_at = parse_iso(str(expires_raw))
        except ValueError:
            raise validation_failed(
                "expiresAt must be an ISO-8601 time", [{"path": "expiresAt", "message": "invalid"}]
            ) from None
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise validation_failed(
            "metadata must be an object", [{"path": "metadata", "message": "invalid"}]
        )
    grant = grants.create_pending_grant(
        conn,
        rt,
        player_id=player_id,
        kind=kind,
        entries=entries,
        source_kind="client",
        now=now,
        expires_at=expires_at,
        metadata=metadata,
    )
    if kind == "crate":
        return grant
    grants.deposit(
        conn,
        rt,
        player_id=player_id,
        entries=grant["contents"]["entries"],
        now=now,
        source_ref_id=grant["id"],
        origin="client",
        reason="client_grant",
    )
    conn.execute(
        "UPDATE grants SET status = 'claimed', claimed_at = ? WHERE id = ?",
        (iso(now), grant["id"]),
    )
    claimed = grants.get_grant(conn, grant["id"])
    assert claimed is not None
    return claimed
