"""Player identity (docs/identity.md): the resolver, sign-in/logout and secret stores.

The first player-scoped call resolves the active player once: constructor id ->
persisted id -> a fresh ``kp_<32 hex>`` registration. Exactly one resolution is in
flight per client (a lock), and per store file across processes (the store's file
lock is held across read-check-register-write), so two running copies of a game never
both register.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from kraty_pygame.sdk._secret_store import (
    FileSecretStore,
    InMemorySecretStore,
    KeyringSecretStore,
    LockingSecretStore,
    SecretStore,
    default_store_path,
    store_namespace,
)
from kraty_pygame.sdk.errors import KratyConfigError, KratyProtocolError, SecretStoreError
from kraty_pygame.sdk.models.players import PlayerRegistration, SyntheticIdentity
from kraty_pygame.sdk.options import is_header_safe
from kraty_pygame.sdk.transport import KratyClient, encode_segment

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "FileSecretStore",
    "Identity",
    "IdentityListener",
    "IdentityManager",
    "InMemorySecretStore",
    "KeyringSecretStore",
    "LockingSecretStore",
    "SecretStore",
    "decode_registration",
    "default_store_path",
    "generate_external_player_id",
    "store_namespace",
    "validate_secret",
]

_log = logging.getLogger("kraty_pygame.sdk")

IdentityListener = Callable[[str | None, str], None]
"""Called with (external_player_id, reason); reasons: ``registered``, ``resumed``,
``signed_in``, ``logged_out``, ``secret_invalid``, ``recovered``, ``rotated``."""


def generate_external_player_id() -> str:
    """A fresh SDK-minted id: ``kp_`` + 32 lowercase hex."""
    return "kp_" + uuid.uuid4().hex


def validate_secret(name: str, value: object) -> str:
    """A non-empty header-safe string, else ``KratyConfigError`` (the value is never echoed)."""
    if not isinstance(value, str) or not value:
        raise KratyConfigError(f"{name} must be a non-empty string")
    if not value.isprintable() or any(c.isspace() for c in value):
        raise KratyConfigError(f"{name} contains whitespace or control characters")
    return value


def decode_registration(obj: object) -> PlayerRegistration:
    """``PlayerRegistration.from_wire`` that also refuses a secret the client could not send.

    A server-issued secret travels back in a header on every later call, so anything
    but visible ASCII (a CR/LF could smuggle a header in) is a protocol error, raised
    before anything is stored. The value is never echoed.
    """
    registration = PlayerRegistration.from_wire(obj)
    if registration.secret and not is_header_safe(registration.secret):
        raise KratyProtocolError(
            "register response carries a secret that is not visible ASCII "
            "(it could not be sent back as a header); nothing was stored",
            field="data.secret",
        )
    return registration


def _validate_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise KratyConfigError(f"{name} must be a non-empty string")
    return value


@dataclass(frozen=True)
class Identity:
    """The active player: external id and secret (the secret never shows in ``repr``)."""

    external_player_id: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Identity(external_player_id={self.external_player_id!r}, secret='***')"


class IdentityManager:
    """Resolves, installs and forgets the active player for one client.

    Args:
        client: the transport (used for the lazy ``register``).
        store: where secrets persist.
        active_external_player_id: constructor id (tier 1), optional.
        player_secret: constructor secret; needs ``active_external_player_id``.
        auto_recover_identity: on 401 ``player_secret_invalid`` for the active player,
            ``logout()`` and retry the call once (default False: the error is raised and
            the stored identity is kept).
        generate_id: id generator (tests).
    """

    def __init__(
        self,
        client: KratyClient,
        store: SecretStore,
        *,
        active_external_player_id: str | None = None,
        player_secret: str | None = None,
        auto_recover_identity: bool = False,
        generate_id: Callable[[], str] = generate_external_player_id,
    ) -> None:
        if active_external_player_id is not None:
            _validate_id("active_external_player_id", active_external_player_id)
        if player_secret is not None:
            validate_secret("player_secret", player_secret)
            if active_external_player_id is None:
                raise KratyConfigError(
                    "player_secret needs active_external_player_id: a secret is only "
                    "meaningful together with the player id it belongs to"
                )
        for method in (
            "read",
            "write",
            "remove",
            "read_active_external_player_id",
            "write_active_external_player_id",
            "clear_active_external_player_id",
        ):
            if not callable(getattr(store, method, None)):
                raise KratyConfigError(
                    f"secret_store must implement SecretStore ({method} missing)"
                )
        self._client = client
        self._store = store
        self._explicit_id = active_external_player_id
        self._auto_recover = auto_recover_identity
        self._generate_id = generate_id
        self._lock = threading.RLock()
        self._listeners: list[IdentityListener] = []
        self._synthetic: SyntheticIdentity | None = None  # from this session's register
        self._identity: Identity | None = (
            Identity(active_external_player_id, player_secret)
            if active_external_player_id is not None and player_secret is not None
            else None
        )
        client.bind_identity(self.current_secret, self._on_secret_invalid)
        client.hold_secret(player_secret)

    def __repr__(self) -> str:
        return f"IdentityManager(active={self.active_external_player_id!r}, store={self._store!r})"

    # ------------------------------------------------------------------ reading

    @property
    def store(self) -> SecretStore:
        """The secret store in use."""
        return self._store

    @property
    def active_external_player_id(self) -> str | None:
        """The active player id (the constructor id before the first resolve), else ``None``."""
        identity = self._identity
        return identity.external_player_id if identity is not None else self._explicit_id

    def current(self) -> Identity | None:
        """The installed identity, without any I/O."""
        return self._identity

    @property
    def synthetic_identity(self) -> SyntheticIdentity | None:
        """The generated identity of a player this client registered (None otherwise)."""
        return self._synthetic

    def current_secret(self) -> str | None:
        """The secret to send, if one is held."""
        identity = self._identity
        return identity.secret if identity is not None else None

    def add_listener(self, listener: IdentityListener) -> Callable[[], None]:
        """Call ``listener(external_player_id, reason)`` on identity changes; returns a remover."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    # ------------------------------------------------------------------ resolving

    def ensure(self) -> Identity:
        """Resolve the active player (may register one); at most one resolution in flight.

        Raises:
            SecretStoreError: the store is unreadable (e.g. a corrupt file, moved aside).
            KratyApiError, KratyNetworkError: the registration failed.
        """
        identity = self._identity
        if identity is not None:
            return identity
        with self._lock:
            identity = self._identity
            if identity is not None:
                return identity
            store_lock = (
                self._store.lock()
                if isinstance(self._store, LockingSecretStore)
                else contextlib.nullcontext()
            )
            with store_lock:
                identity, reason = self._resolve_locked()
            self._identity = identity
            self._client.hold_secret(identity.secret)
        self._emit(identity.external_player_id, reason)
        return identity

    def _resolve_locked(self) -> tuple[Identity, str]:
        store = self._store
        explicit = self._explicit_id
        candidate = explicit or store.read_active_external_player_id()
        if candidate:
            secret = store.read(candidate)
            if secret:
                if store.read_active_external_player_id() != candidate:
                    store.write_active_external_player_id(candidate)
                return Identity(candidate, secret), "resumed"
        new_id = explicit or self._generate_id()
        registration = self._client.request_decoded(
            "POST",
            f"/sdk/v1/players/{encode_segment(new_id)}/register",
            decode_registration,
            body={},
        )
        if not registration.secret:
            raise KratyProtocolError("register response carries no secret", field="data.secret")
        identity = Identity(new_id, registration.secret)
        self._identity = identity  # usable even if persisting fails below
        self._synthetic = registration.synthetic_identity
        try:
            store.write(new_id, registration.secret)
            store.write_active_external_player_id(new_id)
        except SecretStoreError:
            _log.warning("registered player %s but could not persist its secret", new_id)
            raise
        return identity, "registered"

    # ------------------------------------------------------------------ changing

    def sign_in(self, *, external_player_id: str, secret: str) -> None:
        """Install and persist a server-issued identity (no network call)."""
        _validate_id("external_player_id", external_player_id)
        validate_secret("secret", secret)
        with self._lock:
            store_lock = (
                self._store.lock()
                if isinstance(self._store, LockingSecretStore)
                else contextlib.nullcontext()
            )
            with store_lock:
                self._store.write(external_player_id, secret)
                self._store.write_active_external_player_id(external_player_id)
            self._identity = Identity(external_player_id, secret)
            self._client.hold_secret(secret)
            self._explicit_id = external_player_id
            self._synthetic = None
        self._emit(external_player_id, "signed_in")

    def logout(self) -> None:
        """Forget the active player here and in the store; the next call registers afresh."""
        with self._lock:
            identity = self._identity
            active = identity.external_player_id if identity is not None else self._explicit_id
            store_lock = (
                self._store.lock()
                if isinstance(self._store, LockingSecretStore)
                else contextlib.nullcontext()
            )
            with store_lock:
                if active is not None:
                    try:
                        self._store.remove(active)
                    except Exception as exc:  # best effort, as in every reference SDK
                        _log.debug("logout: removing the secret failed: %s", type(exc).__name__)
                self._store.clear_active_external_player_id()
            self._identity = None
            self._explicit_id = None
            self._synthetic = None
        self._emit(active, "logged_out")

    def install_rotated(self, external_player_id: str, secret: str) -> None:
        """After ``register(force=True)`` of the active player: use and persist the new secret."""
        with self._lock:
            identity = self._identity
            if identity is None or identity.external_player_id != external_player_id:
                return
            self._store.write(external_player_id, secret)
            self._identity = Identity(external_player_id, secret)
            self._client.hold_secret(secret)
        self._emit(external_player_id, "rotated")

    # ------------------------------------------------------------------ 401 handling

    def _on_secret_invalid(self, path: str, secret_sent: str | None) -> str | None:
        identity = self._identity
        if identity is None or secret_sent != identity.secret:
            return None
        prefix = f"/sdk/v1/players/{encode_segment(identity.external_player_id)}/"
        if not path.startswith(prefix):
            return None  # an ``as_`` call for another player: never touch the identity
        self._emit(identity.external_player_id, "secret_invalid")
        if not self._auto_recover:
            return None
        with self._lock:
            if self._identity is identity:
                self.logout()
        fresh = self.ensure()
        self._emit(fresh.external_player_id, "recovered")
        return f"/sdk/v1/players/{encode_segment(fresh.external_player_id)}/" + path[len(prefix) :]

    def _emit(self, external_player_id: str | None, reason: str) -> None:
        with self._lock:
            listeners = tuple(self._listeners)
        for listener in listeners:
            try:
                listener(external_player_id, reason)
            except Exception as exc:  # a listener never breaks identity handling
                _log.debug("identity listener raised %s; ignored", type(exc).__name__)
