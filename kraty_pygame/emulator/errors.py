"""The emulator's API error and the status of every error code."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

#: HTTP status per error code; the emulator never sends a code with another status.
STATUS_BY_CODE: Final[Mapping[str, int]] = MappingProxyType(
    {
        "unauthenticated": 401,
        "session_invalid": 401,
        "player_secret_invalid": 401,
        "forbidden": 403,
        "tenant_mismatch": 403,
        "player_banned": 403,
        "unlock_condition_failed": 403,
        "entry_requirement_failed": 403,
        "inventory_not_permissive": 403,
        "client_scoring_disabled": 403,
        "player_blocked": 403,
        "gifting_disabled": 403,
        "not_found": 404,
        "friend_code_invalid": 404,
        "method_not_allowed": 405,
        "validation_failed": 400,
        "invalid_metric": 400,
        "score_not_supported": 400,
        "cannot_friend_self": 400,
        "insufficient_entry_cost": 402,
        "conflict": 409,
        "idempotency_conflict": 409,
        "player_already_registered": 409,
        "event_disabled": 409,
        "no_active_window": 409,
        "attempt_finished": 409,
        "already_friends": 409,
        "request_timeout": 408,
        "payload_too_large": 413,
        "headers_too_large": 431,
        "anti_cheat_rejected": 422,
        "rate_limited": 429,
        "max_attempts_reached": 429,
        "max_daily_attempts_reached": 429,
        "internal_error": 500,
        "invalid_unlock_condition": 500,
        "invalid_entry_requirement": 500,
        "no_leaderboard": 503,
        "service_unavailable": 503,
        "lobby_forming": 202,
    }
)


class ApiError(Exception):
    """An error answered with the error envelope ``{"error": {code, message, details}}``.

    The HTTP status comes from :data:`STATUS_BY_CODE` unless given explicitly.
    """

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details
        self.status = status if status is not None else STATUS_BY_CODE.get(code, 500)
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        """The JSON body of this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def not_found(what: str) -> ApiError:
    """404 ``not_found`` with a short message naming what is missing."""
    return ApiError("not_found", f"{what} not found")


def validation_failed(message: str, errors: list[dict[str, Any]] | None = None) -> ApiError:
    """400 ``validation_failed``; ``details.errors`` lists field-level problems."""
    return ApiError("validation_failed", message, {"errors": errors or []})
