"""The component's first-hour footguns: a required progress ``mode``, arguments checked
at the call, the end of an attempt as an event, one watcher per board, a component that
closes the ``Kraty`` it was given, and the names a game imports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygame
import pytest
import urllib3.exceptions

import kraty_pygame
import kraty_pygame.component as component_package
from kraty_pygame.component import (
    KRATY_ATTEMPT,
    KRATY_CONNECTION,
    KRATY_IDENTITY,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KratyAttemptEndedError,
    KratyComponent,
    KratyThreadError,
    RequestHandle,
    is_lobby_forming,
)
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.sdk import (
    FileSecretStore,
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    KratyConfigError,
    KratyError,
    KratyNetworkError,
    RequestInfo,
    RetryConfig,
)
from kraty_pygame.sdk.errors import is_lobby_forming as sdk_is_lobby_forming
from kraty_pygame.sdk.streams.leaderboard import ReconnectPolicy
from tests.support.clients import KratyFactory
from tests.support.component import WAIT, ComponentFactory, Pump
from tests.support.http_server import ScriptedServer
from tests.support.sockets import client_sockets_to
from tests.support.stream_replies import cut_stream

pytestmark = [pytest.mark.headless, pytest.mark.emulator]


def _frames_until(pump: Pump, condition: Callable[[], bool], what: str) -> None:
    """Run frames until ``condition()`` holds (for outcomes that post no event)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT}s"
        pump.frame()
        pump.component.wait_for_results(0.05)
    pump.frame()


def _start(component: KratyComponent, pump: Pump, event_key: str) -> str:
    handle = component.events.start(event_key)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle, what="start")
    assert handle.result is not None
    return str(handle.result.attempt.id)


# -- mode required and arguments checked at the call ---------------------------------------


def test_progress_without_mode_or_with_a_wrong_mode_raises_at_the_call(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    sent: list[RequestInfo] = []
    component = make_component(make_kraty(on_request=sent.append), sync_time_at_start=False)
    with pytest.raises(KratyConfigError, match=r"mode is required.*\"set\".*\"increment\""):
        component.events.progress("tap_frenzy", "att_x", metric_value=1)
    with pytest.raises(KratyConfigError, match="mode must be \"set\" or \"increment\", got 'incr'"):
        component.events.progress(
            "tap_frenzy", "att_x", mode="incr", metric_value=1  # type: ignore[arg-type]
        )
    # the same check through call() with the facade's bound method
    with pytest.raises(KratyConfigError, match="mode is required"):
        component.call(component.kraty.events.progress, "tap_frenzy", "att_x", metric_value=1)
    assert component.stats.outstanding == 0
    assert sent == []


def test_wrong_arguments_raise_type_error_at_the_call_and_nothing_is_queued(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    sent: list[RequestInfo] = []
    component = make_component(make_kraty(on_request=sent.append), sync_time_at_start=False)
    with pytest.raises(TypeError, match=r"events\.start\(\).*too many positional"):
        component.events.start("tap_frenzy", {"level": 3}, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"events\.finish\(\).*attempt_id"):
        component.events.finish("tap_frenzy")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"grants\.claim\(\).*grant_id"):
        component.grants.claim(grant="g_1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="too many positional"):
        component.call(component.kraty.wallet.list, "extra")  # type: ignore[call-arg]
    assert component.stats.outstanding == 0
    assert sent == []


# -- the end of an attempt ------------------------------------------------------------------


def test_reaching_the_target_posts_kraty_attempt_and_later_calls_fail_quietly(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    sent: list[RequestInfo] = []
    component = make_component(make_kraty(on_request=sent.append), sync_time_at_start=False)
    pump = Pump(component)
    attempt_id = _start(component, pump, "tap_frenzy")
    # the winning write and a burst of taps queued behind it, all before one update()
    winner = component.events.progress("tap_frenzy", attempt_id, mode="set", metric_value=30)
    taps = [
        component.events.progress("tap_frenzy", attempt_id, mode="increment", metric_value=1)
        for _ in range(5)
    ]
    finish = component.events.finish("tap_frenzy", attempt_id)
    quiet: list[RequestHandle[Any]] = [*taps, finish]
    ended = pump.until(lambda e: e.type == KRATY_ATTEMPT, what="KRATY_ATTEMPT")
    assert ended.event_key == "tap_frenzy" and ended.attempt_id == attempt_id
    assert ended.status == "completed" and ended.operation == "events.progress"
    assert ended.attempt.status == "completed" and ended.attempt.score == 30
    _frames_until(pump, lambda: all(h.done for h in quiet), "quiet failures")
    assert winner.succeeded
    for handle in quiet:
        assert isinstance(handle.error, KratyAttemptEndedError)
        assert handle.error.attempt_id == attempt_id and handle.error.status == "completed"
    pump.frame()
    assert pump.of(KRATY_REQUEST_FAILED) == []  # no error events for the quiet failures
    assert len(pump.of(KRATY_ATTEMPT)) == 1
    # the writes recorded before the end were on disk and went out (refused quietly)
    progress_posts = [i for i in sent if i.url.endswith("/progress") or "/finish" in i.url]
    assert progress_posts[0].status == 200
    assert all(i.status == 409 for i in progress_posts[1:])
    # a call made after the event also fails without being sent, and callbacks still run
    seen: list[RequestHandle[Any]] = []
    late = component.events.progress("tap_frenzy", attempt_id, mode="increment", metric_value=1)
    late.on_done(seen.append)
    _frames_until(pump, lambda: bool(seen), "the late call's callback")
    assert isinstance(late.error, KratyAttemptEndedError) and seen == [late]
    after = [i for i in sent if i.url.endswith("/progress") or "/finish" in i.url]
    assert len(after) == len(progress_posts)  # the call made after the end was not sent


def test_an_attempt_the_server_finished_posts_kraty_attempt_once(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    kraty = make_kraty()
    component = make_component(kraty, sync_time_at_start=False)
    pump = Pump(component)
    attempt_id = _start(component, pump, "tap_frenzy")
    kraty.events.finish("tap_frenzy", attempt_id)  # ended behind the component's back
    first = component.events.progress("tap_frenzy", attempt_id, mode="increment", metric_value=1)
    failed = pump.until(lambda e: e.type == KRATY_REQUEST_FAILED, what="the 409")
    assert failed.handle is first and failed.error.is_attempt_finished
    ended = pump.until(lambda e: e.type == KRATY_ATTEMPT, what="KRATY_ATTEMPT")
    assert ended.attempt_id == attempt_id and ended.attempt is None
    second = component.events.progress("tap_frenzy", attempt_id, mode="increment", metric_value=1)
    _frames_until(pump, lambda: second.done, "the second call")
    assert isinstance(second.error, KratyAttemptEndedError)
    pump.frame()
    assert len(pump.of(KRATY_REQUEST_FAILED)) == 1 and len(pump.of(KRATY_ATTEMPT)) == 1


# -- one watcher per board ------------------------------------------------------------------


def test_watching_a_board_twice_returns_the_first_watcher(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty(), sync_time_at_start=False)
    pump = Pump(component)
    board = component.events.start("tap_frenzy")
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is board, what="start")
    assert board.result is not None
    board_id = board.result.leaderboard_id
    first = component.watch_leaderboard(board_id, poll_interval=0)
    second = component.watch_leaderboard(board_id, poll_interval=0)
    assert second is first
    assert len([w for w in component.watchers if w is first]) == 1
    with pytest.raises(ValueError, match="already watched with other arguments"):
        component.watch_leaderboard(board_id, limit=3, poll_interval=0)
    first.stop()
    third = component.watch_leaderboard(board_id, limit=3, poll_interval=0)
    assert third is not first


def test_wrong_thread_errors_name_the_public_call(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty(), sync_time_at_start=False)
    errors: list[BaseException] = []

    def from_a_thread() -> None:
        for call in (
            lambda: component.watch_leaderboard("lb_x"),
            component.watch_grants,
            component.watch_presence,
        ):
            try:
                call()
            except KratyThreadError as exc:
                errors.append(exc)

    thread = threading.Thread(target=from_a_thread, name="not-main")
    thread.start()
    thread.join(10)
    messages = [str(e) for e in errors]
    assert len(messages) == 3
    for message, name in zip(
        messages, ("watch_leaderboard", "watch_grants", "watch_presence"), strict=True
    ):
        assert f"KratyComponent.{name}()" in message
        assert "watch()" not in message.replace(f"{name}()", "")
    assert component.watchers == []


# -- the component closes the Kraty it was given --------------------------------------------


def test_closing_the_component_closes_the_kraty_it_was_given(
    kraty_emulator: EmbeddedEmulator, pygame_headless: None
) -> None:
    port = int(kraty_emulator.base_url.rsplit(":", 1)[1].split("/")[0])
    before = client_sockets_to(port)
    # the README idiom: the Kraty exists only inside the component
    component = KratyComponent(
        Kraty(
            kraty_emulator.client_api_key,
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
        )
    )
    pump = Pump(component)
    handle = component.wallet.list()
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle, what="wallet")
    watchdog = component.kraty.client._calls._thread
    assert watchdog.is_alive()
    assert client_sockets_to(port) - before  # a pooled keep-alive connection is open
    report = component.close(timeout=5)
    assert report.threads_alive == ()
    watchdog.join(5)
    assert not watchdog.is_alive()
    assert component.kraty.client.closed
    assert client_sockets_to(port) - before == set()


def test_owns_kraty_false_leaves_the_kraty_usable(
    make_kraty: KratyFactory, pygame_headless: None
) -> None:
    kraty = make_kraty()
    component = KratyComponent(kraty, owns_kraty=False, sync_time_at_start=False)
    component.close(timeout=5)
    assert not kraty.client.closed
    assert kraty.wallet.list() is not None


# -- names a game imports --------------------------------------------------------------------


def test_public_namespaces_are_clean_and_complete() -> None:
    assert is_lobby_forming is sdk_is_lobby_forming
    assert "is_lobby_forming" in component_package.__all__
    for module in (kraty_pygame, component_package):
        names = dir(module)
        for helper in ("Any", "logging", "importlib", "TYPE_CHECKING", "Final", "annotations"):
            assert helper not in names, (module.__name__, helper)
        assert set(module.__all__) <= set(names)
    assert "KRATY_ATTEMPT" in kraty_pygame.__all__
    assert kraty_pygame.KRATY_ATTEMPT == component_package.KRATY_ATTEMPT
    assert KRATY_ATTEMPT > pygame.USEREVENT



# -- a dropped live stream --------------------------------------------------------------------


def test_a_dropped_board_stream_posts_a_kraty_network_error(
    make_component: ComponentFactory,
) -> None:
    with ScriptedServer(handler=cut_stream) as server:
        kraty = Kraty(
            "kr_test.client-demo",
            base_url=server.base_url,
            secret_store=InMemorySecretStore(),
            retry=RetryConfig(attempts=1),
        )
        component = make_component(kraty, sync_time_at_start=False)
        pump = Pump(component)
        watcher = component.watch_leaderboard(
            "lb_1",
            poll_interval=0,
            reconnect=ReconnectPolicy(max_attempts=1, initial_delay=0.01, max_delay=0.01),
        )
        dropped = pump.until(
            lambda e: e.type == KRATY_CONNECTION and e.state == "dropped", what="a drop"
        )
        watcher.stop()
        component.close(timeout=5)
    assert isinstance(dropped.error, KratyNetworkError)
    assert isinstance(dropped.error.original_cause, urllib3.exceptions.HTTPError | OSError)
    for event in pump.of(KRATY_CONNECTION):
        assert event.error is None or isinstance(event.error, KratyError), event.error


# -- a dev emulator restarted with a fresh database --------------------------------------------


@pytest.mark.slow
def test_a_player_unknown_after_an_emulator_restart_says_what_happened(
    tmp_path: Path, pygame_headless: None
) -> None:
    first = EmbeddedEmulator()
    first.start()
    port = int(first.base_url.rsplit(":", 1)[1].split("/")[0])
    kraty = Kraty(
        first.client_api_key,
        base_url=first.base_url,
        secret_store=FileSecretStore(tmp_path / "player.json"),
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )
    component = KratyComponent(kraty, sync_time_at_start=False)
    pump = Pump(component)
    try:
        kraty.wallet.list()  # registers and saves the player
        saved = kraty.active_external_player_id
        first.stop()
        # the same address, a fresh in-memory database: the saved player is unknown there
        with EmbeddedEmulator(port=port) as second:
            assert second.base_url == first.base_url
            # reads of an unknown player answer empty; its first write is refused
            assert kraty.wallet.list() is not None
            with pytest.raises(KratyApiError) as info:
                kraty.events.start("tap_frenzy")
            error = info.value
            assert error.is_player_secret_invalid
            assert "fresh database" in str(error) and "logout()" in str(error)
            assert error.hint in str(error)
            handle = component.events.start("tap_frenzy")
            identity = pump.until(
                lambda e: e.type == KRATY_IDENTITY and e.reason == "secret_invalid",
                what="KRATY_IDENTITY secret_invalid",
            )
            assert identity.external_player_id == saved
            assert "fresh database" in identity.hint and "logout()" in identity.hint
            # a durable write is held in the outbox (never dropped) until the player's
            # secret works again, so the game hears about it but the handle waits
            assert handle.queued and not handle.done
            # not recovered by itself: the stored player is kept until the game decides
            assert kraty.active_external_player_id == saved
            with pytest.raises(KratyApiError):
                kraty.events.start("tap_frenzy")
            kraty.logout()  # what the hint says to do
            assert kraty.events.start("tap_frenzy").attempt.is_in_progress
            assert kraty.active_external_player_id != saved
            component.close(timeout=5)
    finally:
        component.close(timeout=5)
        first.stop()
