"""``Kraty``: the blocking SDK facade a program holds."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import requests

from kraty_pygame.sdk import _constants as C
from kraty_pygame.sdk.errors import KratyApiError, KratyConfigError
from kraty_pygame.sdk.identity import (
    FileSecretStore,
    Identity,
    IdentityManager,
    KeyringSecretStore,
    SecretStore,
)
from kraty_pygame.sdk.options import RequestInfo, RetryConfig
from kraty_pygame.sdk.transport import KratyClient

if TYPE_CHECKING:  # the parts below are imported when first used (see _Part)
    from kraty_pygame.sdk.finalization import (
        FinalizationListener,
        FinalizationResult,
        FinalizationTracker,
        MembershipRef,
    )
    from kraty_pygame.sdk.models.players import SyntheticIdentity
    from kraty_pygame.sdk.models.time import ServerTime, TimeSync
    from kraty_pygame.sdk.outbox import Outbox
    from kraty_pygame.sdk.resources.catalog import CatalogClient
    from kraty_pygame.sdk.resources.event_leaderboards import EventLeaderboardsClient
    from kraty_pygame.sdk.resources.events import EventsClient
    from kraty_pygame.sdk.resources.friends import FriendsClient
    from kraty_pygame.sdk.resources.grants import GrantsClient
    from kraty_pygame.sdk.resources.inventory import InventoryClient
    from kraty_pygame.sdk.resources.leaderboards import LeaderboardsClient
    from kraty_pygame.sdk.resources.lobbies import LobbiesClient
    from kraty_pygame.sdk.resources.players import PlayersClient
    from kraty_pygame.sdk.resources.wallet import WalletClient
    from kraty_pygame.sdk.server_time import ServerClock

__all__ = ["Kraty", "resource_areas"]

T = TypeVar("T")


class _Part(Generic[T]):
    """A resource client (or helper) of the facade, built on first access.

    Its module, and the models that module decodes, load only when a program first
    uses that area, which keeps ``import`` and construction cheap. The built object
    is stored on the instance, so later accesses are plain attribute reads.
    """

    def __init__(self, build: Callable[[Kraty], T], *, resource: bool = False) -> None:
        self._build = build
        self._name = build.__name__
        self.resource = resource  # a resource client: the component gives it a proxy

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Part[T]: ...

    @overload
    def __get__(self, obj: Kraty, owner: type[Any]) -> T: ...

    def __get__(self, obj: Kraty | None, owner: type[Any]) -> _Part[T] | T:
        if obj is None:
            return self
        with obj._parts_lock:
            value: T | None = obj.__dict__.get(self._name)
            if value is None:
                value = self._build(obj)
                obj.__dict__[self._name] = value
        return value


# Builders of the parts: each imports its module when the part is first used.
def _players(k: Kraty) -> PlayersClient:
    from kraty_pygame.sdk.resources.players import PlayersClient  # noqa: PLC0415

    return PlayersClient(k.client, k.identity)


def _events(k: Kraty) -> EventsClient:
    from kraty_pygame.sdk.resources.events import EventsClient  # noqa: PLC0415

    events = EventsClient(k.client, k.identity)
    events.on_started = k.finalization.record_start  # finalization catch-up membership
    return events


def _grants(k: Kraty) -> GrantsClient:
    from kraty_pygame.sdk.resources.grants import GrantsClient  # noqa: PLC0415

    return GrantsClient(k.client, k.identity)


def _lobbies(k: Kraty) -> LobbiesClient:
    from kraty_pygame.sdk.resources.lobbies import LobbiesClient  # noqa: PLC0415

    return LobbiesClient(k.client, k.identity)


def _inventory(k: Kraty) -> InventoryClient:
    from kraty_pygame.sdk.resources.inventory import InventoryClient  # noqa: PLC0415

    return InventoryClient(k.client, k.identity)


def _wallet(k: Kraty) -> WalletClient:
    from kraty_pygame.sdk.resources.wallet import WalletClient  # noqa: PLC0415

    return WalletClient(k.client, k.identity)


def _catalog(k: Kraty) -> CatalogClient:
    from kraty_pygame.sdk.resources.catalog import CatalogClient  # noqa: PLC0415

    return CatalogClient(k.client, k.identity)


def _event_leaderboards(k: Kraty) -> EventLeaderboardsClient:
    from kraty_pygame.sdk.resources.event_leaderboards import (  # noqa: PLC0415
        EventLeaderboardsClient,
    )

    boards = EventLeaderboardsClient(k.client, k.identity)
    boards.finalization = k.finalization
    return boards


def _leaderboards(k: Kraty) -> LeaderboardsClient:
    from kraty_pygame.sdk.resources.leaderboards import LeaderboardsClient  # noqa: PLC0415

    return LeaderboardsClient(k.client, k.identity)


def _finalization(k: Kraty) -> FinalizationTracker:
    from kraty_pygame.sdk.finalization import (  # noqa: PLC0415
        FinalizationTracker,
        remembered_player_id,
    )

    return FinalizationTracker(
        active_player_id=lambda: remembered_player_id(k.identity),
        read_event_board=lambda board_id, player_id: k.event_leaderboards.read(
            board_id, limit=50, include_self=True, external_id=player_id
        ),
    )


def _friends(k: Kraty) -> FriendsClient:
    from kraty_pygame.sdk.resources.friends import FriendsClient  # noqa: PLC0415

    return FriendsClient(k.client, k.identity)


def _server_clock(k: Kraty) -> ServerClock:
    from kraty_pygame.sdk.server_time import ServerClock  # noqa: PLC0415

    return ServerClock(k.client)


class Kraty:
    """The Kraty client SDK: options, transport, player identity and resource clients.

    Every method blocks; use it from a worker thread in a game (``KratyComponent`` does).

    Args:
        api_key: a ``client_sdk`` key (``{prefix}.{secret}``); never a server key.
        base_url: the backend (default ``https://api.kraty.io``); one trailing ``/`` is stripped.
        timeout: deadline of each HTTP attempt in seconds (connect + headers + body).
        retry: retry policy (default ``RetryConfig()``: 4 attempts, 0.1 s doubling, 5 s cap).
        session: a ``requests.Session`` to share (its plain adapter is made abortable
            for this base URL); ``None`` = a private one, closed by :meth:`close`.
        generate_idempotency_key: key generator for writes (default ``uuid4().hex``).
        on_request: telemetry callback, once per HTTP attempt; exceptions are ignored.
        player_secret: a known secret; needs ``active_external_player_id``.
        active_external_player_id: the player id to use (bring your own id).
        secret_store: where secrets persist; default a ``FileSecretStore`` in the user
            data dir, namespaced by base URL + API-key prefix.
        allow_insecure_http: allow ``http://`` to a non-loopback host (default False).
        auto_recover_identity: on 401 ``player_secret_invalid`` for the active player,
            log out and retry the call once with a fresh player (default False).
        max_response_bytes: larger responses are refused (default 8 MiB).
        outbox: an :class:`~kraty_pygame.sdk.outbox.Outbox` (or a directory for one) to
            record durable writes in before they are sent; they are then delivered
            exactly once, across outages and restarts (see docs/offline.md). A
            blocking call waits for its write within its usual time budget; if the
            server cannot be reached by then it raises with ``queued=True`` and the
            write is still delivered later. Default None: no outbox.

    Raises:
        KratyConfigError: an option is invalid.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = C.DEFAULT_BASE_URL,
        timeout: float = C.DEFAULT_TIMEOUT,
        retry: RetryConfig | None = None,
        session: requests.Session | None = None,
        generate_idempotency_key: Callable[[], str] | None = None,
        on_request: Callable[[RequestInfo], None] | None = None,
        player_secret: str | None = None,
        active_external_player_id: str | None = None,
        secret_store: SecretStore | None = None,
        allow_insecure_http: bool = False,
        auto_recover_identity: bool = False,
        max_response_bytes: int = C.DEFAULT_MAX_RESPONSE_BYTES,
        outbox: Outbox | str | os.PathLike[str] | None = None,
    ) -> None:
        self._parts_lock = threading.RLock()  # guards the first build of each _Part
        if not isinstance(allow_insecure_http, bool):
            raise KratyConfigError("allow_insecure_http must be a bool")
        if not isinstance(auto_recover_identity, bool):
            raise KratyConfigError("auto_recover_identity must be a bool")
        self.client: KratyClient = KratyClient(
            api_key,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            session=session,
            generate_idempotency_key=generate_idempotency_key,
            on_request=on_request,
            allow_insecure_http=allow_insecure_http,
            max_response_bytes=max_response_bytes,
        )
        try:
            store: SecretStore
            if secret_store is None:
                store = FileSecretStore.for_namespace(
                    self.client.base_url, self.client.api_key_prefix
                )
            else:
                store = secret_store
                if isinstance(store, FileSecretStore | KeyringSecretStore):
                    store.bind_namespace(self.client.base_url, self.client.api_key_prefix)
            self.identity: IdentityManager = IdentityManager(
                self.client,
                store,
                active_external_player_id=active_external_player_id,
                player_secret=player_secret,
                auto_recover_identity=auto_recover_identity,
            )
        except BaseException:
            self.client.close()
            raise
        self.outbox: Outbox | None = None
        """The outbox durable writes go through, or None."""
        if outbox is not None:
            try:
                self._attach_outbox(outbox)
            except BaseException:
                self.client.close()
                raise

    def _attach_outbox(self, outbox: Outbox | str | os.PathLike[str]) -> None:
        from kraty_pygame.sdk.outbox import Outbox  # noqa: PLC0415 - only when used

        if isinstance(outbox, str | os.PathLike):
            outbox = Outbox(outbox)
        elif not isinstance(outbox, Outbox):
            raise KratyConfigError("outbox must be an Outbox or a directory path")
        outbox.attach(self)
        self.outbox = outbox

    # Resource clients and helpers: built on first access (see _Part).
    players = _Part(_players, resource=True)
    events = _Part(_events, resource=True)
    grants = _Part(_grants, resource=True)
    lobbies = _Part(_lobbies, resource=True)
    inventory = _Part(_inventory, resource=True)
    wallet = _Part(_wallet, resource=True)
    catalog = _Part(_catalog, resource=True)
    event_leaderboards = _Part(_event_leaderboards, resource=True)
    leaderboards = _Part(_leaderboards, resource=True)
    finalization = _Part(_finalization)
    friends = _Part(_friends, resource=True)
    server_clock = _Part(_server_clock)

    @classmethod
    def connect_as_player(
        cls,
        api_key: str,
        external_player_id: str,
        *,
        auto_rotate_on_conflict: bool = True,
        **options: Any,
    ) -> Kraty:
        """Build a client for ``external_player_id`` and resolve that player now.

        The bring-your-own-id bootstrap of the reference SDK (TS ``Kraty.connectAsPlayer``):
        a stored secret resumes, an unknown id registers. If the id is registered but
        this device has no secret (409 ``player_already_registered``, e.g. app data
        wiped) and ``auto_rotate_on_conflict`` is on, the secret is rotated with
        ``register(force=True)`` — non-live keys only; a live key gets 403 ``forbidden``.
        ``options`` are the constructor's keyword options.

        Raises:
            KratyApiError: registration failed (the client is closed first).
        """
        kraty = cls(api_key, active_external_player_id=external_player_id, **options)
        try:
            try:
                kraty.ensure_identity()
            except KratyApiError as exc:
                if not (auto_rotate_on_conflict and exc.is_player_already_registered):
                    raise
                rotated = kraty.players.register(external_player_id, force=True)
                kraty.sign_in(external_player_id=external_player_id, secret=rotated.secret)
        except BaseException:
            kraty.close()
            raise
        return kraty

    def __repr__(self) -> str:
        return (
            f"Kraty(base_url={self.client.base_url!r}, "
            f"api_key={self.client.api_key_prefix or '?'}.***, "
            f"active_external_player_id={self.active_external_player_id!r})"
        )

    # ------------------------------------------------------------------ identity

    @property
    def active_external_player_id(self) -> str | None:
        """The active player id; ``None`` until the first resolve (unless given)."""
        return self.identity.active_external_player_id

    def ensure_identity(self) -> Identity:
        """Resolve the active player now (may register one); usually unnecessary."""
        return self.identity.ensure()

    def sign_in(self, *, external_player_id: str, secret: str) -> None:
        """Install and persist a server-issued identity (no network call)."""
        self.identity.sign_in(external_player_id=external_player_id, secret=secret)

    def logout(self) -> None:
        """Forget the active player; the next player-scoped call registers a fresh one.

        With an outbox, the player's pending writes stay recorded and are never sent
        as another player: they are delivered when that player signs in again (or
        dropped with ``kraty.outbox.discard(player_id)``).
        """
        self.identity.logout()

    @property
    def synthetic_identity(self) -> SyntheticIdentity | None:
        """The generated identity returned when this client registered the active player
        (v0.10.0+); None for a resumed or signed-in player (read
        ``players.get_anonymized_identity()`` then)."""
        return self.identity.synthetic_identity

    # ------------------------------------------------------------------ server time

    def get_server_time(self, *, timezone: str | None = None) -> ServerTime:
        """Read the server clock (``timezone``: an IANA name; default the game's zone)."""
        return self.server_clock.get_server_time(timezone=timezone)

    def sync_time(self) -> TimeSync:
        """Measure the server clock and anchor :meth:`server_now` to it (blocking, one GET).

        Returns the measurement (``round_trip_ms``, ``offset_ms``).
        """
        return self.server_clock.sync_time()

    def server_now(self) -> datetime:
        """The server's time now (aware UTC datetime, no I/O); needs a :meth:`sync_time`.

        Raises:
            KratyError: never synced.
        """
        return self.server_clock.server_now()

    def server_now_ms(self) -> int:
        """The server's time now in ms since the Unix epoch (no I/O); needs a sync.

        Raises:
            KratyError: never synced.
        """
        return self.server_clock.server_now_ms()

    @property
    def is_time_synced(self) -> bool:
        """True once :meth:`sync_time` succeeded."""
        return self.server_clock.is_time_synced

    @property
    def last_time_sync(self) -> TimeSync | None:
        """The latest :meth:`sync_time` measurement (round trip, offset), or None."""
        return self.server_clock.last_sync

    # ------------------------------------------------------------------ finalization (5.6)

    def on_finalized(self, listener: FinalizationListener) -> Callable[[], None]:
        """Call ``listener`` once per board of the player that ended; returns an unsubscribe."""
        return self.finalization.on_finalized(listener)

    def check_finalizations(self) -> list[FinalizationResult]:
        """Read the tracked boards still active; report (once) the ones that ended."""
        return self.finalization.check_finalizations()

    def dismiss(self, ref: MembershipRef | str) -> None:
        """Forget a membership (a ref or an event board id) once its result was shown."""
        self.finalization.dismiss(ref)

    def clear_reported(self) -> int:
        """Forget every already-reported membership; returns how many."""
        return self.finalization.clear_reported()

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Abort in-flight calls and release connections. Idempotent, any thread.

        An outbox is closed too: writes not delivered yet stay recorded for the next
        start (call ``kraty.outbox.close(timeout)`` first to give them time)."""
        if self.outbox is not None:
            self.outbox.close()
        self.client.close()

    def __enter__(self) -> Kraty:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def resource_areas(facade: object = Kraty) -> tuple[str, ...]:
    """The names of the facade's resource clients (``"events"``, ``"grants"``, ...).

    Nothing is imported or built: each name is a part marked as a resource client.
    Anything that is not a ``Kraty`` class gets the areas of ``Kraty``.
    """
    cls = facade if isinstance(facade, type) and issubclass(facade, Kraty) else Kraty
    return tuple(
        name
        for klass in reversed(cls.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, _Part) and value.resource
    )
