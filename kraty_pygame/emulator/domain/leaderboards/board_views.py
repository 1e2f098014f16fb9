"""Wire shapes of leaderboard reads, and their query parsing.

Entries carry both ``avatar`` and ``avatarUrl`` (renamed in v0.10.0; old decoders
read the second), keyed boards both ``leaderboardId`` and ``sharedLeaderboardId``.
Player rows are decorated from the ``players`` table: ``name`` is the real
display identity when set, else the synthetic one; ``anonymizedName`` /
``anonymizedAvatar`` are the synthetic identity; ``country`` is null for bots.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from kraty_pygame.emulator.config.models import LeaderboardConfig
from kraty_pygame.emulator.domain.leaderboards.keyed_periods import (
    BoardError,
    board_id,
    keyed_scope,
)
from kraty_pygame.emulator.domain.leaderboards.keyed_segments import progression_limits
from kraty_pygame.emulator.domain.leaderboards.ranking import RankedEntry, number, ranked_entries

__all__ = [
    "MAX_PROGRESSION_KEYS",
    "decorate",
    "keyed_board",
    "keyed_identity",
    "parse_bool",
    "parse_int",
    "parse_progression",
    "self_entry",
    "standings_segment",
]

MAX_PROGRESSION_KEYS: Final = 8


def _invalid(field: str, message: str) -> BoardError:
    return BoardError(
        "validation_failed",
        f"{field}: {message}",
        {"errors": [{"path": field, "message": message}]},
    )


def parse_int(value: str | None, field: str, *, default: int, low: int, high: int) -> int:
    """An integer query value in ``[low, high]`` (400 ``validation_failed`` otherwise)."""
    if value is None or value == "":
        return default
    try:
        number_ = int(value.strip())
    except ValueError:
        raise _invalid(field, f"expected an integer from {low} to {high}") from None
    if not low <= number_ <= high:
        raise _invalid(field, f"must be between {low} and {high}")
    return number_


def parse_bool(value: str | None, field: str) -> bool:
    """``true`` / ``false`` (also ``1`` / ``0``); absent is false."""
    if value is None or value == "":
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise _invalid(field, "expected true or false")


def parse_progression(value: str | None) -> list[str]:
    """``progression=k1,k2`` (at most 8 economy keys)."""
    if not value:
        return []
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if len(keys) > MAX_PROGRESSION_KEYS:
        raise _invalid("progression", f"at most {MAX_PROGRESSION_KEYS} keys")
    return list(dict.fromkeys(keys))


def _players(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    try:
        rows = conn.execute(
            "SELECT id, display_name, display_avatar, synthetic_name, synthetic_avatar, country "
            f"FROM players WHERE id IN ({marks})",
            tuple(ids),
        ).fetchall()
    except sqlite3.OperationalError:  # no players table (bare unit-test databases)
        return {}
    return {row[0]: row for row in rows}


def _balances(
    conn: sqlite3.Connection, ids: Sequence[str], keys: Sequence[str]
) -> dict[str, dict[str, int]]:
    if not ids or not keys:
        return {}
    id_marks = ", ".join("?" for _ in ids)
    key_marks = ", ".join("?" for _ in keys)
    rows = conn.execute(
        f"SELECT player_id, economy_key, balance FROM wallet WHERE player_id IN ({id_marks}) "
        f"AND economy_key IN ({key_marks})",
        (*ids, *keys),
    ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for player_id, key, balance in rows:
        out.setdefault(player_id, {})[key] = int(balance)
    return out


def decorate(
    conn: sqlite3.Connection,
    entries: Sequence[RankedEntry],
    *,
    self_id: str | None,
    progression: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """``LeaderboardEntry`` dicts for ``entries`` (one query for their players)."""
    player_ids = [e.participant_id for e in entries if e.kind == "player"]
    players = _players(conn, player_ids)
    balances = _balances(conn, player_ids, progression)
    out: list[dict[str, Any]] = []
    for e in entries:
        row = players.get(e.participant_id) if e.kind == "player" else None
        if row is not None:
            name = row[1] or row[3] or e.name
            avatar = row[2] or row[4]
            country, anon_name, anon_avatar = row[5], row[3], row[4]
        else:
            name, avatar, country, anon_name, anon_avatar = e.name, None, None, None, None
        item: dict[str, Any] = {
            "participantId": e.participant_id,
            "kind": e.kind,
            "name": name,
            "avatar": avatar,
            "avatarUrl": avatar,
            "score": number(e.score),
            "rank": e.rank,
            "isSelf": self_id is not None and e.participant_id == self_id,
            "country": country,
            "anonymizedName": anon_name,
            "anonymizedAvatar": anon_avatar,
        }
        if progression and e.kind == "player":
            held = balances.get(e.participant_id, {})
            item["progression"] = {key: held.get(key, 0) for key in progression}
        out.append(item)
    return out


def self_entry(entries: Sequence[RankedEntry], self_id: str | None) -> dict[str, Any] | None:
    """``{rank, score}`` of the caller, or None when not on the board."""
    if self_id is None:
        return None
    for e in entries:
        if e.participant_id == self_id:
            return {"rank": e.rank, "score": number(e.score)}
    return None


# ----------------------------------------------------------------- keyed boards


def keyed_identity(board: LeaderboardConfig) -> dict[str, Any]:
    """The identity fields every keyed-board answer starts with."""
    lb_id = board_id(board.key)
    return {
        "key": board.key,
        "leaderboardId": lb_id,
        "sharedLeaderboardId": lb_id,
        "scope": board.scope,
        "resetCadence": board.reset_cadence,
        "scoreAggregation": board.score_aggregation,
    }


def keyed_board(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    *,
    period: str,
    segment: str,
    limit: int,
    self_id: str | None,
    progression: Sequence[str] = (),
) -> dict[str, Any]:
    """The keyed ``Leaderboard`` DTO of one (period, segment) partition."""
    entries = ranked_entries(conn, keyed_scope(board.key, period, segment))
    data = keyed_identity(board)
    data.update(
        {
            "segment": segment or None,
            "period": period,
            "progression": progression_limits(board),
            "entries": decorate(conn, entries[:limit], self_id=self_id, progression=progression),
            "self": self_entry(entries, self_id),
        }
    )
    return data


def standings_segment(
    conn: sqlite3.Connection,
    board: LeaderboardConfig,
    *,
    period: str,
    segment: str,
    limit: int,
    self_id: str | None,
    progression: Sequence[str] = (),
) -> dict[str, Any]:
    """One ``segments[]`` item of a multi-segment read."""
    entries = ranked_entries(conn, keyed_scope(board.key, period, segment))
    mine = self_entry(entries, self_id)
    return {
        "segment": segment or None,
        "participated": mine is not None,
        "selfRank": mine["rank"] if mine is not None else None,
        "entries": decorate(conn, entries[:limit], self_id=self_id, progression=progression),
    }
