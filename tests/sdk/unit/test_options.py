"""RetryConfig, RequestInfo and option validation."""

from __future__ import annotations

import dataclasses

import pytest

from kraty_pygame.sdk import KratyConfigError, RequestInfo, RetryConfig
from kraty_pygame.sdk.options import is_loopback_host, validate_base_url


def test_retry_defaults_match_the_protocol() -> None:
    retry = RetryConfig()
    assert (retry.attempts, retry.initial_delay, retry.max_delay, retry.jitter) == (
        4,
        0.1,
        5.0,
        0.2,
    )
    assert retry.retry_on_attempt_caps is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        retry.attempts = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"attempts": 1.5},
        {"attempts": True},
        {"initial_delay": -1},
        {"max_delay": float("inf")},
        {"jitter": 1.5},
        {"jitter": -0.1},
        {"retry_on_attempt_caps": "yes"},
    ],
)
def test_retry_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(KratyConfigError):
        RetryConfig(**kwargs)  # type: ignore[arg-type]


def test_request_info_fields() -> None:
    info = RequestInfo("GET", "https://x/sdk/v1/catalog", 1, None, 1.5, 200, True)
    assert [f.name for f in dataclasses.fields(info)] == [
        "method",
        "url",
        "attempt",
        "idempotency_key",
        "duration_ms",
        "status",
        "ok",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.kraty.io/", "https://api.kraty.io"),
        ("https://api.kraty.io//", "https://api.kraty.io/"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787"),
        ("http://localhost:1/base/", "http://localhost:1/base"),
    ],
)
def test_base_url_normalisation(url: str, expected: str) -> None:
    assert validate_base_url(url, allow_insecure_http=False) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "api.kraty.io",
        "ftp://x",
        "https://",
        "https://h?x=1",
        "https://h#f",
        "http://10.0.0.5",
        "http://kraty.local",
        "https://h:notaport",
    ],
)
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(KratyConfigError):
        validate_base_url(url, allow_insecure_http=False)


def test_loopback_hosts() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("127.5.5.5")
    assert is_loopback_host("::1") and is_loopback_host("[::1]") and is_loopback_host("LOCALHOST")
    assert not is_loopback_host("10.0.0.1") and not is_loopback_host("example.com")
