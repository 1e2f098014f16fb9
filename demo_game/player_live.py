"""The Player screen's live side: the inventory stream and the server clock.

* **Live inventory.** ``component.watch_inventory(ignore_own_writes=True)`` follows
  the player's inventory stream and posts ``KRATY_INVENTORY`` for every change made
  elsewhere (a backend's ``/server/v1`` grant, a claimed gift, a level reward); the
  game's own writes are filtered out because their results already update the screen.
  Each change is applied to the holdings at once (the event carries the amount
  after the change) and listed in a short feed; a new grant reloads the pending list.
* **Server clock.** The component syncs the server clock by itself when it starts;
  the demo syncs again (``component.sync_time()``) after the Debug screen moves the
  emulator's clock, on request, and every few minutes. Between syncs
  ``component.server_now()`` ticks locally (no I/O), so countdowns agree with the
  server; ``component.time_sync`` holds the latest offset and round trip.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import pygame

from kraty_pygame.component.watchers import Watcher
from kraty_pygame.sdk import (
    GrantCreated,
    InventoryChange,
    PlayerItemHolding,
    PlayerWalletHolding,
    TimeSync,
    WalletChange,
)

from . import rules
from .rules import describe_error
from .state import LiveChange

if TYPE_CHECKING:
    from .session import Session
    from .state import DemoState

RESYNC_EVERY_S: Final = 300.0
#: How long a holding row glows after a live change.
FLASH_S: Final = 6.0


class PlayerLive:
    """Applies ``KRATY_INVENTORY`` events to the holdings and keeps the server clock synced."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._watcher: Watcher | None = None
        self._since_sync = 0.0
        self._sync_in_flight = False
        self._seq = 0
        #: item / economy key -> seconds of glow left (the Player screen reads it)
        self.flash: dict[str, float] = {}

    @property
    def state(self) -> DemoState:
        return self.session.state

    # ------------------------------------------------------------------ watcher

    def start(self) -> None:
        """Follow the active player's inventory stream (after identity is known)."""
        if self.session.closing:
            return
        self.stop_watchers()
        with self.session.meter.measure():
            self._watcher = self.session.component.watch_inventory(ignore_own_writes=True)

    def stop_watchers(self) -> None:
        """Stop the inventory watcher (sign out, switch player, shutdown)."""
        if self._watcher is not None:
            with self.session.meter.measure():
                self._watcher.stop()
            self._watcher = None

    @property
    def connection(self) -> str:
        """The stream's last ``KRATY_CONNECTION`` state (``idle`` before any)."""
        return self.state.connections.get("inventory", "idle")

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
            self.session.schedule("player", 0.1)  # the pending list shows the new grant
            if data.source_kind == "gift":
                self.session.friends.gift_arrived()

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
        self.flash[key] = FLASH_S
        if data.origin == "server":
            name = self.state.names().get(key, rules.pretty_key(key))
            sign = "+" if delta >= 0 else ""
            self.session.app.notify(f"Live: {sign}{delta} {name} from the server", "good")

    # ------------------------------------------------------------------ server clock

    def sync_time(self) -> None:
        """``component.sync_time()``: measure the server clock (one GET, off the main thread)."""
        if self._sync_in_flight or self.session.closing:
            return
        self._sync_in_flight = True
        self._since_sync = 0.0
        self.session.call(self.session.component.sync_time, self._synced, self._sync_failed)

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
        self.session.app.notify(f"sync_time: {describe_error(error)}", "warn")

    @property
    def is_time_synced(self) -> bool:
        """``component.is_time_synced`` (no I/O)."""
        with self.session.meter.measure():
            return self.session.component.is_time_synced

    def server_now(self) -> datetime | None:
        """``component.server_now()`` once synced (no I/O), else None."""
        component = self.session.component
        with self.session.meter.measure():
            return component.server_now() if component.is_time_synced else None

    def seconds_until(self, iso: str | None) -> float | None:
        """Seconds from the server's now to ``iso`` (synced clock; emulator offset before)."""
        moment = _parse(iso)
        if moment is None:
            return None
        now = self.server_now()
        if now is None:
            return self.session.seconds_until(iso)
        return (moment - now).total_seconds()

    def tick(self, dt: float) -> None:
        """Age the feed and the glow; re-sync the clock now and then."""
        for change in self.state.live_changes:
            change.age += dt
        for key in list(self.flash):
            self.flash[key] -= dt
            if self.flash[key] <= 0:
                del self.flash[key]
        with self.session.meter.measure():
            latest = self.session.component.time_sync
        self._note_sync(latest)
        self._since_sync += dt
        if self._since_sync >= RESYNC_EVERY_S and not self.session.signed_out:
            self.sync_time()


def _parse(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso[:-1] + "+00:00" if iso.endswith("Z") else iso)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
