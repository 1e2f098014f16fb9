"""The error tree and the table of error codes with their HTTP statuses."""

from __future__ import annotations

import pickle

import pytest

from kraty_pygame.sdk import errors as E
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyError,
    KratyErrorCode,
    KratyNetworkError,
    KratyPollTimeoutError,
    KratyProtocolError,
    KratyStreamError,
    KratyTimeoutError,
    SecretStoreError,
    is_lobby_forming,
    redact_text,
)

# Every named error code with its HTTP status (the http_<status> pattern excluded).
CODES_3_1 = {
    "unauthenticated": 401,
    "session_invalid": 401,
    "forbidden": 403,
    "not_found": 404,
    "validation_failed": 400,
    "conflict": 409,
    "rate_limited": 429,
    "internal_error": 500,
    "tenant_mismatch": 403,
    "idempotency_conflict": 409,
    "player_secret_invalid": 401,
    "player_already_registered": 409,
    "player_banned": 403,
    "anti_cheat_rejected": 422,
    "event_disabled": 409,
    "no_active_window": 409,
    "no_leaderboard": 503,
    "max_attempts_reached": 429,
    "max_daily_attempts_reached": 429,
    "attempt_finished": 409,
    "invalid_metric": 400,
    "unlock_condition_failed": 403,
    "invalid_unlock_condition": 500,
    "entry_requirement_failed": 403,
    "invalid_entry_requirement": 500,
    "insufficient_entry_cost": 402,
    "lobby_forming": 202,
    "inventory_not_permissive": 403,
    "client_scoring_disabled": 403,
    "score_not_supported": 400,
    "player_blocked": 403,
    "already_friends": 409,
    "cannot_friend_self": 400,
    "friend_code_invalid": 404,
    "gifting_disabled": 403,
    "service_unavailable": 503,
    "payload_too_large": 413,
}
GETTERS = sorted(
    name
    for name in dir(KratyApiError)
    if name.startswith("is_") and isinstance(getattr(KratyApiError, name), property)
)


def test_enum_covers_exactly_the_table() -> None:
    assert {member.value for member in KratyErrorCode} == set(CODES_3_1)


@pytest.mark.parametrize(("code", "status"), sorted(CODES_3_1.items()))
def test_each_code_maps_to_member_and_exactly_its_getter(code: str, status: int) -> None:
    error = KratyApiError(status, code, "m")
    member = KratyErrorCode(code)
    assert error.code is member
    assert error.code == code  # compares equal to the wire string
    assert error.is_code(code)
    getter = f"is_{code}"
    assert getattr(error, getter) is True
    assert [g for g in GETTERS if getattr(error, g)] == [getter]
    assert member.name == code.upper()


def test_there_is_one_getter_per_code() -> None:
    assert sorted(f"is_{code}" for code in CODES_3_1) == GETTERS


def test_unknown_code_stays_open() -> None:
    error = KratyApiError(418, "teapot_overflow")
    assert error.code == "teapot_overflow" and type(error.code) is str
    assert not any(getattr(error, g) for g in GETTERS)


def test_str_and_repr() -> None:
    error = KratyApiError(402, "insufficient_entry_cost", "need 50", {"needed": 50})
    assert str(error) == "KratyApiError [402] insufficient_entry_cost: need 50"
    assert str(KratyApiError(500, "internal_error")) == "KratyApiError [500] internal_error"
    assert "insufficient_entry_cost" in repr(error)


def test_hierarchy() -> None:
    assert issubclass(KratyConfigError, KratyError) and issubclass(KratyConfigError, ValueError)
    assert issubclass(KratyProtocolError, KratyApiError)
    assert issubclass(KratyTimeoutError, KratyNetworkError)
    assert issubclass(KratyCancelledError, KratyNetworkError)
    assert issubclass(KratyPollTimeoutError, KratyError)
    assert issubclass(KratyPollTimeoutError, TimeoutError)
    for cls in (KratyApiError, KratyNetworkError, KratyStreamError, SecretStoreError):
        assert issubclass(cls, KratyError)


def test_protocol_error_fields() -> None:
    error = KratyProtocolError(
        "data.x: expected string, got number", status=201, field="data.x", body="y" * 1000
    )
    assert error.status == 201 and error.code == "internal_error" and error.is_internal_error
    assert error.field == "data.x"
    assert error.body is not None and len(error.body) == 200
    copy = error.with_response(200, '{"secret":"kps_abc"}')
    assert copy.status == 200 and copy.body == '{"secret":"***"}'


def test_network_error_fields() -> None:
    cause = ConnectionResetError("reset")
    error = KratyNetworkError(
        "POST /x failed", original_cause=cause, outcome_unknown=True, idempotency_key="k1"
    )
    assert error.message == str(error) == "POST /x failed"
    assert error.original_cause is cause
    assert error.outcome_unknown and error.idempotency_key == "k1"
    assert "k1" in repr(error)


def test_api_error_outcome_fields() -> None:
    plain = KratyApiError(429, "rate_limited")
    assert plain.outcome_unknown is False and plain.idempotency_key is None
    assert repr(plain) == "KratyApiError(status=429, code='rate_limited', message='')"
    flagged = KratyApiError(503, "service_unavailable", outcome_unknown=True, idempotency_key="k1")
    assert flagged.outcome_unknown and flagged.idempotency_key == "k1"
    assert repr(flagged).endswith(", outcome_unknown=True, idempotency_key='k1')")
    assert str(flagged) == "KratyApiError [503] service_unavailable"
    proto = KratyProtocolError("bad", status=201, outcome_unknown=True, idempotency_key="k2")
    copy = proto.with_response(200, "{}")
    assert (copy.status, copy.outcome_unknown, copy.idempotency_key) == (200, True, "k2")
    assert "idempotency_key='k2'" in repr(copy)


@pytest.mark.parametrize(
    "error",
    [
        KratyApiError(409, "conflict", "m", {"a": 1}),
        KratyApiError(503, "service_unavailable", outcome_unknown=True, idempotency_key="k"),
        KratyProtocolError("bad", status=200, field="data", body="x"),
        KratyProtocolError("bad", status=201, outcome_unknown=True, idempotency_key="k"),
        KratyNetworkError("m", outcome_unknown=True, idempotency_key="k"),
        KratyTimeoutError("t"),
        KratyCancelledError("c"),
    ],
)
def test_errors_pickle(error: KratyError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert vars(clone).keys() >= {k for k in vars(error) if k != "original_cause"}


def test_is_lobby_forming_function() -> None:
    assert is_lobby_forming(KratyApiError(202, "lobby_forming"))
    assert not is_lobby_forming(KratyApiError(409, "conflict"))
    assert not is_lobby_forming(ValueError("lobby_forming"))


def test_redact_text() -> None:
    text = '{"secret": "kps_1", "playerSecret":"abc", "x": "kps_2"}'
    out = redact_text(text, ["kps_2"])
    assert "kps_1" not in out and "abc" not in out and "kps_2" not in out


def test_module_exports() -> None:
    for name in E.__all__:
        assert hasattr(E, name)
