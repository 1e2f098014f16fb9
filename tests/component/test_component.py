"""KratyComponent against the embedded emulator: the three-line integration, events,
handles, callbacks, identity, errors as values and the threading rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pygame
import pytest

from kraty_pygame.component import (
    KRATY_GRANTS,
    KRATY_IDENTITY,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KratyComponent,
)
from kraty_pygame.component.errors import KratyThreadError
from kraty_pygame.component.handles import HandleStatus, RequestHandle
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import InMemorySecretStore, Kraty, KratyApiError, RetryConfig
from kraty_pygame.sdk.models.events import ProgressResponse, StartAttemptResponse
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump

pytestmark = [pytest.mark.headless, pytest.mark.emulator]


def start_attempt(component: KratyComponent, pump: Pump, event_key: str) -> StartAttemptResponse:
    handle = component.events.start(event_key)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle, what="start")
    result = handle.result
    assert isinstance(result, StartAttemptResponse)
    return result


def test_three_line_integration_receives_a_milestone(
    kraty_emulator: EmbeddedEmulator, pygame_headless: None
) -> None:
    kraty = Kraty(
        kraty_emulator.client_api_key,
        base_url=kraty_emulator.base_url,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )
    # the three lines: construct, call, update() once per frame before event.get()
    component = KratyComponent(kraty)
    pump = Pump(component)
    try:
        attempt = start_attempt(component, pump, "tap_frenzy").attempt
        component.events.progress("tap_frenzy", attempt.id, mode="set", metric_value=5)
        milestone = pump.until(lambda e: e.type == KRATY_MILESTONE, what="KRATY_MILESTONE")
        assert milestone.milestone.key == "taps_5"
        assert milestone.event_key == "tap_frenzy"
        assert milestone.attempt_id == attempt.id
        assert [g.source_kind for g in milestone.grants] == ["event_milestone"]
        # the milestone comes after its request's DONE, and its grants are announced too
        done_index = next(
            i for i, e in enumerate(pump.events)
            if e.type == KRATY_REQUEST_DONE and e.operation == "events.progress"
        )
        assert pump.events.index(milestone) > done_index
        pump.frame()
        [grants] = pump.of(KRATY_GRANTS)  # posted right after the milestone
        assert grants.source == "milestone"
        assert grants.grants == milestone.grants
    finally:
        assert component.close(timeout=5).threads_alive == ()
        kraty.close()


def test_done_events_carry_typed_results_and_callbacks_run_on_the_main_thread(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    attempt = start_attempt(component, pump, "daily_duel").attempt
    threads: list[threading.Thread] = []
    seen: list[RequestHandle[ProgressResponse]] = []

    def on_done(handle: RequestHandle[ProgressResponse]) -> None:
        threads.append(threading.current_thread())
        seen.append(handle)

    handle: RequestHandle[ProgressResponse] = component.events.progress(
        "daily_duel", attempt.id, mode="set", metric_value=7
    ).on_done(on_done)
    assert handle.operation == "events.progress"
    done = pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert isinstance(done.result, ProgressResponse)
    assert done.result.attempt.metrics == {"points": 7}
    assert seen == [handle] and threads == [threading.main_thread()]
    assert handle.status is HandleStatus.DONE and handle.succeeded
    # a callback added after delivery still runs, at the next update()
    handle.on_done(on_done)
    pump.frame()
    assert seen == [handle, handle]


def test_failures_arrive_as_events_never_as_exceptions(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    handle = component.events.start("coming_soon")
    failed = pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is handle)
    assert isinstance(failed.error, KratyApiError)
    assert failed.error.is_event_disabled
    assert failed.operation == "events.start"
    assert handle.error is failed.error and handle.result is None


def test_callback_errors_are_reported_and_never_stop_the_loop(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    reported: list[tuple[BaseException, RequestHandle[Any]]] = []
    component = make_component(
        make_kraty(), on_callback_error=lambda exc, h: reported.append((exc, h))
    )
    pump = Pump(component)

    def broken(handle: RequestHandle[Any]) -> None:
        raise RuntimeError("game bug")

    handle = component.catalog.read().on_done(broken)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert component.stats.callback_errors == 1
    assert [(type(e), h) for e, h in reported] == [(RuntimeError, handle)]
    second = component.catalog.read()
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is second)


def test_identity_events_on_resolve_change_and_refused_secret(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    component.ensure_identity()
    resolved = pump.until(lambda e: e.type == KRATY_IDENTITY, what="resolved")
    assert resolved.reason == "resolved"
    assert resolved.external_player_id == component.active_external_player_id
    assert resolved.external_player_id.startswith("kp_")
    component.sign_in(external_player_id="player_42", secret="wrong-secret")
    changed = pump.until(lambda e: e.type == KRATY_IDENTITY and e.reason == "changed")
    assert changed.external_player_id == "player_42"
    component.wallet.list()
    refused = pump.until(lambda e: e.type == KRATY_IDENTITY and e.reason == "secret_invalid")
    assert refused.external_player_id == "player_42"
    failed = pump.of(KRATY_REQUEST_FAILED)[-1]
    assert failed.error.is_player_secret_invalid


def test_main_thread_only_methods_refuse_other_threads(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    errors: list[BaseException] = []
    calls: list[Callable[[], object]] = [
        component.update, component.pause, component.resume, component.close,
        component.watch_grants,
    ]

    def attempt() -> None:
        for call in calls:
            try:
                call()
            except KratyThreadError as exc:
                errors.append(exc)

    worker = threading.Thread(target=attempt, name="not-main")
    worker.start()
    worker.join(10)
    assert len(errors) == len(calls)
    assert "main thread" in str(errors[0]) and "not-main" in str(errors[0])
    # calls themselves may be queued from any thread
    box: list[RequestHandle[Any]] = []
    other = threading.Thread(target=lambda: box.append(component.catalog.read()))
    other.start()
    other.join(10)
    Pump(component).until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is box[0])


def test_call_accepts_bound_sdk_methods_like_the_proxies(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    component = make_component(kraty)
    pump = Pump(component)
    attempt = start_attempt(component, pump, "daily_duel").attempt
    handle = component.call(
        kraty.events.progress, "daily_duel", attempt.id, mode="set", metric_value=3
    )
    assert handle.operation == "events.progress"
    done = pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert done.result.attempt.metrics == {"points": 3}
    listing = component.call(kraty.events.list_for_player)
    assert not listing.is_write
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is listing)
    assert any(item.event_key == "daily_duel" for item in listing.result or [])


def test_sdl_queue_full_keeps_events_for_the_next_update(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty())
    pump = Pump(component)
    handle = component.catalog.read()
    assert handle.wait(10)
    # fill SDL's queue (65,535 events) so pygame.event.post raises
    filler = pygame.event.custom_type()
    posted = 0
    with pytest.raises(pygame.error):
        while True:
            pygame.event.post(pygame.event.Event(filler))
            posted += 1
    assert posted > 1000
    component.update()
    assert component.stats.post_retries >= 1
    assert component.stats.events_waiting == 1
    pygame.event.clear()
    done = pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert done.result is handle.result
    assert component.stats.events_waiting == 0
