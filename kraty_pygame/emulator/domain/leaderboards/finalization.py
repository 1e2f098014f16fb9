"""Finalizing event boards: final standings, the reward policy and the stream's end."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from kraty_pygame.emulator.domain.leaderboards import boards as _boards
from kraty_pygame.emulator.store import Transaction

__all__ = [
    "FINALIZED_REASONS",
    "STANDINGS_LIMIT",
    "finalize_due",
    "finalize_window",
    "finalized_payload",
    "split_bundle",
]

FINALIZED_REASONS: Final = ("window_closed", "session_terminated")

#: How many rows the ``finalized`` event's ``standings`` carries.
STANDINGS_LIMIT: Final = 200


def finalize_window(
    tx: Transaction,
    services: _boards.BoardServices,
    *,
    event_key: str,
    window_id: str,
    leaderboard_id: str,
    reason: str,
    now: datetime | str,
) -> bool:
    """Finalize the board of one event window or lobby session.

    A board is finalized when its window closes on the emulator clock (noticed on board
    reads, stream connects and clock moves), when the control plane's finalize route
    closes the window now, or when a lobby session ends. Finalizing brings the bots to
    their score at the board's end and freezes the standings, applies the event's
    ``reward_policy`` (pending grants with ``sourceKind: "event_reward"``), and after
    the commit sends ``finalized`` then ``closed`` to every subscriber, which ends
    every stream (later connects get ``ready`` + ``closed``).

    Returns True when this call finalized the board, False when it already was (a
    second finalize changes nothing).
    """
    moment = _boards.parse_iso(now) if isinstance(now, str) else now
    board = _boards.board_for_write(tx, services, leaderboard_id, event_key, moment)
    if board.finalized:
        return False
    if reason not in FINALIZED_REASONS:
        reason = "window_closed"
    scope = _boards.event_scope(leaderboard_id)
    end = board.end
    at = moment if end is None or moment < end else end
    before = _boards.ranked_entries(tx.conn, scope)
    _boards.evaluate_bots(tx.conn, scope, anchor=board.anchor, now=at, ends_at=end)
    final = _boards.ranked_entries(tx.conn, scope)
    moved = _boards.diff_updates(leaderboard_id, before, final)
    standings = [
        {
            "participantId": e.participant_id,
            "rank": e.rank,
            "score": _boards.number(e.score),
            "name": e.name,
            "kind": e.kind,
        }
        for e in final
    ]
    stamp = _boards.iso(moment)
    tx.conn.execute(
        "UPDATE eb_boards SET finalized = 1, finalized_reason = ?, finalized_at = ?, "
        "window_id = CASE WHEN window_id = '' THEN ? ELSE window_id END, "
        "standings_json = ? WHERE leaderboard_id = ?",
        (reason, stamp, window_id, json.dumps(standings[:STANDINGS_LIMIT]), leaderboard_id),
    )
    _apply_reward_policy(
        tx,
        services,
        event_key=event_key,
        leaderboard_id=leaderboard_id,
        standings=final,
        now=moment,
    )
    event_id = services.event_id(event_key) if services.event_id is not None else event_key
    payload = {
        "leaderboardId": leaderboard_id,
        "eventId": event_id,
        "reason": reason,
        "standings": standings[:STANDINGS_LIMIT],
        "occurredAt": stamp,
    }
    publisher = services.publisher
    if publisher is not None:

        def _send() -> None:
            for update in moved:
                publisher.publish(
                    leaderboard_id,
                    "score_update",
                    update,
                    coalesce_key=str(update["participantId"]),
                )
            publisher.publish(leaderboard_id, "finalized", payload)
            publisher.publish(leaderboard_id, "closed", {"reason": "finalized"})

        tx.after_commit(_send)
    return True


def finalized_payload(board: _boards.EventBoard, event_id: str) -> dict[str, Any]:
    """The ``finalized`` event of an already finalized board (for late readers)."""
    standings = json.loads(board.standings_json) if board.standings_json else []
    return {
        "leaderboardId": board.leaderboard_id,
        "eventId": event_id,
        "reason": board.finalized_reason or "window_closed",
        "standings": standings,
        "occurredAt": board.finalized_at,
    }


def finalize_due(tx: Transaction, services: _boards.BoardServices, *, now: datetime) -> list[str]:
    """Finalize every known board whose window or session has ended by ``now``.

    Lobby boards end with ``session_terminated``, window boards with
    ``window_closed``. Returns the ids finalized.
    """
    stamp = _boards.iso(now)
    rows = tx.conn.execute(
        "SELECT leaderboard_id, event_key, window_id, lobby_id FROM eb_boards "
        "WHERE finalized = 0 AND ends_at IS NOT NULL AND ends_at <= ? ORDER BY ends_at",
        (stamp,),
    ).fetchall()
    done: list[str] = []
    for leaderboard_id, event_key, window_id, lobby_id in rows:
        reason = "session_terminated" if lobby_id else "window_closed"
        if finalize_window(
            tx,
            services,
            event_key=event_key,
            window_id=window_id,
            leaderboard_id=leaderboard_id,
            reason=reason,
            now=now,
        ):
            done.append(leaderboard_id)
    return done


# ------------------------------------------------------------------ reward policy


def split_bundle(entries: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Grant kinds for a bundle: crate entries become a ``crate`` grant, the rest a ``reward``."""
    crates = [dict(e) for e in entries if e.get("type") == "crate"]
    others = [dict(e) for e in entries if e.get("type") != "crate"]
    out: list[tuple[str, list[dict[str, Any]]]] = []
    if others:
        out.append(("reward", others))
    if crates:
        out.append(("crate", crates))
    return out


def _bundle_entries(config: Any, bundle: str | None) -> list[dict[str, Any]]:
    if bundle is None:
        return []
    found = config.reward_bundles.get(bundle)
    return [dict(e) for e in found.entries] if found is not None else []


def _apply_reward_policy(
    tx: Transaction,
    services: _boards.BoardServices,
    *,
    event_key: str,
    leaderboard_id: str,
    standings: Sequence[_boards.RankedEntry],
    now: datetime,
) -> None:
    config = services.config
    create = services.create_grant
    if config is None or create is None:
        return
    event = config.event(event_key)
    if event is None:
        return
    policy = event.reward_policy

    def grant(player_id: str, entries: Sequence[Mapping[str, Any]], ref: str | None) -> None:
        for kind, part in split_bundle(entries):
            create(
                tx,
                player_id=player_id,
                kind=kind,
                entries=part,
                source_kind="event_reward",
                source_ref_id=ref,
                now=now,
            )

    players = [e for e in standings if e.kind == "player"]
    if policy.type == "fixed_bundle":
        entries = _bundle_entries(config, policy.bundle)
        if not entries:
            return
        rows = tx.conn.execute(
            "SELECT id, player_id FROM attempts WHERE leaderboard_id = ? "
            "AND status IN ('completed', 'force_completed') ORDER BY started_at, id",
            (leaderboard_id,),
        ).fetchall()
        for attempt_id, player_id in rows:
            grant(player_id, entries, attempt_id)
    elif policy.type == "rank_scaled":
        for entry in players:
            tier = next((t for t in policy.tiers if t.from_rank <= entry.rank <= t.to_rank), None)
            if tier is not None:
                entries = _bundle_entries(config, tier.bundle)
                if entries:
                    grant(entry.participant_id, entries, leaderboard_id)
    elif policy.type == "shared_pool":
        winners = [e for e in players if e.rank <= max(1, policy.winners)]
        if winners and policy.pool and policy.currency_key:
            share = int(policy.pool) // len(winners)
            if share > 0:
                pay = {"type": "currency", "currencyKey": policy.currency_key, "amount": share}
                for winner in winners:
                    grant(winner.participant_id, [pay], leaderboard_id)
