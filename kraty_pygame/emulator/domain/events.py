"""Events: the per-player listing and the start algorithm."""

from __future__ import annotations

import json
import sqlite3
import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import EventConfig, GameConfig, RewardPolicyConfig
from kraty_pygame.emulator.domain import attempts, conditions, economy, lobbies, windows
from kraty_pygame.emulator.domain.leaderboards import boards
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.http.auth import PlayerRow
from kraty_pygame.emulator.ids import new_id
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext


def holdings(
    conn: sqlite3.Connection,
    rt: GameContext,
    player: PlayerRow | None,
    context: dict[str, Any] | None = None,
) -> conditions.Holdings:
    """What conditions see: the player's holdings, or a new player's (``[seed.new_player]``)."""
    if player is None:
        fresh = rt.config.new_player
        return conditions.Holdings(dict(fresh.wallet), dict(fresh.inventory), context or {})
    wallet = {
        str(r[0]): int(r[1])
        for r in conn.execute(
            "SELECT economy_key, balance FROM wallet WHERE player_id = ?", (player.id,)
        )
    }
    inventory = {
        str(r[0]): int(r[1])
        for r in conn.execute(
            "SELECT item_key, quantity FROM inventory WHERE player_id = ?", (player.id,)
        )
    }
    return conditions.Holdings(wallet, inventory, context or {})


def _bundle(config: GameConfig, key: str | None) -> dict[str, Any] | None:
    bundle = config.reward_bundles.get(key or "")
    if bundle is None:
        return None
    return {"key": bundle.key, "name": bundle.name, "entries": [dict(e) for e in bundle.entries]}


def reward_policy_dto(config: GameConfig, policy: RewardPolicyConfig) -> dict[str, Any]:
    """``RewardPolicySummary`` with bundles expanded to ``RewardBundlePreview``."""
    summary: dict[str, Any] = {"type": policy.type}
    if policy.type == "fixed_bundle":
        summary["bundle"] = _bundle(config, policy.bundle)
    elif policy.type == "rank_scaled":
        summary["tiers"] = [
            {"fromRank": t.from_rank, "toRank": t.to_rank, "bundle": _bundle(config, t.bundle)}
            for t in policy.tiers
        ]
    elif policy.type == "shared_pool":
        summary.update(pool=policy.pool, currencyKey=policy.currency_key, winners=policy.winners)
    return summary


def _metric_dto(event: EventConfig) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for m in event.metrics:
        item: dict[str, Any] = {"key": m.key}
        if m.target is not None:
            item["target"] = attempts.number(m.target)
        if m.cap is not None:
            item["cap"] = attempts.number(m.cap)
        if m.cap_at_target:
            item["capAtTarget"] = True
        if m.reset_on is not None:
            item["resetOn"] = m.reset_on
        item["scorePerUnit"] = attempts.number(m.score_per_unit)
        item["scoreWeight"] = attempts.number(m.score_per_unit)
        result.append(item)
    return result


def listing_dto(
    rt: GameContext,
    event: EventConfig,
    window: windows.Window,
    *,
    leaderboard_id: str | None,
    current_attempt_id: str | None,
) -> dict[str, Any]:
    """One ``EventListing``."""
    cost = event.entry_cost
    return {
        "eventKey": event.key,
        "name": event.name,
        "windowId": window.window_id,
        "startsAt": iso(window.starts_at),
        "endsAt": iso(window.ends_at),
        "leaderboardId": leaderboard_id,
        "currentAttemptId": current_attempt_id,
        "type": event.type,
        "leaderboardMode": event.leaderboard_mode,
        "metrics": _metric_dto(event),
        "entryRequirement": event.entry_requirement,
        "entryCost": None
        if cost.is_free
        else {
            "currencies": [{"key": k, "amount": a} for k, a in cost.currencies],
            "items": [{"key": k, "quantity": q} for k, q in cost.items],
        },
        "metadata": window.metadata(event),
        "milestoneRewards": [
            {
                "key": ms.key,
                "metricKey": ms.metric,
                "threshold": attempts.number(ms.threshold),
                "entries": [dict(e) for e in ms.entries],
            }
            for ms in event.milestones
        ],
        "rewardPolicy": reward_policy_dto(rt.config, event.reward_policy),
    }


def _current_attempt(
    conn: sqlite3.Connection,
    rt: GameContext,
    *,
    player: PlayerRow,
    event: EventConfig,
    window: windows.Window,
    now: datetime,
) -> sqlite3.Row | None:
    row = conn.execute(
        f"SELECT {attempts.COLUMNS} FROM attempts WHERE player_id = ? AND event_key = ? "
        "AND window_id = ? AND status = 'in_progress' ORDER BY started_at DESC LIMIT 1",
        (player.id, event.key, window.window_id),
    ).fetchone()
    if row is None:
        return None
    settled = attempts.settle(conn, rt, row, now)
    return settled if settled[12] == "in_progress" else None


def _player_lobby(
    tx: Transaction,
    rt: GameContext,
    player: PlayerRow,
    *,
    event: EventConfig,
    window: windows.Window,
    now: datetime,
) -> sqlite3.Row | None:
    rows = tx.conn.execute(
        f"SELECT {', '.join('l.' + c.strip() for c in lobbies.COLUMNS.split(','))} FROM lobbies l "
        "JOIN lobby_members m ON m.lobby_id = l.id WHERE m.player_id = ? AND l.event_key = ? "
        "AND l.window_id = ? AND l.status != 'closed' ORDER BY l.created_at DESC LIMIT 1",
        (player.id, event.key, window.window_id),
    ).fetchall()
    for row in rows:
        current = lobbies.evaluate(tx, board_services(rt), row, now)
        if current[7] != "closed":
            return current
    return None


def list_for_player(
    tx: Transaction, rt: GameContext, player: PlayerRow | None, now: datetime
) -> list[dict[str, Any]]:
    """Enabled events with an open window whose unlock condition passes."""
    conn = tx.conn
    held = holdings(conn, rt, player)
    result: list[dict[str, Any]] = []
    for event in rt.config.events:
        if not event.enabled:
            continue
        window = windows.active_window(conn, rt, event, now)
        if window is None:
            continue
        if event.unlock_condition is not None and not conditions.evaluate(
            rt.config, event.unlock_condition, held, code="invalid_unlock_condition"
        ):
            continue
        current = None
        board: str | None = window.leaderboard_id
        if player is not None:
            row = _current_attempt(conn, rt, player=player, event=event, window=window, now=now)
            current = row[0] if row is not None else None
        if event.is_lobby_matched:
            lobby = None
            if player is not None:
                lobby = _player_lobby(tx, rt, player, event=event, window=window, now=now)
            board = lobby[3] if lobby is not None else None
        result.append(
            listing_dto(rt, event, window, leaderboard_id=board, current_attempt_id=current)
        )
    return result


def _local_day(event: EventConfig, now: datetime) -> str:
    """The calendar day of ``now`` in the event's time zone (daily caps reset at midnight)."""
    return now.astimezone(zoneinfo.ZoneInfo(event.timezone)).date().isoformat()


def _charge(tx: Transaction, event: EventConfig, player: PlayerRow, now: datetime) -> None:
    """Pay the entry cost atomically: check everything first, then debit (402 on shortfall)."""
    for key, amount in event.entry_cost.currencies:
        have = economy.balance(tx.conn, player.id, key)
        if have < amount:
            raise ApiError(
                "insufficient_entry_cost",
                f"not enough {key} to enter — need {amount}",
                {"resource": key, "needed": amount, "have": have},
            )
    for key, quantity in event.entry_cost.items:
        have = economy.quantity(tx.conn, player.id, key)
        if have < quantity:
            raise ApiError(
                "insufficient_entry_cost",
                f"not enough {key} to enter — need {quantity}",
                {"resource": key, "needed": quantity, "have": have},
            )
    stamp = iso(now)
    for key, amount in event.entry_cost.currencies:
        economy.change_balance(
            tx.conn,
            player_id=player.id,
            economy_key=key,
            delta=-amount,
            now=stamp,
            reason="entry_cost",
            origin="engine",
            source_ref_id=event.key,
        )
    for key, quantity in event.entry_cost.items:
        economy.change_quantity(
            tx.conn,
            player_id=player.id,
            item_key=key,
            delta=-quantity,
            now=stamp,
            reason="entry_cost",
            origin="engine",
            source_ref_id=event.key,
        )


def _start_response(row: sqlite3.Row, window_ends_at: str) -> dict[str, Any]:
    attempt = attempts.dto(row)
    return {
        "attempt": attempt,
        "leaderboardId": attempt["leaderboardId"],
        "windowEndsAt": window_ends_at,
    }


def start(
    tx: Transaction,
    rt: GameContext,
    *,
    event_key: str,
    player: PlayerRow,
    player_context: dict[str, Any] | None,
    now: datetime,
) -> tuple[int, dict[str, Any] | ApiError]:
    """Start an attempt (or return the one in progress); returns (status, response).

    Raises:
        ApiError: 404, 409 event_disabled / no_active_window, 403 unlock / requirement,
            429 caps (no Retry-After), 402 insufficient_entry_cost. A forming lobby is
            *returned* as ``(202, ApiError("lobby_forming"))`` so the join is kept.
    """
    conn = tx.conn
    event = rt.config.event(event_key)
    if event is None:
        raise not_found(f"event {event_key!r}")
    if not event.enabled:
        raise ApiError("event_disabled", f"event {event_key!r} is disabled")
    window = windows.active_window(conn, rt, event, now)
    if window is None:
        raise ApiError("no_active_window", f"event {event_key!r} has no open window")
    held = holdings(conn, rt, player, player_context)
    if event.unlock_condition is not None and not conditions.evaluate(
        rt.config, event.unlock_condition, held, code="invalid_unlock_condition"
    ):
        raise ApiError("unlock_condition_failed", f"event {event_key!r} is not unlocked yet")
    if event.entry_requirement is not None and not conditions.evaluate(
        rt.config, event.entry_requirement, held, code="invalid_entry_requirement"
    ):
        raise ApiError(
            "entry_requirement_failed",
            f"entry requirement of {event_key!r} not met",
            {"entryRequirement": event.entry_requirement},
        )
    current = _current_attempt(conn, rt, player=player, event=event, window=window, now=now)
    if current is not None:
        shown_end = iso(window.ends_at)
        if current[5] is not None:
            lobby_row = lobbies.load(conn, current[5])
            shown_end = lobby_row[9] if lobby_row is not None and lobby_row[9] else shown_end
        return 200, _start_response(current, shown_end)
    if event.max_attempts_per_window:
        used = conn.execute(
            "SELECT COUNT(*) FROM attempts WHERE player_id = ? AND event_key = ? AND window_id = ?",
            (player.id, event.key, window.window_id),
        ).fetchone()[0]
        if used >= event.max_attempts_per_window:
            raise ApiError(
                "max_attempts_reached",
                f"all {event.max_attempts_per_window} attempts of this window are used",
            )
    day = _local_day(event, now)
    if event.max_attempts_per_day:
        used = conn.execute(
            "SELECT COUNT(*) FROM attempts WHERE player_id = ? AND event_key = ? "
            "AND started_day = ?",
            (player.id, event.key, day),
        ).fetchone()[0]
        if used >= event.max_attempts_per_day:
            raise ApiError(
                "max_daily_attempts_reached",
                f"all {event.max_attempts_per_day} attempts of today are used",
            )
    limits = [window.ends_at]
    board_id = window.leaderboard_id
    lobby_id: str | None = None
    window_ends = iso(window.ends_at)
    if event.is_lobby_matched:
        lobby = lobbies.lobby_for_start(
            tx, rt, event=event, window=window, player_id=player.id, now=now
        )
        if lobby[7] == "forming":
            count = lobbies.humans(conn, lobby[0])
            forming = ApiError(
                "lobby_forming",
                f"lobby '{lobby[0]}' is filling ({count}/{lobby[4]})",
                {"lobbyId": lobby[0]},
            )
            return 202, forming
        board_id, lobby_id = lobby[3], lobby[0]
        if lobby[9] is not None:
            limits.append(parse_iso(lobby[9]))
            window_ends = lobby[9]
    _charge(tx, event, player, now)
    attempt_id = new_id(conn, "att", rt.rng_seed)
    ends = attempts.attempt_ends_at(rt, event, now, *limits)
    conn.execute(
        "INSERT INTO attempts (id, player_id, event_key, window_id, leaderboard_id, lobby_id, "
        "started_at, started_day, ends_at, status, player_context) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_progress', ?)",
        (
            attempt_id,
            player.id,
            event.key,
            window.window_id,
            board_id,
            lobby_id,
            iso(now),
            day,
            iso(ends),
            _json(player_context),
        ),
    )
    boards.on_attempt_started(
        tx,
        board_services(rt),
        leaderboard_id=board_id,
        player_id=player.id,
        external_player_id=player.external_id,
        display_name=player.name,
        event_key=event.key,
        now=now,
    )
    row = attempts.load(conn, attempt_id)
    assert row is not None
    return 201, _start_response(row, window_ends)


def _json(value: Any) -> str:
    return json.dumps(value or {})
