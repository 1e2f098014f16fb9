"""Transport logic against a recording requests adapter (no sockets)."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from typing import Any

import pytest
import requests
import urllib3.exceptions

from kraty_pygame.sdk import _constants as C
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyErrorCode,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
)
from kraty_pygame.sdk.http.calls import (
    CallScope,
    CancelToken,
    delay_before_retry,
    parse_retry_after,
    status_is_retryable,
)
from kraty_pygame.sdk.options import RequestInfo, RetryConfig
from kraty_pygame.sdk.transport import KratyClient, build_query, encode_segment
from tests.support.recording import RecordingAdapter, Scripted, err, ok, recording_session

FAST = RetryConfig(initial_delay=0, max_delay=0, jitter=0)


def make(
    script: list[Scripted] | None = None, **kwargs: Any
) -> tuple[KratyClient, RecordingAdapter]:
    session, adapter = recording_session(script or [])
    kwargs.setdefault("retry", FAST)
    client = KratyClient("kr_test.abc", base_url="https://api.test", session=session, **kwargs)
    return client, adapter


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff sleeps instead of sleeping."""
    seen: list[float] = []

    def fake_sleep(self: CallScope, seconds: float) -> bool:
        seen.append(seconds)
        return self.reason is None

    monkeypatch.setattr(CallScope, "sleep", fake_sleep)
    return seen


# --------------------------------------------------------------------------- headers, keys


def test_auth_sdk_and_accept_headers_on_every_call() -> None:
    client, adapter = make([ok({})])
    client.request("GET", "/sdk/v1/catalog")
    client.request("POST", "/sdk/v1/x", body={"a": 1})
    for call in adapter.calls:
        assert call.headers["authorization"] == "Bearer kr_test.abc"
        assert call.headers["x-kraty-sdk"] == C.SDK_HEADER_VALUE
        assert call.headers["x-kraty-sdk"].startswith("kraty-python/")
        assert call.headers["accept"] == "application/json"
    assert "content-type" not in adapter.calls[0].headers
    assert adapter.calls[1].headers["content-type"] == "application/json"


def test_post_without_key_gets_generated_key() -> None:
    keys = iter(["key-1", "key-2", "key-3"])
    client, adapter = make([ok({})], generate_idempotency_key=lambda: next(keys))
    client.request("POST", "/sdk/v1/x", body={"a": 1})
    client.request("PUT", "/sdk/v1/y")
    client.request("PATCH", "/sdk/v1/z", body={})
    assert adapter.calls[0].json == {"a": 1, "idempotencyKey": "key-1"}
    assert adapter.calls[1].json == {"idempotencyKey": "key-2"}
    assert "idempotencyKey" in adapter.calls[2].json


def test_get_and_delete_have_no_body_and_no_key() -> None:
    client, adapter = make([ok({})])
    client.request("GET", "/sdk/v1/x")
    client.request("DELETE", "/sdk/v1/x")
    assert adapter.calls[0].body is None
    assert adapter.calls[1].body is None


def test_caller_key_in_body_wins_and_generator_not_called() -> None:
    def boom() -> str:
        raise AssertionError("generator must not be called")

    client, adapter = make([ok({})], generate_idempotency_key=boom)
    client.request("POST", "/sdk/v1/x", body={"idempotencyKey": "mine"})
    client.request("POST", "/sdk/v1/x", idempotency_key="override")
    assert adapter.calls[0].json == {"idempotencyKey": "mine"}
    assert adapter.calls[1].json == {"idempotencyKey": "override"}


def test_caller_body_is_not_mutated() -> None:
    client, _adapter = make([ok({})])
    body = {"a": 1}
    client.request("POST", "/sdk/v1/x", body=body)
    assert body == {"a": 1}


def test_player_secret_header_present_only_when_known() -> None:
    client, adapter = make([ok({})])
    secret: list[str | None] = [None]
    client.bind_identity(lambda: secret[0])
    client.request("GET", "/sdk/v1/x")
    secret[0] = ""
    client.request("GET", "/sdk/v1/x")
    secret[0] = "kps_known"
    client.request("GET", "/sdk/v1/x")
    assert "x-player-secret" not in adapter.calls[0].headers
    assert "x-player-secret" not in adapter.calls[1].headers
    assert adapter.calls[2].headers["x-player-secret"] == "kps_known"


def test_tls_verification_is_requested_and_redirects_are_not_followed() -> None:
    session, adapter = recording_session([ok({})])
    session.verify = False  # even a session that turned it off
    client = KratyClient("kr_test.abc", base_url="https://api.test", session=session)
    client.request("GET", "/sdk/v1/x")
    verify = adapter.calls[0].kwargs["verify"]
    assert verify is True or isinstance(verify, str)  # True, or the env's CA bundle path
    assert adapter.calls[0].kwargs["stream"] is True


# --------------------------------------------------------------------------- envelopes


def test_data_is_unwrapped_and_empty_body_is_none() -> None:
    client, _ = make([ok([1, 2]), Scripted(204), Scripted(200, body=b"  ")])
    assert client.request_data("GET", "/sdk/v1/x") == [1, 2]
    assert client.request_data("GET", "/sdk/v1/x") is None
    assert client.request("GET", "/sdk/v1/x") == {}


def test_error_envelope_becomes_api_error() -> None:
    client, adapter = make([err(402, "insufficient_entry_cost", "need 50", {"needed": 50})])
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/x")
    error = info.value
    assert (error.status, error.code, error.message) == (402, "insufficient_entry_cost", "need 50")
    assert error.details == {"needed": 50}
    assert error.code is KratyErrorCode.INSUFFICIENT_ENTRY_COST
    assert error.is_insufficient_entry_cost
    assert str(error) == "KratyApiError [402] insufficient_entry_cost: need 50"
    assert len(adapter.calls) == 1


def test_unknown_code_stays_a_plain_string() -> None:
    client, _ = make([err(418, "brand_new_code")])
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert info.value.code == "brand_new_code"
    assert type(info.value.code) is str
    assert info.value.is_code("brand_new_code")


def test_lobby_forming_202_is_an_error_and_not_retried() -> None:
    client, adapter = make([err(202, "lobby_forming", "filling", {"lobbyId": "lob_1"})])
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/players/p/events/e/start")
    assert info.value.status == 202
    assert info.value.is_lobby_forming
    assert info.value.details == {"lobbyId": "lob_1"}
    assert len(adapter.calls) == 1


def test_envelope_less_non_2xx_is_internal_error() -> None:
    client, _ = make([Scripted(404, body=b"<html>nope</html>")])
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert info.value.status == 404
    assert info.value.code == "internal_error"
    assert "status=404" in info.value.message


MALFORMED_2XX: list[tuple[str, bytes]] = [
    ("html page", b"<html><body>hello</body></html>"),
    ("truncated json", b'{"data": {"a": 1'),
    ("top-level array", b"[1, 2, 3]"),
    ("top-level string", b'"ok"'),
    ("top-level number", b"42"),
    ("json null", b"null"),
    ("missing data member", b'{"result": 1}'),
    ("error member not an object", b'{"error": "boom"}'),
    ("error with empty code", b'{"error": {"code": "", "message": "x"}}'),
    ("error with numeric code", b'{"error": {"code": 7}}'),
    ("invalid utf-8", b'{"data": "\xff\xfe"}'),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000),
    ("trailing garbage", b'{"data": 1} trailing'),
]


@pytest.mark.parametrize(("name", "body"), MALFORMED_2XX, ids=[m[0] for m in MALFORMED_2XX])
@pytest.mark.parametrize("status", [200, 201])
def test_malformed_2xx_bodies_raise_protocol_error_with_status(
    name: str, body: bytes, status: int
) -> None:
    client, adapter = make([Scripted(status, body=body)])
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("GET", "/sdk/v1/x")
    assert info.value.status == status
    assert info.value.code == "internal_error"
    assert info.value.is_internal_error
    assert len(adapter.calls) == 1, "a protocol error is never retried"
    assert info.value.__cause__ is None or not isinstance(info.value.__cause__, KeyError)
    assert info.value.body is None or len(info.value.body) <= C.ERROR_BODY_SNIPPET


def test_decoder_protocol_error_gets_the_real_status_and_field() -> None:
    from kraty_pygame.sdk.models.players import PlayerRegistration

    client, _ = make([Scripted(201, {"data": {"secret": 5, "playerId": "p"}})])
    with pytest.raises(KratyProtocolError) as info:
        client.request_decoded("POST", "/sdk/v1/x", PlayerRegistration.from_wire)
    assert info.value.status == 201
    assert info.value.field == "data.secret"
    assert "data.secret: expected string, got number" in str(info.value)
    assert "5" not in (info.value.body or "").replace('"secret":"***"', "").split("playerId")[0][:0]


def test_protocol_error_body_masks_secrets() -> None:
    body = b'<html>{"secret": "kps_supersecret_value"}</html>'
    client, _ = make([Scripted(200, body=body)])
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("GET", "/sdk/v1/x")
    assert "kps_supersecret_value" not in repr(info.value)
    assert "kps_supersecret_value" not in str(info.value)
    assert "kps_supersecret_value" not in (info.value.body or "")


def test_response_over_the_size_cap_is_refused() -> None:
    big = b'{"data": "' + b"x" * 5000 + b'"}'
    client, _ = make([Scripted(200, body=big)], max_response_bytes=1024)
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("GET", "/sdk/v1/x")
    assert "max_response_bytes=1024" in str(info.value)


def test_default_size_cap_is_documented_8_mib() -> None:
    client, _ = make()
    assert client.max_response_bytes == C.DEFAULT_MAX_RESPONSE_BYTES == 8 * 1024 * 1024


# --------------------------------------------------------------------------- retry loop


def test_503_then_200_two_calls(delays: list[float]) -> None:
    client, adapter = make([err(503, "internal_error"), ok({"x": 1})])
    assert client.request_data("GET", "/sdk/v1/x") == {"x": 1}
    assert len(adapter.calls) == 2


def test_retries_reuse_the_same_idempotency_key(delays: list[float]) -> None:
    generated: list[str] = []

    def gen() -> str:
        generated.append(f"k{len(generated)}")
        return generated[-1]

    client, adapter = make(
        [err(503, "x"), err(503, "x"), ok({}, status=201)], generate_idempotency_key=gen
    )
    client.request("POST", "/sdk/v1/x", body={"v": 1})
    assert len(adapter.calls) == 3
    assert {c.json["idempotencyKey"] for c in adapter.calls} == {"k0"}
    assert generated == ["k0"]
    assert adapter.calls[0].body == adapter.calls[2].body


def test_budget_exhausted_raises_last_error(delays: list[float]) -> None:
    client, adapter = make(
        [err(500, "a"), err(500, "b"), err(500, "last")],
        retry=RetryConfig(attempts=3, initial_delay=0, max_delay=0),
    )
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert info.value.code == "last"
    assert len(adapter.calls) == 3


@pytest.mark.parametrize("status", sorted(C.RETRYABLE_STATUSES))
def test_every_retryable_status_is_retried(status: int, delays: list[float]) -> None:
    client, adapter = make([err(status, "x"), ok({})])
    client.request("GET", "/sdk/v1/x")
    assert len(adapter.calls) == 2


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 413, 422, 501, 505])
def test_other_statuses_are_final(status: int, delays: list[float]) -> None:
    client, adapter = make([err(status, "x"), ok({})])
    with pytest.raises(KratyApiError):
        client.request("GET", "/sdk/v1/x")
    assert len(adapter.calls) == 1


def test_html_503_is_retried_then_raised_as_internal_error(delays: list[float]) -> None:
    page = Scripted(503, body=b"<html><h1>503 Service Unavailable</h1></html>")
    client, adapter = make([page], retry=RetryConfig(attempts=3, initial_delay=0, max_delay=0))
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert len(adapter.calls) == 3
    assert (info.value.status, info.value.code) == (503, "internal_error")


@pytest.mark.parametrize("code", ["max_attempts_reached", "max_daily_attempts_reached"])
def test_attempt_caps_are_final_unless_opted_in(code: str, delays: list[float]) -> None:
    client, adapter = make([err(429, code), ok({})])
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/x")
    assert info.value.code == code
    assert len(adapter.calls) == 1
    client2, adapter2 = make(
        [err(429, code), ok({})],
        retry=RetryConfig(initial_delay=0, max_delay=0, retry_on_attempt_caps=True),
    )
    client2.request("POST", "/sdk/v1/x")
    assert len(adapter2.calls) == 2


def test_rate_limited_429_is_retried(delays: list[float]) -> None:
    client, adapter = make([err(429, "rate_limited"), ok({})])
    client.request("GET", "/sdk/v1/x")
    assert len(adapter.calls) == 2


def test_retry_after_seconds_overrides_backoff_and_is_capped(delays: list[float]) -> None:
    retry = RetryConfig(initial_delay=0.1, max_delay=2.0, jitter=0.2)
    client, _ = make(
        [
            err(503, "x", headers={"Retry-After": "0.7"}),
            err(503, "x", headers={"Retry-After": "120"}),
            err(503, "x"),
            ok({}),
        ],
        retry=retry,
    )
    client.request("GET", "/sdk/v1/x")
    assert delays[0] == pytest.approx(0.7)  # exact: no jitter
    assert delays[1] == pytest.approx(2.0)  # capped at max_delay
    assert 0.4 * 0.8 <= delays[2] <= 0.4 * 1.2  # backoff for failure #3


def test_retry_after_http_date_form(delays: list[float]) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    client, _ = make(
        [
            err(
                429,
                "rate_limited",
                headers={"Retry-After": email.utils.format_datetime(later, usegmt=True)},
            ),
            ok({}),
        ],
        retry=RetryConfig(initial_delay=0, max_delay=10.0),
    )
    client.request("GET", "/sdk/v1/x")
    assert 1.0 <= delays[0] <= 3.0


def test_parse_retry_after_forms() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("-1") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after("inf") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 GMT", now) == 10.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0


def test_backoff_ladder_and_jitter_bounds() -> None:
    retry = RetryConfig()
    assert [retry.backoff(n, 0.0) for n in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])
    assert retry.backoff(1, -1.0) == pytest.approx(0.08)
    assert retry.backoff(1, 0.999) < 0.12
    assert retry.backoff(30, 0.0) == pytest.approx(5.0)  # capped
    assert delay_before_retry(retry, 1, 0.0, "9") == 5.0  # Retry-After capped too


def test_status_first_retry_decision() -> None:
    retry = RetryConfig()
    assert status_is_retryable(KratyApiError(503, "no_leaderboard"), retry)
    assert status_is_retryable(KratyApiError(503, "weird"), retry)
    assert not status_is_retryable(KratyApiError(501, "internal_error"), retry)
    assert not status_is_retryable(KratyApiError(429, "max_attempts_reached"), retry)


# --------------------------------------------------------------------------- network errors


def test_connection_error_every_attempt_gives_network_error(delays: list[float]) -> None:
    refused = requests.ConnectionError(
        urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    )
    client, adapter = make([Scripted(error=refused)])
    with pytest.raises(KratyNetworkError) as info:
        client.request("POST", "/sdk/v1/x", idempotency_key="k-1")
    assert len(adapter.calls) == 4
    assert info.value.original_cause is refused
    assert info.value.__cause__ is refused
    assert info.value.idempotency_key == "k-1"
    assert info.value.outcome_unknown is False  # never connected
    assert not isinstance(info.value, KratyTimeoutError)


def test_read_failure_on_a_write_marks_outcome_unknown(delays: list[float]) -> None:
    broken = requests.ConnectionError("Connection aborted: RemoteDisconnected")
    client, _ = make([Scripted(error=broken)], retry=RetryConfig(attempts=2, initial_delay=0))
    with pytest.raises(KratyNetworkError) as info:
        client.request("POST", "/sdk/v1/x")
    assert info.value.outcome_unknown is True
    assert info.value.idempotency_key is not None
    # the same failure on a GET: nothing could have been applied
    client2, _ = make([Scripted(error=broken)], retry=RetryConfig(attempts=1))
    with pytest.raises(KratyNetworkError) as info2:
        client2.request("GET", "/sdk/v1/x")
    assert info2.value.outcome_unknown is False
    assert info2.value.idempotency_key is None


def test_read_timeout_becomes_timeout_error(delays: list[float]) -> None:
    client, _ = make([Scripted(error=requests.ReadTimeout("slow"))], retry=RetryConfig(attempts=2))
    with pytest.raises(KratyTimeoutError) as info:
        client.request("GET", "/sdk/v1/x")
    assert isinstance(info.value, KratyNetworkError)


def test_network_then_success_is_retried(delays: list[float]) -> None:
    client, adapter = make([Scripted(error=requests.ConnectionError("x")), ok({"a": 1})])
    assert client.request_data("GET", "/sdk/v1/x") == {"a": 1}
    assert len(adapter.calls) == 2


def test_no_requests_or_urllib3_exception_escapes(delays: list[float]) -> None:
    for error in (
        requests.exceptions.ChunkedEncodingError("x"),
        requests.exceptions.ContentDecodingError("x"),
        urllib3.exceptions.ProtocolError("x"),
        ConnectionResetError(104, "reset"),
        requests.exceptions.SSLError("bad cert"),
    ):
        client, _ = make([Scripted(error=error)], retry=RetryConfig(attempts=1))
        with pytest.raises(KratyNetworkError) as info:
            client.request("GET", "/sdk/v1/x")
        assert info.value.__cause__ is error


# --------------------------------------------------------------------------- write outcomes

LOST = requests.ConnectionError("Connection aborted: RemoteDisconnected")  # sent, no answer
REFUSED = requests.ConnectionError(
    urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
)


@pytest.mark.parametrize(
    "final",
    [err(503, "service_unavailable"), err(429, "rate_limited"), Scripted(503, body=b"<html/>")],
    ids=["503", "429", "html-503"],
)
def test_status_after_a_lost_answer_says_outcome_unknown(
    final: Scripted, delays: list[float]
) -> None:
    client, adapter = make([Scripted(error=LOST), final], retry=RetryConfig(attempts=2))
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/players/p/wallet/gold/debit", body={"amount": 1})
    assert info.value.status == final.status
    assert info.value.outcome_unknown is True  # the first attempt may have been applied
    assert info.value.idempotency_key == adapter.calls[0].json["idempotencyKey"]
    assert "outcome_unknown=True" in repr(info.value)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_500_502_504_on_a_write_are_ambiguous(status: int, delays: list[float]) -> None:
    client, _ = make([err(status, "internal_error")], retry=RetryConfig(attempts=1))
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/x", idempotency_key="k-5xx")
    assert (info.value.outcome_unknown, info.value.idempotency_key) == (True, "k-5xx")
    # an earlier 5xx of that kind keeps a later definite refusal ambiguous
    client2, _ = make([err(status, "x"), err(503, "service_unavailable")])
    with pytest.raises(KratyApiError) as info2:
        client2.request("PUT", "/sdk/v1/x", idempotency_key="k-put")
    assert (info2.value.status, info2.value.outcome_unknown) == (503, True)
    # on a read nothing can have been applied, and there is no key
    client3, _ = make([err(status, "internal_error")], retry=RetryConfig(attempts=1))
    with pytest.raises(KratyApiError) as info3:
        client3.request("GET", "/sdk/v1/x")
    assert (info3.value.outcome_unknown, info3.value.idempotency_key) == (False, None)


@pytest.mark.parametrize(
    "script",
    [
        [err(503, "service_unavailable")],
        [err(429, "rate_limited")],
        [err(408, "x")],
        [err(425, "x")],
        [err(409, "conflict")],
        [err(501, "x")],
        [Scripted(503, body=b"<html/>"), err(429, "rate_limited")],
        [Scripted(error=REFUSED), err(503, "service_unavailable")],
    ],
    ids=["503", "429", "408", "425", "409", "501", "html503-429", "refused-503"],
)
def test_definite_refusals_of_a_write_carry_the_key_only(
    script: list[Scripted], delays: list[float]
) -> None:
    client, _ = make(script, retry=RetryConfig(attempts=len(script)))
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/x", idempotency_key="k-def")
    assert info.value.outcome_unknown is False
    assert info.value.idempotency_key == "k-def"  # a retry with it is still safe
    assert "outcome_unknown" not in repr(info.value)


def test_lobby_forming_after_a_lost_answer_is_the_servers_answer(delays: list[float]) -> None:
    client, _ = make([Scripted(error=LOST), err(202, "lobby_forming", "filling")])
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/players/p/events/e/start", idempotency_key="k-lf")
    assert info.value.is_lobby_forming
    assert (info.value.outcome_unknown, info.value.idempotency_key) == (False, "k-lf")


@pytest.mark.parametrize(
    "how",
    ["not-json", "no-data", "decoder", "size-cap"],
)
def test_protocol_error_on_a_write_carries_its_key(how: str) -> None:
    from kraty_pygame.sdk.models.players import PlayerRegistration

    body = {
        "not-json": b'{"data": {"applied": tr',
        "no-data": b'{"result": {}}',
        "decoder": b'{"data": {"secret": 5}}',
        "size-cap": b'{"data": "' + b"x" * 4096 + b'"}',
    }[how]
    client, adapter = make([Scripted(201, body=body)], max_response_bytes=1024)
    with pytest.raises(KratyProtocolError) as info:
        client.request_decoded("POST", "/sdk/v1/x", PlayerRegistration.from_wire)
    error = info.value
    assert error.status == 201
    assert error.outcome_unknown is True  # a 2xx: the server applied it
    assert error.idempotency_key == adapter.calls[0].json["idempotencyKey"]
    assert len(adapter.calls) == 1  # still never retried
    assert f"idempotency_key={error.idempotency_key!r}" in repr(error)


def test_protocol_error_on_a_read_has_no_key() -> None:
    client, _ = make([Scripted(200, body=b"<html/>")])
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("GET", "/sdk/v1/x")
    assert (info.value.outcome_unknown, info.value.idempotency_key) == (False, None)


def test_invalid_header_value_is_a_config_error() -> None:
    client, _ = make([Scripted(error=requests.exceptions.InvalidHeader("bad"))])
    with pytest.raises(KratyConfigError):
        client.request("GET", "/sdk/v1/x")


# --------------------------------------------------------------------------- telemetry


def test_on_request_once_per_attempt_with_status_and_ok(delays: list[float]) -> None:
    infos: list[RequestInfo] = []
    client, _ = make(
        [err(503, "x"), Scripted(error=requests.ConnectionError("x")), err(202, "lobby_forming")],
        on_request=infos.append,
        generate_idempotency_key=lambda: "kk",
    )
    with pytest.raises(KratyApiError):
        client.request("POST", "/sdk/v1/players/p/events/e/start", query={"a": 1})
    assert [i.attempt for i in infos] == [1, 2, 3]
    assert [i.status for i in infos] == [503, None, 202]
    assert [i.ok for i in infos] == [False, False, True]
    assert {i.idempotency_key for i in infos} == {"kk"}
    assert all(i.method == "POST" for i in infos)
    assert infos[0].url == "https://api.test/sdk/v1/players/p/events/e/start?a=1"
    assert all(i.duration_ms >= 0 for i in infos)


def test_raising_on_request_never_breaks_a_call(caplog: pytest.LogCaptureFixture) -> None:
    def bad(_info: RequestInfo) -> None:
        raise RuntimeError("telemetry down")

    client, _ = make([ok({"a": 1})], on_request=bad)
    with caplog.at_level(logging.DEBUG, logger="kraty_pygame"):
        assert client.request_data("GET", "/sdk/v1/x") == {"a": 1}
    assert any("on_request callback raised RuntimeError" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- cancellation


def test_cancelled_token_fails_fast_without_sending() -> None:
    client, adapter = make([ok({})])
    token = CancelToken()
    token.cancel()
    with pytest.raises(KratyCancelledError) as info:
        client.request("POST", "/sdk/v1/x", cancel=token)
    assert adapter.calls == []
    assert info.value.outcome_unknown is False
    with client.cancellation(token), pytest.raises(KratyCancelledError):
        client.request("GET", "/sdk/v1/x")


def test_closed_client_refuses_calls() -> None:
    client, adapter = make([ok({})])
    client.close()
    client.close()  # idempotent
    with pytest.raises(KratyCancelledError):
        client.request("GET", "/sdk/v1/x")
    assert adapter.calls == []


# --------------------------------------------------------------------------- URLs


def test_encode_segment_matches_encode_uri_component() -> None:
    assert encode_segment("a b/c?d#e&f=g") == "a%20b%2Fc%3Fd%23e%26f%3Dg"
    assert encode_segment("A-z_0.9!~*'()") == "A-z_0.9!~*'()"
    assert encode_segment("é") == "%C3%A9"
    assert encode_segment("kp_0123") == "kp_0123"


def test_build_query_rules() -> None:
    assert build_query(None) == ""
    assert (
        build_query(
            {
                "limit": 5,
                "includeSelf": True,
                "x": None,
                "off": False,
                "s": "a b:c",
                "progression": ["xp", "level"],
                "f": 1.5,
            }
        )
        == "limit=5&includeSelf=true&off=false&s=a%20b%3Ac&progression=xp%2Clevel&f=1.5"
    )


def test_path_join_and_trailing_slash() -> None:
    session, adapter = recording_session([ok({})])
    client = KratyClient("kr_test.abc", base_url="https://api.test/", session=session)
    assert client.base_url == "https://api.test"
    client.request("GET", "sdk/v1/x")
    assert adapter.calls[0].url == "https://api.test/sdk/v1/x"


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "kr test"}, "whitespace"),
        ({"base_url": "ftp://x"}, "http(s)"),
        ({"base_url": "http://example.com"}, "allow_insecure_http"),
        ({"base_url": "https://u:p@example.com"}, "credentials"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"retry": "often"}, "RetryConfig"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"on_request": 5}, "callable"),
        ({"session": object()}, "requests.Session"),
    ],
)
def test_invalid_options_raise_config_error(kwargs: dict[str, Any], fragment: str) -> None:
    options: dict[str, Any] = {"api_key": "kr_test.abc", "base_url": "https://api.test", **kwargs}
    api_key = options.pop("api_key")
    with pytest.raises(KratyConfigError) as info:
        KratyClient(api_key, **options)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_plain_http_allowed_for_loopback_or_when_opted_in() -> None:
    for url in ("http://127.0.0.1:8787", "http://localhost:1", "http://[::1]:80"):
        KratyClient("kr_test.a", base_url=url).close()
    KratyClient("kr_test.a", base_url="http://example.com", allow_insecure_http=True).close()


def test_repr_never_shows_the_key() -> None:
    client = KratyClient("kr_live.very-secret-part", base_url="https://api.test")
    assert "very-secret-part" not in repr(client)
    assert "kr_live" in repr(client)
    client.close()


def test_the_environments_proxy_and_ca_bundle_are_read_once_and_still_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The client's own session reads proxy and CA bundle settings from the environment
    when it is made (not on every request); they still apply, for its host only."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a real bundle\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = KratyClient("kr_test.abc", base_url="https://api.test")
    session = client._session
    assert session.trust_env is False  # no per-request scan of the environment
    assert session.proxies.get("https") == "http://proxy.test:3128"
    assert client._calls.verify == str(bundle)
    monkeypatch.setenv("NO_PROXY", "api.test")
    bypassed = KratyClient("kr_test.abc", base_url="https://api.test")
    assert "https" not in bypassed._session.proxies
    client.close()
    bypassed.close()
