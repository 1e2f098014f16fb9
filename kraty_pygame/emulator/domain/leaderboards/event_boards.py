"""Event boards as the routes see them: resolution, lazy refresh, snapshot, join."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.domain.leaderboards import board_views, finalization
from kraty_pygame.emulator.domain.leaderboards import bots as _bots
from kraty_pygame.emulator.domain.leaderboards.boards import (
    BoardServices,
    EventBoard,
    ensure_event_board,
    event_scope,
    get_event_board,
    publish_after_commit,
)
from kraty_pygame.emulator.domain.leaderboards.keyed_periods import BoardError
from kraty_pygame.emulator.domain.leaderboards.ranking import (
    add_bots,
    diff_updates,
    evaluate_bots,
    parse_iso,
    ranked_entries,
    set_participant_score,
)
from kraty_pygame.emulator.ids import stable_id
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext

__all__ = ["event_id", "join", "refresh", "resolve", "snapshot"]


def event_id(event_key: str) -> str:
    """The wire ``eventId`` of an event key (stable, like every config-derived id)."""
    return stable_id("ev", event_key)


def _window_bots(rt: GameContext, event_key: str, board_ref: str) -> list[_bots.BotSpec]:
    return [
        _bots.BotSpec(
            participant_id=_bots.bot_participant_id(f"{board_ref}:seed", i),
            name=bot.name,
            base_score=float(bot.score),
        )
        for i, bot in enumerate(rt.config.seed_bots)
        if event_key in bot.boards
    ]


def resolve(
    conn: sqlite3.Connection, rt: GameContext, leaderboard_id: str, now: datetime
) -> EventBoard | None:
    """The board with this id (created from its window or lobby on first use), or None.

    An event board id (``lb_<12 hex>``) names an event window (``windows``) or a lobby
    session (``lobbies``); its ``eb_boards`` row gets the bounds and the bots: a window
    board the ``[[seed.bots]]`` that list the event key (static scores), a lobby board
    one bot per seat the lobby filled with bots (names from ``bot_names``, a seeded
    linear rate from ``bot_score_per_minute``, anchored at the session start and frozen
    at its end).
    """
    board = get_event_board(conn, leaderboard_id)
    if board is not None:
        if board.lobby_id:
            return _sync_lobby(conn, rt, board, now)
        return _sync_window(conn, board)
    row = conn.execute(
        "SELECT event_key, window_id, starts_at, ends_at FROM windows WHERE leaderboard_id = ?",
        (leaderboard_id,),
    ).fetchone()
    if row is not None:
        event = rt.config.event(row[0])
        return ensure_event_board(
            conn,
            leaderboard_id=leaderboard_id,
            event_key=row[0],
            now=now,
            window_id=row[1],
            mode=event.leaderboard_mode if event is not None else "global",
            anchor=parse_iso(row[2]),
            ends_at=parse_iso(row[3]) if row[3] else None,
            bots=_window_bots(rt, row[0], leaderboard_id),
        )
    lobby = conn.execute(
        "SELECT id, event_key, window_id, created_at FROM lobbies WHERE leaderboard_id = ?",
        (leaderboard_id,),
    ).fetchone()
    if lobby is None:
        return None
    board = ensure_event_board(
        conn,
        leaderboard_id=leaderboard_id,
        event_key=lobby[1],
        now=now,
        window_id=lobby[2],
        lobby_id=lobby[0],
        mode="lobby_matched",
        anchor=parse_iso(lobby[3]),
    )
    return _sync_lobby(conn, rt, board, now)


def _sync_window(conn: sqlite3.Connection, board: EventBoard) -> EventBoard:
    """Follow the window's end (the control plane's finalize shortens it)."""
    if board.finalized:
        return board
    row = conn.execute(
        "SELECT ends_at FROM windows WHERE leaderboard_id = ?", (board.leaderboard_id,)
    ).fetchone()
    if row is None or row[0] == board.ends_at:
        return board
    conn.execute(
        "UPDATE eb_boards SET ends_at = ? WHERE leaderboard_id = ?", (row[0], board.leaderboard_id)
    )
    fresh = get_event_board(conn, board.leaderboard_id)
    assert fresh is not None
    return fresh


def _sync_lobby(
    conn: sqlite3.Connection, rt: GameContext, board: EventBoard, now: datetime
) -> EventBoard:
    """Follow the lobby: session bounds once it starts, and one bot per bot seat."""
    if board.finalized:
        return board
    row = conn.execute(
        "SELECT started_at, ends_at, bots_seated, created_at FROM lobbies WHERE id = ?",
        (board.lobby_id,),
    ).fetchone()
    if row is None:
        return board
    anchor = row[0] or row[3]
    if anchor != board.anchor_at or row[1] != board.ends_at:
        conn.execute(
            "UPDATE eb_boards SET anchor_at = ?, ends_at = ? WHERE leaderboard_id = ?",
            (anchor, row[1], board.leaderboard_id),
        )
    seats = int(row[2] or 0)
    have = conn.execute(
        "SELECT COUNT(*) FROM eb_entries WHERE leaderboard_id = ? AND kind = 'bot'",
        (board.leaderboard_id,),
    ).fetchone()[0]
    if have < seats:
        event = rt.config.event(board.event_key)
        lobby_cfg = event.lobby if event is not None else None
        names = list(lobby_cfg.bot_names) if lobby_cfg is not None else []
        bounds = list(lobby_cfg.bot_score_per_minute) if lobby_cfg is not None else []
        specs = []
        for i in range(int(have), seats):
            pid = _bots.bot_participant_id(board.leaderboard_id, i)
            name = names[i % len(names)] if names else f"Bot {i + 1}"
            rate = _bots.seeded_rate(rt.rng_seed, board.leaderboard_id, pid, bounds)
            specs.append(_bots.BotSpec(participant_id=pid, name=name, rate_per_minute=rate))
        start = parse_iso(anchor)
        add_bots(
            conn,
            event_scope(board.leaderboard_id),
            specs,
            anchor=start,
            now=now,
            ends_at=parse_iso(row[1]) if row[1] else None,
        )
    fresh = get_event_board(conn, board.leaderboard_id)
    assert fresh is not None
    return fresh


def refresh(
    tx: Transaction, services: BoardServices, board: EventBoard, now: datetime
) -> EventBoard:
    """Finalize an ended board, else move its bots to ``now`` (publishing the deltas).

    Every read or write refreshes its board first: ending is noticed lazily, on the
    emulator clock; bot moves go out as ``score_update`` after the commit.
    """
    if board.finalized:
        return board
    end = board.end
    if end is not None and end <= now:
        reason = "session_terminated" if board.lobby_id else "window_closed"
        finalization.finalize_window(
            tx,
            services,
            event_key=board.event_key,
            window_id=board.window_id,
            leaderboard_id=board.leaderboard_id,
            reason=reason,
            now=end,
        )
        fresh = get_event_board(tx.conn, board.leaderboard_id)
        assert fresh is not None
        return fresh
    scope = event_scope(board.leaderboard_id)
    has_bots = tx.conn.execute(
        "SELECT 1 FROM eb_entries WHERE leaderboard_id = ? AND kind = 'bot' LIMIT 1",
        (board.leaderboard_id,),
    ).fetchone()
    if has_bots is None:
        return board
    before = ranked_entries(tx.conn, scope)
    if evaluate_bots(tx.conn, scope, anchor=board.anchor, now=now, ends_at=end):
        after = ranked_entries(tx.conn, scope)
        updates = diff_updates(board.leaderboard_id, before, after)
        publish_after_commit(tx, services.publisher, board.leaderboard_id, updates)
    return board


def player_id_of(conn: sqlite3.Connection, external_id: str | None) -> str | None:
    if not external_id:
        return None
    row = conn.execute("SELECT id FROM players WHERE external_id = ?", (external_id,)).fetchone()
    return None if row is None else str(row[0])


def snapshot(
    conn: sqlite3.Connection,
    board: EventBoard,
    *,
    limit: int,
    self_external_id: str | None,
    progression: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``EventLeaderboard`` DTO of a board."""
    entries = ranked_entries(conn, event_scope(board.leaderboard_id))
    self_id = player_id_of(conn, self_external_id)
    return {
        "leaderboardId": board.leaderboard_id,
        "mode": board.mode,
        "finalized": board.finalized,
        "finalizedReason": board.finalized_reason if board.finalized else None,
        "entries": board_views.decorate(
            conn, entries[:limit], self_id=self_id, progression=progression
        ),
        "self": board_views.self_entry(entries, self_id) if self_external_id else None,
        "progression": None,
    }


def join(
    tx: Transaction,
    services: BoardServices,
    board: EventBoard,
    *,
    player_id: str,
    external_id: str,
    name: str | None,
    now: datetime,
) -> None:
    """Put the player on the board at score 0 (idempotent); 409 once finalized."""
    if board.finalized:
        raise BoardError("conflict", "this event board is finalized; it cannot be joined")
    scope = event_scope(board.leaderboard_id)
    before = ranked_entries(tx.conn, scope)
    set_participant_score(
        tx.conn,
        scope,
        participant_id=player_id,
        external_player_id=external_id,
        name=name,
        score=None,
        now=now,
    )
    after = ranked_entries(tx.conn, scope)
    publish_after_commit(
        tx,
        services.publisher,
        board.leaderboard_id,
        diff_updates(board.leaderboard_id, before, after, first=(player_id,)),
    )
