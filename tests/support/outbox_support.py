"""Helpers of the outbox tests: clients on a shared outbox, notices, the emulator's ledger."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kraty_pygame.sdk import FileSecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.outbox import Outbox, OutboxNotice, Recorded

if TYPE_CHECKING:  # child processes import this module: keep it light
    from kraty_pygame.emulator import EmbeddedEmulator

QUICK_RETRY = RetryConfig(attempts=2, initial_delay=0.0, max_delay=0.05, jitter=0.0)


def open_kraty(
    base_url: str,
    api_key: str,
    root: Path,
    *,
    outbox_options: dict[str, Any] | None = None,
    notices: list[Notices] | None = None,
    **options: Any,
) -> Kraty:
    """A client whose identity (``root/ids.json``) and outbox (``root/outbox``) persist
    across restarts, like a game's profile.

    With ``notices``, a :class:`Notices` listening to the outbox is appended to it before
    the client starts delivering, so notices of writes left by a previous run (sent as
    soon as the client starts) are not missed.
    """
    options.setdefault("retry", QUICK_RETRY)
    options.setdefault("timeout", 5.0)
    outbox = Outbox(root / "outbox", max_backoff_s=0.5, **(outbox_options or {}))
    if notices is not None:
        notices.append(Notices(outbox))
    try:
        return Kraty(
            api_key,
            base_url=base_url,
            secret_store=FileSecretStore(root / "ids.json"),
            outbox=outbox,
            **options,
        )
    except BaseException:
        outbox.close()
        raise


class Notices:
    """Every notice of an outbox, with waiting helpers."""

    def __init__(self, outbox: Outbox) -> None:
        self.items: list[OutboxNotice] = []
        self._cond = threading.Condition()
        self.remove = outbox.add_listener(self._add)

    def _add(self, notice: OutboxNotice) -> None:
        with self._cond:
            self.items.append(notice)
            self._cond.notify_all()

    def of(self, kind: str) -> list[OutboxNotice]:
        with self._cond:
            return [n for n in self.items if n.kind == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 20.0) -> list[OutboxNotice]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([n for n in self.items if n.kind == kind]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    kinds = Counter(n.kind for n in self.items)
                    raise AssertionError(f"waited for {count} {kind!r} notices; got {kinds}")
                self._cond.wait(left)
            return [n for n in self.items if n.kind == kind]


def capture(kraty: Kraty, call: Callable[[Kraty], Any]) -> Recorded:
    """Run ``call(kraty)`` in capture mode; return its :class:`Recorded` signal."""
    outbox = kraty.outbox
    assert outbox is not None
    try:
        with outbox.capture():
            call(kraty)
    except Recorded as signal:
        return signal
    raise AssertionError("the call was not recorded in the outbox")


def xp(reason: str, amount: int = 1) -> Callable[[Kraty], Any]:
    """A call moving the player's ``xp`` by ``amount``, tagged ``reason`` in the ledger."""
    return lambda kraty: kraty.wallet.progress("xp", amount=amount, reason=reason)


def ledger_reasons(emulator: EmbeddedEmulator) -> Counter[str]:
    """How many ledger rows carry each ``reason`` (one per applied wallet write)."""
    return Counter(str(row.get("reason")) for row in emulator.state()["ledger"])


def requests_with_key(emulator: EmbeddedEmulator, key: str) -> list[dict[str, Any]]:
    """Requests the emulator received carrying idempotency key ``key``."""
    return [r for r in emulator.recent_requests(10_000) if r.get("idempotencyKey") == key]


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)
