"""Finalization catch-up: learn once that a board the player was on has ended.

``events.start`` records a membership for the attempt's event board. A live
``finalized`` stream event and ``check_finalizations()`` (a read of every
still-active tracked board) both report through one writer,
``FinalizationTracker._resolve``, which persists ``reportedAt`` *before* calling the
``on_finalized`` listeners; whichever path comes first wins and the other finds the
entry already reported. So a result is delivered exactly once across live and
catch-up, also across restarts when the store is a ``FileMembershipStore``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import filelock
import platformdirs

from kraty_pygame.sdk.errors import KratyError
from kraty_pygame.sdk.identity import IdentityManager
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    FinalStanding,
    LeaderboardFinalized,
    LeaderboardSelf,
)

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = [
    "FileMembershipStore",
    "FinalizationListener",
    "FinalizationReason",
    "FinalizationResult",
    "FinalizationTracker",
    "InMemoryMembershipStore",
    "MembershipKind",
    "MembershipRef",
    "MembershipStore",
    "remembered_player_id",
]

_log = logging.getLogger(__name__)

DEFAULT_PRUNE_AFTER: Final = timedelta(days=7)
_LEGACY_KINDS: Final = {"event_board": "event_leaderboard", "shared_board": "leaderboard"}


class MembershipKind(StrEnum):
    """The kind of board a membership refers to (the persisted strings since v0.10.0)."""

    EVENT_LEADERBOARD = "event_leaderboard"
    LEADERBOARD = "leaderboard"


class FinalizationReason(StrEnum):
    """Why a board ended; ``finalized`` when only a read proved that it did."""

    SESSION_TERMINATED = "session_terminated"
    WINDOW_CLOSED = "window_closed"
    PERIOD_ROLLED = "period_rolled"
    FINALIZED = "finalized"


@dataclass(frozen=True)
class MembershipRef:
    """A board the player is on: an event board by id, or a keyed board by key and period."""

    kind: str = MembershipKind.EVENT_LEADERBOARD.value
    leaderboard_id: str = ""
    event_key: str | None = None
    key: str | None = None
    period: str | None = None

    def same_board(self, other: MembershipRef) -> bool:
        """True when both refer to the same board (the event key is only a label)."""
        if self.kind != other.kind:
            return False
        if self.kind == MembershipKind.EVENT_LEADERBOARD:
            return self.leaderboard_id == other.leaderboard_id
        return (self.key, self.period) == (other.key, other.period)

    def to_json(self) -> dict[str, Any]:
        """The persisted form (camelCase, like the reference SDKs' registry)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == MembershipKind.EVENT_LEADERBOARD:
            out["leaderboardId"] = self.leaderboard_id
            if self.event_key is not None:
                out["eventKey"] = self.event_key
        else:
            out["key"] = self.key
            out["period"] = self.period
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> MembershipRef:
        """Read the persisted form; pre-v0.10.0 kind names are accepted."""
        kind = str(obj.get("kind", MembershipKind.EVENT_LEADERBOARD.value))
        kind = _LEGACY_KINDS.get(kind, kind)
        return cls(
            kind=kind,
            leaderboard_id=str(obj.get("leaderboardId") or ""),
            event_key=_opt_str(obj.get("eventKey")),
            key=_opt_str(obj.get("key")),
            period=_opt_str(obj.get("period")),
        )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class FinalizationResult:
    """A board the player was on has ended.

    ``self_entry`` is the caller's final placement when a read provided it (catch-up);
    ``standings`` are the final standings when the live stream provided them.
    """

    ref: MembershipRef
    reason: str
    self_entry: LeaderboardSelf | None = None
    standings: list[FinalStanding] | None = None
    event_key: str | None = None


FinalizationListener = Callable[[FinalizationResult], None]


class MembershipStore(Protocol):
    """Persists the tracked memberships of each player as JSON-ready dicts."""

    def load(self, player_id: str) -> list[dict[str, Any]]:
        """The stored entries of ``player_id`` (empty when none)."""
        ...

    def save(self, player_id: str, entries: list[dict[str, Any]]) -> None:
        """Replace the stored entries of ``player_id``."""
        ...


class InMemoryMembershipStore:
    """The default store: catch-up works within one process run only."""

    def __init__(self) -> None:
        self._by_player: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def load(self, player_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._by_player.get(player_id, [])))  # type: ignore[no-any-return]

    def save(self, player_id: str, entries: list[dict[str, Any]]) -> None:
        with self._lock:
            self._by_player[player_id] = json.loads(json.dumps(entries))


class FileMembershipStore:
    """A JSON file holding every player's memberships (``kraty.memberships.<playerId>`` keys).

    Writes are atomic (temporary file + rename) under a file lock, so two processes
    sharing the file never see it torn. ``path=None`` uses ``memberships.json`` in
    this package's user data directory; ``FileMembershipStore.beside(secret_path)``
    puts it next to a secret-store file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            path = (
                Path(platformdirs.user_data_dir("kraty_pygame", appauthor=False))
                / "memberships.json"
            )
        self.path = Path(path)
        self._lock = filelock.FileLock(str(self.path) + ".lock")

    @classmethod
    def beside(cls, secret_store_path: str | os.PathLike[str]) -> FileMembershipStore:
        """A store in the same folder as ``secret_store_path``, named after it."""
        secret = Path(secret_store_path)
        return cls(secret.with_name(secret.stem + ".memberships.json"))

    @staticmethod
    def _key(player_id: str) -> str:
        return f"kraty.memberships.{player_id}"

    def _read_all(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            _log.warning("membership file %s is not JSON; starting empty", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, player_id: str) -> list[dict[str, Any]]:
        with self._lock:
            entries = self._read_all().get(self._key(player_id), [])
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []

    def save(self, player_id: str, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = self._read_all()
            if entries:
                data[self._key(player_id)] = entries
            else:
                data.pop(self._key(player_id), None)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".memberships-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise


def remembered_player_id(identity: IdentityManager) -> str | None:
    """The active player, or the one the secret store remembers (no registration, no network).

    Right after a restart the identity resolves lazily, so the active id is unknown until
    the first player-scoped call; catch-up at start-up must still find that player's
    memberships.
    """
    active = identity.active_external_player_id
    if active is not None:
        return active
    try:
        return identity.store.read_active_external_player_id()
    except KratyError:
        _log.warning("could not read the remembered player id", exc_info=True)
        return None


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _parse(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class FinalizationTracker:
    """Client-side registry of the boards a player is on, and the single finalization writer.

    Thread-safe. Listeners run on the thread that resolved the finalization (a
    stream's iterating thread, a subscription thread, or the caller of
    ``check_finalizations()``), after the result is persisted; an exception in a
    listener is logged and does not affect the others.
    """

    def __init__(
        self,
        *,
        store: MembershipStore | None = None,
        active_player_id: Callable[[], str | None],
        read_event_board: Callable[[str, str], EventLeaderboard],
        prune_after: timedelta = DEFAULT_PRUNE_AFTER,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.store: MembershipStore = store if store is not None else InMemoryMembershipStore()
        self._active_player_id = active_player_id
        self._read_event_board = read_event_board
        self._prune_after = prune_after
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._listeners: list[FinalizationListener] = []

    # -- listeners --

    def on_finalized(self, listener: FinalizationListener) -> Callable[[], None]:
        """Call ``listener`` once per finished board; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, result: FinalizationResult) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(result)
            except Exception:
                _log.exception("on_finalized listener failed")

    # -- recording --

    def track(self, ref: MembershipRef, *, player_id: str | None = None) -> None:
        """Record that the player is on ``ref`` (idempotent upsert).

        Raises:
            KratyError: the store could not be read or written.
        """
        pid = player_id or self._active_player_id()
        if not pid:
            return
        with self._lock:
            entries = self._prune(self.store.load(pid))
            if not any(MembershipRef.from_json(e.get("ref", {})).same_board(ref) for e in entries):
                entries.append(
                    {"ref": ref.to_json(), "status": "active", "joinedAt": _iso(self._now())}
                )
            self.store.save(pid, entries)

    def record_start(self, as_: str | None, event_key: str, leaderboard_id: str) -> None:
        """Hook for ``events.start``: track the attempt's board; never raises (fire-and-forget)."""
        if not leaderboard_id:
            return
        try:
            ref = MembershipRef(leaderboard_id=leaderboard_id, event_key=event_key)
            self.track(ref, player_id=as_)
        except Exception:
            _log.warning("could not record the board membership of %s", event_key, exc_info=True)

    # -- the single writer --

    def _resolve(
        self,
        player_id: str,
        ref: MembershipRef,
        reason: str,
        *,
        self_entry: LeaderboardSelf | None = None,
        standings: list[FinalStanding] | None = None,
    ) -> FinalizationResult | None:
        """Mark ``ref`` reported and persist, then notify; None if unknown or already reported."""
        with self._lock:
            entries = self.store.load(player_id)
            for entry in entries:
                tracked = MembershipRef.from_json(entry.get("ref", {}))
                if tracked.same_board(ref):
                    if entry.get("reportedAt"):
                        return None
                    entry["status"] = "finalized"
                    entry["reportedAt"] = _iso(self._now())
                    self.store.save(player_id, entries)
                    break
            else:
                return None
        result = FinalizationResult(
            ref=tracked,
            reason=reason,
            self_entry=self_entry,
            standings=standings,
            event_key=tracked.event_key,
        )
        self._emit(result)
        return result

    def handle_live_finalized(
        self, event: LeaderboardFinalized, *, leaderboard_id: str = ""
    ) -> None:
        """Route a live ``finalized`` stream event through the single writer (never raises)."""
        board_id = event.leaderboard_id or leaderboard_id
        try:
            pid = self._active_player_id()
            if not pid or not board_id:
                return
            reason = (
                event.reason
                if event.reason
                in (FinalizationReason.SESSION_TERMINATED, FinalizationReason.WINDOW_CLOSED)
                else FinalizationReason.FINALIZED.value
            )
            ref = MembershipRef(leaderboard_id=board_id)
            self._resolve(pid, ref, str(reason), standings=list(event.standings))
        except Exception:
            _log.warning("could not record the finalization of %s", board_id, exc_info=True)

    def check_finalizations(self) -> list[FinalizationResult]:
        """Read every still-active tracked event board; report the finished ones once.

        A board that cannot be read (network error, 404, ...) counts as still active.
        Returns the newly reported results (also delivered to ``on_finalized``).
        """
        pid = self._active_player_id()
        if not pid:
            return []
        with self._lock:
            entries = self.store.load(pid)
            pruned = self._prune(entries)
            if len(pruned) != len(entries):
                self.store.save(pid, pruned)
        out: list[FinalizationResult] = []
        for entry in pruned:
            ref = MembershipRef.from_json(entry.get("ref", {}))
            if entry.get("status") != "active" or ref.kind != MembershipKind.EVENT_LEADERBOARD:
                continue
            try:
                board = self._read_event_board(ref.leaderboard_id, pid)
            except KratyError as exc:
                _log.info("finalization check of %s failed: %s", ref.leaderboard_id, exc)
                continue
            if not board.finalized:
                continue
            reason = board.finalized_reason or FinalizationReason.FINALIZED.value
            result = self._resolve(pid, ref, reason, self_entry=board.self_entry)
            if result is not None:
                out.append(result)
        return out

    # -- pruning --

    def dismiss(self, ref: MembershipRef | str) -> None:
        """Forget a membership (a ref, or an event board id) once its result was shown."""
        target = MembershipRef(leaderboard_id=ref) if isinstance(ref, str) else ref
        pid = self._active_player_id()
        if not pid:
            return
        with self._lock:
            entries = self.store.load(pid)
            kept = [
                e
                for e in entries
                if not MembershipRef.from_json(e.get("ref", {})).same_board(target)
            ]
            if len(kept) != len(entries):
                self.store.save(pid, kept)

    def clear_reported(self) -> int:
        """Drop every already-reported membership; returns how many were dropped."""
        pid = self._active_player_id()
        if not pid:
            return 0
        with self._lock:
            entries = self.store.load(pid)
            kept = [e for e in entries if not e.get("reportedAt")]
            if len(kept) != len(entries):
                self.store.save(pid, kept)
            return len(entries) - len(kept)

    def memberships(self) -> list[MembershipRef]:
        """The boards tracked for the active player (for diagnostics and tests)."""
        pid = self._active_player_id()
        if not pid:
            return []
        with self._lock:
            return [MembershipRef.from_json(e.get("ref", {})) for e in self.store.load(pid)]

    def _prune(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cutoff = self._now() - self._prune_after
        kept = []
        for entry in entries:
            stamp = _parse(entry.get("reportedAt") or entry.get("joinedAt"))
            if stamp is None or stamp >= cutoff:
                kept.append(entry)
        return kept
