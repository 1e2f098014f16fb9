"""Time-based lazy work, run on clock moves and at most once per emulator second.

Order matters: lobbies first (promotion / session end), then attempts are settled,
and boards are finalized last, so that finalization sees final attempt statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.domain import attempts, grants, lobbies, windows
from kraty_pygame.emulator.domain.leaderboards import finalization
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.errors import ApiError, not_found
from kraty_pygame.emulator.http import idempotency
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.runtime import EmulatorRuntime


_PURGE_EVERY_S = 3600


def sweep(tx: Transaction, rt: EmulatorRuntime, now: datetime) -> None:
    """Promote/close lobbies, settle ended attempts, expire grants, finalize ended
    boards; hourly, drop idempotency records older than the 24 h replay window."""
    services = board_services(rt)
    lobbies.sweep(tx, services, now)
    attempts.settle_due(tx.conn, rt, now)
    grants.expire_due(tx.conn, now)
    now_ms = int(now.timestamp() * 1000)
    last = rt.last_idempotency_purge_ms
    if last is None or not 0 <= now_ms - last < _PURGE_EVERY_S * 1000:
        idempotency.purge_expired(tx, now_ms)
        rt.last_idempotency_purge_ms = now_ms
    finalization.finalize_due(tx, services, now=now)


def finalize_event(
    tx: Transaction, rt: EmulatorRuntime, event_key: str, now: datetime
) -> dict[str, Any]:
    """``/_emulator/events/{key}/finalize``: close the current window now.

    In-progress attempts of the window end now (settled), its open lobbies close, and
    the window board is finalized with ``window_closed`` (reward policy + SSE
    ``finalized``/``closed``). An ``always`` event opens a fresh
    window on the next touch; a scheduled one waits for its next window.
    """
    event = rt.config.event(event_key)
    if event is None:
        raise not_found(f"event {event_key!r}")
    services = board_services(rt)
    window = windows.active_window(tx.conn, rt, event, now)
    if window is None:
        raise ApiError("no_active_window", f"event {event_key!r} has no open window")
    window = windows.close_early(tx.conn, window, now)
    stamp = iso(now)
    tx.conn.execute(
        "UPDATE attempts SET ends_at = ? WHERE event_key = ? AND window_id = ? "
        "AND status = 'in_progress' AND ends_at > ?",
        (stamp, event_key, window.window_id, stamp),
    )
    attempts.settle_due(tx.conn, rt, now)
    for row in tx.conn.execute(
        f"SELECT {lobbies.COLUMNS} FROM lobbies WHERE event_key = ? AND window_id = ? "
        "AND status != 'closed'",
        (event_key, window.window_id),
    ).fetchall():
        active = lobbies.promote(tx, row, now) if row[7] == "forming" else row
        lobbies.close(tx, services, active, now)
    done = finalization.finalize_window(
        tx,
        services,
        event_key=event_key,
        window_id=window.window_id,
        leaderboard_id=window.leaderboard_id,
        reason="window_closed",
        now=now,
    )
    return {
        "eventKey": event_key,
        "windowId": window.window_id,
        "leaderboardId": window.leaderboard_id,
        "endsAt": stamp,
        "finalized": done,
    }
