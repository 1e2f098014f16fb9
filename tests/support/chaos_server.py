"""Setup and inspection calls straight to the emulator (never through the proxy), and
the idempotency-key generator that remembers which write each key belongs to."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from tests.support.chaos_records import Emulator, Write


class ServerApi:
    """``/server/v1`` and ``/_emulator`` calls straight to the emulator (never faulted)."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = emulator.base_url
        self.emulator = emulator
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []
        self._keys = itertools.count()

    @property
    def session(self) -> requests.Session:
        """One session per thread (a ``requests.Session`` is not meant to be shared)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["authorization"] = f"Bearer {self.emulator.server_api_key}"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        with self._lock:
            n = next(self._keys)
        body = {"idempotencyKey": f"setup-{n}-{time.monotonic_ns()}", **body}
        r = self.session.post(f"{self.base}/server/v1{path}", json=body, timeout=30)
        if r.status_code >= 300:
            raise AssertionError(f"server call {path} -> {r.status_code}: {r.text[:300]}")
        return r.json()["data"]

    def credit(self, player: str, economy: str, amount: int) -> None:
        self._post(f"/players/{player}/wallet/{economy}/credit", {"amount": amount})

    def grant_item(self, player: str, item: str, quantity: int) -> None:
        self._post(f"/players/{player}/inventory/{item}/grant", {"quantity": quantity})

    def create_grant(self, player: str, kind: str, entry: dict[str, Any]) -> str:
        data = self._post(
            f"/players/{player}/grants", {"kind": kind, "entries": [entry], "sourceKind": "api"}
        )
        return str(data["id"])

    def finish_attempt(self, player: str, event: str, attempt: str) -> None:
        self._post(f"/players/{player}/events/{event}/attempts/{attempt}/finish", {})

    def state(self) -> dict[str, Any]:
        return self.emulator.state()

    def ledger(self) -> list[dict[str, Any]]:
        """Wallet/inventory ledger rows from ``/_emulator/state``, oldest first, each with
        ``reason`` and ``sourceRefId``."""
        rows: list[dict[str, Any]] = self.emulator.state()["ledger"]
        return rows


class KeyRecorder:
    """An idempotency-key generator that remembers which write each key belongs to."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._local = threading.local()
        self._n = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            key = f"{self.prefix}-{next(self._n)}"
        write: Write | None = getattr(self._local, "write", None)
        if write is not None:
            write.keys.append(key)
        return key

    @contextmanager
    def writing(self, write: Write) -> Iterator[None]:
        self._local.write = write
        try:
            yield
        finally:
            self._local.write = None
