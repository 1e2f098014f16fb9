"""``kraty.events`` over a recording transport: paths, bodies, keys, decoding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kraty_pygame.sdk import (
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    KratyConfigError,
    KratyProtocolError,
    ProgressInput,
    RetryConfig,
)
from tests.support.recording import Scripted, err, ok, recording_session

BASE = "https://api.kraty.test"
ATTEMPT: dict[str, Any] = {
    "id": "att_1",
    "eventId": "ev_1",
    "eventWindowId": "win_1",
    "leaderboardId": "lb_1",
    "playerId": "pl_1",
    "startedAt": "2026-06-16T09:00:00.000Z",
    "endsAt": "2026-06-16T09:10:00.000Z",
    "completedAt": None,
    "metrics": {"kills": 5},
    "metricsRaw": {"kills": 5},
    "score": 5,
    "status": "in_progress",
}
START = {"attempt": ATTEMPT, "leaderboardId": "lb_1", "windowEndsAt": "2026-06-22T00:00:00.000Z"}
GRANT = {"id": "gr_1", "kind": "reward", "status": "pending", "sourceKind": "event_milestone"}


class Harness:
    """A ``Kraty`` on a recording session, signed in as a player whose id needs encoding."""

    def __init__(self, script: list[Scripted]) -> None:
        session, self.adapter = recording_session(script)
        self.keys = iter(f"gen-{i}" for i in range(1, 100))
        self.kraty = Kraty(
            "kr_test.unit",
            base_url=BASE,
            session=session,
            active_external_player_id="player 42/é",
            player_secret="kps_unit_secret",
            secret_store=InMemorySecretStore(),
            retry=RetryConfig(attempts=3, initial_delay=0.0, max_delay=0.0),
            generate_idempotency_key=lambda: next(self.keys),
        )


@pytest.fixture
def make() -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def build(*script: Scripted) -> Harness:
        harness = Harness(list(script))
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.kraty.close()


PLAYER = "/sdk/v1/players/player%2042%2F%C3%A9"


def test_list_for_player(make: Any) -> None:
    h = make(ok([{"eventKey": "bounty_hunt", "leaderboardMode": "lobby_matched"}]))
    events = h.kraty.events.list_for_player()
    assert [e.event_key for e in events] == ["bounty_hunt"] and events[0].is_lobby_matched
    call = h.adapter.calls[0]
    assert (call.method, call.path, call.body) == ("GET", f"{PLAYER}/events", None)
    assert call.headers["x-player-secret"] == "kps_unit_secret"


def test_start_body_has_player_context_and_idempotency_key(make: Any) -> None:
    """``start`` sends the player context and an idempotency key."""
    h = make(ok(START, 201))
    start = h.kraty.events.start("bounty_hunt", player_context={"country": "PT", "level": 7})
    assert start.attempt.id == "att_1" and start.leaderboard_id == "lb_1"
    call = h.adapter.calls[0]
    assert call.method == "POST" and call.path == f"{PLAYER}/events/bounty_hunt/start"
    assert call.json == {"playerContext": {"country": "PT", "level": 7}, "idempotencyKey": "gen-1"}


def test_start_without_context_sends_only_the_key(make: Any) -> None:
    h = make(ok(START, 201))
    h.kraty.events.start("bounty_hunt")
    assert h.adapter.calls[0].json == {"idempotencyKey": "gen-1"}


def test_start_caller_key_wins_and_survives_retries(make: Any) -> None:
    h = make(Scripted(503, {"error": {"code": "service_unavailable"}}), ok(START, 201))
    h.kraty.events.start("bounty_hunt", idempotency_key="my-key")
    assert [c.json["idempotencyKey"] for c in h.adapter.calls] == ["my-key", "my-key"]


def test_insufficient_entry_cost_is_typed(make: Any) -> None:
    """A 402 ``insufficient_entry_cost`` on start is recognised as such."""
    h = make(err(402, "insufficient_entry_cost", "need 50", {"resource": "gold"}))
    with pytest.raises(KratyApiError) as info:
        h.kraty.events.start("bounty_hunt")
    assert info.value.is_insufficient_entry_cost and info.value.status == 402
    assert info.value.details == {"resource": "gold"}
    assert len(h.adapter.calls) == 1


def test_lobby_forming_is_raised_and_not_retried(make: Any) -> None:
    h = make(err(202, "lobby_forming", "filling", {"lobbyId": "lob_1"}))
    with pytest.raises(KratyApiError) as info:
        h.kraty.events.start("quick_brawl")
    assert info.value.is_lobby_forming and info.value.details["lobbyId"] == "lob_1"
    assert len(h.adapter.calls) == 1


def test_attempt_caps_are_final(make: Any) -> None:
    h = make(err(429, "max_attempts_reached", "no attempts left"))
    with pytest.raises(KratyApiError) as info:
        h.kraty.events.start("bounty_hunt")
    assert info.value.is_max_attempts_reached and len(h.adapter.calls) == 1


def test_progress_parses_milestones_fired(make: Any) -> None:
    """``milestonesFired`` is parsed."""
    h = make(ok({"attempt": ATTEMPT, "milestonesFired": [{"key": "kills_5", "grants": [GRANT]}]}))
    update = h.kraty.events.progress("bounty_hunt", "att_1", mode="increment", metric_value=1)
    assert [f.key for f in update.milestones_fired] == ["kills_5"]
    assert update.milestones_fired[0].grants[0].id == "gr_1"
    call = h.adapter.calls[0]
    assert call.path == f"{PLAYER}/events/bounty_hunt/attempts/att_1/progress"
    assert call.json == {"mode": "increment", "metricValue": 1, "idempotencyKey": "gen-1"}


def test_progress_tolerates_missing_milestones_fired(make: Any) -> None:
    """A missing milestonesFired decodes to []."""
    h = make(ok({"attempt": ATTEMPT}))
    update = h.kraty.events.progress("bounty_hunt", "att_1", mode="set", metric_value=5)
    assert update.milestones_fired == []


def test_progress_accepts_an_input_object(make: Any) -> None:
    h = make(ok({"attempt": ATTEMPT}))
    h.kraty.events.progress(
        "e",
        "att_1",
        ProgressInput(
            mode="set",
            metrics={"a": 1.5, "b": 2},
            occurred_at="2026-06-16T09:00:00.000Z",
            idempotency_key="input-key",
        ),
    )
    assert h.adapter.calls[0].json == {
        "mode": "set",
        "metrics": {"a": 1.5, "b": 2},
        "occurredAt": "2026-06-16T09:00:00.000Z",
        "idempotencyKey": "input-key",
    }


def test_progress_keyword_key_overrides_the_input_key(make: Any) -> None:
    h = make(ok({"attempt": ATTEMPT}))
    h.kraty.events.progress(
        "e",
        "att_1",
        ProgressInput(mode="set", metric_value=1, idempotency_key="a"),
        idempotency_key="b",
    )
    assert h.adapter.calls[0].json["idempotencyKey"] == "b"


def test_progress_rejects_an_input_object_and_fields_together(make: Any) -> None:
    h = make()
    with pytest.raises(TypeError):
        h.kraty.events.progress(
            "e", "att_1", ProgressInput(mode="set", metric_value=1), metric_value=2
        )
    assert h.adapter.calls == []


def test_progress_without_mode_is_refused_before_sending(make: Any) -> None:
    """``mode`` has no default: leaving it out names the parameter and sends nothing."""
    h = make(ok({"attempt": ATTEMPT}))
    with pytest.raises(KratyConfigError, match="mode is required"):
        h.kraty.events.progress("e", "att_1", metric_value=1)
    with pytest.raises(KratyConfigError, match='mode must be "set" or "increment", got \'incr\''):
        h.kraty.events.progress("e", "att_1", mode="incr", metric_value=1)
    with pytest.raises(TypeError, match="mode"):
        ProgressInput(metric_value=1)  # type: ignore[call-arg]
    with pytest.raises(KratyConfigError, match="mode"):
        ProgressInput(mode="add", metric_value=1)  # type: ignore[arg-type]
    assert h.adapter.calls == []
    h.kraty.events.progress("e", "att_1", mode="increment", metric_value=1)
    assert h.adapter.calls[0].json["mode"] == "increment"


def test_finish(make: Any) -> None:
    h = make(ok({"attempt": {**ATTEMPT, "status": "completed"}, "outcome": "completed"}))
    result = h.kraty.events.finish("bounty_hunt", "att_1")
    assert result.outcome == "completed" and result.attempt.is_completed
    call = h.adapter.calls[0]
    assert call.path == f"{PLAYER}/events/bounty_hunt/attempts/att_1/finish"
    assert call.json == {"idempotencyKey": "gen-1"}


def test_as_override_targets_that_player(make: Any) -> None:
    h = make(ok([]), ok(START, 201))
    h.kraty.events.list_for_player(as_="other")
    h.kraty.events.start("e", as_="other")
    assert [c.path for c in h.adapter.calls] == [
        "/sdk/v1/players/other/events",
        "/sdk/v1/players/other/events/e/start",
    ]


def test_wrong_type_in_a_response_is_a_protocol_error_with_status(make: Any) -> None:
    h = make(ok({"attempt": {**ATTEMPT, "score": "lots"}}, 201))
    with pytest.raises(KratyProtocolError) as info:
        h.kraty.events.start("e")
    assert info.value.field == "data.attempt.score"
    assert info.value.status == 201
    assert len(h.adapter.calls) == 1  # never retried
