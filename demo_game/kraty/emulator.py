"""The emulator's controls for the Debug screen, run off the main thread.

Every ``EmbeddedEmulator`` control (clock, faults, lobby promotion, finalization, the
request log) is a blocking call, so they run on one small thread of their own;
``drain()`` hands the results back to the main loop each frame. ``server_grant`` plays
the game's backend with a plain HTTP call to ``/server/v1`` (a backend's key never
belongs in a game: the demo holds the emulator's public test key only to show a
server-side grant reaching the player's live inventory stream).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .. import rules
from ..state import LogEntry

if TYPE_CHECKING:
    from ..relay import LinkRelay
    from ..state import DemoState
    from .calls import Notify, Refresher
    from .emulator_host import EmulatorHost

FAULT_RATE = 0.3
SERVER_ATTEMPTS = 5


def server_post(base_url: str, server_key: str, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to the emulator's ``/server/v1`` ``path``; returns the ``data`` member.

    Retries 5xx answers and connection errors with the same ``idempotencyKey``, so the
    write applies once even with the emulator's fault injection on.
    """
    payload = json.dumps({**body, "idempotencyKey": f"demo-{uuid.uuid4().hex}"}).encode()
    last: Exception | None = None
    for _ in range(SERVER_ATTEMPTS):
        request = urllib.request.Request(  # noqa: S310 - the demo's own emulator URL
            base_url.rstrip("/") + path,
            data=payload,
            method="POST",
            headers={"authorization": f"Bearer {server_key}", "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read()).get("data")
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise RuntimeError(f"/server/v1 answered {exc.code}") from None
            last = exc
        except OSError as exc:
            last = exc
    raise RuntimeError(f"/server/v1 failed after {SERVER_ATTEMPTS} attempts: {last}")


def _wire_receiver(
    entry: LogEntry, wanted: set[tuple[str, str]], keys: set[str]
) -> Callable[[Any], None]:
    """Keep the emulator's log records of ``entry``'s attempts (secrets redacted).

    Writes are matched exactly by their idempotency key; reads (no key) by method and
    path, keeping the latest as many records as the call made attempts (a best effort:
    a watcher may have read the same path meanwhile).
    """

    def got(records: Any) -> None:
        matching = [
            r
            for r in records
            if (str(r.get("method", "")).upper(), r.get("path")) in wanted
            and (not keys or r.get("idempotencyKey") in keys)
        ]
        keep = max(1, len(entry.attempts)) if not keys else 6
        entry.wire = [rules.redact(r) for r in matching[-keep:]]
        entry.wire_state = "done"

    return got


class EmulatorControls:
    """Clock, faults, lobby promotion, finalization and the raw request log."""

    def __init__(
        self,
        emulator: EmulatorHost | None,
        relay: LinkRelay | None,
        state: DemoState,
        notify: Notify,
        refresher: Refresher,
        *,
        on_clock_moved: Callable[[], None],
    ) -> None:
        """``on_clock_moved`` runs after the emulator's clock moved (sync it again)."""
        self.emulator = emulator
        self.relay = relay
        self.state = state
        self.notify = notify
        self.refresher = refresher
        self.on_clock_moved = on_clock_moved
        state.has_emulator = emulator is not None
        self._control = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-control")
        self._control_jobs: list[tuple[Future[Any], Callable[[Any], None], str]] = []

    def read_clock(self) -> None:
        """Learn the emulator clock's offset (countdowns use the server's time)."""
        if self.available:
            self.submit("now", lambda e: e.now(), self.got_time)

    def close(self) -> None:
        """Stop the control thread (waits for a control call in flight)."""
        self._control.shutdown(wait=True, cancel_futures=True)

    def fetch_wire_logs(self) -> None:
        """Ask the emulator for the raw requests of finished debug calls (off the main thread)."""
        for entry in self.state.log:
            if entry.wire_state != "wanted":
                continue
            entry.wire_state = "fetching"
            wanted = {(a.method.upper(), urlsplit(a.url).path) for a in entry.attempts}
            keys = {a.idempotency_key for a in entry.attempts if a.idempotency_key}

            self.submit(
                "requests",
                lambda e: e.recent_requests(limit=60),
                _wire_receiver(entry, wanted, keys),
            )

    @property
    def available(self) -> bool:
        """True when the demo runs its own emulator (clock and faults can be driven)."""
        return self.emulator is not None

    def submit(self, label: str, job: Callable[[Any], Any], on_ok: Callable[[Any], None]) -> None:
        emulator = self.emulator
        if emulator is None:
            self.notify("No emulator: these controls need the embedded emulator.", "warn")
            return
        future = self._control.submit(job, emulator)
        self._control_jobs.append((future, on_ok, label))

    def drain(self) -> None:
        if not self._control_jobs:
            return
        still: list[tuple[Future[Any], Callable[[Any], None], str]] = []
        for future, on_ok, label in self._control_jobs:
            if not future.done():
                still.append((future, on_ok, label))
                continue
            error = future.exception()
            if error is not None:
                self.notify(f"emulator {label}: {error}", "bad")
            else:
                on_ok(future.result())
        self._control_jobs = still

    def got_time(self, now: datetime) -> None:
        self.state.clock_offset_s = now.timestamp() - datetime.now(UTC).timestamp()
        self.state.emulator_now = now.isoformat(timespec="seconds")

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator clock forward (lobbies fill, windows close, grants expire)."""

        def moved(now: datetime) -> None:
            self.got_time(now)
            self.notify(
                f"Emulator clock +{rules.countdown(seconds)} \u2192 {now:%H:%M:%S}", "info"
            )
            self.refresher.soon("events", 0.1)
            self.on_clock_moved()  # server_now() follows the moved clock

        self.submit("advance", lambda e: e.advance_clock(seconds), moved)

    def set_faults(
        self, *, fail_rate: float | None = None, latency_ms: int | None = None, seed: int = 7
    ) -> None:
        """Switch the emulator's fault injection (retryable 503s, added latency)."""
        state = self.state
        rate = (FAULT_RATE if state.faults_on else 0.0) if fail_rate is None else fail_rate
        latency = state.latency_ms if latency_ms is None else latency_ms

        def done(_: Any) -> None:
            state.faults_on = rate > 0
            state.latency_ms = latency
            self.notify(
                f"Faults: {round(rate * 100)}% 503, {latency} ms latency",
                "warn" if rate or latency else "info",
            )

        self.submit(
            "faults", lambda e: e.set_faults(latency_ms=latency, fail_rate=rate, seed=seed), done
        )

    def toggle_faults(self) -> None:
        """30 % retryable 503s on / off."""
        self.set_faults(fail_rate=0.0 if self.state.faults_on else FAULT_RATE)

    @property
    def link_cut(self) -> bool:
        """True while the Debug switch keeps the game offline."""
        relay = self.relay
        return relay is not None and relay.is_cut

    def toggle_link(self) -> None:
        """Cut the game's connection to the server, or bring it back.

        Only the game's own traffic goes through the relay: the emulator controls keep
        working while the game is offline.
        """
        relay = self.relay
        if relay is None:
            return
        relay.set_cut(not relay.is_cut)
        self.state.link_cut = relay.is_cut
        if relay.is_cut:
            self.notify("Offline: the link is cut; writes wait in the outbox", "warn")
        else:
            self.notify("Online again: waiting writes sync now", "info")

    def promote_lobby(self) -> None:
        """Force the forming lobby to start now."""
        lobby_id = self.state.quest.lobby_id
        if not lobby_id:
            self.notify("No forming lobby.", "warn")
            return
        self.submit("promote", lambda e: e.promote_lobby(lobby_id), lambda _: None)

    def server_grant(self, item_key: str = "health_potion", quantity: int = 2) -> None:
        """Grant the active player items from the backend's side (``/server/v1``).

        The player's inventory stream reports it (origin ``server``) and the component
        posts ``KRATY_INVENTORY``: the Player screen updates without a reload.
        """
        player = self.state.player_id
        if not player:
            self.notify("No player to grant to yet.", "warn")
            return
        item = quote(item_key, safe="")
        path = f"/server/v1/players/{quote(player, safe='')}/inventory/{item}/grant"
        body = {"quantity": quantity, "reason": "demo_server_grant"}

        def done(_: Any) -> None:
            self.state.server_grants += 1

        self.submit(
            "server grant",
            lambda e: server_post(e.base_url, e.server_api_key, path, body),
            done,
        )

    def finalize_event(self, event_key: str) -> None:
        """Close the event's window now (the board sends ``finalized``)."""
        self.submit(
            "finalize",
            lambda e: e.finalize_event(event_key),
            lambda _: self.refresher.soon("events", 0.2),
        )
