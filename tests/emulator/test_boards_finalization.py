"""finalize_window without HTTP: reward policies, frozen standings, publish order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from kraty_pygame.emulator.config.models import (
    EventConfig,
    GameConfig,
    MetricConfig,
    RewardBundleConfig,
    RewardPolicyConfig,
    RewardTier,
)
from kraty_pygame.emulator.domain.leaderboards import boards, bots, finalization
from kraty_pygame.emulator.store import Transaction

T0 = datetime(2026, 6, 16, 9, 0, tzinfo=UTC)


class Tx(Transaction):
    """The store's transaction on a bare connection, committed by hand."""

    def commit(self) -> None:
        self._run_callbacks()


class World:
    """A bare database plus recording publisher and grant creator."""

    def __init__(self, conn: sqlite3.Connection, policy: RewardPolicyConfig) -> None:
        self.conn = conn
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.grants: list[dict[str, Any]] = []
        bundles = {
            "silver": RewardBundleConfig(
                key="silver",
                name="Silver",
                entries=({"type": "currency", "currencyKey": "gold", "amount": 100},),
            ),
            "mixed": RewardBundleConfig(
                key="mixed",
                name="Mixed",
                entries=(
                    {"type": "currency", "currencyKey": "gems", "amount": 5},
                    {"type": "crate", "crateItemKey": "crate_gold", "quantity": 1},
                ),
            ),
        }
        self.config = GameConfig(
            source="test",
            reward_bundles=bundles,
            events=(
                EventConfig(
                    key="cup",
                    name="Cup",
                    metrics=(MetricConfig(key="score"),),  # a valid event has a metric
                    reward_policy=policy,
                ),
            ),
        )

    @property
    def services(self) -> boards.BoardServices:
        return boards.BoardServices(
            publisher=self,
            config=self.config,
            create_grant=self.create_grant,
            event_id=lambda key: f"ev_{key}",
        )

    def publish(
        self, channel: str, kind: str, data: Mapping[str, Any], *, coalesce_key: str | None = None
    ) -> None:
        self.events.append((kind, dict(data)))

    def create_grant(
        self,
        tx: Any,
        *,
        player_id: str,
        kind: str,
        entries: Sequence[Mapping[str, Any]],
        source_kind: str,
        source_ref_id: str | None,
        now: datetime,
    ) -> None:
        self.grants.append(
            {
                "player": player_id,
                "kind": kind,
                "entries": list(entries),
                "sourceKind": source_kind,
                "ref": source_ref_id,
            }
        )

    def board(self, *scores: tuple[str, float], bot_rate: float = 0.0) -> Tx:
        spec = [
            bots.BotSpec(
                participant_id="bot_1", name="Rusty Fox", base_score=25, rate_per_minute=bot_rate
            )
        ]
        boards.ensure_event_board(
            self.conn,
            leaderboard_id="lb_1",
            event_key="cup",
            now=T0,
            window_id="w1",
            anchor=T0,
            ends_at=T0 + timedelta(minutes=10),
            bots=spec,
        )
        tx = Tx(self.conn)
        for pid, value in scores:
            boards.on_attempt_scored(
                tx,
                self.services,
                leaderboard_id="lb_1",
                player_id=pid,
                external_player_id=f"x_{pid}",
                display_name=pid,
                event_key="cup",
                score=value,
                now=T0,
                attempt_id=f"a_{pid}",
            )
        tx.commit()
        self.events.clear()
        return tx

    def finalize(self, tx: Tx, now: datetime) -> bool:
        done = finalization.finalize_window(
            tx,
            self.services,
            event_key="cup",
            window_id="w1",
            leaderboard_id="lb_1",
            reason="window_closed",
            now=now,
        )
        tx.commit()
        return done


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.row_factory = sqlite3.Row
    folder = resources.files("kraty_pygame.emulator").joinpath("schema")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            db.executescript(entry.read_text(encoding="utf-8"))
    yield db
    db.close()


def test_shared_pool_splits_among_players_in_the_top_places(conn: sqlite3.Connection) -> None:
    world = World(
        conn, RewardPolicyConfig(type="shared_pool", pool=1000, currency_key="gold", winners=3)
    )
    tx = world.board(("p_a", 50), ("p_b", 40), ("p_c", 10))  # the bot (25) takes place 3
    assert world.finalize(tx, T0)
    assert sorted((g["player"], g["entries"][0]["amount"]) for g in world.grants) == [
        ("p_a", 500),
        ("p_b", 500),
    ]
    assert {g["sourceKind"] for g in world.grants} == {"event_reward"}
    assert {g["ref"] for g in world.grants} == {"lb_1"}


def test_rank_scaled_splits_crates_from_other_entries(conn: sqlite3.Connection) -> None:
    policy = RewardPolicyConfig(
        type="rank_scaled",
        tiers=(
            RewardTier(from_rank=1, to_rank=1, bundle="mixed"),
            RewardTier(from_rank=2, to_rank=5, bundle="silver"),
        ),
    )
    world = World(conn, policy)
    tx = world.board(("p_a", 50), ("p_b", 1))
    world.finalize(tx, T0)
    assert [(g["player"], g["kind"]) for g in world.grants] == [
        ("p_a", "reward"),
        ("p_a", "crate"),
        ("p_b", "reward"),
    ]


def test_fixed_bundle_needs_completed_attempts(conn: sqlite3.Connection) -> None:
    world = World(conn, RewardPolicyConfig(type="fixed_bundle", bundle="silver"))
    tx = world.board(("p_a", 50))
    world.finalize(tx, T0)  # no attempts table rows marked completed: nothing granted
    assert world.grants == []


def test_none_policy_and_second_finalize_do_nothing(conn: sqlite3.Connection) -> None:
    world = World(conn, RewardPolicyConfig(type="none"))
    tx = world.board(("p_a", 5))
    assert world.finalize(tx, T0)
    assert not world.finalize(tx, T0 + timedelta(minutes=1))
    assert world.grants == []
    assert [k for k, _ in world.events] == ["finalized", "closed"]


def test_bots_are_frozen_at_the_window_end_and_published_before_finalized(
    conn: sqlite3.Connection,
) -> None:
    world = World(conn, RewardPolicyConfig(type="none"))
    tx = world.board(("p_a", 100), bot_rate=30)
    world.finalize(tx, T0 + timedelta(hours=2))  # window ended after 10 minutes
    kinds = [k for k, _ in world.events]
    assert kinds == ["score_update", "score_update", "finalized", "closed"]
    standings = world.events[2][1]["standings"]
    assert [(s["participantId"], s["score"], s["rank"]) for s in standings] == [
        ("bot_1", 325, 1),
        ("p_a", 100, 2),
    ]
    final = world.events[2][1]
    assert final["eventId"] == "ev_cup" and final["reason"] == "window_closed"
    board = boards.get_event_board(conn, "lb_1")
    assert board is not None and board.finalized and board.finalized_reason == "window_closed"
    # Later scores never touch a finalized board.
    boards.on_attempt_scored(
        tx,
        world.services,
        leaderboard_id="lb_1",
        player_id="p_a",
        external_player_id="x",
        display_name="p_a",
        event_key="cup",
        score=999,
        now=T0,
    )
    assert boards.ranked_entries(conn, boards.event_scope("lb_1"))[1].score == 100
    assert finalization.finalized_payload(board, "ev_cup")["standings"] == standings
