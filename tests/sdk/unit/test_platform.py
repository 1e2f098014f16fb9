"""Platform clients and models on a recording transport: wire shapes of the
friends, gifting, identity, metadata, self-grant and progress calls, the DTOs, the
inventory stream parser and the server-clock arithmetic. No sockets."""

from __future__ import annotations

from typing import Any

import pytest

from kraty_pygame.sdk import (
    Friend,
    Gift,
    GiftCatalog,
    GrantCreated,
    InventoryChange,
    InventoryStreamEvent,
    KratyError,
    KratyProtocolError,
    KratyStreamError,
    ProgressWalletResult,
    RangeSpec,
    RewardEntryPreview,
    ServerClock,
    ServerTime,
    WalletChange,
)
from tests.support.recording import (
    KratyOnRecording,
    Scripted,
    ok,
)

BASE = "/sdk/v1/players/p1"
IDENTITY = {"name": "Nova", "avatar": None, "country": "PT"}
FRIEND = {
    "externalPlayerId": "p2",
    "displayIdentity": IDENTITY,
    "friendsSince": "2026-01-01T00:00:00.000Z",
    "online": True,
    "lastActiveAt": "2026-01-01T00:00:00.000Z",
    "status": "in_menu",
    "progression": {"xp": 120, "level": 2},
    "giftCooldownUntil": "2026-01-01T01:00:00.000Z",
}
GIFT = {
    "giftId": "gift_1",
    "grantId": "gr_1",
    "direction": "incoming",
    "player": {"externalPlayerId": "p2", "displayIdentity": IDENTITY},
    "type": "currency",
    "resourceKey": "gold",
    "amount": 5,
    "message": None,
    "status": "pending",
    "sentAt": "2026-01-01T00:00:00.000Z",
    "claimedAt": None,
    "expiresAt": None,
}


# ------------------------------------------------------------------ models


def test_friend_and_gift_models_decode() -> None:
    friend = Friend.from_wire(FRIEND)
    assert friend.name == "Nova" and friend.progression == {"xp": 120, "level": 2}
    assert friend.gift_cooldown_until_dt is not None
    assert friend.gift_cooldown_until_dt.hour == 1
    bare = Friend.from_wire({"externalPlayerId": "p3"})
    assert bare.name == "" and bare.progression is None and not bare.online
    gift = Gift.from_wire(GIFT)
    assert gift.is_pending and gift.player.external_player_id == "p2" and gift.sent_at_dt
    catalog = GiftCatalog.from_wire(
        {
            "enabled": True,
            "cooldownSeconds": 3600,
            "dailySendLimit": None,
            "sentToday": 0,
            "resources": [{"type": "item", "key": "potion", "name": {"en": "Potion"}}],
        }
    )
    assert catalog.daily_send_limit is None and catalog.resources[0].name == {"en": "Potion"}
    with pytest.raises(KratyProtocolError, match=r"data\.amount"):
        Gift.from_wire({**GIFT, "amount": "five"})


def test_progress_and_time_models_decode() -> None:
    result = ProgressWalletResult.from_wire(
        {
            "economyKey": "xp",
            "balance": 260,
            "applied": True,
            "derived": [
                {"economyKey": "level", "previous": 1, "current": 3, "delta": 2, "grantIds": ["a"]}
            ],
        }
    )
    assert result.grant_ids == ["a"] and result.derived[0].current == 3
    assert ProgressWalletResult.from_wire({"economyKey": "xp"}).derived == []
    time = ServerTime.from_wire(
        {
            "epochMs": 1800000000000,
            "iso": "2027-01-15T08:00:00.000Z",
            "timezone": "UTC",
            "offsetMinutes": 0,
            "local": "2027-01-15T08:00:00",
        }
    )
    assert time.as_datetime.year == 2027 and time.iso_dt == time.as_datetime


def test_inventory_stream_events_decode() -> None:
    change = InventoryStreamEvent.from_sse(
        "inventory_changed",
        {"itemKey": "potion", "delta": -1, "quantity": 2, "origin": "client", "ledgerId": 7},
    )
    assert isinstance(change.data, InventoryChange) and change.is_own_write
    assert change.raw["kind"] == "inventory_changed" and change.data.ledger_id == 7
    wallet = InventoryStreamEvent.from_sse("wallet_changed", {"economyKey": "gold", "balance": 5})
    assert isinstance(wallet.data, WalletChange) and wallet.origin is None
    grant = InventoryStreamEvent.from_sse(
        "grant_created",
        {"grantId": "g", "grantKind": "crate", "contents": {"entries": [{"type": "crate"}]}},
    )
    assert isinstance(grant.data, GrantCreated) and grant.data.contents.entries[0].type == "crate"
    unknown = InventoryStreamEvent.from_sse("season_reset", {"origin": "admin"})
    assert unknown.data == {"origin": "admin", "kind": "season_reset"}
    assert unknown.origin == "admin" and not unknown.is_own_write
    with pytest.raises(KratyProtocolError, match=r"event\.wallet_changed\.balance"):
        InventoryStreamEvent.from_sse("wallet_changed", {"balance": "lots"})


# ------------------------------------------------------------------ friends wire shapes


def test_friend_requests_and_presence_wire(make: KratyOnRecording) -> None:
    kraty, http = make(
        ok({"status": "pending", "request": None}),
        ok({"online": True, "lastActiveAt": None, "status": None}),
        ok({"online": True, "lastActiveAt": None, "status": None}),
        ok({"results": []}),
        ok({"cancelled": True}),
        ok({"friends": [FRIEND]}),
    )
    kraty.friends.add(friend_code="K7P2QX")
    kraty.friends.heartbeat()
    kraty.friends.heartbeat(status=None)
    kraty.friends.search("ana lu", limit=5, progression=["xp", "level"])
    assert kraty.friends.cancel_request("frq 1") is True
    assert kraty.friends.list()[0].external_player_id == "p2"
    calls = [(c.method, c.path, c.json) for c in http.calls]
    assert calls == [
        ("POST", f"{BASE}/friends/requests", {"friendCode": "K7P2QX", "idempotencyKey": "gen"}),
        ("POST", f"{BASE}/presence", {"idempotencyKey": "gen"}),
        ("POST", f"{BASE}/presence", {"status": None, "idempotencyKey": "gen"}),
        ("GET", f"{BASE}/friends/search?q=ana%20lu&limit=5&progression=xp%2Clevel", None),
        ("DELETE", f"{BASE}/friends/requests/frq%201", None),
        ("GET", f"{BASE}/friends", None),
    ]


def test_gift_wire(make: KratyOnRecording) -> None:
    kraty, http = make(ok({"gift": GIFT}), ok({"gifts": [GIFT]}), ok({"gift": GIFT}))
    kraty.friends.send_gift(
        external_player_id="p2", type="currency", resource_key="gold", amount=5, message="hi"
    )
    kraty.friends.sent_gifts(status="pending", limit=3)
    kraty.friends.claim_gift("gift_1")
    assert http.calls[0].json == {
        "externalPlayerId": "p2",
        "type": "currency",
        "resourceKey": "gold",
        "amount": 5,
        "message": "hi",
        "idempotencyKey": "gen",
    }
    assert http.calls[1].path == f"{BASE}/friends/gifts/sent?status=pending&limit=3"
    assert (http.calls[2].path, http.calls[2].json) == (
        f"{BASE}/friends/gifts/gift_1/claim",
        {"idempotencyKey": "gen"},
    )


def test_flag_answers_are_checked(make: KratyOnRecording) -> None:
    kraty, _ = make(ok({"removed": "yes"}))
    with pytest.raises(KratyProtocolError, match="removed"):
        kraty.friends.remove("p2")


def test_argument_errors_send_nothing(make: KratyOnRecording) -> None:
    kraty, http = make()
    with pytest.raises(KratyError):
        kraty.friends.add(friend_code="A", external_player_id="p2")
    with pytest.raises(KratyError):
        kraty.friends.search("x", progression="xp")
    with pytest.raises(KratyError):
        kraty.friends.send_gift(type="item", resource_key="potion", amount=1)
    with pytest.raises(KratyError):
        kraty.grants.grant([RewardEntryPreview(type="currency", amount=RangeSpec(min=1, max=2))])
    assert http.calls == []


# ------------------------------------------------------------------ other platform calls


def test_identity_metadata_grant_and_progress_wire(make: KratyOnRecording) -> None:
    ident = {"externalPlayerId": "p1", "displayIdentity": IDENTITY, "anonymizedIdentity": None}
    grant = {"id": "gr_9", "kind": "reward", "status": "claimed"}
    kraty, http = make(
        ok(ident),
        ok(ident),
        ok({"externalPlayerId": "p1", "metadata": {"a": 1}}),
        ok({"externalPlayerId": "p1", "metadata": {"a": 1, "b": 2}}),
        ok(grant),
        ok({"economyKey": "xp", "balance": 5, "applied": True, "derived": []}),
    )
    assert kraty.players.set_identity(name="Nova") is not None
    kraty.players.set_identity(name="Nova", avatar=None)
    assert kraty.players.set_metadata({"a": 1}) == {"a": 1}
    assert kraty.players.merge_metadata({"b": 2}) == {"a": 1, "b": 2}
    kraty.grants.grant(
        [RewardEntryPreview(type="item", item_key="potion", quantity=2)],
        metadata={"quest": "q1"},
        expires_at="2027-01-01T00:00:00Z",
    )
    kraty.wallet.progress("xp", amount=-5, reason="undo")
    calls = [(c.method, c.path, c.json) for c in http.calls]
    assert calls == [
        ("PUT", f"{BASE}/identity", {"name": "Nova", "idempotencyKey": "gen"}),
        ("PUT", f"{BASE}/identity", {"name": "Nova", "avatar": None, "idempotencyKey": "gen"}),
        ("PUT", f"{BASE}/metadata", {"a": 1, "idempotencyKey": "gen"}),
        ("PATCH", f"{BASE}/metadata", {"b": 2, "idempotencyKey": "gen"}),
        (
            "POST",
            f"{BASE}/grants",
            {
                "entries": [{"type": "item", "itemKey": "potion", "quantity": 2}],
                "kind": "reward",
                "expiresAt": "2027-01-01T00:00:00Z",
                "metadata": {"quest": "q1"},
                "idempotencyKey": "gen",
            },
        ),
        (
            "POST",
            f"{BASE}/wallet/xp/progress",
            {"amount": -5, "reason": "undo", "idempotencyKey": "gen"},
        ),
    ]


def test_inventory_live_parses_the_stream(make: KratyOnRecording) -> None:
    body = (
        b": connected\n\n"
        b'event: ready\ndata: {"externalPlayerId":"p1"}\n\n'
        b": hb\n\n"
        b'event: inventory_changed\r\ndata: {"itemKey":"potion","delta":2,"quantity":3,'
        b'"origin":"server"}\r\n\r\n'
        b"event: inventory_changed\ndata: {not json\n\n"
        b'event: season_reset\ndata: {"season":2}\n\n'
    )
    kraty, http = make(Scripted(200, body=body, headers={"content-type": "text/event-stream"}))
    stream = kraty.inventory.live()
    kinds: list[str] = []
    with pytest.raises(KratyStreamError, match="ended the stream"):
        for event in stream:
            kinds.append(event.kind)
    assert kinds == ["ready", "inventory_changed", "parse-error", "season_reset"]
    assert http.calls[0].path == f"{BASE}/inventory/stream"
    assert http.calls[0].headers["accept"] == "text/event-stream"
    assert http.calls[0].headers["x-player-secret"] == "kps_unit_secret"


# ------------------------------------------------------------------ server clock


class _Times:
    """A scripted monotonic clock and a fake transport answering ``/sdk/v1/time``."""

    def __init__(self, server_ms: int, readings: list[float]) -> None:
        self.server_ms = server_ms
        self.readings = readings

    def monotonic(self) -> float:
        return self.readings.pop(0)

    def request_decoded(self, method: str, path: str, decode: Any, **kw: Any) -> Any:
        assert (method, path) == ("GET", "/sdk/v1/time")
        return decode({"epochMs": self.server_ms, "iso": "", "timezone": "UTC"})


def test_server_clock_anchors_at_the_midpoint_of_the_round_trip() -> None:
    times = _Times(1_000_000, [10.0, 10.2, 10.5, 11.1])
    clock = ServerClock(times, monotonic=times.monotonic, wall=lambda: 900.0)  # type: ignore[arg-type]
    assert not clock.is_time_synced
    with pytest.raises(KratyError, match="sync_time"):
        clock.server_now()
    sync = clock.sync_time()
    assert sync.round_trip_ms == pytest.approx(200.0)
    assert sync.monotonic_anchor == pytest.approx(10.1)
    assert sync.offset_ms == pytest.approx(1_000_000 + 100 - 900_000)
    assert clock.server_now_ms() == 1_000_400  # 10.5 s is 0.4 s after the anchor
    assert clock.server_now().timestamp() == pytest.approx(1_001.0)  # 11.1 s: 1 s after
    synced: bool = clock.is_time_synced
    assert synced and clock.last_sync is sync
