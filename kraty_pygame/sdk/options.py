"""Option objects of the SDK (``RetryConfig``, ``RequestInfo``) and their validation."""

from __future__ import annotations

import ipaddress
import math
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from kraty_pygame.sdk._constants import (
    DEFAULT_ATTEMPTS,
    DEFAULT_INITIAL_DELAY,
    DEFAULT_JITTER,
    DEFAULT_MAX_DELAY,
    DEFAULT_TOTAL_TIMEOUT,
)
from kraty_pygame.sdk.backoff import backoff_delay
from kraty_pygame.sdk.errors import KratyConfigError

__all__ = [
    "RequestInfo",
    "RetryConfig",
    "is_header_safe",
    "is_loopback_address",
    "is_loopback_host",
    "is_positive_int",
    "is_text",
    "validate_base_url",
    "validate_positive_number",
]


def is_text(value: object) -> bool:
    """True for a ``str`` with at least one non-space character."""
    return isinstance(value, str) and bool(value.strip())


def is_header_safe(value: object) -> bool:
    """True for a non-empty ``str`` of visible ASCII only (no space, no control character):
    what may travel as an HTTP header value unchanged."""
    return (
        isinstance(value, str)
        and bool(value)
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def is_positive_int(value: object) -> bool:
    """True for an ``int`` (not ``bool``) >= 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def validate_positive_number(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ``KratyConfigError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KratyConfigError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise KratyConfigError(f"{name} must be a finite number {bound}, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Retry policy of one logical call (docs/reliability.md).

    Attributes:
        attempts: total HTTP tries, 1 = no retry (default 4).
        initial_delay: backoff before the 2nd try, seconds (default 0.1); doubles per try.
        max_delay: cap of any delay, also of ``Retry-After``, seconds (default 5.0).
        jitter: relative jitter, the delay is scaled by ``1 ± jitter`` (default 0.2).
        retry_on_attempt_caps: retry a 429 ``max_attempts_reached`` /
            ``max_daily_attempts_reached`` like the reference SDKs do (default False:
            such an answer is final, retrying cannot change it).
        total_timeout: most seconds one call may take across all its attempts and the
            waits between them (default 12.0). An attempt never runs past it (its own
            limit is the client ``timeout``), and no retry starts that could not begin
            before it; the call then fails with what the last attempt got
            (``KratyTimeoutError`` when that attempt ran out of time). ``None`` lifts
            the bound: a call may then take ``attempts`` x ``timeout`` plus the waits.
    """

    attempts: int = DEFAULT_ATTEMPTS
    initial_delay: float = DEFAULT_INITIAL_DELAY
    max_delay: float = DEFAULT_MAX_DELAY
    jitter: float = DEFAULT_JITTER
    retry_on_attempt_caps: bool = False
    total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise KratyConfigError(f"RetryConfig.attempts must be an int, got {self.attempts!r}")
        if self.attempts < 1:
            raise KratyConfigError(f"RetryConfig.attempts must be >= 1, got {self.attempts}")
        validate_positive_number("RetryConfig.initial_delay", self.initial_delay, allow_zero=True)
        validate_positive_number("RetryConfig.max_delay", self.max_delay, allow_zero=True)
        jitter = validate_positive_number("RetryConfig.jitter", self.jitter, allow_zero=True)
        if jitter > 1:
            raise KratyConfigError(f"RetryConfig.jitter must be within [0, 1], got {self.jitter}")
        if not isinstance(self.retry_on_attempt_caps, bool):
            raise KratyConfigError("RetryConfig.retry_on_attempt_caps must be a bool")
        if self.total_timeout is not None:
            validate_positive_number("RetryConfig.total_timeout", self.total_timeout)

    def backoff(self, attempt: int, r: float) -> float:
        """Delay after failed try number ``attempt`` (1-based) for a uniform ``r`` in [-1, 1)."""
        return backoff_delay(
            float(self.initial_delay), attempt, cap=float(self.max_delay), r=r, jitter=self.jitter
        )


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Telemetry record passed to ``on_request`` once per HTTP attempt.

    Attributes:
        method: upper-case HTTP method.
        url: full URL including the query string (never carries a secret).
        attempt: 1-based attempt number; use it to de-duplicate.
        idempotency_key: the key this logical call carries (``None`` for GET/DELETE).
        duration_ms: wall time of this attempt in milliseconds.
        status: HTTP status, ``None`` when no response arrived.
        ok: True iff ``200 <= status < 300`` (a 202 ``lobby_forming`` reports True).
    """

    method: str
    url: str
    attempt: int
    idempotency_key: str | None
    duration_ms: float
    status: int | None
    ok: bool


def is_loopback_address(address: str) -> bool:
    """True for a loopback IP address (``127.0.0.0/8``, ``::1``); False for anything else."""
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    """True for a loopback IP literal, or a name every address of which is loopback.

    A name is never trusted for what it looks like (``localhost``, ``*.localhost``): it
    is resolved, and one address outside loopback (a mixed answer), no address, or a
    failed lookup makes it untrusted.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(is_loopback_address(str(info[4][0])) for info in infos)


def validate_base_url(base_url: object, *, allow_insecure_http: bool) -> str:
    """Normalise ``base_url`` (one trailing ``/`` stripped) or raise ``KratyConfigError``.

    ``http://`` is accepted only for loopback hosts (see :func:`is_loopback_host`; a name
    is resolved once here, and the transport checks every address again when it
    connects) unless ``allow_insecure_http``.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise KratyConfigError("base_url must be a non-empty string")
    url = base_url.strip()
    if url.endswith("/"):
        url = url[:-1]
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise KratyConfigError(f"base_url is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise KratyConfigError(
            f"base_url must be an absolute http(s) URL such as https://api.kraty.io, got {url!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise KratyConfigError("base_url must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_host(host):
        raise KratyConfigError(
            f"refusing plain http:// to {host!r}: it is not a loopback address (or a name "
            "resolving only to loopback addresses), so secrets would travel unencrypted; "
            "use https:// or pass allow_insecure_http=True"
        )
    return url
