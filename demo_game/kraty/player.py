"""The player: identity, wallet, inventory, grants, the live inventory and the server clock.

Identity through ``ensure_identity()`` / ``logout()`` / ``sign_in(...)``; pending
grants from ``watch_grants()`` (``KRATY_GRANTS``); changes made elsewhere from
``watch_inventory(ignore_own_writes=True)`` (``KRATY_INVENTORY`` carries the amount
after the change, so nothing is read again); the server clock from the component,
copied into the state once per frame (no I/O).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import pygame

from kraty_pygame.component import Watcher
from kraty_pygame.sdk import (
    CollectAllResult,
    ConsumeItemResult,
    Grant,
    GrantCreated,
    Identity,
    InventoryChange,
    OpenCrateResponse,
    PlayerIdentity,
    PlayerItemHolding,
    PlayerWalletHolding,
    TimeSync,
    WalletChange,
)

from .. import rules
from ..overlays import CrateReveal, loot_from_entries
from ..rules import GLOW_S, describe_error
from ..state import LiveChange

if TYPE_CHECKING:
    from ..state import DemoState
    from .calls import Calls, Feedback, Refresher

log = logging.getLogger(__name__)

T = TypeVar("T")

SEEDED_PLAYER_ID: Final = "player_42"
# The emulator's seeded demo player: a public test secret of the bundled demo config.
SEEDED_PLAYER_SECRET: Final = "kps_demo_player_42_secret"  # noqa: S105
RESYNC_EVERY_S: Final = 300.0


class Player:
    """Who plays, what they hold, what waits for them; the live feed and the clock."""

    def __init__(
        self,
        calls: Calls,
        state: DemoState,
        feedback: Feedback,
        refresher: Refresher,
        *,
        on_ready: Callable[[], None],
        on_switch: Callable[[], None],
        on_gift_arrived: Callable[[], None],
    ) -> None:
        """``on_ready`` runs once the player is known (start the other features),
        ``on_switch`` before the player changes (stop them), ``on_gift_arrived`` when
        the live stream reports a friend's gift."""
        self.calls = calls
        self.component = calls.component
        self.state = state
        self.feedback = feedback
        self.refresher = refresher
        self.on_ready = on_ready
        self.on_switch = on_switch
        self.on_gift_arrived = on_gift_arrived
        self.switching = False  # a switch of player is under way
        self._generation = 0  # counts switches: an answer for an earlier player is dropped
        self._grants_watcher: Watcher | None = None
        self._inventory_watcher: Watcher | None = None
        self._since_sync = 0.0
        self._sync_in_flight = False
        self._seq = 0
        refresher.register("player", self.refresh)

    # ================================================================== identity

    def start(self) -> None:
        """First calls: the catalog, then the identity (and from it everything else)."""
        self.calls.submit(self.component.catalog.read, self._got_catalog)
        self._resolve_identity()

    def _got_catalog(self, catalog: Any) -> None:
        self.state.catalog = catalog

    def _resolve_identity(self) -> None:
        self.state.signed_out = False
        self.calls.submit(self.component.ensure_identity, self._identity_ready)

    def _identity_ready(self, identity: Identity) -> None:
        self.switching = False
        state = self.state
        state.player_id = identity.external_player_id
        state.has_secret = bool(identity.secret)
        self.feedback.register_secret(identity.secret)
        kraty = self.component.kraty
        synthetic = kraty.synthetic_identity  # a property: no I/O
        if synthetic is not None and synthetic.name:
            state.synthetic_name = synthetic.name
        self.load_display_identity()
        self.refresh()
        self._start_watchers()
        self.on_ready()

    def load_display_identity(self) -> None:
        """``players.get_identity()``: the name and country the player chose, if any."""
        kraty = self.component.kraty
        self.calls.submit(
            lambda: self.component.call(kraty.players.get_identity),
            self._mine(self._got_display_identity),
            lambda error: log.info("players.get_identity: %s", describe_error(error)),
        )

    def _got_display_identity(self, identity: PlayerIdentity | None) -> None:
        if identity is not None and identity.name:
            self.state.display_name = identity.name
            self.state.country = identity.country

    def on_identity(self, event: pygame.event.Event) -> None:
        """``KRATY_IDENTITY``: the player resolved, changed, or its secret was refused."""
        player = event.external_player_id
        if str(event.reason) == "secret_invalid":
            self.feedback.notify(f"Kraty refused the secret of {player}; sign in again.", "bad")
        if player:
            self.state.player_id = player

    def _mine(self, callback: Callable[[T], None]) -> Callable[[T], None]:
        """``callback``, run only if the player has not changed since the call was made
        (a late answer for the previous player must not land on the next one)."""
        generation = self._generation

        def run(result: T) -> None:
            if generation == self._generation:
                callback(result)

        return run

    def _switch(self) -> None:
        """Stop everything that belongs to the current player and forget it."""
        self._generation += 1
        self.switching = True
        self.stop_watchers()
        self.on_switch()
        self.state.reset_player()
        for source in ("grants", "inventory", "presence"):  # the next player's watchers report
            self.state.connections.pop(source, None)

    def sign_out(self) -> None:
        """``logout()``: forget the player (the next sign-in or new player resumes play)."""
        self._switch()
        self.state.signed_out = True
        self.calls.submit(
            self.component.logout, lambda _: self.feedback.notify("Signed out", "info")
        )

    def sign_in(self, external_player_id: str, secret: str) -> None:
        """``sign_in(external_player_id=…, secret=…)`` then reload everything."""
        if not external_player_id or not secret:
            self.feedback.notify("Sign in needs a player id and a secret.", "warn")
            return
        self.feedback.register_secret(secret)
        self._switch()
        self.calls.submit(
            lambda: self.component.sign_in(external_player_id=external_player_id, secret=secret),
            lambda _: self._signed_in(external_player_id),
        )

    def _signed_in(self, external_player_id: str) -> None:
        self.feedback.notify(f"Signed in as {external_player_id}", "good")
        self._resolve_identity()

    def sign_in_seeded(self) -> None:
        """Sign in as the emulator's seeded ``player_42``."""
        self.sign_in(SEEDED_PLAYER_ID, SEEDED_PLAYER_SECRET)

    def new_player(self) -> None:
        """``logout()`` then ``ensure_identity()``: a fresh ``kp_`` player."""
        self._switch()
        self.calls.submit(self.component.logout, lambda _: self._resolve_identity())

    # ================================================================== watchers

    def _start_watchers(self) -> None:
        if self.calls.closing:
            return
        self.stop_watchers()
        with self.calls.measure():
            self._grants_watcher = self.component.watch_grants(
                start=2.0, grow=1.5, max_interval=10.0
            )
            self._inventory_watcher = self.component.watch_inventory(ignore_own_writes=True)

    def stop_watchers(self) -> None:
        """Stop the grants and inventory watchers (sign out, switch player, shutdown)."""
        with self.calls.measure():
            for watcher in (self._grants_watcher, self._inventory_watcher):
                if watcher is not None:
                    watcher.stop()
        self._grants_watcher = None
        self._inventory_watcher = None

    # ================================================================== holdings and grants

    def refresh(self) -> None:
        """``wallet.list``, ``inventory.list`` and ``grants.list_pending``."""
        if self.state.signed_out:
            return
        self.calls.submit(self.component.wallet.list, self._mine(self._got_wallet))
        self.calls.submit(self.component.inventory.list, self._mine(self._got_inventory))
        self.calls.submit(self.component.grants.list_pending, self._mine(self._got_pending))

    def _got_wallet(self, wallet: list[PlayerWalletHolding]) -> None:
        self.state.wallet = list(wallet)

    def _got_inventory(self, inventory: list[PlayerItemHolding]) -> None:
        self.state.inventory = list(inventory)

    def _got_pending(self, pending: list[Grant]) -> None:
        self.state.pending = list(pending)

    def merge_pending(self, grants: list[Grant]) -> None:
        """Add grants not listed yet (``KRATY_GRANTS``, a fired milestone's grants)."""
        known = {g.id for g in self.state.pending}
        fresh = [g for g in grants if g.id not in known and g.status in ("", "pending")]
        self.state.pending.extend(fresh)

    def consume(self, item_key: str) -> None:
        """``inventory.consume(item, quantity=1)``."""
        self.calls.submit(
            lambda: self.component.inventory.consume(item_key, quantity=1, reason="demo"),
            self._mine(self._consumed),
        )

    def _consumed(self, result: ConsumeItemResult) -> None:
        state = self.state
        name = state.names().get(result.item_key, rules.pretty_key(result.item_key))
        # the answer says what is left: show it now (the live stream skips our own writes)
        state.inventory = with_quantity(state.inventory, result.item_key, result.quantity)
        state.consumed.append(result.item_key)
        self.feedback.notify(f"Used {name}: {result.quantity} left", "good")
        self.refresher.soon("player")
        self.refresher.soon("events")

    def claim(self, grant_id: str) -> None:
        """``grants.claim``."""
        self.calls.submit(lambda: self.component.grants.claim(grant_id), self._mine(self._claimed))

    def _claimed(self, grant: Grant) -> None:
        state = self.state
        state.claimed_grants.append(grant.id)
        state.pending = [g for g in state.pending if g.id != grant.id]
        text = f"Claimed {rules.describe_entries(grant.entries, state.names())}"
        self.feedback.notify(text, "good")
        self.feedback.play("coin")
        self.refresher.soon("player")
        self.refresher.soon("events")

    def open_crate(self, grant_id: str) -> None:
        """``grants.open``: the crate reveal shows the rolled contents."""
        self.calls.submit(lambda: self.component.grants.open(grant_id), self._mine(self._opened))

    def _opened(self, response: OpenCrateResponse) -> None:
        state = self.state
        state.opened_crates.append(response.crate.id)
        state.pending = [g for g in state.pending if g.id != response.crate.id]
        loot = loot_from_entries(response.contents.entries, state.names())
        self.feedback.open_overlay(CrateReveal("Crate opened!", loot))
        self.refresher.soon("player", 0.2)

    def collect_all(self) -> None:
        """``grants.collect_all``: claim every reward and open every crate."""
        self.calls.submit(self.component.grants.collect_all, self._mine(self._collected))

    def _collected(self, result: CollectAllResult) -> None:
        state = self.state
        state.claimed_grants.extend(g.id for g in result.claimed)
        state.opened_crates.extend(o.crate.id for o in result.opened)
        if result.opened:
            entries = [e for o in result.opened for e in o.contents.entries]
            loot = loot_from_entries(entries, state.names())
            self.feedback.open_overlay(CrateReveal(f"{len(result.opened)} crate(s) opened!", loot))
        text = f"Collected {len(result.claimed)} reward(s), opened {len(result.opened)} crate(s)"
        if result.has_failures:
            text += f", {len(result.failures)} failed"
        self.feedback.notify(text, "bad" if result.has_failures else "good")
        self.feedback.play("coin")
        self.refresher.soon("player", 0.2)

    # ================================================================== live inventory

    def on_inventory(self, event: pygame.event.Event) -> None:
        """One ``KRATY_INVENTORY`` event: apply it and list it."""
        state = self.state
        data = event.data
        if isinstance(data, InventoryChange):
            state.inventory = with_quantity(state.inventory, data.item_key, data.quantity)
            self._record("inventory_changed", data.item_key, data.delta, data.quantity, data)
        elif isinstance(data, WalletChange):
            state.wallet = _with_balance(state.wallet, data.economy_key, data.balance)
            self._record("wallet_changed", data.economy_key, data.delta, data.balance, data)
        elif isinstance(data, GrantCreated):
            self._seq += 1
            state.live_changes.appendleft(
                LiveChange(
                    "grant_created",
                    data.source_kind or data.grant_kind,
                    1,
                    0,
                    "",
                    "",
                    seq=self._seq,
                )
            )
            self.refresher.soon("player", 0.1)  # the pending list shows the new grant
            if data.source_kind == "gift":
                self.on_gift_arrived()

    def _record(
        self,
        kind: str,
        key: str,
        delta: int,
        after: int,
        data: InventoryChange | WalletChange,
    ) -> None:
        self._seq += 1
        change = LiveChange(
            kind, key, delta, after, data.origin or "?", data.reason or "", seq=self._seq
        )
        self.state.live_changes.appendleft(change)
        self.state.glow[key] = GLOW_S
        if data.origin == "server":
            name = self.state.names().get(key, rules.pretty_key(key))
            sign = "+" if delta >= 0 else ""
            self.feedback.notify(f"Live: {sign}{delta} {name} from the server", "good")

    # ================================================================== server clock

    def sync_time(self) -> None:
        """``component.sync_time()``: measure the server clock (one GET, off the main thread)."""
        if self._sync_in_flight or self.calls.closing:
            return
        self._sync_in_flight = True
        self._since_sync = 0.0
        self.calls.submit(self.component.sync_time, self._synced, self._sync_failed)

    def _synced(self, sync: TimeSync) -> None:
        self._sync_in_flight = False
        self._note_sync(sync)

    def _note_sync(self, sync: TimeSync | None) -> None:
        """Count each new sync once, whoever made it (the component at start, or us)."""
        state = self.state
        if sync is None or sync is state.time_sync:
            return
        state.time_sync = sync
        state.time_synced_at = sync.monotonic_anchor  # time.monotonic() mid-request
        state.time_syncs += 1

    def _sync_failed(self, error: BaseException) -> None:
        self._sync_in_flight = False
        self.feedback.notify(f"sync_time: {describe_error(error)}", "warn")

    def tick(self, dt: float) -> None:
        """Once per frame: the server clock into the state, age the feed and the glow,
        re-sync the clock now and then."""
        state = self.state
        component = self.component
        with self.calls.measure():
            latest = component.time_sync
            state.server_now = component.server_now() if component.is_time_synced else None
        self._note_sync(latest)
        for change in state.live_changes:
            change.age += dt
        for key in list(state.glow):
            state.glow[key] -= dt
            if state.glow[key] <= 0:
                del state.glow[key]
        self._since_sync += dt
        if self._since_sync >= RESYNC_EVERY_S and not state.signed_out:
            self.sync_time()


def with_quantity(
    holdings: list[PlayerItemHolding], item_key: str, quantity: int
) -> list[PlayerItemHolding]:
    """The holdings with ``item_key`` at ``quantity`` (a row at zero goes, as on the server)."""
    out = [h for h in holdings if h.item_key != item_key]
    if quantity > 0:
        old = next((h for h in holdings if h.item_key == item_key), None)
        row = (
            dataclasses.replace(old, quantity=quantity)
            if old is not None
            else PlayerItemHolding(item_key=item_key, quantity=quantity)
        )
        out.append(row)
    return out


def _with_balance(
    holdings: list[PlayerWalletHolding], economy_key: str, balance: int
) -> list[PlayerWalletHolding]:
    """The wallet with ``economy_key`` at ``balance``."""
    out = [h for h in holdings if h.economy_key != economy_key]
    old = next((h for h in holdings if h.economy_key == economy_key), None)
    out.append(
        dataclasses.replace(old, balance=balance)
        if old is not None
        else PlayerWalletHolding(economy_key=economy_key, balance=balance)
    )
    return out
