"""Attempts: scoring, progress with milestones, finish, expiry.

Scores are pushed to the event board through ``boards.on_attempt_scored`` inside
the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import EventConfig
from kraty_pygame.emulator.domain import grants, lobbies
from kraty_pygame.emulator.domain.leaderboards import boards
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.errors import ApiError, not_found, validation_failed
from kraty_pygame.emulator.http.auth import PlayerRow
from kraty_pygame.emulator.http.bounds import check_finite, wire_number
from kraty_pygame.emulator.ids import event_id
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

COLUMNS = (
    "id, player_id, event_key, window_id, leaderboard_id, lobby_id, started_at, ends_at, "
    "completed_at, metrics, metrics_raw, score, status, fired, last_progress_at"
)


def number(value: float) -> float | int:
    """Integral values travel as JSON integers (see :func:`bounds.wire_number`)."""
    return wire_number(value)


def dto(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """An ``attempts`` row (selected with :data:`COLUMNS`) as the wire ``Attempt``."""
    return {
        "id": row[0],
        "eventId": event_id(row[2]),
        "eventWindowId": row[3],
        "leaderboardId": row[4],
        "playerId": row[1],
        "startedAt": row[6],
        "endsAt": row[7],
        "completedAt": row[8],
        "metrics": {k: number(v) for k, v in json.loads(row[9]).items()},
        "metricsRaw": {k: number(v) for k, v in json.loads(row[10]).items()},
        "score": number(row[11]),
        "status": row[12],
    }


def load(conn: sqlite3.Connection, attempt_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {COLUMNS} FROM attempts WHERE id = ?", (attempt_id,)
    ).fetchone()
    return row


def score_facing(event: EventConfig, raw: dict[str, float]) -> tuple[dict[str, float], float]:
    """``metrics`` (cap / Cap@Target applied) and ``score`` = Σ metrics × scorePerUnit."""
    metrics: dict[str, float] = {}
    score = 0.0
    for metric in event.metrics:
        if metric.key not in raw:
            continue
        value = raw[metric.key]
        if metric.cap is not None:
            value = min(value, metric.cap)
        if metric.cap_at_target and metric.target is not None:
            value = min(value, metric.target)
        metrics[metric.key] = value
        score += value * metric.score_per_unit
    return metrics, score


def targets_met(event: EventConfig, raw: dict[str, float]) -> bool:
    """True when the event has targets and every one is reached."""
    targets = [m for m in event.metrics if m.target is not None]
    return bool(targets) and all(raw.get(m.key, 0) >= float(m.target or 0) for m in targets)


def _finish_status(event: EventConfig | None, raw: dict[str, float]) -> str:
    if event is None:
        return "expired"
    has_targets = any(m.target is not None for m in event.metrics)
    return "completed" if not has_targets or targets_met(event, raw) else "expired"


def settle(
    conn: sqlite3.Connection, rt: GameContext, row: sqlite3.Row, now: datetime
) -> sqlite3.Row:
    """Lazily end an in-progress attempt whose ``endsAt`` passed (completed / expired)."""
    if row[12] != "in_progress" or parse_iso(row[7]) > now:
        return row
    status = _finish_status(rt.config.event(row[2]), json.loads(row[10]))
    conn.execute(
        "UPDATE attempts SET status = ?, completed_at = ? WHERE id = ?",
        (status, row[7] if status == "completed" else None, row[0]),
    )
    fresh = load(conn, row[0])
    assert fresh is not None
    return fresh


def settle_due(conn: sqlite3.Connection, rt: GameContext, now: datetime) -> int:
    """Settle every in-progress attempt past its end (clock moves)."""
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM attempts WHERE status = 'in_progress' AND ends_at <= ?",
        (iso(now),),
    ).fetchall()
    for row in rows:
        settle(conn, rt, row, now)
    return len(rows)


def owned_attempt(
    conn: sqlite3.Connection,
    rt: GameContext,
    *,
    player: PlayerRow,
    event_key: str,
    attempt_id: str,
    now: datetime,
) -> sqlite3.Row:
    """The player's attempt of this event, settled; 404 otherwise."""
    row = load(conn, attempt_id)
    if row is None or row[1] != player.id or row[2] != event_key:
        raise not_found(f"attempt {attempt_id!r}")
    return settle(conn, rt, row, now)


def _updates(event: EventConfig, body: dict[str, Any]) -> dict[str, float]:
    metric_value = body.get("metricValue")
    metrics = body.get("metrics")
    if metric_value is not None and metrics is not None:
        raise validation_failed("send metricValue or metrics, not both")
    if metric_value is None and metrics is None:
        raise validation_failed("send metricValue or metrics")
    if metric_value is not None:
        return {event.metrics[0].key: float(metric_value)}
    assert isinstance(metrics, dict)
    if not metrics:
        raise validation_failed("metrics must not be empty")
    unknown = [k for k in metrics if event.metric(k) is None]
    if unknown:
        raise ApiError(
            "invalid_metric",
            f"event {event.key!r} has no metric {unknown[0]!r}",
            {"metricKey": unknown[0], "validMetrics": [m.key for m in event.metrics]},
        )
    return {k: float(v) for k, v in metrics.items()}


def _check_occurred_at(value: Any, now: datetime) -> None:
    if value is None:
        return
    try:
        moment = parse_iso(str(value))
    except ValueError:
        raise validation_failed("occurredAt must be an ISO-8601 timestamp") from None
    if moment > now:
        raise validation_failed("occurredAt must not be in the future")


def _anti_cheat(event: EventConfig, key: str, delta: float, elapsed_s: float) -> None:
    metric = event.metric(key)
    if metric is None:
        return
    if metric.max_increment_per_call is not None and delta > metric.max_increment_per_call:
        raise ApiError(
            "anti_cheat_rejected",
            f"{key} moved by {number(delta)} in one call "
            f"(max {number(metric.max_increment_per_call)})",
            {"metricKey": key, "rule": "max_increment_per_call"},
        )
    if (
        metric.max_rate_per_second is not None
        and delta / max(elapsed_s, 1.0) > metric.max_rate_per_second
    ):
        raise ApiError(
            "anti_cheat_rejected",
            f"{key} grew faster than {number(metric.max_rate_per_second)} per second",
            {"metricKey": key, "rule": "max_rate_per_second"},
        )


def progress(
    tx: Transaction,
    rt: GameContext,
    *,
    event: EventConfig,
    player: PlayerRow,
    attempt_id: str,
    body: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Apply one progress write; returns ``ProgressResponse``."""
    conn = tx.conn
    row = owned_attempt(
        conn, rt, player=player, event_key=event.key, attempt_id=attempt_id, now=now
    )
    if row[12] != "in_progress":
        raise ApiError("attempt_finished", f"attempt {attempt_id} is {row[12]}")
    mode = body.get("mode", "set")
    updates = _updates(event, body)
    _check_occurred_at(body.get("occurredAt"), now)
    old: dict[str, float] = json.loads(row[10])
    raw = dict(old)
    last = parse_iso(row[14] or row[6])
    elapsed = (now - last).total_seconds()
    for key, value in updates.items():
        new = check_finite(value if mode == "set" else raw.get(key, 0.0) + value, key)
        _anti_cheat(event, key, new - old.get(key, 0.0), elapsed)
        raw[key] = new
    for metric in event.metrics:
        sibling = metric.reset_on
        if sibling is not None and sibling in updates and raw.get(sibling, 0) > old.get(sibling, 0):
            raw[metric.key] = 0.0
    metrics, score = score_facing(event, raw)
    check_finite(score, "score")
    fired_keys: list[str] = json.loads(row[13])
    fired: list[dict[str, Any]] = []
    for milestone in event.milestones:
        if milestone.key in fired_keys:
            continue
        if old.get(milestone.metric, 0.0) < milestone.threshold <= raw.get(milestone.metric, 0.0):
            grant = grants.create_pending_grant(
                conn,
                rt,
                player_id=player.id,
                kind=milestone.grant_kind,
                entries=milestone.entries,
                source_kind="event_milestone",
                source_ref_id=attempt_id,
                now=now,
            )
            fired_keys.append(milestone.key)
            fired.append({"key": milestone.key, "grants": [grant]})
    completed = targets_met(event, raw)
    conn.execute(
        "UPDATE attempts SET metrics = ?, metrics_raw = ?, score = ?, fired = ?, "
        "last_progress_at = ?, status = ?, completed_at = ? WHERE id = ?",
        (
            json.dumps(metrics),
            json.dumps(raw),
            score,
            json.dumps(fired_keys),
            iso(now),
            "completed" if completed else "in_progress",
            iso(now) if completed else None,
            attempt_id,
        ),
    )
    if score != float(row[11]) or completed:
        boards.on_attempt_scored(
            tx,
            board_services(rt),
            leaderboard_id=row[4],
            player_id=player.id,
            external_player_id=player.external_id,
            display_name=player.name,
            event_key=row[2],
            score=score,
            now=now,
            attempt_id=row[0],
        )
    if completed and row[5] is not None:
        lobby_cfg = event.lobby
        if lobby_cfg is not None and lobby_cfg.end_trigger == "first_to_target":
            lobby = lobbies.load(conn, row[5])
            if lobby is not None and lobby[7] == "active":
                # the first to the target ends the session
                lobbies.close(tx, board_services(rt), lobby, now)
    fresh = load(conn, attempt_id)
    assert fresh is not None
    return {"attempt": dto(fresh), "milestonesFired": fired}


def finish(
    conn: sqlite3.Connection,
    rt: GameContext,
    *,
    event: EventConfig,
    player: PlayerRow,
    attempt_id: str,
    now: datetime,
) -> dict[str, Any]:
    """End an in-progress attempt now; ``{attempt, outcome}``."""
    row = owned_attempt(
        conn, rt, player=player, event_key=event.key, attempt_id=attempt_id, now=now
    )
    if row[12] != "in_progress":
        raise ApiError("attempt_finished", f"attempt {attempt_id} is {row[12]}")
    outcome = _finish_status(event, json.loads(row[10]))
    stamp = iso(now)
    conn.execute(
        "UPDATE attempts SET status = ?, completed_at = ?, ends_at = ? WHERE id = ?",
        (outcome, stamp if outcome == "completed" else None, stamp, attempt_id),
    )
    fresh = load(conn, attempt_id)
    assert fresh is not None
    return {"attempt": dto(fresh), "outcome": outcome}


def attempt_ends_at(
    rt: GameContext, event: EventConfig, now: datetime, *limits: datetime
) -> datetime:
    """``min(now + attempt_duration_s, window/session end)``."""
    del rt
    return min([now + timedelta(seconds=event.attempt_duration_s), *limits])
