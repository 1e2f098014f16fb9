"""The outbox's records and the state they build, replayed in journal order.

Every record is idempotent (replaying a record twice changes nothing) and states only
move forward (recorded -> in flight -> applied / failed / unknown), so a process may
read its own records again, and a rewritten journal may repeat records it has seen.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

__all__ = [
    "APPLIED",
    "FAILED",
    "IN_FLIGHT",
    "RECORDED",
    "UNKNOWN",
    "Batch",
    "Entry",
    "State",
    "decode_record",
    "encode_record",
]

RECORDED: Final = "recorded"
IN_FLIGHT: Final = "in_flight"
APPLIED: Final = "applied"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"
_LIVE: Final = frozenset({RECORDED, IN_FLIGHT})

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode_record(header: dict[str, Any], body: bytes | None = None) -> bytes:
    """A record payload: compact JSON, then ``\\n`` and the raw request body if any."""
    text = _dumps(header).encode("utf-8")
    return text if body is None else text + b"\n" + body


def decode_record(payload: bytes) -> tuple[dict[str, Any], bytes | None] | None:
    """(header, body) of a payload; None for one this version does not understand."""
    head, sep, body = payload.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(header.get("t"), str):
        return None
    return header, (body if sep else None)


class Entry:
    """One recorded write, as it will go on the wire."""

    __slots__ = (
        "ambiguous",
        "at",
        "batch",
        "body",
        "ended_at",
        "error",
        "fingerprint",
        "fly_at",
        "fly_server",
        "foreign",
        "id",
        "key",
        "mergeable",
        "method",
        "op",
        "order",
        "origin",
        "path",
        "placeholder",
        "player",
        "query",
        "result",
        "state",
        "url",
    )

    def __init__(self, header: dict[str, Any], body: bytes | None, order: int) -> None:
        self.id: str = str(header["id"])
        self.op: str = str(header.get("op", ""))
        self.method: str = str(header.get("m", "POST"))
        self.path: str = str(header.get("p", ""))
        self.query: str = str(header.get("q", ""))
        self.body: bytes | None = body
        self.key: str | None = header.get("k")
        self.player: str | None = header.get("pl")
        self.fingerprint: str = str(header.get("fp", ""))
        self.url: str = str(header.get("u", ""))
        self.at: int = int(header.get("at", 0))
        self.placeholder: str | None = header.get("ph")
        self.mergeable: bool = bool(header.get("mg", False))
        self.origin: str = str(header.get("o", ""))
        self.order = order
        self.state: str = RECORDED
        self.batch: str | None = None
        self.fly_at: int | None = None
        self.fly_server: int | None = None
        self.ambiguous = False
        self.foreign = False
        self.ended_at: int | None = None
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None

    @property
    def live(self) -> bool:
        return self.state in _LIVE

    def __repr__(self) -> str:
        return f"Entry({self.op} {self.id[:8]} {self.state})"


class Batch:
    """Merged increments sent as one request; its members end together."""

    __slots__ = ("body", "fly_at", "fly_server", "id", "key", "members", "state")

    def __init__(self, header: dict[str, Any], body: bytes | None) -> None:
        self.id: str = str(header["id"])
        self.members: list[str] = [str(m) for m in header.get("mem", [])]
        self.key: str | None = header.get("k")
        self.body = body
        self.state: str = RECORDED
        self.fly_at: int | None = None
        self.fly_server: int | None = None


class State:
    """Entries by id, each player's queue in journal order, placeholders, batches."""

    def __init__(self, accept: Callable[[Entry], bool] | None = None) -> None:
        self.accept = accept
        self.placeholders: dict[str, Entry] = {}
        self.foreign_count = 0
        self.entries: dict[str, Entry] = {}
        self.batches: dict[str, Batch] = {}
        self.queues: dict[str | None, deque[Entry]] = {}
        self.binds: dict[str, str] = {}
        self.live_count = 0
        self.ended_count = 0
        self.orders = 0
        self.counts: dict[str, int] = {APPLIED: 0, FAILED: 0, UNKNOWN: 0}

    # ------------------------------------------------------------------ replay

    def apply(self, header: dict[str, Any], body: bytes | None) -> list[Entry]:
        """Apply one record; returns the entries it ended (for notices)."""
        kind = header["t"]
        if kind == "rec":
            entry_id = header.get("id")
            if not isinstance(entry_id, str) or entry_id in self.entries:
                return []
            self.orders += 1
            entry = Entry(header, body, self.orders)
            self.entries[entry_id] = entry
            if self.accept is not None and not self.accept(entry):
                entry.foreign = True  # another API key or server: kept, never sent here
                self.foreign_count += 1
                return []
            if entry.placeholder:
                self.placeholders[entry.placeholder] = entry
            self.queues.setdefault(entry.player, deque()).append(entry)
            self.live_count += 1
            return []
        if kind == "fly":
            self._fly(header)
            return []
        if kind == "end":
            return self._end(header)
        if kind == "bat":
            self._batch(header, body)
            return []
        if kind == "bind":
            placeholder, real = header.get("ph"), header.get("to")
            if isinstance(placeholder, str) and isinstance(real, str):
                self.binds.setdefault(placeholder, real)
            return []
        if kind == "pl":
            bound = self.entries.get(str(header.get("id")))
            player = header.get("pl")
            if bound is not None and bound.player is None and isinstance(player, str):
                bound.player = player
            return []
        return []  # a record kind of a later version: ignored

    def _fly(self, header: dict[str, Any]) -> None:
        target_id = str(header.get("id"))
        at, server = header.get("at"), header.get("srv")
        batch = self.batches.get(target_id)
        if batch is not None:
            if batch.state == RECORDED:
                batch.state, batch.fly_at, batch.fly_server = IN_FLIGHT, at, server
                for member in batch.members:
                    self._fly({"id": member, "at": at, "srv": server})
            return
        entry = self.entries.get(target_id)
        if entry is not None and entry.state == RECORDED:
            entry.state, entry.fly_at, entry.fly_server = IN_FLIGHT, at, server

    def _end(self, header: dict[str, Any]) -> list[Entry]:
        target_id = str(header.get("id"))
        batch = self.batches.get(target_id)
        ids = batch.members if batch is not None else [target_id]
        if batch is not None:
            batch.state = str(header.get("s", UNKNOWN))
        ended: list[Entry] = []
        for entry_id in ids:
            entry = self.entries.get(entry_id)
            if entry is None or not entry.live or entry.foreign:
                continue
            state = str(header.get("s", UNKNOWN))
            if state not in self.counts:
                state = UNKNOWN
            entry.state = state
            entry.ended_at = int(header.get("at", 0))
            entry.result = header
            self.live_count -= 1
            self.ended_count += 1
            self.counts[state] += 1
            ended.append(entry)
        return ended

    def _batch(self, header: dict[str, Any], body: bytes | None) -> None:
        batch_id = header.get("id")
        if not isinstance(batch_id, str) or batch_id in self.batches:
            return
        batch = Batch(header, body)
        members: list[Entry] = []
        for member_id in batch.members:
            member = self.entries.get(member_id)
            if member is None or member.state != RECORDED or member.batch is not None:
                return  # a member moved on before the batch was recorded: not a batch
            members.append(member)
        if not members:
            return
        self.batches[batch_id] = batch
        for member in members:
            member.batch = batch_id

    # ------------------------------------------------------------------ queries

    def head(self, player: str | None) -> Entry | None:
        """The oldest live entry queued for ``player`` (None: not yet bound)."""
        queue = self.queues.get(player)
        while queue:
            entry = queue[0]
            if entry.live and entry.player == player:
                return entry
            queue.popleft()
            if entry.live:  # bound to a player since: move it to that player's queue
                self._requeue(entry)
        return None

    def _requeue(self, entry: Entry) -> None:
        queue = self.queues.setdefault(entry.player, deque())
        # keep journal order: the bound entry is older than anything queued after it
        index = len(queue)
        while index > 0 and queue[index - 1].order > entry.order:
            index -= 1
        queue.insert(index, entry)

    def following(self, entry: Entry, limit: int) -> Iterator[Entry]:
        """Live entries queued after ``entry`` for the same player, in order."""
        queue = self.queues.get(entry.player)
        if not queue:
            return
        seen = False
        count = 0
        for other in queue:
            if other is entry:
                seen = True
                continue
            if seen and other.live:
                yield other
                count += 1
                if count >= limit:
                    return

    def live_entries(self) -> list[Entry]:
        """Every live entry of this client in journal order (not the foreign ones)."""
        return [e for e in self.entries.values() if e.live and not e.foreign]

    def forget_ended(self, keep_after_ms: int) -> None:
        """Drop ended entries that ended before ``keep_after_ms`` (after a rewrite)."""
        gone = [
            e.id for e in self.entries.values() if not e.live and (e.ended_at or 0) < keep_after_ms
        ]
        for entry_id in gone:
            entry = self.entries.pop(entry_id)
            if entry.batch is not None:
                self.batches.pop(entry.batch, None)
            if entry.placeholder and entry.placeholder not in self.binds:
                self.placeholders.pop(entry.placeholder, None)
        self.ended_count = sum(1 for e in self.entries.values() if not e.live)
