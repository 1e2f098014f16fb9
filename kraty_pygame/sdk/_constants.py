"""Defaults and wire constants of the SDK."""

from __future__ import annotations

from typing import Final

from kraty_pygame._version import __version__

__all__ = [
    "API_PREFIX",
    "ATTEMPT_CAP_CODES",
    "DEFAULT_ATTEMPTS",
    "DEFAULT_BASE_URL",
    "DEFAULT_INITIAL_DELAY",
    "DEFAULT_JITTER",
    "DEFAULT_MAX_DELAY",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_STREAM_READ_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "ERROR_BODY_SNIPPET",
    "HEADER_ACCEPT",
    "HEADER_AUTHORIZATION",
    "HEADER_CONTENT_TYPE",
    "HEADER_PLAYER_SECRET",
    "HEADER_SDK",
    "IDEMPOTENCY_FIELD",
    "IDEMPOTENT_METHODS",
    "PRESENCE_HEARTBEAT_INTERVAL",
    "RETRYABLE_STATUSES",
    "SDK_HEADER_VALUE",
    "SDK_NAME",
    "WRITE_METHODS",
]

DEFAULT_BASE_URL: Final = "https://api.kraty.io"
API_PREFIX: Final = "/sdk/v1"

DEFAULT_TIMEOUT: Final = 10.0
"""Per-attempt deadline in seconds (covers connect, headers and the whole body)."""
DEFAULT_STREAM_READ_TIMEOUT: Final = 45.0
"""Idle read timeout of an SSE stream; the server sends a heartbeat every 15 s."""

DEFAULT_ATTEMPTS: Final = 4
DEFAULT_TOTAL_TIMEOUT: Final = 12.0
"""Most seconds one logical call may take across all its attempts and backoff waits."""
DEFAULT_INITIAL_DELAY: Final = 0.1
DEFAULT_MAX_DELAY: Final = 5.0
DEFAULT_JITTER: Final = 0.2

DEFAULT_MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
"""Response bodies larger than this (8 MiB) are refused."""

RETRYABLE_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
"""The statuses a call is retried on (501 is *not*: the server will never do it)."""
ATTEMPT_CAP_CODES: Final = frozenset({"max_attempts_reached", "max_daily_attempts_reached"})
"""429 codes that are final unless ``RetryConfig(retry_on_attempt_caps=True)``: waiting
does not lift a player's attempt cap before its window ends."""

IDEMPOTENT_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
"""Methods whose JSON body carries an ``idempotencyKey`` (the same on every retry)."""
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods that may change server state (for ``outcome_unknown``)."""
IDEMPOTENCY_FIELD: Final = "idempotencyKey"

SDK_NAME: Final = "kraty-python"
SDK_HEADER_VALUE: Final = f"{SDK_NAME}/{__version__}"

HEADER_AUTHORIZATION: Final = "authorization"
HEADER_PLAYER_SECRET: Final = "x-player-secret"  # noqa: S105 - a header name
HEADER_SDK: Final = "x-kraty-sdk"
HEADER_ACCEPT: Final = "accept"
HEADER_CONTENT_TYPE: Final = "content-type"

ERROR_BODY_SNIPPET: Final = 200
"""How many characters of a bad body an error quotes."""

PRESENCE_HEARTBEAT_INTERVAL: Final = 30.0
"""Seconds between presence heartbeats (the platform's documented cadence)."""
