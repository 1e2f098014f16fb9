"""Live inventory changes: ledger rows and new grants of committed writes, published
as stream events (one channel per player)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from kraty_pygame.emulator.store import Store, Transaction
from kraty_pygame.emulator.streams.broadcast import Broadcaster, Subscription

_log = logging.getLogger(__name__)


def channel_of(player_id: str) -> str:
    """The broadcaster channel of one player's inventory stream."""
    return f"inventory:{player_id}"


class InventoryFeed:
    """Publishes ledger rows and new grants of committed transactions to a broadcaster.

    Every holding change already writes a ``ledger`` row and every grant a ``grants`` row,
    whoever made it (client routes, ``/server/v1``, claims, crate openings, seeding,
    finalization rewards). So instead of a publish call in each writer, the feed hooks the
    store once: just before each write transaction commits it reads the rows added since
    its watermarks, and ``tx.after_commit`` publishes them per player and advances the
    watermarks — a rolled-back transaction publishes nothing. While no stream is open a
    commit reads nothing; the watermarks catch up when the next stream subscribes.

    Events (``event:`` name = kind), one channel per player (``inventory:<player id>``):

    * ``inventory_changed`` ``{itemKey, delta, quantity, reason, origin, ledgerId, occurredAt}``
    * ``wallet_changed`` ``{economyKey, delta, balance, reason, origin, ledgerId, occurredAt}``
    * ``grant_created`` ``{grantId, grantKind, sourceKind, contents, occurredAt}``
    """

    def __init__(self, store: Store, hub: Broadcaster | None = None) -> None:
        self.hub = hub or Broadcaster()
        self._store = store
        self._lock = threading.Lock()
        self._ledger_mark = 0
        self._grant_mark = 0
        self.published = 0
        self._stale = False  # commits went unread: the marks lag behind the rows
        self._reset_marks()  # watermarks start at the current rows
        store.before_commit.append(self._before_commit)

    # ------------------------------------------------------------ wiring

    def reset(self) -> None:
        """The database was wiped: end open streams and start from its rows again."""
        self.hub.close_all("reset")
        self._reset_marks()

    def subscribe(self, player_id: str) -> Subscription:
        """Subscribe to one player's changes from the next commit on (takes the store
        lock, so no write is half-way while the subscription starts)."""
        with self._store.read():
            if self._stale:
                self._reset_marks()
            return self.hub.subscribe(channel_of(player_id))

    def _reset_marks(self) -> None:
        with self._store.read() as conn:
            ledger = conn.execute("SELECT COALESCE(MAX(id), 0) FROM ledger").fetchone()
            grant = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM grants").fetchone()
        with self._lock:
            self._ledger_mark, self._grant_mark = int(ledger[0]), int(grant[0])
            self._stale = False

    # ------------------------------------------------------------ collecting

    def _before_commit(self, tx: Transaction) -> None:
        try:
            self._collect(tx)
        except Exception:  # a feed problem never fails the write itself
            _log.exception("inventory feed: collecting changes failed")

    def _collect(self, tx: Transaction) -> None:
        if self.hub.subscriber_count() == 0:
            self._stale = True  # nobody to tell; catch up at the next subscription
            return
        conn = tx.conn
        with self._lock:
            ledger_mark, grant_mark = self._ledger_mark, self._grant_mark
        events: list[tuple[str, str, dict[str, Any]]] = []
        new_ledger, new_grant = ledger_mark, grant_mark
        for row in conn.execute(
            "SELECT id, player_id, kind, key, delta, after, reason, origin, occurred_at "
            "FROM ledger WHERE id > ? ORDER BY id",
            (ledger_mark,),
        ):
            new_ledger = int(row[0])
            common = {
                "delta": int(row[4]),
                "reason": row[6],
                "origin": row[7],
                "ledgerId": str(row[0]),
                "occurredAt": row[8],
            }
            if row[2] == "inventory":
                data = {"itemKey": row[3], "quantity": int(row[5]), **common}
                events.append((row[1], "inventory_changed", data))
            else:
                data = {"economyKey": row[3], "balance": int(row[5]), **common}
                events.append((row[1], "wallet_changed", data))
        for row in conn.execute(
            "SELECT rowid, id, player_id, kind, source_kind, contents, created_at "
            "FROM grants WHERE rowid > ? ORDER BY rowid",
            (grant_mark,),
        ):
            new_grant = int(row[0])
            data = {
                "grantId": row[1],
                "grantKind": row[3],
                "sourceKind": row[4],
                "contents": json.loads(row[5]),
                "occurredAt": row[6],
            }
            events.append((row[2], "grant_created", data))
        if new_ledger != ledger_mark or new_grant != grant_mark:
            marks = (new_ledger, new_grant)
            tx.after_commit(lambda: self._advance(marks, events))

    def _advance(
        self, marks: tuple[int, int], events: list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        with self._lock:
            self._ledger_mark = max(self._ledger_mark, marks[0])
            self._grant_mark = max(self._grant_mark, marks[1])
        for player_id, kind, data in events:
            self.published += self.hub.publish(channel_of(player_id), kind, data)
