"""Leaderboard DTO decoding and the two board clients' requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kraty_pygame.sdk.errors import KratyApiError, KratyProtocolError
from kraty_pygame.sdk.finalization import FinalizationResult, FinalizationTracker, MembershipRef
from kraty_pygame.sdk.identity import InMemorySecretStore
from kraty_pygame.sdk.kraty import Kraty
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
from kraty_pygame.sdk.options import RetryConfig
from kraty_pygame.sdk.resources.event_leaderboards import EventLeaderboardsClient
from kraty_pygame.sdk.resources.leaderboards import LeaderboardsClient
from kraty_pygame.sdk.streams.leaderboard import StreamStateChange
from tests.support.recording import (
    Recorded,
    RecordingAdapter,
    Scripted,
    err,
    ok,
    recording_session,
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


# --- resource clients over a recording transport -------------------------------------

SSE_BODY = (
    b": connected\r\n\r\n"
    b"event: ready\r\n"
    b'data: {"leaderboardId":"lb_1","serverTime":"2026-06-16T09:00:00.000Z"}\r\n\r\n'
    b'event: score_update\r\ndata: {"leaderboardId":"lb_1","participantId":"p","score":5,"rank":1}'
    b"\r\n\r\n"
    b'event: finalized\r\ndata: {"leaderboardId":"lb_1","reason":"window_closed",'
    b'"standings":[{"participantId":"p","rank":1,"score":5,"kind":"player"}]}\r\n\r\n'
    b'event: closed\r\ndata: {"reason":"finalized"}\r\n\r\n'
)


class Sdk:
    """A Kraty over a recording session, plus the two leaderboard clients."""

    def __init__(self, adapter: RecordingAdapter, kraty: Kraty) -> None:
        self.adapter = adapter
        self.kraty = kraty
        self.boards = EventLeaderboardsClient(kraty.client, kraty.identity)
        self.keyed = LeaderboardsClient(kraty.client, kraty.identity)
        self.tracker = FinalizationTracker(
            active_player_id=lambda: kraty.active_external_player_id,
            read_event_board=lambda lb, pid: self.boards.read(
                lb, limit=50, include_self=True, external_id=pid
            ),
        )
        self.boards.finalization = self.tracker

    @property
    def paths(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.adapter.calls]


def respond(recorded: Recorded) -> Scripted:
    if recorded.path.endswith("/register"):
        player = recorded.path.split("/")[4]
        return ok({"externalPlayerId": player, "secret": "kps_test_secret"}, status=201)
    if recorded.path.startswith("/sdk/v1/event-leaderboards/lb_1/stream"):
        return Scripted(200, body=SSE_BODY, headers={"content-type": "text/event-stream"})
    if recorded.path.startswith("/sdk/v1/event-leaderboards/missing"):
        return err(404, "not_found", "unknown board")
    if "/standings" in recorded.path:
        return ok({"key": "weekly_global", "segments": []})
    if "/periods" in recorded.path:
        return ok({"key": "weekly_global", "periods": []})
    if recorded.path.endswith("/score"):
        return ok({"leaderboardId": "slb_1", "score": 120, "rank": 3})
    if "/sdk/v1/event-leaderboards/" in recorded.path or "/event-leaderboards/" in recorded.path:
        return ok({**EVENT_BOARD, "joined": recorded.method == "POST"})
    return ok(KEYED)


@pytest.fixture
def sdk() -> Iterator[Sdk]:
    session, adapter = recording_session(responder=respond)
    kraty = Kraty(
        "kr_test.client-demo",
        base_url="http://kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
        allow_insecure_http=True,
    )
    with kraty:
        yield Sdk(adapter, kraty)


def test_c16_include_self_registers_first_then_sends_the_active_id(sdk: Sdk) -> None:
    board = sdk.boards.read("lb_1", limit=50, include_self=True)
    assert board.self_entry is not None
    register, read = sdk.adapter.calls
    assert register.method == "POST" and register.path.endswith("/register")
    player = sdk.kraty.active_external_player_id
    assert player is not None and player.startswith("kp_")
    assert (
        read.path
        == f"/sdk/v1/event-leaderboards/lb_1?limit=50&includeSelf=true&externalId={player}"
    )
    assert read.body is None and "idempotencyKey" not in read.url


def test_event_read_with_explicit_id_and_progression(sdk: Sdk) -> None:
    sdk.boards.read(
        "lb 1/x", include_self=True, external_id="player_42", progression=["xp", "level"]
    )
    (call,) = sdk.adapter.calls
    assert call.path == (
        "/sdk/v1/event-leaderboards/lb%201%2Fx?progression=xp%2Clevel&includeSelf=true&externalId=player_42"
    )


def test_event_read_plain(sdk: Sdk) -> None:
    sdk.boards.read("lb_1")
    assert sdk.paths == ["GET /sdk/v1/event-leaderboards/lb_1"]


@pytest.mark.operation("event_leaderboards.join")
def test_event_join_posts_and_tracks_membership(sdk: Sdk) -> None:
    board = sdk.boards.join("lb_1", limit=10)
    assert board.joined
    call = sdk.adapter.calls[-1]
    player = sdk.kraty.active_external_player_id
    assert call.path == f"/sdk/v1/players/{player}/event-leaderboards/lb_1/join?limit=10"
    assert set(call.json) == {"idempotencyKey"}
    assert sdk.tracker.memberships() == [MembershipRef(leaderboard_id="lb_1")]


@pytest.mark.operation("leaderboards.read")
def test_keyed_read_query_order_and_encoding(sdk: Sdk) -> None:
    sdk.keyed.read(
        "weekly_global",
        limit=10,
        segment="eu west",
        period="2026-06-15T00:00:00Z",
        include_self=True,
        external_id="player_42",
        progression=["xp"],
    )
    (call,) = sdk.adapter.calls
    assert call.path == (
        "/sdk/v1/leaderboards/weekly_global?limit=10&progression=xp&segment=eu%20west"
        "&period=2026-06-15T00%3A00%3A00Z&includeSelf=true&externalId=player_42"
    )


@pytest.mark.operation(
    "leaderboards.join",
    "leaderboards.list_periods",
    "leaderboards.standings",
    "leaderboards.submit_score",
)
def test_keyed_periods_score_join_standings(sdk: Sdk) -> None:
    sdk.keyed.list_periods("weekly_global", limit=4)
    result = sdk.keyed.submit_score("weekly_global", 120, segment="eu", idempotency_key="k1")
    assert result == LeaderboardScoreResult(leaderboard_id="slb_1", score=120.0, rank=3)
    sdk.keyed.join("weekly_global", segment="eu", limit=5, as_="player_42")
    sdk.keyed.standings("weekly_global", scope="mine", max_segments=3, limit=2)
    sdk.keyed.standings("weekly_global")
    player = sdk.kraty.active_external_player_id
    calls = sdk.adapter.calls
    assert calls[0].path == "/sdk/v1/leaderboards/weekly_global/periods?limit=4"
    score = next(c for c in calls if c.path.endswith("/score"))
    assert score.path == f"/sdk/v1/players/{player}/leaderboards/weekly_global/score"
    assert score.json == {"value": 120, "segment": "eu", "idempotencyKey": "k1"}
    join = next(c for c in calls if "/join" in c.path)
    assert join.path == "/sdk/v1/players/player_42/leaderboards/weekly_global/join?limit=5"
    assert join.json["segment"] == "eu"
    mine, everything = [c for c in calls if "/standings" in c.path]
    assert mine.path == (
        f"/sdk/v1/leaderboards/weekly_global/standings?scope=mine&limit=2&maxSegments=3&externalId={player}"
    )
    assert everything.path == "/sdk/v1/leaderboards/weekly_global/standings?scope=all"


def test_unreadable_answers_to_board_writes_carry_the_key_to_replay() -> None:
    def garbled(recorded: Recorded) -> Scripted:
        if recorded.path.endswith("/register"):
            return respond(recorded)
        return ok({"score": "high", "entries": "none"})  # ill-typed for every model

    session, adapter = recording_session(responder=garbled)
    with Kraty(
        "kr_test.client-demo",
        base_url="http://kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        allow_insecure_http=True,
    ) as kraty:
        sdk = Sdk(adapter, kraty)
        writes: list[Callable[[], object]] = [
            lambda: sdk.keyed.submit_score("weekly_global", 120),
            lambda: sdk.keyed.join("weekly_global"),
            lambda: sdk.boards.join("lb_1"),
        ]
        for write in writes:
            with pytest.raises(KratyProtocolError) as info:
                write()
            sent = adapter.calls[-1].json["idempotencyKey"]
            assert (info.value.outcome_unknown, info.value.idempotency_key) == (True, sent)
            assert info.value.field is not None and info.value.field.startswith("data.")


def test_live_reads_typed_events_and_routes_finalized(sdk: Sdk) -> None:
    sdk.kraty.ensure_identity()
    sdk.tracker.record_start(None, "tap_frenzy", "lb_1")
    results: list[FinalizationResult] = []
    sdk.tracker.on_finalized(results.append)
    stream = sdk.boards.live("lb_1")
    kinds = [event.kind for event in stream]
    assert kinds == ["ready", "score_update", "finalized", "closed"]
    call = sdk.adapter.calls[-1]
    assert call.path == "/sdk/v1/event-leaderboards/lb_1/stream"
    assert call.headers["accept"] == "text/event-stream"
    assert call.headers["x-player-secret"] == "kps_test_secret"
    assert call.body is None
    assert len(results) == 1 and results[0].event_key == "tap_frenzy"
    assert results[0].reason == "window_closed"


def test_live_on_an_unknown_board_raises_api_error(sdk: Sdk) -> None:
    with pytest.raises(KratyApiError) as info:
        sdk.boards.live("missing")
    assert info.value.status == 404 and info.value.code == "not_found"


# --- subscribe(): stream + poll --------------------------------------------------------


def _sse(*frames: tuple[str, dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {kind}\r\ndata: {json.dumps(data)}\r\n\r\n".encode() for kind, data in frames
    )


def _board(*scores: tuple[str, float], finalized: bool = False) -> dict[str, Any]:
    entries = [
        {"participantId": p, "kind": "player", "score": s, "rank": i + 1}
        for i, (p, s) in enumerate(scores)
    ]
    return {"leaderboardId": "lb_1", "finalized": finalized, "entries": entries}


class Subscriber:
    def __init__(self) -> None:
        self.events: list[LeaderboardStreamEvent] = []
        self.errors: list[BaseException] = []
        self.states: list[str] = []
        self.changed = threading.Condition()

    def on_event(self, event: LeaderboardStreamEvent) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def on_error(self, exc: BaseException) -> None:
        with self.changed:
            self.errors.append(exc)
            self.changed.notify_all()

    def on_state(self, change: StreamStateChange) -> None:
        with self.changed:
            self.states.append(change.state.value)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), (self.events, self.errors)

    def updates(self) -> list[tuple[str, float]]:
        return [
            (e.data.participant_id, e.data.score)
            for e in self.events
            if isinstance(e.data, LeaderboardScoreUpdate)
        ]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def _kraty(responder: Callable[[Recorded], Scripted]) -> tuple[Kraty, RecordingAdapter]:
    session, adapter = recording_session(responder=responder)
    kraty = Kraty(
        "kr_test.client-demo",
        base_url="http://kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(attempts=1),
        allow_insecure_http=True,
    )
    return kraty, adapter


def test_subscribe_stream_only_dedupes_and_ends_on_closed() -> None:
    body = _sse(
        ("ready", {"leaderboardId": "lb_1"}),
        ("score_update", {"participantId": "p", "score": 5, "rank": 1}),
        ("score_update", {"participantId": "p", "score": 5, "rank": 1}),
        ("score_update", {"participantId": "q", "score": 5, "rank": 2}),
        ("score_update", {"participantId": "p", "score": 6, "rank": 1}),
        ("finalized", {"leaderboardId": "lb_1", "reason": "window_closed", "standings": []}),
        ("closed", {"reason": "finalized"}),
    )
    kraty, _ = _kraty(lambda r: Scripted(200, body=body))
    sub = Subscriber()
    with kraty:
        boards = EventLeaderboardsClient(kraty.client, kraty.identity)
        subscription = boards.subscribe(
            "lb_1", sub.on_event, poll_interval=0, on_error=sub.on_error
        )
        sub.wait_for(lambda: "closed" in sub.kinds())
        subscription.close()
        subscription.close()  # idempotent
    assert sub.kinds() == [
        "ready",
        "score_update",
        "score_update",
        "score_update",
        "finalized",
        "closed",
    ]
    assert sub.updates() == [("p", 5.0), ("q", 5.0), ("p", 6.0)]
    assert subscription.is_closed and sub.errors == []


def test_subscribe_polls_alone_where_streaming_is_blocked() -> None:
    reads = [
        _board(("p", 1), ("bot", 3)),
        _board(("p", 1), ("bot", 3)),
        _board(("p", 2), ("bot", 4)),
    ]

    def responder(recorded: Recorded) -> Scripted:
        if recorded.path.endswith("/stream"):
            return err(403, "forbidden", "streaming blocked")
        board = reads.pop(0) if len(reads) > 1 else reads[0]
        return ok(board)

    kraty, adapter = _kraty(responder)
    sub = Subscriber()
    with kraty:
        boards = EventLeaderboardsClient(kraty.client, kraty.identity)
        subscription = boards.subscribe(
            "lb_1", sub.on_event, poll_interval=0.01, on_error=sub.on_error, on_state=sub.on_state
        )
        sub.wait_for(lambda: ("p", 2.0) in sub.updates())
        subscription.close()
    assert not subscription.is_streaming
    assert sub.updates()[:4] == [("p", 1.0), ("bot", 3.0), ("p", 2.0), ("bot", 4.0)]
    assert len(sub.updates()) == 4  # repeated reads surfaced nothing new
    assert isinstance(sub.errors[0], KratyApiError) and sub.errors[0].status == 403
    assert "polling" in sub.states
    reads_before = sum(1 for c in adapter.calls if c.path.endswith("lb_1"))
    assert reads_before >= 3


def test_poll_reports_the_end_when_streaming_is_blocked() -> None:
    def responder(recorded: Recorded) -> Scripted:
        if recorded.path.endswith("/stream"):
            return err(503, "unavailable", "no streams here")
        return ok({**_board(("p", 9)), "finalized": True, "finalizedReason": "window_closed"})

    kraty, _ = _kraty(responder)
    sub = Subscriber()
    with kraty:
        boards = EventLeaderboardsClient(kraty.client, kraty.identity)
        subscription = boards.subscribe(
            "lb_1", sub.on_event, poll_interval=0.01, on_error=sub.on_error
        )
        sub.wait_for(lambda: "closed" in sub.kinds())
        subscription.close()
    assert sub.kinds() == ["score_update", "finalized", "closed"]
    final = next(e.data for e in sub.events if isinstance(e.data, LeaderboardFinalized))
    assert final.reason == "window_closed" and final.standings[0].score == 9.0
    assert subscription.is_closed


def test_close_from_inside_on_event_does_not_deadlock() -> None:
    kraty, _ = _kraty(
        lambda r: ok(_board(("p", 1))) if not r.path.endswith("/stream") else err(403, "x")
    )
    done = threading.Event()
    with kraty:
        boards = EventLeaderboardsClient(kraty.client, kraty.identity)
        holder: list[Any] = []
        stored = threading.Event()

        def on_event(event: LeaderboardStreamEvent) -> None:
            assert stored.wait(5)  # the handle is stored right after subscribe() returns
            holder[0].close()
            done.set()

        holder.append(
            boards.subscribe("lb_1", on_event, poll_interval=0.01, on_error=lambda e: None)
        )
        stored.set()
        assert done.wait(5)
        holder[0].close()
    assert holder[0].is_closed


def test_subscribe_rejects_a_negative_interval() -> None:
    kraty, _ = _kraty(lambda r: ok({}))
    with kraty, pytest.raises(ValueError):
        EventLeaderboardsClient(kraty.client, kraty.identity).subscribe(
            "lb", print, poll_interval=-1
        )


def test_facade_records_start_membership_and_checks_it() -> None:
    finalized = threading.Event()

    def responder(recorded: Recorded) -> Scripted:
        if recorded.path.endswith("/register"):
            return ok({"externalPlayerId": recorded.path.split("/")[4], "secret": "kps_s"}, 201)
        if recorded.path.endswith("/start"):
            attempt = {"id": "att_1", "eventKey": "tap_frenzy", "status": "in_progress"}
            return ok({"attempt": attempt, "leaderboardId": "lb_9"}, 201)
        board = {
            "leaderboardId": "lb_9",
            "finalized": finalized.is_set(),
            "self": {"rank": 1, "score": 3},
        }
        if finalized.is_set():
            board["finalizedReason"] = "window_closed"
        return ok(board)

    kraty, adapter = _kraty(responder)
    with kraty:
        kraty.events.start("tap_frenzy")
        assert kraty.finalization.memberships() == [
            MembershipRef(leaderboard_id="lb_9", event_key="tap_frenzy")
        ]
        assert kraty.check_finalizations() == []
        finalized.set()
        seen: list[FinalizationResult] = []
        unsubscribe = kraty.on_finalized(seen.append)
        (result,) = kraty.check_finalizations()
        unsubscribe()
        assert seen == [result]
        assert (result.reason, result.event_key) == ("window_closed", "tap_frenzy")
        assert result.self_entry == LeaderboardSelf(rank=1, score=3.0)
        assert kraty.check_finalizations() == []
        assert kraty.clear_reported() == 1
        player = kraty.active_external_player_id
    assert [c.path for c in adapter.calls][-1] == (
        f"/sdk/v1/event-leaderboards/lb_9?limit=50&includeSelf=true&externalId={player}"
    )


def test_catch_up_after_a_restart_uses_the_remembered_player_without_registering() -> None:
    store = InMemorySecretStore()
    store.write("player_7", "kps_7")
    store.write_active_external_player_id("player_7")
    session, adapter = recording_session(
        responder=lambda r: ok({"leaderboardId": "lb_1", "finalized": True})
    )
    with Kraty(
        "kr_test.client-demo",
        base_url="http://kraty.test",
        session=session,
        secret_store=store,
        allow_insecure_http=True,
    ) as kraty:
        assert kraty.active_external_player_id is None  # resolved lazily, not yet
        kraty.finalization.track(MembershipRef(leaderboard_id="lb_1"))
        (result,) = kraty.check_finalizations()
    assert result.reason == "finalized"
    assert [c.path for c in adapter.calls] == [
        "/sdk/v1/event-leaderboards/lb_1?limit=50&includeSelf=true&externalId=player_7"
    ]
