"""The component with its outbox: durable calls are recorded before they return, their
handles finish from the outbox, reads fail fast while offline, and the game is told."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from demo_game.relay import LinkRelay
from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KRATY_SYNC,
)
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.component.outbox_link import SHOWN_KEYS_FILE, ShownKeys
from kraty_pygame.component.outbox_setup import RUN_MARK
from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import FileSecretStore
from kraty_pygame.sdk.errors import KratyApiError, KratyConfigError, KratyNetworkError
from kraty_pygame.sdk.models.events import ProgressInput
from kraty_pygame.sdk.outbox import OutboxNotice
from kraty_pygame.sdk.outbox._handoff import stored_bytes
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump

pytestmark = [pytest.mark.headless, pytest.mark.emulator]


def _journal_bytes(directory: Path) -> int:
    """Bytes of records stored in the outbox (its journal and its hand-off map)."""
    return stored_bytes(directory)


def test_a_durable_call_is_on_disk_before_the_proxy_returns(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    kraty = make_kraty()
    identity = kraty.ensure_identity()
    kraty_emulator_credit(kraty_emulator, identity.external_player_id)
    component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
    before = _journal_bytes(tmp_path / "outbox")
    handle = component.wallet.debit("gold", amount=1, reason="outbox-1")
    assert _journal_bytes(tmp_path / "outbox") > before  # stored before the call returned
    assert handle.entry_id is not None
    pump = Pump(component)
    done = pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert handle.succeeded and not handle.queued
    assert done.result.applied is True
    assert any(e.type == KRATY_SYNC and e.kind == "pending" for e in pump.events)
    deadline = time.monotonic() + 5
    while component.stats.pending_writes and time.monotonic() < deadline:
        pump.frame()
        component.wait_for_results(0.05)
    assert component.stats.pending_writes == 0
    assert component.stats.online is True


def test_reads_and_non_durable_calls_keep_the_worker(
    make_kraty: KratyFactory, make_component: ComponentFactory, tmp_path: Path
) -> None:
    component = make_component(make_kraty(), outbox=tmp_path / "outbox")
    read = component.wallet.list()
    heartbeat = component.friends.heartbeat()
    assert read.entry_id is None and heartbeat.entry_id is None
    pump = Pump(component)
    pump.until(lambda e: e.type in (KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED) and e.handle is read)
    assert read.succeeded


def test_without_an_outbox_every_call_uses_the_worker(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    component = make_component(make_kraty(), outbox=False)
    handle = component.events.start("tap_frenzy")
    assert component.outbox is None and handle.entry_id is None and not handle.queued
    Pump(component).until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is handle)
    assert component.stats.pending_writes == 0 and component.stats.online is None


def test_an_argument_error_raises_at_the_call_and_records_nothing(
    make_kraty: KratyFactory, make_component: ComponentFactory, tmp_path: Path
) -> None:
    component = make_component(make_kraty(), outbox=tmp_path / "outbox")
    both = ProgressInput(mode="increment", metric_value=1)
    with pytest.raises(TypeError):
        component.events.progress("tap_frenzy", "a1", both, metric_value=2)
    assert component.stats.pending_writes == 0


def test_argument_errors_of_durable_calls_read_as_on_the_worker_path(
    make_kraty: KratyFactory, make_component: ComponentFactory, tmp_path: Path
) -> None:
    component = make_component(make_kraty(), outbox=tmp_path / "outbox")
    before = _journal_bytes(tmp_path / "outbox")
    with pytest.raises(TypeError, match=r"events\.finish\(\).*attempt_id"):
        component.events.finish("tap_frenzy")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"grants\.claim\(\).*grant_id"):
        component.grants.claim(grant="g_1")  # type: ignore[call-arg]
    with pytest.raises(KratyConfigError, match="mode is required"):
        component.events.progress("tap_frenzy", "att_x", metric_value=1)
    for _ in range(2):  # the second time the outbox reuses the first call's request
        component.events.progress("tap_frenzy", "att_x", mode="increment", metric_value=1)
    with pytest.raises(KratyConfigError, match="mode is required"):
        component.events.progress("tap_frenzy", "att_x", metric_value=1)
    assert component.stats.pending_writes == 2
    assert _journal_bytes(tmp_path / "outbox") > before


def test_a_write_the_server_refuses_fails_for_good_and_the_next_goes_on(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    kraty = make_kraty()
    kraty_emulator_credit(kraty_emulator, kraty.ensure_identity().external_player_id)
    component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
    refused = component.wallet.debit("gold", amount=10**9, reason="too-much")
    after = component.wallet.debit("gold", amount=1, reason="after")
    pump = Pump(component)
    failed = pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is refused)
    assert isinstance(failed.error, KratyApiError) and 400 <= failed.error.status < 500
    assert not refused.queued and not refused.outcome_unknown
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is after, since=0)


@pytest.mark.slow
def test_offline_writes_wait_reads_fail_fast_and_the_game_is_told(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    with LinkRelay(kraty_emulator.base_url) as relay:
        kraty = make_kraty(base_url=relay.url)
        identity = kraty.ensure_identity()
        kraty_emulator_credit(kraty_emulator, identity.external_player_id)
        component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
        pump = Pump(component)
        relay.cut()
        writes = [component.wallet.debit("gold", amount=1, reason=f"off-{i}") for i in range(3)]
        offline = pump.until(
            lambda e: e.type == KRATY_CONNECTION and e.source == "calls", what="offline"
        )
        assert offline.state == "offline" and component.online is False
        assert all(h.queued and not h.done for h in writes)
        assert not writes[0].wait(0.2)
        assert component.stats.pending_writes == 3
        started = time.monotonic()
        read = component.wallet.list()
        pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is read, timeout=5)
        assert time.monotonic() - started <= 1.0
        assert isinstance(read.error, KratyNetworkError)
        assert all(not h.done for h in writes)  # a network failure never fails them
        relay.restore()
        for handle in writes:

            def finished(e: pygame.event.Event, h: RequestHandle[Any] = handle) -> bool:
                return bool(e.type == KRATY_REQUEST_DONE and e.handle is h)

            pump.until(finished, timeout=60)
        online = pump.until(
            lambda e: e.type == KRATY_CONNECTION and e.source == "calls" and e.state == "online",
            since=0,
        )
        assert online.error is None
        reasons = [str(row.get("reason")) for row in kraty_emulator.state()["ledger"]]
        assert sorted(r for r in reasons if r.startswith("off-")) == ["off-0", "off-1", "off-2"]


def test_shown_milestone_keys_survive_a_restart(tmp_path: Path) -> None:
    shown = ShownKeys(tmp_path)
    assert shown.add("key-1")
    assert not shown.add("key-1")
    again = ShownKeys(tmp_path)  # the next run of the game
    assert "key-1" in again and not again.add("key-1")
    assert again.add("key-2")
    assert (tmp_path / SHOWN_KEYS_FILE).stat().st_mode & 0o777 == 0o600


def kraty_emulator_credit(emulator: EmbeddedEmulator, player: str) -> None:
    """Give ``player`` gold straight through the emulator's server API."""
    import requests

    reply = requests.post(
        f"{emulator.base_url}/server/v1/players/{player}/wallet/gold/credit",
        json={"amount": 1000, "idempotencyKey": f"credit-{player}"},
        headers={"authorization": f"Bearer {emulator.server_api_key}"},
        timeout=10,
    )
    assert reply.status_code < 300, reply.text


def test_a_lobby_event_refuses_to_start_offline_at_the_call(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    with LinkRelay(kraty_emulator.base_url) as relay:
        kraty = make_kraty(base_url=relay.url)
        component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
        pump = Pump(component)
        listing = component.events.list_for_player()
        pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is listing)
        assert listing.result is not None
        assert any(item.is_lobby_matched for item in listing.result)
        relay.cut()
        probe = component.wallet.list()  # the game learns it is offline
        pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is probe, timeout=10)
        assert component.online is False
        lobby = component.events.start("quick_brawl")
        assert lobby.done and lobby.entry_id is None
        assert isinstance(lobby.error, KratyNetworkError)
        assert "cannot start offline" in str(lobby.error)
        solo = component.events.start("tap_frenzy")  # no lobby: it starts offline
        assert solo.queued and solo.provisional_attempt_id is not None
        assert solo.provisional_attempt_id.startswith("offline-")
        failed = pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is lobby)
        assert failed.error is lobby.error
        relay.restore()
        pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is solo, timeout=60)
        assert solo.result is not None and not solo.result.attempt.id.startswith("offline-")


def test_a_milestone_replayed_after_a_crash_is_shown_once(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    """A progress write whose milestone the game already showed comes back after a crash
    (the sender resent it with its key; the server replayed the same answer): the next
    run reports it as synced but does not show the milestone again."""
    kraty = make_kraty()
    identity = kraty.ensure_identity()
    attempt = kraty.events.start("tap_frenzy").attempt.id
    first = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
    pump = Pump(first)
    handle = first.events.progress("tap_frenzy", attempt, mode="set", metric_value=5)
    milestone = pump.until(lambda e: e.type == KRATY_MILESTONE, what="the first milestone")
    assert milestone.milestone.key == "taps_5" and milestone.idempotency_key
    assert handle.result is not None
    answer = handle.result.raw
    first.close()
    # the next run of the game, same profile: the outbox tells it about the replay
    again = make_component(
        make_kraty(
            active_external_player_id=identity.external_player_id,
            player_secret=identity.secret,
        ),
        outbox=tmp_path / "outbox",
        sync_time_at_start=False,
    )
    link = again._outbox
    assert link is not None
    for key in (milestone.idempotency_key, "a-key-never-shown"):
        data = dict(answer)  # each write's own answer (merged members share one object)
        link._on_notice(
            OutboxNotice("applied", "e1", "events.progress", None, key, data, replayed=True)
        )
    pump = Pump(again)
    synced = [pump.until(lambda e: e.type == KRATY_SYNC and e.kind == "synced") for _ in range(2)]
    keys = [e.idempotency_key for e in synced]
    assert keys == [milestone.idempotency_key, "a-key-never-shown"]
    assert synced[0].result.milestones_fired[0].key == "taps_5"
    pump.frame()
    shown = pump.of(KRATY_MILESTONE)
    assert [e.idempotency_key for e in shown] == ["a-key-never-shown"]


@pytest.mark.slow
def test_a_refused_player_secret_holds_the_writes_and_says_so_once(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    player = make_kraty().ensure_identity().external_player_id
    stale = make_kraty(active_external_player_id=player, player_secret="kps_" + "x" * 40)
    component = make_component(stale, outbox=tmp_path / "outbox", sync_time_at_start=False)
    writes = [component.wallet.debit("gold", amount=1, reason=f"held-{i}") for i in range(2)]
    pump = Pump(component)
    held = pump.until(lambda e: e.type == KRATY_SYNC and e.kind == "held", timeout=20)
    assert held.external_player_id == player
    assert isinstance(held.error, KratyApiError) and held.error.status == 401
    for _ in range(20):
        pump.frame()
        component.wait_for_results(0.05)
    assert len([e for e in pump.events if e.type == KRATY_SYNC and e.kind == "held"]) == 1
    assert all(h.queued and not h.done for h in writes)  # kept, never dropped
    assert component.stats.pending_writes == 2


def test_retrying_a_refused_durable_write_records_a_new_one(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    kraty = make_kraty()
    player = kraty.ensure_identity().external_player_id
    component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
    pump = Pump(component)
    refused = component.wallet.debit("gold", amount=500, reason="retry-me")  # no gold yet
    pump.until(lambda e: e.type == KRATY_REQUEST_FAILED and e.handle is refused)
    kraty_emulator_credit(kraty_emulator, player)
    again = component.retry(refused)
    assert again is not refused and again.entry_id not in (None, refused.entry_id)
    pump.until(lambda e: e.type == KRATY_REQUEST_DONE and e.handle is again)
    reasons = [row.get("reason") for row in kraty_emulator.state()["ledger"]]
    assert reasons.count("retry-me") == 1


def test_a_run_started_offline_that_the_server_refuses_is_reported_once(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    with LinkRelay(kraty_emulator.base_url) as relay:
        kraty = make_kraty(base_url=relay.url)
        for _ in range(2):  # daily_duel allows two attempts a day: use them up online
            attempt = kraty.events.start("daily_duel").attempt.id
            kraty.events.finish("daily_duel", attempt)
        component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
        pump = Pump(component)
        relay.cut()
        start = component.events.start("daily_duel")
        run = start.provisional_attempt_id
        assert run is not None
        handles: list[RequestHandle[Any]] = [start]
        handles += [
            component.events.progress("daily_duel", run, mode="set", metric_value=v)
            for v in (10, 20, 30)
        ]
        handles.append(component.events.finish("daily_duel", run))
        assert all(h.queued for h in handles)
        relay.restore()
        for handle in handles:

            def failed(e: pygame.event.Event, h: RequestHandle[Any] = handle) -> bool:
                return bool(e.type == KRATY_REQUEST_FAILED and e.handle is h)

            pump.until(failed, timeout=60, since=0)
        assert isinstance(start.error, KratyApiError)
        assert start.error.code == "max_daily_attempts_reached"
        for _ in range(10):
            pump.frame()
            component.wait_for_results(0.02)
        reports = [e for e in pump.events if e.type == KRATY_SYNC and e.kind == "run_failed"]
        assert len(reports) == 1 and reports[0].placeholder == run
        assert component.stats.pending_writes == 0


def test_the_default_outbox_follows_the_profile(
    make_kraty: KratyFactory, make_component: ComponentFactory, tmp_path: Path
) -> None:
    # a file store (a real game's profile): the outbox sits beside it and stays
    store = tmp_path / "profile" / "secrets.json"
    store.parent.mkdir()
    component = make_component(make_kraty(secret_store=FileSecretStore(store)))
    assert component.outbox is not None
    assert component.outbox.directory == tmp_path / "profile" / "secrets.outbox"
    component.close()
    assert (tmp_path / "profile" / "secrets.outbox").is_dir()
    # no durable identity and no player: an outbox of the run's own, gone when empty
    run = make_component(make_kraty())
    assert run.outbox is not None
    directory = Path(run.outbox.directory)
    assert RUN_MARK in directory.name and directory.is_dir()
    run.close()
    assert not directory.exists()


def test_online_a_read_after_a_durable_write_sees_it(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    kraty = make_kraty()
    kraty_emulator_credit(kraty_emulator, kraty.ensure_identity().external_player_id)
    before = next(h.balance for h in kraty.wallet.list() if h.economy_key == "gold")
    component = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
    kraty_emulator.set_faults(latency_ms=150)  # the write takes a while to be applied
    try:
        writes = [component.wallet.debit("gold", amount=1, reason=f"seen-{i}") for i in range(3)]
        read = component.wallet.list()
        Pump(component).until(
            lambda e: e.type in (KRATY_REQUEST_DONE, KRATY_REQUEST_FAILED) and e.handle is read
        )
    finally:
        kraty_emulator.set_faults()
    assert all(w.done for w in writes)  # applied before the read went out
    assert read.result is not None
    gold = next(h.balance for h in read.result if h.economy_key == "gold")
    assert gold == before - 3


@pytest.mark.slow
def test_writes_of_an_earlier_run_report_their_event_and_a_refused_run_once(
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
) -> None:
    """One run of the game records, offline, a progress write that fires a milestone and
    a whole run whose start the server will refuse, then quits. The next run syncs them:
    the milestone names its event and attempt; the refused run is one ``run_failed``,
    not one ``failed`` per write."""
    with LinkRelay(kraty_emulator.base_url) as relay:
        kraty = make_kraty(base_url=relay.url)
        identity = kraty.ensure_identity()
        attempt = kraty.events.start("tap_frenzy").attempt.id
        for _ in range(2):  # daily_duel allows two attempts a day: use them up online
            kraty.events.finish("daily_duel", kraty.events.start("daily_duel").attempt.id)
        first = make_component(kraty, outbox=tmp_path / "outbox", sync_time_at_start=False)
        relay.cut()
        first.events.progress("tap_frenzy", attempt, mode="set", metric_value=5)
        run = first.events.start("daily_duel").provisional_attempt_id
        assert run is not None
        for value in (10, 20):
            first.events.progress("daily_duel", run, mode="set", metric_value=value)
        first.events.finish("daily_duel", run)
        assert first.stats.pending_writes == 5
        first.close()
        relay.restore()
        again = make_component(
            make_kraty(
                base_url=relay.url,
                active_external_player_id=identity.external_player_id,
                player_secret=identity.secret,
            ),
            outbox=tmp_path / "outbox",
            sync_time_at_start=False,
        )
        pump = Pump(again)
        milestone = pump.until(lambda e: e.type == KRATY_MILESTONE, timeout=60)
        assert milestone.milestone.key == "taps_5"
        assert (milestone.event_key, milestone.attempt_id) == ("tap_frenzy", attempt)
        pump.until(lambda e: e.type == KRATY_SYNC and e.kind == "run_failed", timeout=60)
        deadline = time.monotonic() + 30
        while again.stats.pending_writes and time.monotonic() < deadline:
            pump.frame()
            again.wait_for_results(0.05)
        for _ in range(10):
            pump.frame()
            again.wait_for_results(0.02)
        assert again.stats.pending_writes == 0
        syncs = [e for e in pump.events if e.type == KRATY_SYNC and e.kind != "pending"]
        assert [e.kind for e in syncs if e.kind in ("failed", "run_failed")] == ["run_failed"]
        [report] = [e for e in syncs if e.kind == "run_failed"]
        assert report.placeholder == run and report.event_key == "daily_duel"
        assert isinstance(report.error, KratyApiError)
        assert report.error.code == "max_daily_attempts_reached"
