"""The SDK's error tree.

Everything the SDK raises derives from :class:`KratyError`. Code switches on
``err.code`` (a :class:`KratyErrorCode` member when the code is known, else the
plain wire string) or on the ``is_<code>`` properties, never on the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final

from kraty_pygame.sdk._constants import ERROR_BODY_SNIPPET

__all__ = [
    "KratyApiError",
    "KratyCancelledError",
    "KratyConfigError",
    "KratyError",
    "KratyErrorCode",
    "KratyNetworkError",
    "KratyPollTimeoutError",
    "KratyProtocolError",
    "KratyStreamError",
    "KratyTimeoutError",
    "MaskedCause",
    "OutboxError",
    "OutboxWriteError",
    "SecretMask",
    "SecretStoreError",
    "is_lobby_forming",
    "redact_text",
]


class KratyErrorCode(StrEnum):
    """Every named error code the API answers with (see ``docs/errors.md``).

    The set stays open: an unknown code arrives as a plain ``str``. Members
    compare equal to their wire strings.
    """

    UNAUTHENTICATED = "unauthenticated"
    SESSION_INVALID = "session_invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    VALIDATION_FAILED = "validation_failed"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    TENANT_MISMATCH = "tenant_mismatch"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    PLAYER_SECRET_INVALID = "player_secret_invalid"  # noqa: S105 - an error code
    PLAYER_ALREADY_REGISTERED = "player_already_registered"
    PLAYER_BANNED = "player_banned"
    ANTI_CHEAT_REJECTED = "anti_cheat_rejected"
    EVENT_DISABLED = "event_disabled"
    NO_ACTIVE_WINDOW = "no_active_window"
    NO_LEADERBOARD = "no_leaderboard"
    MAX_ATTEMPTS_REACHED = "max_attempts_reached"
    MAX_DAILY_ATTEMPTS_REACHED = "max_daily_attempts_reached"
    ATTEMPT_FINISHED = "attempt_finished"
    INVALID_METRIC = "invalid_metric"
    UNLOCK_CONDITION_FAILED = "unlock_condition_failed"
    INVALID_UNLOCK_CONDITION = "invalid_unlock_condition"
    ENTRY_REQUIREMENT_FAILED = "entry_requirement_failed"
    INVALID_ENTRY_REQUIREMENT = "invalid_entry_requirement"
    INSUFFICIENT_ENTRY_COST = "insufficient_entry_cost"
    LOBBY_FORMING = "lobby_forming"
    INVENTORY_NOT_PERMISSIVE = "inventory_not_permissive"
    CLIENT_SCORING_DISABLED = "client_scoring_disabled"
    SCORE_NOT_SUPPORTED = "score_not_supported"
    PLAYER_BLOCKED = "player_blocked"
    ALREADY_FRIENDS = "already_friends"
    CANNOT_FRIEND_SELF = "cannot_friend_self"
    FRIEND_CODE_INVALID = "friend_code_invalid"
    GIFTING_DISABLED = "gifting_disabled"
    SERVICE_UNAVAILABLE = "service_unavailable"
    PAYLOAD_TOO_LARGE = "payload_too_large"


_KNOWN_CODES: Final[dict[str, KratyErrorCode]] = {member.value: member for member in KratyErrorCode}

_SECRET_FIELD = re.compile(
    r'("(?:secret|playerSecret|x-player-secret)"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I
)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Mask secret-looking JSON members and the given literal secrets in ``text``."""
    text = _SECRET_FIELD.sub(r'\1"***"', text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class SecretMask:
    """The secrets and keys a client holds, masked in whatever it builds from an answer.

    A server (or a proxy) may echo a secret anywhere: an error's ``code``, ``message`` or
    ``details``, a non-JSON body, even the status line. :meth:`error` masks an error in
    place, along its whole ``__cause__`` / ``__context__`` chain, before it reaches
    the caller, a log or a game event.
    """

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str | None]) -> None:
        held = {secret for secret in secrets if secret and len(secret) >= 4}
        self._secrets = tuple(sorted(held, key=len, reverse=True))  # longest first

    def hits(self, text: str) -> bool:
        """True when ``text`` carries one of the secrets."""
        return any(secret in text for secret in self._secrets)

    def text(self, text: str) -> str:
        """``text`` with every secret (and secret-looking JSON member) masked."""
        return redact_text(text, self._secrets)

    def value(self, value: Any) -> Any:
        """A JSON-like value (as ``json.loads`` builds it) with every string masked;
        containers are rewritten in place, without recursion (nesting may be deep)."""
        if isinstance(value, str):
            return self.text(value)
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                items = list(node.items())
                node.clear()
                for key, item in items:
                    node[self.text(key) if isinstance(key, str) else key] = self._leaf(item, stack)
            elif isinstance(node, list):
                node[:] = [self._leaf(item, stack) for item in node]
        return value

    def _leaf(self, item: Any, stack: list[Any]) -> Any:
        if isinstance(item, str):
            return self.text(item)
        if isinstance(item, dict | list):
            stack.append(item)
        return item

    def scrub(self, exc: BaseException) -> BaseException:
        """What to show for ``exc``: itself masked in place, or a :class:`MaskedCause`
        when it is a foreign exception whose text carries a secret."""
        shown = self._cause(exc)
        if shown is exc:
            self.error(exc)
        return shown

    def error(self, exc: BaseException) -> None:
        """Mask ``exc`` in place; a foreign exception in its chain that carries a secret
        is replaced by a :class:`MaskedCause` stand-in."""
        seen: set[int] = set()
        stack: list[BaseException] = [exc]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if isinstance(current, KratyError):
                current._mask(self)
                if isinstance(current, KratyNetworkError) and current.original_cause is not None:
                    original = current.original_cause
                    current.original_cause = self._cause(original)
                    if current.__cause__ is original:
                        current.__cause__ = current.original_cause
            for attribute in ("__cause__", "__context__"):
                link = getattr(current, attribute)
                if link is None:
                    continue
                if not isinstance(link, KratyError):
                    link = self._cause(link)
                    setattr(current, attribute, link)
                stack.append(link)

    def _cause(self, exc: BaseException) -> BaseException:
        if isinstance(exc, KratyError | MaskedCause) or not self._leaks(exc):
            return exc
        stand_in = MaskedCause(f"{type(exc).__name__}: {self.text(str(exc))}")
        stand_in.__suppress_context__ = True
        return stand_in

    def _leaks(self, exc: BaseException) -> bool:
        seen: set[int] = set()
        stack: list[BaseException] = [exc]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if self.hits(str(current)) or self.hits(repr(current)):
                return True
            stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        return False


def _coerce_code(code: str) -> KratyErrorCode | str:
    return _KNOWN_CODES.get(code, code)


STALE_PLAYER_HINT: Final = (
    "the server does not accept the secret saved for this player. In development this "
    "usually means the emulator was restarted with a fresh database, so the player "
    "saved on this machine no longer exists there. It is not recovered automatically: "
    "call logout() to register a new player (or delete the secret store file), or pass "
    "Kraty(auto_recover_identity=True) to do that on the next refusal"
)
_HINTS: Final[dict[str, str]] = {"player_secret_invalid": STALE_PLAYER_HINT}


class KratyError(Exception):
    """Root of every error the SDK raises."""

    def _mask(self, mask: SecretMask) -> None:
        """Mask the secrets in this error's own text (see :class:`SecretMask`)."""
        self.args = tuple(mask.text(arg) if isinstance(arg, str) else arg for arg in self.args)


class MaskedCause(Exception):
    """Stands in the cause chain for a transport exception whose text carried a secret
    echoed by the server: its type name and its text, masked."""


class KratyConfigError(KratyError, ValueError):
    """An option or argument is invalid (raised before any network I/O)."""


class KratyApiError(KratyError):
    """The server answered with an error envelope (or an unusable response).

    Attributes:
        status: HTTP status (202 for ``lobby_forming``).
        code: a :class:`KratyErrorCode` member, or the wire string for an unknown code.
        message: the server's human text (may be empty).
        details: the envelope's ``details`` (``None`` when absent).
        outcome_unknown: True when the call was a write that the server may have applied
            although this error is what the call ended with: an earlier attempt was sent
            and lost its answer (or got a 500/502/504), this attempt's own status is
            500/502/504, or a 2xx arrived whose body could not be used
            (:class:`KratyProtocolError`). Repeat the call with ``idempotency_key`` to
            learn the result; the server applies the write at most once.
        idempotency_key: the key a POST/PUT/PATCH call carried (``None`` for GET/DELETE
            and for errors raised outside the transport).
        queued: True when the write is kept in the client's outbox and will still be
            delivered (for example a 401 that holds the player's writes until that
            player signs in again); do not repeat the call.
    """

    queued: bool = False

    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        details: Any = None,
        *,
        outcome_unknown: bool = False,
        idempotency_key: str | None = None,
    ) -> None:
        self.status: int = status
        self.code: KratyErrorCode | str = _coerce_code(code)
        self.message: str = message
        self.details: Any = details
        self.outcome_unknown: bool = outcome_unknown
        self.idempotency_key: str | None = idempotency_key
        super().__init__(status, str(code), message)

    def __str__(self) -> str:
        text = f"{type(self).__name__} [{self.status}] {self.code}"
        text = f"{text}: {self.message}" if self.message else text
        hint = self.hint
        return f"{text} ({hint})" if hint else text

    @property
    def hint(self) -> str:
        """What this error usually means and what to do, for codes that need it; else ``""``."""
        return _HINTS.get(str(self.code), "")

    def __repr__(self) -> str:
        name = type(self).__name__
        return (
            f"{name}(status={self.status}, code={str(self.code)!r}, message={self.message!r}"
            f"{self._outcome_repr()})"
        )

    def _outcome_repr(self) -> str:
        """``, outcome_unknown=True, idempotency_key='…'`` for whichever is set."""
        text = ", outcome_unknown=True" if self.outcome_unknown else ""
        if self.idempotency_key is not None:
            text += f", idempotency_key={self.idempotency_key!r}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_api_error, (type(self), self.__dict__.copy()))

    def _mask(self, mask: SecretMask) -> None:
        code = str(self.code)
        if mask.hits(code):
            self.code = _coerce_code(mask.text(code))
        self.message = mask.text(self.message)
        self.details = mask.value(self.details)
        self.args = (self.status, str(self.code), self.message)

    def is_code(self, code: str) -> bool:
        """True when this error carries ``code`` (any wire string)."""
        return self.code == code

    @property
    def is_unauthenticated(self) -> bool:
        """401: the ``authorization`` header is missing."""
        return self.code == "unauthenticated"

    @property
    def is_session_invalid(self) -> bool:
        """401: the API key is malformed, revoked or rejected."""
        return self.code == "session_invalid"

    @property
    def is_forbidden(self) -> bool:
        """403: the key may not use this route (or ``force`` with a live key)."""
        return self.code == "forbidden"

    @property
    def is_not_found(self) -> bool:
        """404: the resource is missing or archived."""
        return self.code == "not_found"

    @property
    def is_validation_failed(self) -> bool:
        """400: the body or query failed validation; see ``details``."""
        return self.code == "validation_failed"

    @property
    def is_conflict(self) -> bool:
        """409: generic conflict (consume/debit shortfall, finalized board, ...)."""
        return self.code == "conflict"

    @property
    def is_rate_limited(self) -> bool:
        """429: per-key rate limit."""
        return self.code == "rate_limited"

    @property
    def is_internal_error(self) -> bool:
        """500, or a response the client could not use."""
        return self.code == "internal_error"

    @property
    def is_tenant_mismatch(self) -> bool:
        """403: cross-studio access."""
        return self.code == "tenant_mismatch"

    @property
    def is_idempotency_conflict(self) -> bool:
        """409: the same ``idempotencyKey`` was used with a different body."""
        return self.code == "idempotency_conflict"

    @property
    def is_player_secret_invalid(self) -> bool:
        """401: the player secret is missing or wrong (see docs/identity.md)."""
        return self.code == "player_secret_invalid"

    @property
    def is_player_already_registered(self) -> bool:
        """409: register for a player that already holds a secret."""
        return self.code == "player_already_registered"

    @property
    def is_player_banned(self) -> bool:
        """403: the player is banned."""
        return self.code == "player_banned"

    @property
    def is_anti_cheat_rejected(self) -> bool:
        """A server-side validator rejected a progress write."""
        return self.code == "anti_cheat_rejected"

    @property
    def is_event_disabled(self) -> bool:
        """409: the event is disabled ("coming soon")."""
        return self.code == "event_disabled"

    @property
    def is_no_active_window(self) -> bool:
        """409: the event is between windows."""
        return self.code == "no_active_window"

    @property
    def is_no_leaderboard(self) -> bool:
        """503: the server could not find or allocate the leaderboard."""
        return self.code == "no_leaderboard"

    @property
    def is_max_attempts_reached(self) -> bool:
        """429: every attempt of the current window is used."""
        return self.code == "max_attempts_reached"

    @property
    def is_max_daily_attempts_reached(self) -> bool:
        """429: the per-day attempt cap is reached."""
        return self.code == "max_daily_attempts_reached"

    @property
    def is_attempt_finished(self) -> bool:
        """409: progress on a completed or expired attempt."""
        return self.code == "attempt_finished"

    @property
    def is_invalid_metric(self) -> bool:
        """400: unknown metric key."""
        return self.code == "invalid_metric"

    @property
    def is_unlock_condition_failed(self) -> bool:
        """403: the player cannot see the event yet."""
        return self.code == "unlock_condition_failed"

    @property
    def is_invalid_unlock_condition(self) -> bool:
        """500: malformed unlock condition in the game config."""
        return self.code == "invalid_unlock_condition"

    @property
    def is_entry_requirement_failed(self) -> bool:
        """403: the entry requirement (ownership gate) failed."""
        return self.code == "entry_requirement_failed"

    @property
    def is_invalid_entry_requirement(self) -> bool:
        """500: malformed entry requirement in the game config."""
        return self.code == "invalid_entry_requirement"

    @property
    def is_insufficient_entry_cost(self) -> bool:
        """402: the player cannot afford the entry cost (nothing was charged)."""
        return self.code == "insufficient_entry_cost"

    @property
    def is_lobby_forming(self) -> bool:
        """202: the lobby is filling; poll ``details["lobbyId"]``."""
        return self.code == "lobby_forming"

    @property
    def is_inventory_not_permissive(self) -> bool:
        """403: client-side grants need a permissive inventory."""
        return self.code == "inventory_not_permissive"

    @property
    def is_client_scoring_disabled(self) -> bool:
        """403: ``submit_score`` on a server-only board."""
        return self.code == "client_scoring_disabled"

    @property
    def is_score_not_supported(self) -> bool:
        """400: ``submit_score`` on a progression-ranked board."""
        return self.code == "score_not_supported"

    @property
    def is_player_blocked(self) -> bool:
        """403: friend request to or from a blocked player."""
        return self.code == "player_blocked"

    @property
    def is_already_friends(self) -> bool:
        """409: friend request to an existing friend."""
        return self.code == "already_friends"

    @property
    def is_cannot_friend_self(self) -> bool:
        """400: friend request to oneself."""
        return self.code == "cannot_friend_self"

    @property
    def is_friend_code_invalid(self) -> bool:
        """404: unknown friend code."""
        return self.code == "friend_code_invalid"

    @property
    def is_gifting_disabled(self) -> bool:
        """403: gifting is disabled for this game."""
        return self.code == "gifting_disabled"

    @property
    def is_service_unavailable(self) -> bool:
        """503: an injected emulator fault."""
        return self.code == "service_unavailable"

    @property
    def is_payload_too_large(self) -> bool:
        """413: the request body is over the emulator's limit."""
        return self.code == "payload_too_large"


class KratyProtocolError(KratyApiError):
    """A 2xx response that breaks the protocol; never retried.

    Attributes:
        status: the HTTP status of the response (200 when only a decoder saw it).
        field: dotted path of the offending member (``data.entries[3].score``), or ``None``.
        body: the first characters of the body, secrets masked (``None`` when unknown).
        outcome_unknown: True when the request was a write: a 2xx means the server
            applied it, but its answer could not be read.
        idempotency_key: the key the write carried; repeat the call with it to get the
            server's recorded answer (it is replayed, not applied again).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 200,
        field: str | None = None,
        body: str | None = None,
        outcome_unknown: bool = False,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(
            status,
            KratyErrorCode.INTERNAL_ERROR,
            message,
            None,
            outcome_unknown=outcome_unknown,
            idempotency_key=idempotency_key,
        )
        self.field: str | None = field
        self.body: str | None = redact_text(body[:ERROR_BODY_SNIPPET]) if body is not None else None

    def __repr__(self) -> str:
        return (
            f"KratyProtocolError(status={self.status}, field={self.field!r}, "
            f"message={self.message!r}{self._outcome_repr()})"
        )

    def _mask(self, mask: SecretMask) -> None:
        super()._mask(mask)
        if self.field is not None:
            self.field = mask.text(self.field)
        if self.body is not None:
            self.body = mask.text(self.body)

    def with_response(self, status: int, body: str | None) -> KratyProtocolError:
        """A copy carrying the real HTTP status and body snippet (and this error's
        ``outcome_unknown`` / ``idempotency_key``)."""
        return KratyProtocolError(
            self.message,
            status=status,
            field=self.field,
            body=body,
            outcome_unknown=self.outcome_unknown,
            idempotency_key=self.idempotency_key,
        )


def _rebuild_api_error(cls: type[KratyApiError], state: dict[str, Any]) -> KratyApiError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, state.get("status"), str(state.get("code")), state.get("message"))
    return err


class KratyNetworkError(KratyError):
    """No usable response arrived within the retry budget.

    Attributes:
        message: what went wrong (no secrets).
        original_cause: the last transport exception (also ``__cause__``).
        outcome_unknown: True when a write may have reached the server (a request was
            sent but no response arrived, or an attempt was answered 500/502/504).
            Retrying with the same ``idempotency_key`` is safe.
        idempotency_key: the key the call carried (``None`` for GET/DELETE).
        queued: True when the write is kept in the client's outbox and will be sent
            when the server is reachable again; do not repeat the call.
    """

    queued: bool = False

    def __init__(
        self,
        message: str,
        *,
        original_cause: BaseException | None = None,
        outcome_unknown: bool = False,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.original_cause: BaseException | None = original_cause
        self.outcome_unknown: bool = outcome_unknown
        self.idempotency_key: str | None = idempotency_key

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, outcome_unknown={self.outcome_unknown}, "
            f"idempotency_key={self.idempotency_key!r})"
        )

    def _mask(self, mask: SecretMask) -> None:
        super()._mask(mask)
        self.message = mask.text(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_network_error,
            (type(self), self.message, self.outcome_unknown, self.idempotency_key, self.queued),
        )


def _rebuild_network_error(
    cls: type[KratyNetworkError],
    message: str,
    outcome_unknown: bool,
    key: str | None,
    queued: bool = False,
) -> KratyNetworkError:
    error = cls(message, outcome_unknown=outcome_unknown, idempotency_key=key)
    if queued:
        error.queued = True
    return error


class KratyTimeoutError(KratyNetworkError):
    """An attempt hit its deadline (after the retry budget, or with one attempt)."""


class KratyCancelledError(KratyNetworkError):
    """The call was aborted by ``close()`` or a cancel token; never retried."""


class KratyPollTimeoutError(KratyError, TimeoutError):
    """A poll helper gave up after its timeout."""


class KratyStreamError(KratyError):
    """A live stream gave up (after its reconnects or fallback)."""


class SecretStoreError(KratyError):
    """A player secret could not be read or written (the store is never silently reset)."""


class OutboxError(KratyError):
    """The outbox directory cannot be used (unreadable, locked out, or from a newer
    version of this library); nothing in it was changed or lost."""


class OutboxWriteError(OutboxError):
    """A write could not be recorded in the outbox (for example the disk is full).

    Nothing was queued and nothing was sent: the call had no effect. Free some space
    (or fix the directory's permissions) and make the call again.

    Attributes:
        directory: the outbox directory.
        errno: the operating system's error number, when there is one.
    """

    def __init__(self, message: str, *, directory: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.directory: str = directory
        self.errno: int | None = errno

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_outbox_write_error, (str(self), self.directory, self.errno))


def _rebuild_outbox_write_error(
    message: str, directory: str, errno: int | None
) -> OutboxWriteError:
    return OutboxWriteError(message, directory=directory, errno=errno)


def is_lobby_forming(exc: BaseException) -> bool:
    """True when ``exc`` is the 202 ``lobby_forming`` answer of ``events.start``."""
    return isinstance(exc, KratyApiError) and exc.code == "lobby_forming"
