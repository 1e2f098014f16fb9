"""Idempotency keys (a repeated write returns the stored answer) and atomicity under
concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import SERVER_KEY, RawClient

pytestmark = pytest.mark.emulator


def _gold(client: RawClient, ext: str, secret: str) -> int:
    wallet = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret).data["wallet"]
    return int({w["economyKey"]: w["balance"] for w in wallet}["gold"])


def test_same_write_replayed_100_times_applies_once(client: RawClient) -> None:
    ext, secret = client.register()
    body = {"amount": 7, "reason": "shop", "idempotencyKey": uuid.uuid4().hex}
    path = f"/sdk/v1/players/{ext}/wallet/gold/debit"
    replies = [client.post(path, body, secret=secret) for _ in range(100)]
    assert {r.status for r in replies} == {200}
    assert replies[0].data == {"economyKey": "gold", "balance": 193, "applied": True}
    for reply in replies[1:]:
        assert reply.data == {"economyKey": "gold", "balance": 193, "applied": False}
    assert _gold(client, ext, secret) == 193
    conflict = client.post(path, {**body, "amount": 8}, secret=secret)
    assert (conflict.status, conflict.code) == (409, "idempotency_conflict")
    assert conflict.body["error"]["details"] == {"idempotencyKey": body["idempotencyKey"]}
    assert _gold(client, ext, secret) == 193


def test_replayed_register_returns_the_same_secret(client: RawClient) -> None:
    ext = "kp_" + uuid.uuid4().hex
    body = {"idempotencyKey": uuid.uuid4().hex}
    first = client.post(f"/sdk/v1/players/{ext}/register", body)
    again = client.post(f"/sdk/v1/players/{ext}/register", body)
    assert first.status == again.status == 201
    assert again.data == first.data
    other = client.post(f"/sdk/v1/players/{ext}/register")
    assert (other.status, other.code) == (409, "player_already_registered")


def test_key_scope_is_per_route_and_player(client: RawClient) -> None:
    """The same key on another route or player is a different request (keys are scoped
    to a route and a player)."""
    a, a_secret = client.register()
    b, b_secret = client.register()
    key = uuid.uuid4().hex
    one = client.post(
        f"/sdk/v1/players/{a}/wallet/gold/debit",
        {"amount": 1, "idempotencyKey": key},
        secret=a_secret,
    )
    two = client.post(
        f"/sdk/v1/players/{b}/wallet/gold/debit",
        {"amount": 1, "idempotencyKey": key},
        secret=b_secret,
    )
    three = client.post(
        f"/sdk/v1/players/{a}/inventory/health_potion/consume",
        {"quantity": 1, "idempotencyKey": key},
        secret=a_secret,
    )
    assert one.data["applied"] and two.data["applied"] and three.data["applied"]


def test_replay_window_is_24h_on_the_emulator_clock(
    client: RawClient, emu: EmbeddedEmulator
) -> None:
    ext, secret = client.register()
    body = {"amount": 1, "idempotencyKey": uuid.uuid4().hex}
    path = f"/sdk/v1/players/{ext}/wallet/gold/debit"
    assert client.post(path, body, secret=secret).data["applied"] is True
    emu.advance_clock(23 * 3600)
    assert client.post(path, body, secret=secret).data["applied"] is False
    emu.advance_clock(2 * 3600)
    assert client.post(path, body, secret=secret).data == {
        "economyKey": "gold",
        "balance": 198,
        "applied": True,
    }


def test_replay_needs_the_right_secret(client: RawClient) -> None:
    ext, secret = client.register()
    body = {"amount": 1, "idempotencyKey": uuid.uuid4().hex}
    path = f"/sdk/v1/players/{ext}/wallet/gold/debit"
    assert client.post(path, body, secret=secret).status == 200
    stolen = client.post(path, body, secret="kps_guess")
    assert (stolen.status, stolen.code) == (401, "player_secret_invalid")


def test_consume_and_debit_require_a_key(client: RawClient) -> None:
    ext, secret = client.register()
    reply = client.request(
        "POST", f"/sdk/v1/players/{ext}/wallet/gold/debit", {"amount": 1}, secret=secret
    )
    assert (reply.status, reply.code) == (400, "validation_failed")


def test_paid_start_replayed_charges_once(client: RawClient) -> None:
    ext, secret = client.register()
    body = {"playerContext": {"level": 3}, "idempotencyKey": uuid.uuid4().hex}
    path = f"/sdk/v1/players/{ext}/events/bounty_hunt/start"
    first = client.post(path, body, secret=secret)
    assert first.status == 201
    for _ in range(5):
        again = client.post(path, body, secret=secret)
        assert again.status == 201 and again.data == first.data
    assert _gold(client, ext, secret) == 150
    attempt = first.data["attempt"]["id"]
    client.post(
        f"/sdk/v1/players/{ext}/events/bounty_hunt/attempts/{attempt}/finish", secret=secret
    )
    late = client.post(path, body, secret=secret)
    assert late.status == 201 and late.data["attempt"]["id"] == attempt
    assert _gold(client, ext, secret) == 150


def test_lobby_forming_is_not_cached(client: RawClient, emu: EmbeddedEmulator) -> None:
    """A 202 is never stored, so retrying the same key after promotion starts the attempt."""
    ext, secret = client.register()
    body = {"idempotencyKey": uuid.uuid4().hex}
    path = f"/sdk/v1/players/{ext}/events/quick_brawl/start"
    assert client.post(path, body, secret=secret).status == 202
    emu.advance_clock(20)
    assert client.post(path, body, secret=secret).status == 201


@pytest.mark.parametrize("route", ["debit", "consume"])
def test_concurrent_overdraw_applies_exactly_one(emu: EmbeddedEmulator, route: str) -> None:
    setup = RawClient(emu.base_url)
    rounds = 15
    try:
        players = [setup.register() for _ in range(rounds)]
        for ext, _secret in players:
            setup.post(
                f"/server/v1/players/{ext}/inventory/health_potion/grant",
                {"quantity": 1},
                key=SERVER_KEY,
            )
    finally:
        setup.close()
    path, body = (
        ("wallet/gold/debit", {"amount": 150})
        if route == "debit"
        else ("inventory/health_potion/consume", {"quantity": 2})
    )
    for ext, secret in players:
        barrier = threading.Barrier(2)
        statuses: list[int] = []
        lock = threading.Lock()

        def spend(
            ext: str = ext,
            secret: str = secret,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
            lock: threading.Lock = lock,
        ) -> None:
            client = RawClient(emu.base_url)
            try:
                client.get("/sdk/v1/catalog")  # open the connection before the race
                barrier.wait(timeout=10)
                reply = client.post(f"/sdk/v1/players/{ext}/{path}", body, secret=secret)
                with lock:
                    statuses.append(reply.status)
            finally:
                client.close()

        threads = [threading.Thread(target=spend) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [200, 409], statuses
