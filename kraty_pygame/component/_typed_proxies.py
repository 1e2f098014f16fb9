"""Typed ``component.<area>`` proxies for type checkers. Generated: do not edit.

``python scripts/operations.py`` writes this file from the SDK's operation
declarations; a test fails when it is out of date. Only type checkers import it:
at run time the proxies are made from the declarations (``proxies.py``).
"""

from __future__ import annotations

from kraty_pygame.component.proxies import ResourceProxy, typed
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


class CatalogProxy(ResourceProxy[CatalogClient]):
    """``component.catalog``: non-blocking ``kraty.catalog``."""

    read = typed(CatalogClient.read)


class EventLeaderboardsProxy(ResourceProxy[EventLeaderboardsClient]):
    """``component.event_leaderboards``: non-blocking ``kraty.event_leaderboards``."""

    read = typed(EventLeaderboardsClient.read)
    join = typed(EventLeaderboardsClient.join)


class EventsProxy(ResourceProxy[EventsClient]):
    """``component.events``: non-blocking ``kraty.events``."""

    list_for_player = typed(EventsClient.list_for_player)
    start = typed(EventsClient.start)
    progress = typed(EventsClient.progress)
    finish = typed(EventsClient.finish)


class FriendsProxy(ResourceProxy[FriendsClient]):
    """``component.friends``: non-blocking ``kraty.friends``."""

    get_code = typed(FriendsClient.get_code)
    heartbeat = typed(FriendsClient.heartbeat)
    list = typed(FriendsClient.list)
    search = typed(FriendsClient.search)
    list_requests = typed(FriendsClient.list_requests)
    list_blocks = typed(FriendsClient.list_blocks)
    add = typed(FriendsClient.add)
    accept = typed(FriendsClient.accept)
    decline = typed(FriendsClient.decline)
    cancel_request = typed(FriendsClient.cancel_request)
    remove = typed(FriendsClient.remove)
    block = typed(FriendsClient.block)
    unblock = typed(FriendsClient.unblock)
    gift_catalog = typed(FriendsClient.gift_catalog)
    send_gift = typed(FriendsClient.send_gift)
    gifts = typed(FriendsClient.gifts)
    sent_gifts = typed(FriendsClient.sent_gifts)
    claim_gift = typed(FriendsClient.claim_gift)


class GrantsProxy(ResourceProxy[GrantsClient]):
    """``component.grants``: non-blocking ``kraty.grants``."""

    list_pending = typed(GrantsClient.list_pending)
    claim = typed(GrantsClient.claim)
    open = typed(GrantsClient.open)
    collect_all = typed(GrantsClient.collect_all)
    grant = typed(GrantsClient.grant)


class InventoryProxy(ResourceProxy[InventoryClient]):
    """``component.inventory``: non-blocking ``kraty.inventory``."""

    list = typed(InventoryClient.list)
    consume = typed(InventoryClient.consume)


class LeaderboardsProxy(ResourceProxy[LeaderboardsClient]):
    """``component.leaderboards``: non-blocking ``kraty.leaderboards``."""

    read = typed(LeaderboardsClient.read)
    list_periods = typed(LeaderboardsClient.list_periods)
    submit_score = typed(LeaderboardsClient.submit_score)
    join = typed(LeaderboardsClient.join)
    standings = typed(LeaderboardsClient.standings)


class LobbiesProxy(ResourceProxy[LobbiesClient]):
    """``component.lobbies``: non-blocking ``kraty.lobbies``."""

    read = typed(LobbiesClient.read)


class PlayersProxy(ResourceProxy[PlayersClient]):
    """``component.players``: non-blocking ``kraty.players``."""

    register = typed(PlayersClient.register)
    rotate = typed(PlayersClient.rotate)
    set_identity = typed(PlayersClient.set_identity)
    get_identities = typed(PlayersClient.get_identities)
    get_identity = typed(PlayersClient.get_identity)
    get_anonymized_identity = typed(PlayersClient.get_anonymized_identity)
    set_metadata = typed(PlayersClient.set_metadata)
    merge_metadata = typed(PlayersClient.merge_metadata)


class WalletProxy(ResourceProxy[WalletClient]):
    """``component.wallet``: non-blocking ``kraty.wallet``."""

    list = typed(WalletClient.list)
    debit = typed(WalletClient.debit)
    progress = typed(WalletClient.progress)


class Proxies:
    """The component's proxies, one per resource client of the facade."""

    catalog: CatalogProxy
    event_leaderboards: EventLeaderboardsProxy
    events: EventsProxy
    friends: FriendsProxy
    grants: GrantsProxy
    inventory: InventoryProxy
    leaderboards: LeaderboardsProxy
    lobbies: LobbiesProxy
    players: PlayersProxy
    wallet: WalletProxy
