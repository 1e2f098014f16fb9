"""Events end to end against the embedded emulator: the seed's quick start, progress, finish."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kraty_pygame.sdk import Kraty, KratyApiError
from kraty_pygame.sdk.models.events import ProgressInput

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = pytest.mark.emulator


@pytest.mark.operation("events.list_for_player", "events.start")
def test_seed_quick_start(kraty: Kraty) -> None:
    """List events, start the first free one, cross a milestone, see its grant pending."""
    events = kraty.events.list_for_player()
    assert events, "the demo game lists events"
    assert kraty.active_external_player_id is not None  # lazily registered

    free = next(e for e in events if e.is_free and not e.is_lobby_matched and e.milestone_rewards)
    milestone = min(free.milestone_rewards, key=lambda m: m.threshold)

    start = kraty.events.start(free.event_key, player_context={"country": "PT", "level": 7})
    assert start.attempt.status == "in_progress"
    assert start.leaderboard_id == start.attempt.leaderboard_id

    update = kraty.events.progress(
        free.event_key,
        start.attempt.id,
        ProgressInput(mode="increment", metric_value=milestone.threshold),
    )
    fired = {f.key: f for f in update.milestones_fired}
    assert milestone.key in fired
    grant_ids = {g.id for g in fired[milestone.key].grants}
    assert grant_ids
    for grant in fired[milestone.key].grants:
        assert grant.source_kind == "event_milestone"
        assert grant.source_ref_id == start.attempt.id

    pending = {g.id for g in kraty.grants.list_pending()}
    assert grant_ids <= pending


def test_listing_shapes_of_the_demo_events(kraty: Kraty) -> None:
    events = {e.event_key: e for e in kraty.events.list_for_player()}
    assert "winter_cup" not in events and "coming_soon" not in events
    bounty = events["bounty_hunt"]
    assert bounty.entry_cost is not None
    assert [(c.key, c.amount) for c in bounty.entry_cost.currencies] == [("gold", 50)]
    assert bounty.metric_keys == ["kills"]
    assert [m.key for m in bounty.milestone_rewards] == ["kills_5", "kills_15"]
    assert bounty.reward_policy.type != ""
    assert events["quick_brawl"].is_lobby_matched
    tap = events["tap_frenzy"]
    assert tap.is_free and tap.metric_keys == ["taps"]
    assert {m.key for m in tap.milestone_rewards} == {"taps_5", "taps_15", "taps_30"}


@pytest.mark.operation("events.progress")
def test_milestones_fire_once_per_attempt_when_crossed(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    first = kraty.events.progress("tap_frenzy", attempt.id, mode="increment", metric_value=4)
    assert first.milestones_fired == []
    crossed = kraty.events.progress("tap_frenzy", attempt.id, mode="increment", metric_value=1)
    assert [f.key for f in crossed.milestones_fired] == ["taps_5"]
    assert crossed.attempt.metrics["taps"] == 5
    lowered = kraty.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=2)
    assert lowered.milestones_fired == [] and lowered.attempt.metrics["taps"] == 2
    again = kraty.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=6)
    assert again.milestones_fired == []  # never re-fires within one attempt
    both = kraty.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=16)
    assert [f.key for f in both.milestones_fired] == ["taps_15"]
    assert both.milestones_fired[0].grants[0].kind == "crate"


def test_reaching_the_target_completes_the_attempt(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    done = kraty.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=30)
    assert done.attempt.status == "completed"
    assert done.attempt.completed_at is not None
    assert {f.key for f in done.milestones_fired} == {"taps_5", "taps_15", "taps_30"}
    with pytest.raises(KratyApiError) as info:
        kraty.events.progress("tap_frenzy", attempt.id, mode="increment", metric_value=1)
    assert info.value.is_attempt_finished and info.value.status == 409


@pytest.mark.operation("events.finish")
def test_finish_before_the_target_expires_and_cannot_finish_twice(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    kraty.events.progress("tap_frenzy", attempt.id, mode="increment", metric_value=3)
    finished = kraty.events.finish("tap_frenzy", attempt.id)
    assert finished.outcome == "expired"
    assert finished.attempt.id == attempt.id and finished.attempt.status != "in_progress"
    with pytest.raises(KratyApiError) as info:
        kraty.events.finish("tap_frenzy", attempt.id)
    assert info.value.is_attempt_finished


def test_multi_metric_progress(kraty_42: Kraty) -> None:
    """``elite_trial`` (unlocked for player_42: xp 40, owns hunter_badge) takes several metrics."""
    start = kraty_42.events.start("elite_trial")
    update = kraty_42.events.progress(
        "elite_trial", start.attempt.id, mode="set", metrics={"distance": 120.5, "coins": 4}
    )
    assert update.attempt.metrics_raw["distance"] == 120.5
    assert update.attempt.metrics_raw["coins"] == 4
    assert update.attempt.score > 0


def test_start_while_in_progress_returns_the_same_attempt(kraty: Kraty) -> None:
    first = kraty.events.start("tap_frenzy")
    second = kraty.events.start("tap_frenzy")
    assert second.attempt.id == first.attempt.id
    listing = next(e for e in kraty.events.list_for_player() if e.event_key == "tap_frenzy")
    assert listing.current_attempt_id == first.attempt.id


def test_caller_idempotency_key_replays_progress(kraty: Kraty) -> None:
    attempt = kraty.events.start("tap_frenzy").attempt
    one = kraty.events.progress(
        "tap_frenzy", attempt.id, mode="increment", metric_value=2, idempotency_key="tap-1"
    )
    replay = kraty.events.progress(
        "tap_frenzy",
        attempt.id,
        ProgressInput(mode="increment", metric_value=2, idempotency_key="tap-1"),
    )
    assert replay.attempt.metrics["taps"] == one.attempt.metrics["taps"] == 2


def test_as_override_addresses_another_player_without_registering(
    make_kraty: Callable[..., Kraty], kraty_42: Kraty, kraty_emulator: EmbeddedEmulator
) -> None:
    """``as_=`` on every player-scoped call: the given id in every path, nothing registered."""
    # key-only reads work for any id without resolving (or registering) an active player
    tooling = make_kraty()
    assert tooling.events.list_for_player(as_="player_42")
    assert tooling.active_external_player_id is None

    # secret routes need that player's secret: here the client holds player_42's
    start = kraty_42.events.start("tap_frenzy", as_="player_42")
    kraty_42.events.progress(
        "tap_frenzy", start.attempt.id, mode="set", metric_value=1, as_="player_42"
    )
    kraty_42.events.finish("tap_frenzy", start.attempt.id, as_="player_42")
    pending = kraty_42.grants.list_pending(as_="player_42")
    assert kraty_42.inventory.list(as_="player_42")
    assert kraty_42.wallet.list(as_="player_42")
    kraty_42.wallet.debit("gold", amount=1, as_="player_42")
    kraty_42.inventory.consume("health_potion", quantity=1, as_="player_42")
    result = kraty_42.grants.collect_all(as_="player_42")
    assert pending and result.processed == len(pending) and not result.has_failures

    paths = [str(r["path"]) for r in kraty_emulator.recent_requests(limit=50)]
    assert not any(p.endswith("/register") for p in paths)
    player_paths = [p for p in paths if p.startswith("/sdk/v1/players/")]
    assert player_paths and all(p.startswith("/sdk/v1/players/player_42/") for p in player_paths)

    # without player_42's secret its secret routes stay closed
    with pytest.raises(KratyApiError) as info:
        make_kraty().grants.list_pending(as_="player_42")
    assert info.value.is_player_secret_invalid
