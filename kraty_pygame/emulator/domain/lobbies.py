"""Lobbies for ``lobby_matched`` events.

One forming lobby per (event, window); humans join it until it is full or its
``fillBy`` passes, then it is promoted to ``active`` (bots seated per the fill
strategy) and the session runs ``session_duration_s``; at its end the lobby closes
and its board is finalized with ``session_terminated``. All of it is evaluated
lazily on the emulator clock: on reads, starts and clock moves.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso, parse_iso
from kraty_pygame.emulator.config.models import EventConfig, LobbyConfig
from kraty_pygame.emulator.domain.leaderboards import finalization
from kraty_pygame.emulator.domain.leaderboards.boards import BoardServices
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.domain.windows import Window
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.ids import event_id, new_id
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

COLUMNS = (
    "id, event_key, window_id, leaderboard_id, capacity, created_at, fill_by, status, "
    "started_at, ends_at, bots_seated, fill_bots, fill_strategy, fill_timeout_s, "
    "bot_fill_delay_s, bot_drip_interval_s, session_duration_s, external_key"
)


def load(conn: sqlite3.Connection, lobby_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {COLUMNS} FROM lobbies WHERE id = ?", (lobby_id,)
    ).fetchone()
    return row


def humans(conn: sqlite3.Connection, lobby_id: str) -> int:
    return int(
        conn.execute(
            "SELECT COUNT(*) FROM lobby_members WHERE lobby_id = ?", (lobby_id,)
        ).fetchone()[0]
    )


def projected_bots(row: sqlite3.Row, participant_count: int, now: datetime) -> int:
    """``botSlots``: bots actually seated once promoted; while forming, the drip
    projection ``min(open, 1 + floor((age - delay) / interval))`` after the delay."""
    if row[7] != "forming":
        return int(row[10])
    if not row[11] or row[12] != "fill_with_bots":
        return 0
    age = (now - parse_iso(row[5])).total_seconds()
    delay = float(row[14])
    if age < delay:
        return 0
    open_seats = max(0, int(row[4]) - participant_count)
    return min(open_seats, 1 + math.floor((age - delay) / float(row[15])))


def dto(conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> dict[str, Any]:
    """The wire ``Lobby``."""
    count = humans(conn, row[0])
    return {
        "id": row[0],
        "eventId": event_id(row[1]),
        "eventWindowId": row[2],
        "leaderboardId": row[3],
        "mode": "lobby_matched",
        "status": row[7],
        "capacity": int(row[4]),
        "fillBy": row[6],
        "participantCount": count,
        "botSlots": projected_bots(row, count, now),
        "startedAt": row[8],
        "endsAt": row[9],
    }


def promote(tx: Transaction, row: sqlite3.Row, at: datetime) -> sqlite3.Row:
    """forming -> active at ``at``: seat bots (fill_with_bots) and start the session."""
    count = humans(tx.conn, row[0])
    bots = max(0, int(row[4]) - count) if row[11] and row[12] == "fill_with_bots" else 0
    ends = at + timedelta(seconds=float(row[16]))
    tx.conn.execute(
        "UPDATE lobbies SET status = 'active', started_at = ?, ends_at = ?, bots_seated = ? "
        "WHERE id = ?",
        (iso(at), iso(ends), bots, row[0]),
    )
    fresh = load(tx.conn, row[0])
    assert fresh is not None
    return fresh


def close(tx: Transaction, services: BoardServices, row: sqlite3.Row, at: datetime) -> sqlite3.Row:
    """active -> closed; the lobby board is finalized (``session_terminated``)."""
    tx.conn.execute(
        "UPDATE lobbies SET status = 'closed', closed_at = ? WHERE id = ?", (iso(at), row[0])
    )
    tx.conn.execute(
        "UPDATE attempts SET ends_at = ? WHERE lobby_id = ? AND status = 'in_progress' "
        "AND ends_at > ?",
        (iso(at), row[0], iso(at)),
    )
    finalization.finalize_window(
        tx,
        services,
        event_key=row[1],
        window_id=row[2],
        leaderboard_id=row[3],
        reason="session_terminated",
        now=at,
    )
    fresh = load(tx.conn, row[0])
    assert fresh is not None
    return fresh


def evaluate(
    tx: Transaction, services: BoardServices, row: sqlite3.Row, now: datetime
) -> sqlite3.Row:
    """Bring a lobby up to ``now``: promote when full or past ``fillBy``, close at ``endsAt``."""
    if row[7] == "forming":
        fill_by = parse_iso(row[6]) if row[6] else None
        if humans(tx.conn, row[0]) >= int(row[4]):
            row = promote(tx, row, now)
        elif fill_by is not None and now >= fill_by and row[12] != "wait_full":
            row = promote(tx, row, fill_by)
    if row[7] == "active" and row[9] is not None and parse_iso(row[9]) <= now:
        row = close(tx, services, row, parse_iso(row[9]))
    return row


def _create(
    tx: Transaction,
    rt: GameContext,
    event: EventConfig,
    window: Window,
    now: datetime,
    *,
    capacity: int | None = None,
    fill_bots: bool | None = None,
    external_key: str | None = None,
) -> sqlite3.Row:
    cfg: LobbyConfig | None = event.lobby
    if cfg is None:
        raise ApiError("conflict", f"event {event.key!r} is not lobby-matched")
    lobby_id = new_id(tx.conn, "lob", rt.rng_seed)
    board_id = new_id(tx.conn, "lb", rt.rng_seed)
    seats = capacity or cfg.capacity
    drip = cfg.bot_drip_interval_s
    tx.conn.execute(
        "INSERT INTO lobbies (id, event_key, window_id, leaderboard_id, capacity, created_at, "
        "fill_by, status, fill_bots, fill_strategy, fill_timeout_s, bot_fill_delay_s, "
        "bot_drip_interval_s, session_duration_s, external_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'forming', ?, ?, ?, ?, ?, ?, ?)",
        (
            lobby_id,
            event.key,
            window.window_id,
            board_id,
            seats,
            iso(now),
            iso(now + timedelta(seconds=cfg.fill_timeout_s)),
            int(cfg.fill_bots if fill_bots is None else fill_bots),
            cfg.fill_strategy,
            cfg.fill_timeout_s,
            cfg.bot_fill_delay_s,
            drip,
            cfg.session_duration_s,
            external_key,
        ),
    )
    row = load(tx.conn, lobby_id)
    assert row is not None
    return row


def _seat(tx: Transaction, lobby_id: str, player_id: str, now: datetime) -> None:
    tx.conn.execute(
        "INSERT OR IGNORE INTO lobby_members (lobby_id, player_id, joined_at) VALUES (?, ?, ?)",
        (lobby_id, player_id, iso(now)),
    )


def lobby_for_start(
    tx: Transaction,
    rt: GameContext,
    *,
    event: EventConfig,
    window: Window,
    player_id: str,
    now: datetime,
) -> sqlite3.Row:
    """The player's open lobby in this window, else the forming one (joined), else a
    new one; evaluated at ``now`` (joining the last seat promotes at once)."""
    services = board_services(rt)
    rows = tx.conn.execute(
        f"SELECT {', '.join('l.' + c.strip() for c in COLUMNS.split(','))} FROM lobbies l "
        "JOIN lobby_members m ON m.lobby_id = l.id WHERE m.player_id = ? AND l.event_key = ? "
        "AND l.window_id = ? AND l.status != 'closed' ORDER BY l.created_at DESC",
        (player_id, event.key, window.window_id),
    ).fetchall()
    for row in rows:
        current = evaluate(tx, services, row, now)
        if current[7] != "closed":
            return current
    forming = tx.conn.execute(
        f"SELECT {COLUMNS} FROM lobbies WHERE event_key = ? AND window_id = ? "
        "AND status = 'forming' AND external_key IS NULL ORDER BY created_at",
        (event.key, window.window_id),
    ).fetchall()
    for row in forming:
        current = evaluate(tx, services, row, now)
        if current[7] == "forming":
            _seat(tx, current[0], player_id, now)
            return evaluate(tx, services, current, now)
    created = _create(tx, rt, event, window, now)
    _seat(tx, created[0], player_id, now)
    return evaluate(tx, services, created, now)


def server_create(
    tx: Transaction,
    rt: GameContext,
    *,
    event: EventConfig,
    window: Window,
    key: str,
    player_ids: list[str],
    capacity: int | None,
    fill_bots: bool | None,
    now: datetime,
) -> sqlite3.Row:
    """A pre-matched lobby, promoted at once; the same ``key`` returns it again."""
    existing = tx.conn.execute(
        f"SELECT {COLUMNS} FROM lobbies WHERE event_key = ? AND external_key = ?",
        (event.key, key),
    ).fetchone()
    if existing is not None:
        return evaluate(tx, board_services(rt), existing, now)
    seats = capacity or (event.lobby.capacity if event.lobby else len(player_ids))
    if len(player_ids) > seats:
        raise ApiError("validation_failed", f"{len(player_ids)} players do not fit {seats} seats")
    row = _create(tx, rt, event, window, now, capacity=seats, fill_bots=fill_bots, external_key=key)
    for player_id in player_ids:
        _seat(tx, row[0], player_id, now)
    return promote(tx, row, now)


def read(tx: Transaction, services: BoardServices, lobby_id: str, now: datetime) -> dict[str, Any]:
    """The lobby, evaluated at ``now``; 404 when unknown."""
    row = load(tx.conn, lobby_id)
    if row is None:
        raise not_found(f"lobby {lobby_id!r}")
    return dto(tx.conn, evaluate(tx, services, row, now), now)


def force_promote(tx: Transaction, lobby_id: str, now: datetime) -> dict[str, Any]:
    """``/_emulator/lobbies/{id}/promote``."""
    row = load(tx.conn, lobby_id)
    if row is None:
        raise not_found(f"lobby {lobby_id!r}")
    if row[7] == "forming":
        row = promote(tx, row, now)
    return dto(tx.conn, row, now)


def sweep(tx: Transaction, services: BoardServices, now: datetime) -> None:
    """Promote lobbies past ``fillBy`` and close sessions past ``endsAt``."""
    stamp = iso(now)
    rows = tx.conn.execute(
        f"SELECT {COLUMNS} FROM lobbies WHERE (status = 'forming' AND fill_by <= ?) "
        "OR (status = 'active' AND ends_at <= ?) ORDER BY created_at",
        (stamp, stamp),
    ).fetchall()
    for row in rows:
        evaluate(tx, services, row, now)
