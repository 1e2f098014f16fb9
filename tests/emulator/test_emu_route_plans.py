"""Routes served through their compiled plans answer exactly like FastAPI does."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kraty_pygame.emulator import app as app_module
from kraty_pygame.emulator.dispatch import RouteTable
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import SERVER_KEY, RawClient, Reply

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[RawClient, RawClient]]:
    """Two emulators from the same seed: one with route plans, one without."""
    with EmbeddedEmulator(clock="manual", rng_seed=7) as fast:
        slow = EmbeddedEmulator(clock="manual", rng_seed=7)
        slow.settings = dataclasses.replace(slow.settings, route_plans=False)
        with slow:
            a, b = RawClient(fast.base_url), RawClient(slow.base_url)
            yield a, b
            a.close()
            b.close()


def _both(pair: tuple[RawClient, RawClient], call: Any) -> tuple[Reply, Reply]:
    return call(pair[0]), call(pair[1])


def _same(one: Reply, other: Reply) -> None:
    assert one.status == other.status
    assert one.body == other.body
    assert one.headers.get("content-type") == other.headers.get("content-type")


def _masked(reply: Reply) -> Any:
    """The body with timestamps removed (the two servers' clocks agree to the second)."""
    body = reply.body
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        for row in body["data"].get("wallet", []):
            row.pop("createdAt", None)
            row.pop("updatedAt", None)
    return body


def test_wallet_reads_answer_alike(pair: tuple[RawClient, RawClient]) -> None:
    ext = "kp_" + uuid.uuid4().hex
    fast_secret = pair[0].register(ext)[1]
    slow_secret = pair[1].register(ext)[1]
    path = f"/sdk/v1/players/{ext}/wallet"
    fast, slow = pair[0].get(path, secret=fast_secret), pair[1].get(path, secret=slow_secret)
    assert fast.status == slow.status == 200
    assert _masked(fast) == _masked(slow)
    assert fast.data["wallet"], "the seeded wallet is not empty"
    cases: list[dict[str, Any]] = [
        {"secret": "wrong"},  # 401 player_secret_invalid
        {"key": None},  # 401 unauthenticated
        {"key": "kr_test.nope"},  # 401 session_invalid
        {"key": None, "headers": {"authorization": "Basic abc"}},
    ]
    for kwargs in cases:
        one, other = _both(pair, lambda c, kw=kwargs: c.get(path, **kw))
        assert one.status >= 400
        _same(one, other)
    unknown = f"/sdk/v1/players/kp_{uuid.uuid4().hex}/wallet"
    _same(*_both(pair, lambda c: c.get(unknown, secret="x")))


def test_server_credits_answer_alike(pair: tuple[RawClient, RawClient]) -> None:
    ext = "kp_" + uuid.uuid4().hex
    pair[0].register(ext)
    pair[1].register(ext)
    server = {"key": SERVER_KEY}
    path = f"/server/v1/players/{ext}/wallet/gold/credit"
    key = uuid.uuid4().hex
    bodies: list[Any] = [
        {"amount": 5, "idempotencyKey": key},  # applied
        {"amount": 5, "idempotencyKey": key},  # replayed: applied false
        {"amount": 6, "idempotencyKey": key},  # 409 idempotency_conflict
        {"amount": 0, "idempotencyKey": uuid.uuid4().hex},  # 400 (model)
        {"amount": "5", "idempotencyKey": uuid.uuid4().hex},  # 400 (strict types)
        {"amount": 5, "idempotencyKey": ""},  # 400 (empty key)
        [1, 2],  # 400 (not an object)
        {"amount": 5},  # no key: applied each time
        {"amount": 5, "reason": "r", "sourceRefId": "s", "extra": 1, "idempotencyKey": "k"},
    ]
    for body in bodies:
        _same(*_both(pair, lambda c, b=body: c.request("POST", path, b, **server)))
    for raw, headers in [
        (b"{not json", {}),
        (b'{"amount": 5}', {"content-type": "text/plain"}),
        (b"", {}),
    ]:
        _same(
            *_both(
                pair,
                lambda c, r=raw, h=headers: c.request(
                    "POST", path, raw_body=r, headers=h, **server
                ),
            )
        )
    for kwargs in [{"key": None}, {"key": "kr_test.client-demo"}]:
        one, other = _both(pair, lambda c, kw=kwargs: c.request("POST", path, {"amount": 1}, **kw))
        assert one.status in (401, 403)
        _same(one, other)
    _same(
        *_both(
            pair, lambda c: c.request("POST", path.replace("gold", "nope"), {"amount": 1}, **server)
        )
    )
    _same(
        *_both(
            pair,
            lambda c: c.request("POST", path.replace(ext, "kp_missing"), {"amount": 1}, **server),
        )
    )
    debit = path.replace("credit", "debit")
    _same(*_both(pair, lambda c: c.request("POST", debit, {"amount": 10**9}, **server)))
    _same(*_both(pair, lambda c: c.request("POST", debit, {"amount": 3}, **server)))


def test_register_and_reads_with_queries_answer_alike(pair: tuple[RawClient, RawClient]) -> None:
    ext = "kp_" + uuid.uuid4().hex
    first = _both(pair, lambda c: c.request("POST", f"/sdk/v1/players/{ext}/register"))
    assert first[0].status == first[1].status == 201
    assert set(first[0].data) == set(first[1].data)
    again = _both(pair, lambda c: c.request("POST", f"/sdk/v1/players/{ext}/register", {}))
    _same(*again)
    for query in ("", "?force=true", "?force=maybe"):
        one, other = _both(
            pair,
            lambda c, q=query: c.request("POST", f"/sdk/v1/players/{ext}/register{q}", {}),
        )
        assert one.status == other.status
        assert (one.code if one.status >= 400 else None) == (
            other.code if other.status >= 400 else None
        )
    _same(*_both(pair, lambda c: c.get("/sdk/v1/catalog")))
    _same(*_both(pair, lambda c: c.get("/sdk/v1/no/such/route")))
    _same(*_both(pair, lambda c: c.request("DELETE", "/sdk/v1/catalog")))
    bad = _both(pair, lambda c: c.get("/_emulator/requests?limit=oops"))
    assert bad[0].status == bad[1].status == 400
    assert bad[0].code == bad[1].code


def test_the_hot_routes_have_plans() -> None:
    """Wallet reads and server balance changes run through plans (what the benchmark
    measures), and most routes have one."""
    table = RouteTable([r for router in app_module.ROUTERS for r in router.routes], {})
    assert table.covers("GET", "/sdk/v1/players/kp_1/wallet")
    assert table.covers("POST", "/server/v1/players/kp_1/wallet/gold/credit")
    assert table.covers("POST", "/sdk/v1/players/kp_1/wallet/gold/debit")
    assert not table.covers("GET", "/sdk/v1/no/such/route")
    assert table.planned >= 60
