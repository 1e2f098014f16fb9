"""One emulator instance's state: config, clock, store, faults, request log and hooks.

``create_app`` builds one :class:`EmulatorRuntime` per app and keeps it on
``app.state.runtime`` (no module-level state); routes reach it with
:func:`runtime_of`. Other emulator modules extend it through the hook lists:

* ``seed_hooks``  - ``fn(tx, runtime, now)`` after a fresh database was seeded;
* ``sweep_hooks`` - ``fn(tx, runtime, now)`` when lazy time-based work runs
  (clock moves, and at most once per emulator second on requests);
* ``reset_hooks`` - ``fn(runtime)`` after ``/_emulator/reset`` wiped the state;
* ``shutdown_hooks`` - ``fn()`` when the server is about to stop (end open streams,
  so the server does not wait on them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request

from kraty_pygame.emulator.clock import ClockMode, EmulatorClock, iso, parse_iso
from kraty_pygame.emulator.config.loader import load_config
from kraty_pygame.emulator.config.models import ApiKeyConfig, GameConfig
from kraty_pygame.emulator.domain import players
from kraty_pygame.emulator.http.faults import FaultInjector, FaultSettings
from kraty_pygame.emulator.http.requestlog import RequestLog
from kraty_pygame.emulator.settings import EmulatorSettings
from kraty_pygame.emulator.store import Store, Transaction

_log = logging.getLogger(__name__)

TxHook = Callable[[Transaction, "EmulatorRuntime", datetime], None]
ResetHook = Callable[["EmulatorRuntime"], None]


def default_manual_start() -> datetime:
    """Today at 09:00 UTC: a stable time of day for manual clocks (daily caps)."""
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today


class EmulatorRuntime:
    """Everything one emulator app needs; see the module docstring."""

    def __init__(self, settings: EmulatorSettings, config: GameConfig | None = None) -> None:
        self.settings = settings
        self.config = config if config is not None else load_config(settings.config_path())
        emu = self.config.emulator
        self.rng_seed: int = settings.rng_seed if settings.rng_seed is not None else emu.rng_seed
        mode: ClockMode = settings.clock or ("manual" if emu.clock == "manual" else "real")
        start = settings.start_time or emu.start_time
        if start is None and mode == "manual":
            start = default_manual_start()
        self._clock_mode = mode
        self._clock_start = start
        self.clock = EmulatorClock(mode, start)
        self.store = Store(settings.db)
        self.faults = FaultInjector(self._default_faults())
        self.requests = RequestLog(settings.request_log_size)
        enabled = settings.control_plane
        if enabled is None and emu.control_plane is not None:
            enabled = emu.control_plane
        self.control_plane = enabled if enabled is not None else settings.control_plane_enabled()
        self.max_body_bytes = settings.max_body_bytes or emu.max_body_bytes
        self.api_keys: dict[str, ApiKeyConfig] = {k.key: k for k in self.config.api_keys}
        self.seed_hooks: list[TxHook] = []
        self.sweep_hooks: list[TxHook] = []
        self.reset_hooks: list[ResetHook] = []
        self.shutdown_hooks: list[Callable[[], object]] = []
        self.extensions: dict[str, Any] = {}
        self._sweep_lock = threading.Lock()
        self._last_sweep: datetime | None = None
        self._epoch: datetime | None = None
        if settings.reset:
            self.store.wipe()

    def _default_faults(self) -> FaultSettings:
        emu = self.config.emulator
        return FaultSettings(
            latency_ms=float(emu.latency_ms),
            fail_rate=emu.fail_rate,
            break_after_commit_rate=emu.break_after_commit_rate,
            seed=self.rng_seed,
        )

    # ---------------------------------------------------------------- lifecycle

    def initialize(self) -> None:
        """Seed a fresh database (epoch, seeded players); no-op on an existing one."""
        with self.store.write() as tx:
            row = tx.conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
            if row is not None:
                self._epoch = parse_iso(row[0])
                return
            now = self.clock.now()
            tx.conn.execute("INSERT INTO meta(key, value) VALUES ('epoch', ?)", (iso(now),))
            tx.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('config_source', ?)",
                (self.config.source,),
            )
            self._epoch = now
            if self.settings.seed_content:
                players.seed_content(tx, self, now)
                for hook in self.seed_hooks:
                    hook(tx, self, now)

    def reset(self, *, reload_config: bool = True) -> None:
        """Reload the config, reset the clock, wipe and re-seed the database."""
        if reload_config:
            self.config = load_config(self.settings.config_path())
            self.api_keys = {k.key: k for k in self.config.api_keys}
        self.clock = EmulatorClock(self._clock_mode, self._clock_start)
        self.faults.configure(self._default_faults())
        self.store.wipe()
        self._epoch = None
        self._last_sweep = None
        self.requests.clear()
        self.initialize()
        for hook in self.reset_hooks:
            hook(self)

    def shutdown_streams(self) -> None:
        """Run the shutdown hooks: every open stream ends with ``closed``."""
        for hook in self.shutdown_hooks:
            try:
                hook()
            except Exception:
                _log.exception("shutdown hook failed")

    def close(self) -> None:
        self.store.close()

    # ---------------------------------------------------------------- time

    @property
    def epoch(self) -> datetime:
        """The anchor of relative windows (clock reading at database creation/reset)."""
        if self._epoch is None:
            with self.store.read() as conn:
                row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
            self._epoch = parse_iso(row[0]) if row is not None else self.clock.now()
        return self._epoch

    def now(self) -> datetime:
        return self.clock.now()

    def sweep(self, tx: Transaction, now: datetime | None = None) -> None:
        """Run the time-based lazy work (lobby promotion, window close, expiry) now."""
        moment = now or self.clock.now()
        self._last_sweep = moment
        for hook in self.sweep_hooks:
            hook(tx, self, moment)

    def maybe_sweep(self) -> None:
        """Sweep if the emulator clock moved at least a second since the last sweep."""
        now = self.clock.now()
        last = self._last_sweep
        if last is not None and timedelta(0) <= now - last < timedelta(seconds=1):
            return
        if not self._sweep_lock.acquire(blocking=False):
            return
        try:
            with self.store.write() as tx:
                self.sweep(tx, now)
        finally:
            self._sweep_lock.release()


def runtime_of(request: Request) -> EmulatorRuntime:
    """The runtime of the app serving ``request``."""
    runtime: EmulatorRuntime = request.app.state.runtime
    return runtime
