"""Auth matrix: every documented status and code for key and secret failures."""

from __future__ import annotations

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import (
    LIVE_KEY,
    PLAYER_42,
    PLAYER_42_SECRET,
    SERVER_KEY,
    RawClient,
)

pytestmark = pytest.mark.emulator


def test_no_key_is_unauthenticated(client: RawClient) -> None:
    reply = client.get("/sdk/v1/catalog", key=None)
    assert (reply.status, reply.code) == (401, "unauthenticated")


@pytest.mark.parametrize(
    "header", ["Bearer kr_test.nope", "Basic abc", "Bearer", "kr_test.client-demo"]
)
def test_wrong_key_is_session_invalid(client: RawClient, header: str) -> None:
    reply = client.get("/sdk/v1/catalog", key=None, headers={"authorization": header})
    assert (reply.status, reply.code) == (401, "session_invalid")


def test_client_key_on_server_route_is_forbidden(client: RawClient) -> None:
    for path in ("/server/v1/ping", f"/server/v1/players/{PLAYER_42}"):
        reply = client.get(path)
        assert (reply.status, reply.code) == (403, "forbidden")
    reply = client.post(f"/server/v1/players/{PLAYER_42}/wallet/gold/credit", {"amount": 5})
    assert (reply.status, reply.code) == (403, "forbidden")
    assert client.get("/server/v1/ping", key=SERVER_KEY).status == 200


def test_wrong_or_missing_player_secret(client: RawClient) -> None:
    path = f"/sdk/v1/players/{PLAYER_42}/wallet"
    for secret in (None, "kps_wrong", ""):
        reply = client.get(path, secret=secret)
        assert (reply.status, reply.code) == (401, "player_secret_invalid")
    assert client.get(path, secret=PLAYER_42_SECRET).status == 200


def test_secret_of_another_player_never_acts_for_them(client: RawClient) -> None:
    alice, alice_secret = client.register()
    bob, _bob_secret = client.register()
    for method, path, body in (
        ("GET", f"/sdk/v1/players/{bob}/wallet", None),
        ("GET", f"/sdk/v1/players/{bob}/inventory", None),
        ("GET", f"/sdk/v1/players/{bob}/pending-grants", None),
        ("POST", f"/sdk/v1/players/{bob}/wallet/gold/debit", {"amount": 1}),
        ("POST", f"/sdk/v1/players/{bob}/inventory/health_potion/consume", {"quantity": 1}),
    ):
        reply = (
            client.get(path, secret=alice_secret)
            if method == "GET"
            else client.post(path, body, secret=alice_secret)
        )
        assert (reply.status, reply.code) == (401, "player_secret_invalid"), path
    assert client.get(f"/sdk/v1/players/{alice}/wallet", secret=alice_secret).status == 200


def test_unknown_player_reads_are_empty_and_writes_401(client: RawClient) -> None:
    """Never-registered ids read as empty lists; writes need a secret."""
    ghost = "kp_" + "0" * 32
    assert client.get(f"/sdk/v1/players/{ghost}/wallet").data == {"wallet": []}
    assert client.get(f"/sdk/v1/players/{ghost}/inventory").data == {"items": []}
    assert client.get(f"/sdk/v1/players/{ghost}/pending-grants").data == []
    reply = client.post(f"/sdk/v1/players/{ghost}/wallet/gold/debit", {"amount": 1}, secret="x")
    assert (reply.status, reply.code) == (401, "player_secret_invalid")


def test_register_conflict_force_and_live_key(client: RawClient) -> None:
    ext, secret = client.register()
    again = client.post(f"/sdk/v1/players/{ext}/register")
    assert (again.status, again.code) == (409, "player_already_registered")
    live = client.post(f"/sdk/v1/players/{ext}/register?force=true", key=LIVE_KEY)
    assert (live.status, live.code) == (403, "forbidden")
    rotated = client.post(f"/sdk/v1/players/{ext}/register?force=true")
    assert rotated.status == 201
    new_secret = rotated.data["secret"]
    assert new_secret != secret
    old = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret)
    assert (old.status, old.code) == (401, "player_secret_invalid")
    assert client.get(f"/sdk/v1/players/{ext}/wallet", secret=new_secret).status == 200


def test_banned_player_cannot_write_or_register(client: RawClient, emu: EmbeddedEmulator) -> None:
    del emu
    ext, secret = client.register()
    ban = client.post(f"/server/v1/players/{ext}/ban", {"reason": "cheating"}, key=SERVER_KEY)
    assert ban.status == 200 and ban.data["applied"] is True
    again = client.post(f"/server/v1/players/{ext}/ban", {"reason": "cheating"}, key=SERVER_KEY)
    assert again.data["applied"] is False
    reply = client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", {"amount": 1}, secret=secret)
    assert (reply.status, reply.code) == (403, "player_banned")
    reply = client.post(f"/sdk/v1/players/{ext}/register?force=true")
    assert (reply.status, reply.code) == (403, "player_banned")
    unban = client.post(f"/server/v1/players/{ext}/unban", key=SERVER_KEY)
    assert unban.data["applied"] is True
    reply = client.post(f"/sdk/v1/players/{ext}/wallet/gold/debit", {"amount": 1}, secret=secret)
    assert reply.status == 200
