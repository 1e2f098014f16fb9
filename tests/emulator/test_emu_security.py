"""Hostile input against the emulator, over real HTTP: the control plane from foreign
pages, secrets through the request log, non-finite and out-of-range numbers, clock
moves the clock cannot make, deep JSON, and the rate limiter's buckets.

See the security table in ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.emulator.config.loader import ConfigError, load_config
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.emulator.settings import EmulatorSettings
from tests.support.emu_http import CLIENT_KEY, SERVER_KEY, RawClient
from tests.support.paths import REPO_ROOT
from tests.support.security_http import (
    address,
    exchange,
    http_request,
    serve,
    status_of,
    strict_json,
)

pytestmark = pytest.mark.emulator

MAX_INT = 2**53 - 1
DEMO_CONFIG = REPO_ROOT / "kraty_pygame/emulator/data/demo.toml"


@pytest.fixture
def server(emu: EmbeddedEmulator) -> Iterator[RawClient]:
    c = RawClient(emu.base_url, api_key=SERVER_KEY)
    yield c
    c.close()


def _host(emu: EmbeddedEmulator) -> str:
    host, port = address(emu.base_url)
    return f"{host}:{port}"


def _head(response: bytes) -> str:
    return response.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()


def _body(response: bytes) -> Any:
    return strict_json(response.split(b"\r\n\r\n", 1)[1])


# ---------------------------------------------------------------- 1. control plane origin


def test_control_plane_refuses_a_foreign_origin(emu: EmbeddedEmulator) -> None:
    host = _host(emu)
    evil = {"Origin": "http://evil.example"}
    read = exchange(emu.base_url, http_request("GET", "/_emulator/state", host, evil))
    assert status_of(read) == 403, read[:300]
    assert "access-control-allow-origin" not in _head(read)
    assert _body(read)["error"]["code"] == "forbidden"
    for origin in ("null", f"http://{host}.evil.example", "http://localhost:1"):
        reply = exchange(
            emu.base_url, http_request("GET", "/_emulator/requests", host, {"Origin": origin})
        )
        assert status_of(reply) == 403, (origin, reply[:200])
    cross_site = exchange(
        emu.base_url,
        http_request("GET", "/_emulator/state", host, {"Sec-Fetch-Site": "cross-site"}),
    )
    assert status_of(cross_site) == 403


def test_control_plane_refuses_foreign_preflight_and_reset(
    emu: EmbeddedEmulator, client: RawClient
) -> None:
    ext, _secret = client.register()
    host = _host(emu)
    preflight = exchange(
        emu.base_url,
        http_request(
            "OPTIONS",
            "/_emulator/reset",
            host,
            {
                "Origin": "http://evil.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        ),
    )
    assert status_of(preflight) == 403, preflight[:300]
    assert "access-control-allow" not in _head(preflight)
    # a "simple" cross-site POST (no preflight in a browser) must not reset anything
    reset = exchange(
        emu.base_url,
        http_request(
            "POST",
            "/_emulator/reset",
            host,
            {"Origin": "http://evil.example", "Content-Type": "text/plain"},
            b"{}",
        ),
    )
    assert status_of(reset) == 403
    players = [p["external_id"] for p in emu.state()["players"]]
    assert ext in players


def test_control_plane_refuses_a_rebound_host_name(emu: EmbeddedEmulator) -> None:
    _host_ip, port = address(emu.base_url)
    for name in (f"evil.example:{port}", "attacker.localhost", f"127.0.0.1.nip.io:{port}"):
        reply = exchange(emu.base_url, http_request("GET", "/_emulator/state", name))
        assert status_of(reply) == 403, (name, reply[:200])
    for name in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        reply = exchange(emu.base_url, http_request("GET", "/_emulator/health", name))
        assert status_of(reply) == 200, (name, reply[:200])


def test_same_origin_control_calls_still_work(emu: EmbeddedEmulator) -> None:
    host = _host(emu)
    own = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    reply = exchange(emu.base_url, http_request("GET", "/_emulator/state", host, own))
    assert status_of(reply) == 200
    assert "access-control-allow-origin" not in _head(reply)  # same origin needs no CORS
    assert emu.now() is not None  # EmulatorControl (no Origin) is unaffected


def test_the_bound_host_is_not_foreign() -> None:
    settings = EmulatorSettings(host="emu.lan.example", clock="manual", control_plane=True)
    with serve(settings) as base_url:
        _ip, port = address(base_url)
        own = exchange(
            base_url, http_request("GET", "/_emulator/health", f"emu.lan.example:{port}")
        )
        assert status_of(own) == 200, own[:200]
        origin = {"Origin": f"http://emu.lan.example:{port}"}
        same = exchange(
            base_url,
            http_request("GET", "/_emulator/state", f"emu.lan.example:{port}", origin),
        )
        assert status_of(same) == 200
        other = exchange(base_url, http_request("GET", "/_emulator/health", f"evil.example:{port}"))
        assert status_of(other) == 403
    with serve(EmulatorSettings(host="0.0.0.0", clock="manual", control_plane=True)) as base_url:
        _ip, port = address(base_url)
        lan = exchange(base_url, http_request("GET", "/_emulator/health", f"192.168.7.9:{port}"))
        assert status_of(lan) == 200  # bound to every interface: any address is this host
        named = exchange(base_url, http_request("GET", "/_emulator/health", f"evil.example:{port}"))
        assert status_of(named) == 403


def test_game_api_keeps_cors_for_browser_games(emu: EmbeddedEmulator) -> None:
    host = _host(emu)
    origin = "http://game.example"
    preflight = exchange(
        emu.base_url,
        http_request(
            "OPTIONS",
            "/sdk/v1/catalog",
            host,
            {
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, x-player-secret",
            },
        ),
    )
    assert status_of(preflight) == 200
    assert "access-control-allow-origin: *" in _head(preflight)
    read = exchange(
        emu.base_url,
        http_request(
            "GET",
            "/sdk/v1/catalog",
            host,
            {"Origin": origin, "Authorization": f"Bearer {CLIENT_KEY}"},
        ),
    )
    assert status_of(read) == 200
    assert "access-control-allow-origin: *" in _head(read)


# ---------------------------------------------------------------- 2. secrets via the log


def test_request_log_never_leads_to_a_secret(emu: EmbeddedEmulator, client: RawClient) -> None:
    ext = "kp_" + uuid.uuid4().hex
    key = "reg-" + uuid.uuid4().hex
    path = f"/sdk/v1/players/{ext}/register"
    first = client.request("POST", path, {"idempotencyKey": key})
    assert first.status == 201
    secret = first.data["secret"]
    listing = client.get("/_emulator/requests?limit=20")
    assert listing.status == 200
    assert key not in listing.raw.decode() and secret not in listing.raw.decode()
    entry = next(e for e in listing.data if e["path"] == path)
    shown = entry["idempotencyKey"]
    assert shown != key and entry["body"]["idempotencyKey"] == shown
    # replaying with what the log shows does not hand out the secret
    replay = client.request("POST", path, {"idempotencyKey": shown})
    assert replay.status == 409 and secret not in replay.raw.decode()
    # the SDK's own retry (same key) still gets the same secret back
    retry = client.request("POST", path, {"idempotencyKey": key})
    assert (retry.status, retry.data["secret"]) == (201, secret)
    after = client.get("/_emulator/requests?limit=50").raw.decode()
    assert key not in after and secret not in after


def test_rotate_idempotency_key_is_hidden_too(
    emu: EmbeddedEmulator, client: RawClient, server: RawClient
) -> None:
    ext, _ = client.register()
    key = "rot-" + uuid.uuid4().hex
    rotated = server.request(
        "POST", f"/server/v1/players/{ext}/secret/rotate", {"idempotencyKey": key}
    )
    assert rotated.status == 200, rotated.body
    log = client.get("/_emulator/requests?limit=5").raw.decode()
    assert key not in log and rotated.data["secret"] not in log


def test_stored_register_replies_hold_no_plain_secret(tmp_path: Path) -> None:
    db = tmp_path / "emu.sqlite3"
    with EmbeddedEmulator(db=db, clock="manual") as emu:
        client = RawClient(emu.base_url)
        ext, secret = client.register()
        client.close()
    with sqlite3.connect(db) as conn:
        bodies = [bytes(row[0]) for row in conn.execute("SELECT body FROM idempotency")]
        hashes = [row[0] for row in conn.execute("SELECT secret_hash FROM players")]
    conn.close()
    assert bodies and hashes
    assert not any(secret.encode() in body for body in bodies)
    assert not any(ext.encode() in body for body in bodies)  # the whole reply is sealed


# ---------------------------------------------------------------- 3. non-finite numbers


def _attempt(client: RawClient, event: str = "daily_duel") -> tuple[str, str, str, str]:
    ext, secret = client.register()
    started = client.post(f"/sdk/v1/players/{ext}/events/{event}/start", secret=secret)
    assert started.status == 201, started.body
    attempt = started.data["attempt"]
    return ext, secret, attempt["id"], attempt["leaderboardId"]


def _progress(client: RawClient, ext: str, secret: str, att: str, raw: bytes) -> Any:
    return client.request(
        "POST",
        f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{att}/progress",
        raw_body=raw,
        secret=secret,
    )


@pytest.mark.parametrize(
    "fields",
    [
        '"metricValue": NaN',
        '"metricValue": Infinity',
        '"metricValue": -Infinity',
        '"metricValue": 1e999',
        '"metricValue": -1e400',
        '"metrics": {"points": NaN}',
    ],
    ids=str,
)
def test_non_finite_numbers_are_refused(client: RawClient, fields: str) -> None:
    ext, secret, att, _board = _attempt(client)
    body = f'{{"mode": "set", {fields}, "idempotencyKey": "{uuid.uuid4().hex}"}}'
    reply = _progress(client, ext, secret, att, body.encode())
    assert (reply.status, reply.code) == (400, "validation_failed"), reply.raw[:300]
    strict_json(reply.raw)
    attempt = client.get("/_emulator/state").data["attempts"]
    assert next(a for a in attempt if a["id"] == att)["score"] == 0


def test_overflowing_score_is_refused_and_boards_stay_valid_json(
    emu: EmbeddedEmulator, client: RawClient
) -> None:
    ext, secret, att, board = _attempt(client)
    first = client.post(
        f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{att}/progress",
        {"mode": "increment", "metricValue": 1e308},
        secret=secret,
    )
    assert first.status == 200, first.body
    second = client.post(
        f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{att}/progress",
        {"mode": "increment", "metricValue": 1e308},
        secret=secret,
    )
    assert (second.status, second.code) == (400, "validation_failed")
    snapshot = client.get(f"/sdk/v1/event-leaderboards/{board}")
    assert snapshot.status == 200
    score = strict_json(snapshot.raw)["data"]["entries"][0]["score"]
    assert isinstance(score, float) and score == 1e308  # not 309 digits no SDK can hold
    finalized = client.post("/_emulator/events/daily_duel/finalize")
    assert finalized.status == 200
    strict_json(finalized.raw)


def test_database_with_stored_infinities_opens_and_serves_valid_json(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with EmbeddedEmulator(db=db, clock="manual") as emu:
        client = RawClient(emu.base_url)
        ext, secret, att, board = _attempt(client)
        reply = client.post(
            f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{att}/progress",
            {"mode": "set", "metricValue": 5},
            secret=secret,
        )
        assert reply.status == 200
        client.close()
    # what an older emulator could leave behind: +Infinity scores, NaN/-Infinity metrics
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE attempts SET score = 1e999, metrics = ?, metrics_raw = ?",
            ('{"points": Infinity}', '{"points": NaN, "other": -Infinity}'),
        )
        conn.execute(
            "UPDATE eb_entries SET score = 1e999 WHERE participant_id = "
            "(SELECT id FROM players WHERE external_id = ?)",
            (ext,),
        )
        conn.execute("UPDATE eb_attempt_scores SET score = -1e999")
        assert conn.execute("SELECT count(*) FROM eb_entries WHERE score > 1e308").fetchone()[0]
    conn.close()
    with EmbeddedEmulator(db=db, clock="manual") as emu:
        client = RawClient(emu.base_url)
        snapshot = client.get(f"/sdk/v1/event-leaderboards/{board}")
        assert snapshot.status == 200
        top = strict_json(snapshot.raw)["data"]["entries"][0]
        assert top["kind"] == "player" and top["score"] > 1e300  # still the leader
        state = client.get("/_emulator/state")
        assert state.status == 200
        attempt = next(a for a in strict_json(state.raw)["data"]["attempts"] if a["id"] == att)
        assert attempt["metrics_raw"] == {"points": None, "other": -1.7976931348623157e308}
        finalized = client.post("/_emulator/events/daily_duel/finalize")
        assert finalized.status == 200
        strict_json(finalized.raw)
        client.close()


# ---------------------------------------------------------------- 4. ledger range


def test_integers_past_the_ledger_are_refused(client: RawClient, server: RawClient) -> None:
    ext, secret = client.register()
    base = f"/server/v1/players/{ext}"
    for amount in (2**63, 2**62, MAX_INT + 1, -(2**63)):
        reply = server.post(f"{base}/wallet/gold/credit", {"amount": amount})
        assert (reply.status, reply.code) == (400, "validation_failed"), (amount, reply.body)
    item = server.post(f"{base}/inventory/health_potion/grant", {"quantity": 2**63})
    assert (item.status, item.code) == (400, "validation_failed")
    xp = client.post(f"/sdk/v1/players/{ext}/wallet/xp/progress", {"amount": 2**63}, secret=secret)
    assert (xp.status, xp.code) == (400, "validation_failed")
    state = client.get(f"/sdk/v1/players/{ext}/wallet", secret=secret)
    assert state.status == 200
    assert all(row["balance"] < 10**6 for row in state.data["wallet"])


def test_sums_past_the_ledger_are_refused(client: RawClient, server: RawClient) -> None:
    ext, secret = client.register()
    base = f"/server/v1/players/{ext}"
    before = server.get(base).data
    gold = next(w["balance"] for w in before["wallet"] if w["economyKey"] == "gold")
    top = server.post(f"{base}/wallet/gold/credit", {"amount": MAX_INT - gold})
    assert top.status == 200 and top.data["balance"] == MAX_INT
    over = server.post(f"{base}/wallet/gold/credit", {"amount": 1})
    assert (over.status, over.code) == (400, "validation_failed")
    items = server.post(f"{base}/inventory/health_potion/grant", {"quantity": MAX_INT})
    assert items.status == 200 or items.code == "validation_failed"
    more = server.post(f"{base}/inventory/health_potion/grant", {"quantity": MAX_INT})
    assert (more.status, more.code) == (400, "validation_failed")
    xp1 = client.post(
        f"/sdk/v1/players/{ext}/wallet/xp/progress", {"amount": MAX_INT - 5}, secret=secret
    )
    assert xp1.status == 200, xp1.body
    xp2 = client.post(
        f"/sdk/v1/players/{ext}/wallet/xp/progress", {"amount": MAX_INT}, secret=secret
    )
    assert (xp2.status, xp2.code) == (400, "validation_failed")
    after = server.get(base).data
    assert next(w["balance"] for w in after["wallet"] if w["economyKey"] == "gold") == MAX_INT


def test_server_grants_that_could_never_be_paid_are_refused(
    client: RawClient, server: RawClient
) -> None:
    ext, secret = client.register()
    base = f"/server/v1/players/{ext}/grants"
    huge = server.post(
        base, {"entries": [{"type": "currency", "currencyKey": "gold", "amount": 2**63}]}
    )
    assert (huge.status, huge.code) == (400, "validation_failed")
    split = server.post(
        base,
        {
            "entries": [
                {"type": "currency", "currencyKey": "gold", "amount": MAX_INT},
                {"type": "currency", "currencyKey": "gold", "amount": MAX_INT},
            ]
        },
    )
    assert (split.status, split.code) == (400, "validation_failed")
    crates = server.post(
        base,
        {
            "kind": "crate",
            "entries": [{"type": "crate", "crateItemKey": "crate_gold", "quantity": MAX_INT}],
        },
    )
    assert (crates.status, crates.code) == (400, "validation_failed")
    pending = client.get(f"/sdk/v1/players/{ext}/pending-grants", secret=secret)
    assert pending.status == 200
    for grant in pending.data:  # whatever is pending can be claimed
        claimed = client.post(f"/sdk/v1/players/{ext}/grants/{grant['id']}/claim", secret=secret)
        assert claimed.status == 200, claimed.body


# ---------------------------------------------------------------- 5. clock control


@pytest.mark.parametrize(
    "body",
    [
        b'{"set": "9999-12-31T23:59:59Z"}',
        b'{"set": "9999-12-31T23:59:59-14:00"}',
        b'{"set": "0001-01-01T00:00:00+14:00"}',
        b'{"set": "1900-01-01T00:00:00Z"}',
        b'{"advance_s": 1e308}',
        b'{"advance_s": NaN}',
        b'{"advance_s": -1e308}',
        b'{"advance_s": 315576000000}',
        b'{"advance_s": -220000000000}',
    ],
    ids=lambda b: b.decode(),
)
def test_clock_refuses_times_it_cannot_reach(
    emu: EmbeddedEmulator, client: RawClient, body: bytes
) -> None:
    before = emu.now()
    reply = client.request("POST", "/_emulator/clock", raw_body=body)
    assert (reply.status, reply.code) == (400, "validation_failed"), reply.raw[:300]
    assert emu.now() == before
    assert client.get("/_emulator/health").status == 200
    assert client.get("/sdk/v1/catalog").status == 200


def test_clock_reaches_the_edge_of_its_range_and_keeps_serving(
    emu: EmbeddedEmulator, client: RawClient
) -> None:
    ext, secret = client.register()
    moved = client.request("POST", "/_emulator/clock", {"set": "8999-12-31T00:00:00Z"})
    assert moved.status == 200, moved.body
    assert client.get(f"/sdk/v1/players/{ext}/events").status == 200
    assert client.get(f"/sdk/v1/players/{ext}/pending-grants", secret=secret).status == 200
    assert client.get("/_emulator/state").status == 200


def test_a_config_start_time_the_clock_cannot_reach_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "far.toml"
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    path.write_text(
        text.replace("[emulator]\n", '[emulator]\nstart_time = "9999-12-31T23:59:59Z"\n', 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="start_time"):
        load_config(path)


# ---------------------------------------------------------------- 6. deep JSON


def test_deep_json_cannot_break_the_request_log(client: RawClient) -> None:
    for body in (b"[" * 50000, b"[" * 5000 + b"]" * 5000, b'{"a":' * 900 + b"1" + b"}" * 900):
        reply = client.request("POST", "/nope", raw_body=body, key=None)
        assert reply.status in (400, 404), reply.raw[:200]
        listing = client.get("/_emulator/requests?limit=5")
        assert listing.status == 200
        strict_json(listing.raw)


def test_deep_json_is_refused_at_the_edge(client: RawClient) -> None:
    ext, secret = client.register()
    deep: Any = 1
    for _ in range(100):
        deep = {"k": deep}
    reply = client.request("PUT", f"/sdk/v1/players/{ext}/metadata", {"deep": deep}, secret=secret)
    assert (reply.status, reply.code) == (400, "validation_failed")
    shallow: Any = 1
    for _ in range(30):
        shallow = {"k": shallow}
    ok = client.request("PUT", f"/sdk/v1/players/{ext}/metadata", {"deep": shallow}, secret=secret)
    assert ok.status == 200, ok.body


# ---------------------------------------------------------------- 9. rate limiter


def _rate_limited_config(tmp_path: Path, per_minute: int) -> Path:
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert "rate_limit_per_minute = 0" in text
    path = tmp_path / "limited.toml"
    path.write_text(
        text.replace("rate_limit_per_minute = 0", f"rate_limit_per_minute = {per_minute}"),
        encoding="utf-8",
    )
    return path


def test_rate_limit_keys_the_bucket_on_the_parsed_key(tmp_path: Path) -> None:
    with EmbeddedEmulator(_rate_limited_config(tmp_path, 4), clock="manual") as emu:
        client = RawClient(emu.base_url, api_key=None)
        spellings = [
            f"Bearer {CLIENT_KEY}",
            f"bearer {CLIENT_KEY}",
            f"BEARER  {CLIENT_KEY}",
            f"  Bearer {CLIENT_KEY}  ",
            f"bearer   {CLIENT_KEY}",
        ]
        statuses = [
            client.get("/sdk/v1/catalog", headers={"authorization": s}).status for s in spellings
        ]
        assert statuses[:4] == [200, 200, 200, 200]
        assert statuses[4] == 429
        # another configured key has its own bucket
        other = client.get(
            "/sdk/v1/catalog", headers={"authorization": "Bearer kr_live.client-demo"}
        )
        assert other.status == 200
        client.close()


@pytest.mark.slow
def test_rate_limit_memory_is_bounded_for_unknown_tokens(tmp_path: Path) -> None:
    with EmbeddedEmulator(_rate_limited_config(tmp_path, 5), clock="manual") as emu:
        client = RawClient(emu.base_url, api_key=None)
        junk = [
            client.get("/sdk/v1/catalog", headers={"authorization": f"Bearer junk-{i}"}).status
            for i in range(8)
        ]
        assert junk[:5] == [401] * 5 and junk[5:] == [429] * 3  # one shared bucket
        assert client.get("/sdk/v1/catalog", key=CLIENT_KEY).status == 200  # not starved
        for i in range(300):  # warm up: the request log is full from here on
            client.get("/sdk/v1/catalog", headers={"authorization": f"Bearer warm-{i}"})
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            for i in range(1500):
                client.get(
                    "/sdk/v1/catalog", headers={"authorization": f"Bearer {uuid.uuid4()}-{i}"}
                )
            end, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        client.close()
    growth = end - start
    print(f"memory growth over 1,500 unknown tokens: {growth / 1024:.0f} KiB")
    assert growth < 1024 * 1024, growth


def test_json_dump_helper_is_strict() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        strict_json(json.dumps({"x": float("inf")}))
