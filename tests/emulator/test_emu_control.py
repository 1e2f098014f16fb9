"""The /_emulator control plane, faults, body limits, the request log and the pytest plugin."""

from __future__ import annotations

import http.client
import json
import time
from datetime import datetime
from typing import Any

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import PLAYER_42, PLAYER_42_SECRET, RawClient

pytestmark = pytest.mark.emulator


def test_clock_moves_in_manual_mode(emu: EmbeddedEmulator) -> None:
    start = emu.now()
    assert emu.now() == start  # frozen between advances
    assert (emu.advance_clock(90) - start).total_seconds() == 90
    moved = emu.set_clock("2030-01-02T03:04:05.678Z")
    assert moved.isoformat() == "2030-01-02T03:04:05.678000+00:00"
    emu.reset()
    assert emu.now() == start


def test_real_clock_advances_with_an_offset() -> None:
    with EmbeddedEmulator(clock="real") as emu:
        before = emu.now()
        ahead = emu.advance_clock(3600)
        assert 3600 <= (ahead - before).total_seconds() < 3660
        later = emu.now()
        assert later >= ahead


def test_state_dump_has_no_secrets(emu: EmbeddedEmulator) -> None:
    state = emu.state()
    assert {"clock", "players", "wallet", "inventory", "grants", "attempts", "lobbies"} <= set(
        state
    )
    text = json.dumps(state)
    assert PLAYER_42 in text and PLAYER_42_SECRET not in text and "secret_hash" not in text


def test_state_lists_the_ledger(emu: EmbeddedEmulator, client: RawClient) -> None:
    ext, secret = client.register()
    debit = {"amount": 7, "reason": "ledger-debit", "idempotencyKey": "ledger-k1"}
    client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", debit, secret=secret)
    client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", debit, secret=secret)  # a replay
    client.post(
        f"/sdk/v1/players/{ext}/inventory/health_potion/consume",
        {"quantity": 1, "reason": "ledger-consume"},
        secret=secret,
    )
    pending = client.get(f"/sdk/v1/players/{PLAYER_42}/pending-grants", secret=PLAYER_42_SECRET)
    reward = next(g for g in pending.data if g["kind"] == "reward")
    claimed = client.post(
        f"/sdk/v1/players/{PLAYER_42}/grants/{reward['id']}/claim", secret=PLAYER_42_SECRET
    )
    assert claimed.status == 200
    ledger = emu.state()["ledger"]
    assert [row["id"] for row in ledger] == sorted(row["id"] for row in ledger)
    fields = {"id", "externalPlayerId", "kind", "key", "delta", "after", "reason", "origin"}
    assert all(set(row) == fields | {"sourceRefId", "occurredAt"} for row in ledger)
    (debited,) = [row for row in ledger if row["reason"] == "ledger-debit"]  # applied once
    assert debited["externalPlayerId"] == ext
    assert (debited["kind"], debited["key"], debited["delta"]) == ("wallet", "gold", -7)
    assert (debited["after"], debited["origin"]) == (193, "client")
    assert datetime.fromisoformat(debited["occurredAt"]) == emu.now()  # the frozen clock
    (consumed,) = [row for row in ledger if row["reason"] == "ledger-consume"]
    assert (consumed["kind"], consumed["key"], consumed["delta"]) == (
        "inventory",
        "health_potion",
        -1,
    )
    from_grant = [row for row in ledger if row["sourceRefId"] == reward["id"]]
    assert from_grant and all(row["externalPlayerId"] == PLAYER_42 for row in from_grant)
    assert secret not in json.dumps(ledger)
    emu.reset()
    assert not [row for row in emu.state()["ledger"] if row["externalPlayerId"] == ext]


def test_recent_requests_mask_secrets(emu: EmbeddedEmulator, client: RawClient) -> None:
    ext, secret = client.register()
    client.post(
        f"/sdk/v1/players/{ext}/wallet/gold/debit",
        {"amount": 1, "idempotencyKey": "k-123"},
        secret=secret,
    )
    recent = emu.recent_requests(5)
    debit = next(r for r in recent if r["path"].endswith("/debit"))
    assert debit["idempotencyKey"] == "k-123"
    assert debit["headers"]["x-player-secret"] == secret[:8] + "***"
    assert debit["headers"]["authorization"] == "Bearer kr_test.client-demo"  # a public demo key
    assert secret not in json.dumps(recent)


def test_fail_rate_answers_retryable_503(emu: EmbeddedEmulator, client: RawClient) -> None:
    emu.set_faults(fail_rate=1.0, routes=["/sdk/v1/catalog"], seed=1)
    reply = client.get("/sdk/v1/catalog")
    assert (reply.status, reply.code) == (503, "service_unavailable")
    assert client.get(f"/sdk/v1/players/{PLAYER_42}/wallet", secret=PLAYER_42_SECRET).status == 200
    emu.set_faults(fail_rate=0.5, seed=42)
    first = [client.get("/sdk/v1/catalog").status for _ in range(40)]
    emu.set_faults(fail_rate=0.5, seed=42)
    second = [client.get("/sdk/v1/catalog").status for _ in range(40)]
    assert first == second and {200, 503} == set(first)  # seeded, reproducible


def test_latency_is_added(emu: EmbeddedEmulator, client: RawClient) -> None:
    emu.set_faults(latency_ms=150)
    started = time.perf_counter()
    client.get("/sdk/v1/catalog")
    assert time.perf_counter() - started >= 0.14


def test_break_after_commit_commits_then_drops(emu: EmbeddedEmulator, client: RawClient) -> None:
    ext, secret = client.register()
    emu.set_faults(break_after_commit_rate=1.0, routes=["*/debit"])
    body = {"amount": 10, "idempotencyKey": "broken-1"}
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", body, secret=secret)
    emu.set_faults()
    retry = client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", body, secret=secret)
    assert retry.data == {"economyKey": "gold", "balance": 190, "applied": False}


def test_oversized_body_is_413(emu: EmbeddedEmulator, client: RawClient) -> None:
    del emu
    ext, secret = client.register()
    huge = {"amount": 1, "reason": "x" * 2_000_000}
    reply = client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", huge, secret=secret)
    assert (reply.status, reply.code) == (413, "payload_too_large")


def test_unknown_route_and_method_keep_the_envelope(client: RawClient) -> None:
    missing = client.get("/sdk/v1/nothing-here")
    assert (missing.status, missing.code) == (404, "not_found")
    wrong = client.request("DELETE", "/sdk/v1/catalog")
    assert wrong.status == 405 and "error" in wrong.body


def test_promote_and_finalize_from_the_control_plane(
    emu: EmbeddedEmulator, client: RawClient
) -> None:
    ext, secret = client.register()
    forming = client.post(f"/sdk/v1/players/{ext}/events/quick_brawl/start", secret=secret)
    lobby = emu.promote_lobby(forming.body["error"]["details"]["lobbyId"])
    assert lobby["status"] == "active" and lobby["botSlots"] == 3
    att = client.post(f"/sdk/v1/players/{ext}/events/tap_frenzy/start", secret=secret).data[
        "attempt"
    ]
    client.post(
        f"/sdk/v1/players/{ext}/events/tap_frenzy/attempts/{att['id']}/progress",
        {"mode": "set", "metricValue": 30},
        secret=secret,
    )
    result = emu.finalize_event("tap_frenzy")
    assert result["finalized"] is True and result["leaderboardId"] == att["leaderboardId"]
    pending = client.get(f"/sdk/v1/players/{ext}/pending-grants", secret=secret).data
    assert any(g["sourceKind"] == "event_reward" for g in pending)  # fixed_bundle for completers
    fresh = client.post(f"/sdk/v1/players/{ext}/events/tap_frenzy/start", secret=secret)
    assert fresh.status == 201 and fresh.data["leaderboardId"] != att["leaderboardId"]


def test_control_plane_is_off_on_other_hosts() -> None:
    with EmbeddedEmulator(control_plane=False) as emu:
        client = RawClient(emu.base_url)
        reply = client.get("/_emulator/state", key=None)
        client.close()
        assert (reply.status, reply.code) == (404, "not_found")


def test_pytest_plugin_fixture_resets_state(kraty_emulator: Any) -> None:
    """``kraty_pygame.testing`` is loaded through the pytest11 entry point."""
    client = RawClient(kraty_emulator.base_url)
    try:
        ext, secret = client.register()
        assert client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).status == 200
    finally:
        client.close()
    kraty_emulator.reset()
    assert not any(p["external_id"] == ext for p in kraty_emulator.state()["players"])
