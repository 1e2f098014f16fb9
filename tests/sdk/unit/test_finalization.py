"""Finalization catch-up: membership registry, single writer, exactly-once delivery."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kraty_pygame.sdk.errors import KratyApiError, KratyNetworkError
from kraty_pygame.sdk.finalization import (
    FileMembershipStore,
    FinalizationResult,
    FinalizationTracker,
    InMemoryMembershipStore,
    MembershipRef,
    MembershipStore,
)
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    FinalStanding,
    LeaderboardFinalized,
    LeaderboardSelf,
)


class Boards:
    """Scripted board reads: id -> board or exception."""

    def __init__(self) -> None:
        self.boards: dict[str, EventLeaderboard | Exception] = {}
        self.reads: list[tuple[str, str]] = []

    def __call__(self, leaderboard_id: str, player_id: str) -> EventLeaderboard:
        self.reads.append((leaderboard_id, player_id))
        item = self.boards.get(leaderboard_id, EventLeaderboard(leaderboard_id=leaderboard_id))
        if isinstance(item, Exception):
            raise item
        return item


def finished(leaderboard_id: str, reason: str | None = "window_closed") -> EventLeaderboard:
    return EventLeaderboard(
        leaderboard_id=leaderboard_id,
        finalized=True,
        finalized_reason=reason,
        self_entry=LeaderboardSelf(rank=2, score=14.0),
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 16, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make(
    store: MembershipStore | None = None, player: str | None = "kp_1"
) -> tuple[FinalizationTracker, Boards, list[FinalizationResult], Clock]:
    boards = Boards()
    clock = Clock()
    active = [player]
    tracker = FinalizationTracker(
        store=store or InMemoryMembershipStore(),
        active_player_id=lambda: active[0],
        read_event_board=boards,
        now=clock,
    )
    results: list[FinalizationResult] = []
    tracker.on_finalized(results.append)
    return tracker, boards, results, clock


def live_final(leaderboard_id: str, reason: str = "session_terminated") -> LeaderboardFinalized:
    return LeaderboardFinalized(
        leaderboard_id=leaderboard_id,
        reason=reason,
        standings=[FinalStanding(participant_id="p", rank=1, score=3.0, kind="player")],
    )


def test_catch_up_reports_a_finished_board_once() -> None:
    tracker, boards, results, _ = make()
    tracker.record_start(None, "tap_frenzy", "lb_a")
    tracker.record_start(None, "bounty_hunt", "lb_b")
    assert tracker.check_finalizations() == []
    boards.boards["lb_a"] = finished("lb_a")
    got = tracker.check_finalizations()
    assert len(got) == 1 and results == got
    result = got[0]
    assert result.ref.leaderboard_id == "lb_a" and result.event_key == "tap_frenzy"
    assert result.reason == "window_closed"
    assert result.self_entry == LeaderboardSelf(rank=2, score=14.0)
    assert tracker.check_finalizations() == []
    assert len(results) == 1
    assert ("lb_a", "kp_1") in boards.reads


def test_read_only_proof_reports_reason_finalized() -> None:
    tracker, boards, _, _ = make()
    tracker.record_start(None, "e", "lb_a")
    boards.boards["lb_a"] = finished("lb_a", reason=None)
    assert [r.reason for r in tracker.check_finalizations()] == ["finalized"]


def test_live_then_catch_up_is_exactly_once() -> None:
    tracker, boards, results, _ = make()
    tracker.record_start(None, "tap_frenzy", "lb_a")
    tracker.handle_live_finalized(live_final("lb_a"))
    tracker.handle_live_finalized(live_final("lb_a"))
    boards.boards["lb_a"] = finished("lb_a")
    assert tracker.check_finalizations() == []
    assert len(results) == 1
    assert results[0].reason == "session_terminated"
    assert results[0].event_key == "tap_frenzy"  # taken from the membership (v0.18.1 fix)
    assert results[0].standings is not None and results[0].standings[0].participant_id == "p"


def test_catch_up_then_live_is_exactly_once() -> None:
    tracker, boards, results, _ = make()
    tracker.record_start(None, "e", "lb_a")
    boards.boards["lb_a"] = finished("lb_a")
    assert len(tracker.check_finalizations()) == 1
    tracker.handle_live_finalized(live_final("lb_a"))
    assert len(results) == 1


def test_live_finalized_for_an_untracked_board_is_ignored() -> None:
    tracker, _, results, _ = make()
    tracker.handle_live_finalized(live_final("lb_zzz"))
    assert results == []


def test_unknown_live_reason_maps_to_finalized() -> None:
    tracker, _, results, _ = make()
    tracker.record_start(None, "e", "lb_a")
    tracker.handle_live_finalized(live_final("lb_a", reason="something_new"))
    assert results[0].reason == "finalized"


def test_concurrent_live_and_catch_up_deliver_once() -> None:
    for _ in range(20):
        tracker, boards, results, _ = make()
        tracker.record_start(None, "e", "lb_a")
        boards.boards["lb_a"] = finished("lb_a")
        barrier = threading.Barrier(2)

        def live(t: FinalizationTracker, b: threading.Barrier) -> None:
            b.wait()
            t.handle_live_finalized(live_final("lb_a"))

        def check(t: FinalizationTracker, b: threading.Barrier) -> None:
            b.wait()
            t.check_finalizations()

        threads = [threading.Thread(target=f, args=(tracker, barrier)) for f in (live, check)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert len(results) == 1


def test_unreadable_boards_stay_active() -> None:
    tracker, boards, _, _ = make()
    tracker.record_start(None, "e", "lb_a")
    tracker.record_start(None, "e2", "lb_b")
    boards.boards["lb_a"] = KratyNetworkError("down")
    boards.boards["lb_b"] = KratyApiError(404, "not_found", "gone")
    assert tracker.check_finalizations() == []
    boards.boards["lb_a"] = finished("lb_a")
    assert [r.ref.leaderboard_id for r in tracker.check_finalizations()] == ["lb_a"]


def test_track_is_idempotent_and_dismiss_forgets() -> None:
    tracker, boards, results, _ = make()
    tracker.record_start(None, "e", "lb_a")
    tracker.record_start(None, "e", "lb_a")
    assert tracker.memberships() == [MembershipRef(leaderboard_id="lb_a", event_key="e")]
    tracker.dismiss("lb_a")
    assert tracker.memberships() == []
    boards.boards["lb_a"] = finished("lb_a")
    assert tracker.check_finalizations() == [] and results == []


def test_clear_reported_counts_and_keeps_active() -> None:
    tracker, boards, _, _ = make()
    for board in ("lb_a", "lb_b", "lb_c"):
        tracker.record_start(None, "e", board)
    boards.boards["lb_a"] = finished("lb_a")
    boards.boards["lb_b"] = finished("lb_b")
    assert len(tracker.check_finalizations()) == 2
    assert tracker.clear_reported() == 2
    assert tracker.clear_reported() == 0
    assert [m.leaderboard_id for m in tracker.memberships()] == ["lb_c"]


def test_entries_older_than_seven_days_are_pruned() -> None:
    tracker, boards, results, clock = make()
    tracker.record_start(None, "e", "lb_old")
    clock.now += timedelta(days=8)
    tracker.record_start(None, "e", "lb_new")
    assert [m.leaderboard_id for m in tracker.memberships()] == ["lb_new"]
    boards.boards["lb_new"] = finished("lb_new")
    clock.now += timedelta(days=6)
    assert len(tracker.check_finalizations()) == 1
    clock.now += timedelta(days=8)  # reported 8 days ago now
    tracker.check_finalizations()
    assert tracker.memberships() == [] and len(results) == 1


def test_memberships_are_per_player_and_as_is_respected() -> None:
    store = InMemoryMembershipStore()
    tracker, boards, _, _ = make(store)
    tracker.record_start("someone_else", "e", "lb_x")
    tracker.record_start(None, "e", "lb_a")
    assert [m.leaderboard_id for m in tracker.memberships()] == ["lb_a"]
    assert store.load("someone_else")[0]["ref"]["leaderboardId"] == "lb_x"
    boards.boards["lb_x"] = finished("lb_x")
    assert tracker.check_finalizations() == []  # only the active player's boards are read


def test_no_active_player_is_a_no_op() -> None:
    tracker, _, _, _ = make(player=None)
    tracker.record_start(None, "e", "lb_a")
    assert tracker.check_finalizations() == []
    assert tracker.clear_reported() == 0
    tracker.dismiss("lb_a")
    tracker.handle_live_finalized(live_final("lb_a"))


def test_listener_errors_do_not_break_delivery_and_unsubscribe_works() -> None:
    tracker, boards, results, _ = make()
    calls: list[str] = []

    def bad(_: FinalizationResult) -> None:
        calls.append("bad")
        raise RuntimeError("boom")

    unsubscribe = tracker.on_finalized(bad)
    tracker.record_start(None, "e", "lb_a")
    tracker.record_start(None, "e", "lb_b")
    boards.boards["lb_a"] = finished("lb_a")
    tracker.check_finalizations()
    unsubscribe()
    boards.boards["lb_b"] = finished("lb_b")
    tracker.check_finalizations()
    assert calls == ["bad"] and len(results) == 2


def test_record_start_never_raises() -> None:
    class Broken:
        def load(self, player_id: str) -> list[dict[str, object]]:
            raise OSError("disk gone")

        def save(self, player_id: str, entries: list[dict[str, object]]) -> None:
            raise OSError("disk gone")

    tracker, _, _, _ = make(Broken())
    tracker.record_start(None, "e", "lb_a")  # logged, not raised


def test_file_store_survives_a_restart_and_reports_once(tmp_path: Path) -> None:
    path = tmp_path / "state" / "memberships.json"
    first, _, _, _ = make(FileMembershipStore(path))
    first.record_start(None, "tap_frenzy", "lb_a")
    second, boards, _, _ = make(FileMembershipStore(path))
    boards.boards["lb_a"] = finished("lb_a")
    assert len(second.check_finalizations()) == 1
    third, boards3, results3, _ = make(FileMembershipStore(path))
    boards3.boards["lb_a"] = finished("lb_a")
    assert third.check_finalizations() == [] and results3 == []
    stored = json.loads(path.read_text())
    assert stored["kraty.memberships.kp_1"][0]["ref"] == {
        "kind": "event_leaderboard",
        "leaderboardId": "lb_a",
        "eventKey": "tap_frenzy",
    }
    assert stored["kraty.memberships.kp_1"][0]["reportedAt"]


def test_file_store_beside_a_secret_file_and_corrupt_file(tmp_path: Path) -> None:
    store = FileMembershipStore.beside(tmp_path / "secrets.json")
    assert store.path == tmp_path / "secrets.memberships.json"
    store.path.write_text("{not json")
    assert store.load("kp_1") == []
    store.save("kp_1", [{"ref": {"kind": "event_leaderboard", "leaderboardId": "x"}}])
    assert store.load("kp_1")[0]["ref"]["leaderboardId"] == "x"
    store.save("kp_1", [])
    assert json.loads(store.path.read_text()) == {}


def test_legacy_membership_kinds_are_read() -> None:
    ref = MembershipRef.from_json({"kind": "event_board", "leaderboardId": "lb"})
    assert ref == MembershipRef(leaderboard_id="lb")
    keyed = MembershipRef.from_json(
        {"kind": "shared_board", "key": "weekly", "period": "2026-06-15"}
    )
    assert keyed.kind == "leaderboard" and keyed.to_json() == {
        "kind": "leaderboard",
        "key": "weekly",
        "period": "2026-06-15",
    }


@pytest.mark.parametrize("kind", ["leaderboard"])
def test_keyed_memberships_are_not_read_by_catch_up(kind: str) -> None:
    tracker, boards, _, _ = make()
    tracker.track(MembershipRef(kind=kind, key="weekly_global", period="2026-06-15T00:00:00Z"))
    assert tracker.check_finalizations() == [] and boards.reads == []
