"""``kraty.grants`` over a recording transport: list, claim, open, and collect_all (crates
first, failures recorded, the sweep goes on)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from kraty_pygame.sdk import KratyApiError, RetryConfig
from tests.support.recording import (
    KratyOnRecording,
    Recorded,
    Scripted,
    err,
    ok,
)

PLAYER = "/sdk/v1/players/p1"


def grant(grant_id: str, kind: str = "reward", status: str = "pending") -> dict[str, Any]:
    return {
        "id": grant_id,
        "kind": kind,
        "status": status,
        "contents": {"entries": [{"type": "currency", "currencyKey": "gold", "amount": 5}]},
        "sourceKind": "event_milestone",
        "createdAt": "2026-06-16T09:05:00.000Z",
    }


def opened(crate_id: str) -> dict[str, Any]:
    return {
        "crate": grant(crate_id, "crate", "claimed"),
        "contents": {**grant(crate_id + "r"), "sourceKind": "crate", "parentGrantId": crate_id},
    }


@pytest.fixture
def make(make: KratyOnRecording) -> KratyOnRecording:
    """Two tries a call, and idempotency keys of the default form."""
    retry = RetryConfig(attempts=2, initial_delay=0.0, max_delay=0.0)
    return functools.partial(make, retry=retry, generate_idempotency_key=None)


def test_list_pending_with_and_without_limit(make: KratyOnRecording) -> None:
    kraty, http = make(ok([grant("gr_1"), grant("gr_2", "crate")]), ok([]))
    pending = kraty.grants.list_pending()
    assert [(g.id, g.is_crate) for g in pending] == [("gr_1", False), ("gr_2", True)]
    kraty.grants.list_pending(limit=10)
    assert [c.path for c in http.calls] == [
        f"{PLAYER}/pending-grants",
        f"{PLAYER}/pending-grants?limit=10",
    ]
    assert all(c.method == "GET" and c.body is None for c in http.calls)


def test_claim_and_open_paths_and_bodies(make: KratyOnRecording) -> None:
    kraty, http = make(ok(grant("gr_1", status="claimed")), ok(opened("gr_2")))
    claimed = kraty.grants.claim("gr_1", idempotency_key="claim-1")
    result = kraty.grants.open("gr_2")
    assert claimed.status == "claimed"
    assert result.crate.id == "gr_2" and result.contents.parent_grant_id == "gr_2"
    assert [(c.method, c.path) for c in http.calls] == [
        ("POST", f"{PLAYER}/grants/gr_1/claim"),
        ("POST", f"{PLAYER}/crates/gr_2/open"),
    ]
    assert http.calls[0].json == {"idempotencyKey": "claim-1"}
    assert set(http.calls[1].json) == {"idempotencyKey"}


def _route(
    pending: list[dict[str, Any]], fail: frozenset[str] = frozenset()
) -> Callable[[Recorded], Scripted]:
    def respond(call: Recorded) -> Scripted:
        if call.path.endswith("/pending-grants"):
            return ok(pending)
        grant_id = call.path.split("/")[-2]
        if grant_id in fail:
            return err(404, "not_found", f"{grant_id} expired")
        if call.path.endswith("/open"):
            return ok(opened(grant_id))
        return ok(grant(grant_id, status="claimed"))

    return respond


def test_collect_all_reward_crate_reward(make: KratyOnRecording) -> None:
    """One open + two claims, processed == 3, no failures; crates go first."""
    pending = [grant("gr_1"), grant("gr_2", "crate"), grant("gr_3")]
    kraty, http = make(responder=_route(pending))
    result = kraty.grants.collect_all()
    assert result.processed == 3
    assert [o.crate.id for o in result.opened] == ["gr_2"]
    assert [g.id for g in result.claimed] == ["gr_1", "gr_3"]
    assert result.failures == [] and not result.has_failures
    assert [c.path for c in http.calls] == [
        f"{PLAYER}/pending-grants",
        f"{PLAYER}/crates/gr_2/open",
        f"{PLAYER}/grants/gr_1/claim",
        f"{PLAYER}/grants/gr_3/claim",
    ]
    keys = [c.json["idempotencyKey"] for c in http.calls[1:]]
    assert len(set(keys)) == 3  # one key per write


def test_collect_all_records_a_failure_and_continues(make: KratyOnRecording) -> None:
    """A 404 on one claim is recorded; the sweep goes on."""
    pending = [grant("gr_1"), grant("gr_2"), grant("gr_3", "crate")]
    kraty, http = make(responder=_route(pending, fail=frozenset({"gr_1"})))
    result = kraty.grants.collect_all()
    assert result.processed == 3
    assert result.has_failures and len(result.failures) == 1
    failure = result.failures[0]
    assert failure.grant.id == "gr_1"
    assert isinstance(failure.error, KratyApiError) and failure.error.is_not_found
    assert [g.id for g in result.claimed] == ["gr_2"]
    assert [o.crate.id for o in result.opened] == ["gr_3"]
    assert len(http.calls) == 4


def test_collect_all_network_failure_of_one_grant_is_recorded(make: KratyOnRecording) -> None:
    pending = [grant("gr_1"), grant("gr_2")]

    def respond(call: Recorded) -> Scripted:
        if call.path.endswith("/pending-grants"):
            return ok(pending)
        if "/gr_1/" in call.path:
            return Scripted(error=ConnectionError("reset"))
        return ok(grant("gr_2", status="claimed"))

    kraty, _http = make(responder=respond)
    result = kraty.grants.collect_all()
    assert [f.grant.id for f in result.failures] == ["gr_1"]
    assert [g.id for g in result.claimed] == ["gr_2"]


def test_collect_all_listing_failure_propagates(make: KratyOnRecording) -> None:
    kraty, http = make(err(401, "player_secret_invalid", "bad secret"))
    with pytest.raises(KratyApiError) as info:
        kraty.grants.collect_all()
    assert info.value.is_player_secret_invalid and len(http.calls) == 1


def test_collect_all_on_nothing_pending(make: KratyOnRecording) -> None:
    kraty, http = make(ok([]))
    result = kraty.grants.collect_all(as_="other")
    assert result.processed == 0 and not result.has_failures
    assert http.calls[0].path == "/sdk/v1/players/other/pending-grants"
