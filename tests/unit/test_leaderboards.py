"""Leaderboard DTO decoding (E5/E5', E16-E21, stream payloads)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kraty_pygame.sdk.errors import KratyProtocolError
from kraty_pygame.sdk.models.leaderboards import (
    BoardStandings,
    EventLeaderboard,
    Leaderboard,
    LeaderboardClosed,
    LeaderboardEntry,
    LeaderboardFinalized,
    LeaderboardPeriods,
    LeaderboardReady,
    LeaderboardScoreResult,
    LeaderboardScoreUpdate,
    LeaderboardSelf,
    LeaderboardStreamEvent,
    ProgressionCutoff,
)

EVENT_BOARD: dict[str, Any] = {
    "leaderboardId": "lb_6f1d2c3b4a59",
    "mode": "global",
    "finalized": True,
    "finalizedReason": "window_closed",
    "entries": [
        {
            "participantId": "5b0c7c7e",
            "kind": "player",
            "name": "Crazy Panda",
            "avatarUrl": "https://a/old.png",
            "score": 42,
            "rank": 1,
            "isSelf": True,
            "country": "PT",
            "anonymizedName": "Swift Otter",
            "progression": {"xp": 40, "trophies": 3.5},
            "player": {"metadata": {"clan": "x"}},
        },
        {
            "participantId": "bot_7",
            "kind": "bot",
            "name": "Rusty Fox",
            "avatar": "new.png",
            "avatarUrl": "old.png",
            "score": 30.5,
            "rank": 2,
            "country": None,
        },
    ],
    "self": {"rank": 1, "score": 42},
    "progression": {"promotion": {"places": 3, "itemKey": "trophies"}, "relegation": None},
    "somethingNew": 1,
}


def test_event_board_decodes_every_field() -> None:
    board = EventLeaderboard.from_wire(EVENT_BOARD)
    assert board.leaderboard_id == "lb_6f1d2c3b4a59" and board.mode == "global"
    assert board.finalized and board.finalized_reason == "window_closed"
    assert board.self_entry == LeaderboardSelf(rank=1, score=42.0)
    assert board.progression is not None
    assert board.progression.promotion == ProgressionCutoff(places=3, item_key="trophies")
    assert board.progression.relegation is None
    first, bot = board.entries
    assert first.avatar == "https://a/old.png"  # only the legacy field was sent
    assert first.is_self and first.country == "PT" and first.anonymized_name == "Swift Otter"
    assert first.progression == {"xp": 40.0, "trophies": 3.5}
    assert first.raw["player"] == {"metadata": {"clan": "x"}}
    assert bot.avatar == "new.png" and bot.avatar_url == "old.png"  # the current field wins
    assert bot.is_bot and not first.is_bot
    assert bot.score == 30.5 and bot.country is None and not bot.is_self
    assert board.raw["somethingNew"] == 1
    assert not board.joined


def test_event_board_defaults_for_a_minimal_object() -> None:
    board = EventLeaderboard.from_wire({"leaderboardId": "x", "entries": [{}], "self": None})
    assert board.self_entry is None and board.finalized_reason is None and board.progression is None
    entry = board.entries[0]
    assert (entry.participant_id, entry.score, entry.rank, entry.avatar) == ("", 0.0, 0, None)
    assert entry.progression == {}


def test_wrong_types_name_the_field() -> None:
    bad = {"entries": [{"score": 1}, {"score": "high"}]}
    with pytest.raises(KratyProtocolError, match=r"data\.entries\[1\]\.score"):
        EventLeaderboard.from_wire(bad)
    with pytest.raises(KratyProtocolError, match=r"data\.self\.rank"):
        EventLeaderboard.from_wire({"self": {"rank": 1.5}})


def test_dataclasses_json_from_dict_agrees() -> None:
    slow = EventLeaderboard.from_dict(EVENT_BOARD)
    fast = EventLeaderboard.from_wire(EVENT_BOARD)
    assert slow.self_entry == fast.self_entry
    assert slow.entries[1].avatar == fast.entries[1].avatar == "new.png"
    assert slow.entries[0].avatar == "https://a/old.png"


KEYED: dict[str, Any] = {
    "key": "weekly_global",
    "leaderboardId": "slb_1",
    "scope": "game",
    "resetCadence": "weekly",
    "scoreAggregation": "best",
    "segment": None,
    "period": "2026-06-22T00:00:00Z",
    "entries": [
        {
            "participantId": "p1",
            "kind": "player",
            "name": "alice",
            "avatar": None,
            "score": 42,
            "rank": 1,
            "isSelf": False,
        }
    ],
    "self": None,
}


def test_keyed_board_decodes() -> None:
    board = Leaderboard.from_wire(KEYED)
    assert (board.key, board.leaderboard_id, board.scope) == ("weekly_global", "slb_1", "game")
    assert (board.reset_cadence, board.score_aggregation) == ("weekly", "best")
    assert board.segment is None and board.self_entry is None
    assert board.period_dt == datetime(2026, 6, 22, tzinfo=UTC)
    assert board.entries[0].name == "alice"


def test_keyed_board_accepts_the_pre_v0_10_id_field() -> None:
    legacy = {**KEYED, "sharedLeaderboardId": "slb_old", "segment": ""}
    del legacy["leaderboardId"]
    board = Leaderboard.from_wire(legacy)
    assert board.leaderboard_id == "slb_old" and board.segment == ""
    both = Leaderboard.from_wire({**KEYED, "sharedLeaderboardId": "slb_old"})
    assert both.leaderboard_id == "slb_1"


def test_join_response_has_joined_and_self() -> None:
    board = Leaderboard.from_wire({**KEYED, "joined": True, "self": {"rank": 12, "score": 0}})
    assert board.joined and board.self_entry == LeaderboardSelf(rank=12, score=0.0)


def test_periods_decode_newest_first() -> None:
    periods = LeaderboardPeriods.from_wire(
        {
            "key": "weekly_global",
            "sharedLeaderboardId": "slb_1",
            "currentPeriodStartedAt": "2026-06-22T00:00:00Z",
            "periods": [
                {
                    "periodStartedAt": "2026-06-15T00:00:00Z",
                    "periodEndedAt": "2026-06-22T00:00:00Z",
                },
                {
                    "periodStartedAt": "2026-06-08T00:00:00Z",
                    "periodEndedAt": "2026-06-15T00:00:00Z",
                },
            ],
        }
    )
    assert periods.leaderboard_id == "slb_1"
    assert periods.periods[0].period_started_at == "2026-06-15T00:00:00Z"
    assert periods.periods[1].period_ended_at_dt == datetime(2026, 6, 15, tzinfo=UTC)


def test_score_result_rank_may_be_null() -> None:
    assert (
        LeaderboardScoreResult.from_wire({"leaderboardId": "s", "score": 9, "rank": None}).rank
        is None
    )
    assert LeaderboardScoreResult.from_wire({"leaderboardId": "s", "score": 9, "rank": 4}).rank == 4


def test_standings_decode_segments() -> None:
    standings = BoardStandings.from_wire(
        {
            "key": "weekly_div",
            "leaderboardId": "slb_9",
            "scope": "game",
            "resetCadence": "weekly",
            "scoreAggregation": "best",
            "period": "2026-06-22T00:00:00Z",
            "segments": [
                {
                    "segment": "gold",
                    "participated": True,
                    "selfRank": 3,
                    "entries": [{"participantId": "p9", "score": 900, "rank": 1}],
                },
                {"segment": "silver", "participated": False, "selfRank": None, "entries": []},
            ],
            "segmentsTruncated": False,
        }
    )
    gold, silver = standings.segments
    assert gold.self_rank == 3 and gold.entries[0].score == 900.0 and gold.participated
    assert silver.self_rank is None and not standings.segments_truncated


def test_stream_events_are_typed_per_kind() -> None:
    ready = LeaderboardStreamEvent.from_sse(
        "ready", {"leaderboardId": "lb", "serverTime": "2026-06-16T09:00:00.000Z"}
    )
    assert ready.data == LeaderboardReady(
        leaderboard_id="lb", server_time="2026-06-16T09:00:00.000Z"
    )
    update = LeaderboardStreamEvent.from_sse(
        "score_update",
        {
            "leaderboardId": "lb",
            "participantId": "p",
            "kind": "player",
            "name": "n",
            "score": 15,
            "rank": 1,
            "previousRank": 3,
        },
    )
    assert isinstance(update.data, LeaderboardScoreUpdate)
    assert (update.data.score, update.data.rank, update.data.previous_rank) == (15.0, 1, 3)
    final = LeaderboardStreamEvent.from_sse(
        "finalized",
        {
            "leaderboardId": "lb",
            "eventId": "e",
            "reason": "session_terminated",
            "standings": [
                {"participantId": "p", "rank": 1, "score": 2, "name": "n", "kind": "bot"}
            ],
            "occurredAt": "2026-06-16T10:00:00.000Z",
        },
    )
    assert isinstance(final.data, LeaderboardFinalized) and final.data.standings[0].kind == "bot"
    closed = LeaderboardStreamEvent.from_sse("closed", {"reason": "finalized"})
    assert closed.data == LeaderboardClosed(reason="finalized") and closed.is_terminal
    other = LeaderboardStreamEvent.from_sse("shiny", {"x": 1})
    assert other.kind == "shiny" and other.data == {"x": 1} and not other.is_terminal


def test_ill_typed_stream_frame_becomes_parse_error() -> None:
    event = LeaderboardStreamEvent.from_sse("score_update", {"participantId": "p", "rank": "first"})
    assert event.kind == "parse-error"
    assert isinstance(event.data, dict)
    assert event.data["kind"] == "score_update" and "rank" in event.data["error"]
    assert event.raw == {"participantId": "p", "rank": "first"}


def test_entry_is_frozen() -> None:
    entry = LeaderboardEntry(participant_id="p", score=1.0)
    with pytest.raises(AttributeError):
        entry.score = 2.0  # type: ignore[misc]
