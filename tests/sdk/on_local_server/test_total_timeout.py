"""``RetryConfig.total_timeout``: one call's time across all its attempts is bounded,
against a real server that accepts the connection and never answers."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from kraty_pygame.sdk import (
    Kraty,
    KratyApiError,
    KratyConfigError,
    KratyTimeoutError,
    RequestInfo,
    RetryConfig,
)
from kraty_pygame.sdk._constants import DEFAULT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT
from kraty_pygame.sdk.transport import KratyClient
from tests.support.http_server import Reply, ScriptedServer, json_reply

MakeClient = Callable[..., KratyClient]


def test_the_default_bound_is_twelve_seconds_over_ten_second_attempts() -> None:
    assert RetryConfig().total_timeout == DEFAULT_TOTAL_TIMEOUT == 12.0
    assert DEFAULT_TIMEOUT == 10.0  # so without the bound a call could take 4 x 10 s


@pytest.mark.slow
def test_a_server_that_never_answers_fails_a_default_call_in_about_twelve_seconds(
    server: ScriptedServer,
) -> None:
    server.set_script([Reply(action="hang")])
    infos: list[RequestInfo] = []
    kraty = Kraty("kr_test.client-demo", base_url=server.base_url, on_request=infos.append)
    try:
        started = time.monotonic()
        with pytest.raises(KratyTimeoutError, match=r"total_timeout=12s") as info:
            kraty.client.request("GET", "/sdk/v1/time")
        elapsed = time.monotonic() - started
    finally:
        kraty.close()
    assert 11.5 <= elapsed <= 13.5, elapsed
    assert len(infos) == 2  # 10 s, then the ~2 s that were left
    assert infos[1].duration_ms / 1000.0 <= 2.2
    assert info.value.outcome_unknown is False  # a GET never is


@pytest.mark.slow
def test_total_timeout_is_configurable(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([Reply(action="hang")])
    client = make_client(timeout=10.0, retry=RetryConfig(total_timeout=1.5, initial_delay=0.0))
    started = time.monotonic()
    with pytest.raises(KratyTimeoutError) as info:
        client.request("POST", "/sdk/v1/x", body={})
    assert 1.4 <= time.monotonic() - started <= 2.5
    assert info.value.outcome_unknown is True  # the write was sent and never answered
    assert info.value.idempotency_key is not None


@pytest.mark.slow
def test_none_lifts_the_bound(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([Reply(action="hang")])
    infos: list[RequestInfo] = []
    client = make_client(
        timeout=0.5,
        on_request=infos.append,
        retry=RetryConfig(attempts=3, initial_delay=0.0, total_timeout=None),
    )
    started = time.monotonic()
    with pytest.raises(KratyTimeoutError):
        client.request("GET", "/sdk/v1/x")
    assert len(infos) == 3
    assert time.monotonic() - started >= 1.4


def test_a_retry_after_beyond_the_budget_ends_the_call_with_the_answer(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    busy = json_reply(
        503, {"error": {"code": "service_unavailable", "message": "busy"}}, **{"retry-after": "3"}
    )
    server.set_script([busy])
    client = make_client(retry=RetryConfig(max_delay=5.0, total_timeout=2.0))
    started = time.monotonic()
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert info.value.status == 503
    assert time.monotonic() - started < 1.0  # no 3 s wait that could not fit
    assert len(server.requests) == 1


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "12", True])
def test_total_timeout_is_validated(bad: object) -> None:
    with pytest.raises(KratyConfigError, match="total_timeout"):
        RetryConfig(total_timeout=bad)  # type: ignore[arg-type]
