"""Non-blocking mirrors of the facade's resource clients (no pygame import).

``component.events.progress(...)`` has the same parameters as
``kraty.events.progress(...)`` but queues the call and returns a
``RequestHandle[ProgressResponse]`` at once. Each proxy method is an :class:`_Op`
descriptor built from the SDK method itself, so a type checker sees the SDK's
parameters (``ParamSpec``) and return type (``TypeVar``) through the proxy.

The SDK client is looked up on the facade at call time (``getattr(kraty, area)``),
on the calling thread, which costs one attribute access and no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk._operation import operation_of

if TYPE_CHECKING:
    from collections.abc import Mapping

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
else:
    # At run time a proxy needs only each SDK method's name (a call looks the method up
    # on the facade and checks its arguments against it), so the resource modules and
    # their models load when the game first uses that area, not when it imports this.
    class _MethodNames(type):
        def __getattr__(cls, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)

            def method() -> None: ...

            method.__name__ = name
            return method

    def _names(client: str) -> type:
        return _MethodNames(client, (), {})

    CatalogClient = _names("CatalogClient")
    EventLeaderboardsClient = _names("EventLeaderboardsClient")
    EventsClient = _names("EventsClient")
    FriendsClient = _names("FriendsClient")
    GrantsClient = _names("GrantsClient")
    InventoryClient = _names("InventoryClient")
    LeaderboardsClient = _names("LeaderboardsClient")
    LobbiesClient = _names("LobbiesClient")
    PlayersClient = _names("PlayersClient")
    WalletClient = _names("WalletClient")

__all__ = [
    "CatalogProxy",
    "EventLeaderboardsProxy",
    "EventsProxy",
    "FriendsProxy",
    "GrantsProxy",
    "InventoryProxy",
    "LeaderboardsProxy",
    "LobbiesProxy",
    "PlayersProxy",
    "ResourceProxy",
    "Submitter",
    "WalletProxy",
]

C = TypeVar("C")
P = ParamSpec("P")
T = TypeVar("T")


class Submitter(Protocol):
    """What a proxy needs from the component: the facade and a way to queue a call."""

    @property
    def kraty(self) -> Any:
        """The blocking facade the calls run against."""
        ...

    def _submit(
        self,
        operation: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_write: bool,
    ) -> RequestHandle[Any]: ...


class ResourceProxy(Generic[C]):
    """Base of the per-area proxies: knows the area name and the component."""

    area: str = ""

    def __init__(self, component: Submitter) -> None:
        self._component = component

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for kraty.{self.area}>"


class _Op(Generic[C, P, T]):
    """A proxy method: queue ``kraty.<area>.<name>(...)`` and return its handle."""

    def __init__(self, method: Callable[Concatenate[C, P], T], *, write: bool) -> None:
        self._name = method.__name__
        declared = operation_of(method)
        # The SDK's own declaration wins: reads, writes and durable writes are listed once.
        self.is_write = write if declared is None else declared.is_write
        self.durable = declared is not None and declared.durable
        write = self.is_write
        self.__doc__ = (
            f"Queue ``kraty.<area>.{self._name}(...)``; returns a handle at once "
            f"({'durable write' if self.durable else 'write' if write else 'read'})."
        )

    @property
    def name(self) -> str:
        """The SDK method's name."""
        return self._name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Op[C, P, T]: ...

    @overload
    def __get__(self, obj: ResourceProxy[C], owner: type[Any]) -> Callable[P, RequestHandle[T]]: ...

    def __get__(
        self, obj: ResourceProxy[C] | None, owner: type[Any]
    ) -> _Op[C, P, T] | Callable[P, RequestHandle[T]]:
        if obj is None:
            return self
        component = obj._component
        area = obj.area
        name = self._name
        write = self.is_write
        operation = f"{area}.{name}"

        def call(*args: P.args, **kwargs: P.kwargs) -> RequestHandle[T]:
            bound = getattr(getattr(component.kraty, area), name)
            handle: RequestHandle[T] = component._submit(
                operation, bound, args, kwargs, is_write=write
            )
            return handle

        call.__name__ = name
        call.__doc__ = self.__doc__
        return call


def _read(method: Callable[Concatenate[C, P], T]) -> _Op[C, P, T]:
    return _Op(method, write=False)


def _write(method: Callable[Concatenate[C, P], T]) -> _Op[C, P, T]:
    return _Op(method, write=True)


class EventsProxy(ResourceProxy[EventsClient]):
    """``component.events``: non-blocking ``kraty.events``."""

    area = "events"
    list_for_player = _read(EventsClient.list_for_player)
    start = _write(EventsClient.start)
    progress = _write(EventsClient.progress)
    finish = _write(EventsClient.finish)


class GrantsProxy(ResourceProxy[GrantsClient]):
    """``component.grants``: non-blocking ``kraty.grants``."""

    area = "grants"
    list_pending = _read(GrantsClient.list_pending)
    claim = _write(GrantsClient.claim)
    open = _write(GrantsClient.open)
    collect_all = _write(GrantsClient.collect_all)
    grant = _write(GrantsClient.grant)


class LobbiesProxy(ResourceProxy[LobbiesClient]):
    """``component.lobbies``: non-blocking ``kraty.lobbies``."""

    area = "lobbies"
    read = _read(LobbiesClient.read)


class InventoryProxy(ResourceProxy[InventoryClient]):
    """``component.inventory``: non-blocking ``kraty.inventory``.

    For live changes use ``component.watch_inventory()`` instead of ``live()``/``watch()``.
    """

    area = "inventory"
    list = _read(InventoryClient.list)
    consume = _write(InventoryClient.consume)


class WalletProxy(ResourceProxy[WalletClient]):
    """``component.wallet``: non-blocking ``kraty.wallet``."""

    area = "wallet"
    list = _read(WalletClient.list)
    debit = _write(WalletClient.debit)
    progress = _write(WalletClient.progress)


class CatalogProxy(ResourceProxy[CatalogClient]):
    """``component.catalog``: non-blocking ``kraty.catalog``."""

    area = "catalog"
    read = _read(CatalogClient.read)


class EventLeaderboardsProxy(ResourceProxy[EventLeaderboardsClient]):
    """``component.event_leaderboards``: non-blocking reads and joins of per-event boards.

    For live updates use ``component.watch_leaderboard(...)`` instead of ``live()``.
    """

    area = "event_leaderboards"
    read = _read(EventLeaderboardsClient.read)
    join = _write(EventLeaderboardsClient.join)


class LeaderboardsProxy(ResourceProxy[LeaderboardsClient]):
    """``component.leaderboards``: non-blocking ``kraty.leaderboards`` (keyed boards)."""

    area = "leaderboards"
    read = _read(LeaderboardsClient.read)
    list_periods = _read(LeaderboardsClient.list_periods)
    standings = _read(LeaderboardsClient.standings)
    submit_score = _write(LeaderboardsClient.submit_score)
    join = _write(LeaderboardsClient.join)


class PlayersProxy(ResourceProxy[PlayersClient]):
    """``component.players``: non-blocking ``kraty.players``."""

    area = "players"
    register = _write(PlayersClient.register)
    rotate = _write(PlayersClient.rotate)
    set_identity = _write(PlayersClient.set_identity)
    get_identities = _read(PlayersClient.get_identities)
    get_identity = _read(PlayersClient.get_identity)
    get_anonymized_identity = _read(PlayersClient.get_anonymized_identity)
    set_metadata = _write(PlayersClient.set_metadata)
    merge_metadata = _write(PlayersClient.merge_metadata)


class FriendsProxy(ResourceProxy[FriendsClient]):
    """``component.friends``: non-blocking ``kraty.friends`` (friends, presence, gifts).

    ``component.watch_friends()`` polls the friend list and posts ``KRATY_FRIENDS``.
    """

    area = "friends"
    get_code = _read(FriendsClient.get_code)
    heartbeat = _write(FriendsClient.heartbeat)
    list = _read(FriendsClient.list)
    search = _read(FriendsClient.search)
    list_requests = _read(FriendsClient.list_requests)
    list_blocks = _read(FriendsClient.list_blocks)
    add = _write(FriendsClient.add)
    accept = _write(FriendsClient.accept)
    decline = _write(FriendsClient.decline)
    cancel_request = _write(FriendsClient.cancel_request)
    remove = _write(FriendsClient.remove)
    block = _write(FriendsClient.block)
    unblock = _write(FriendsClient.unblock)
    gift_catalog = _read(FriendsClient.gift_catalog)
    send_gift = _write(FriendsClient.send_gift)
    gifts = _read(FriendsClient.gifts)
    sent_gifts = _read(FriendsClient.sent_gifts)
    claim_gift = _write(FriendsClient.claim_gift)
