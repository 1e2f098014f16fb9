"""One emulator instance's state: config, clock, store, streams, faults, request log.

``create_app`` builds one :class:`EmulatorRuntime` per app and keeps it on
``app.state.runtime``; routes reach it with :func:`runtime_of`. The app factory
hands it the two domain entry points it runs: ``seed`` (content of a fresh
database) and ``sweep`` (lazy time-based work, on clock moves and at most once
per emulator second on requests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.requests import Request

from kraty_pygame.emulator.clock import ClockMode, EmulatorClock, iso, parse_iso
from kraty_pygame.emulator.config.loader import load_config
from kraty_pygame.emulator.config.models import ApiKeyConfig, GameConfig
from kraty_pygame.emulator.http.faults import FaultInjector, FaultSettings
from kraty_pygame.emulator.http.requestlog import RequestLog
from kraty_pygame.emulator.settings import EmulatorSettings
from kraty_pygame.emulator.store import Store, Transaction
from kraty_pygame.emulator.streams.broadcast import Broadcaster
from kraty_pygame.emulator.streams.inventory_feed import InventoryFeed

_log = logging.getLogger(__name__)

#: ``fn(tx, runtime, now)``: domain work run inside one write transaction.
TxStep = Callable[[Transaction, "EmulatorRuntime", datetime], None]

DEFAULT_HEARTBEAT_S = 15.0


def default_manual_start() -> datetime:
    """Today at 09:00 UTC: a stable time of day for manual clocks (daily caps)."""
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today


class EmulatorRuntime:
    """Everything one emulator app needs; see the module docstring."""

    def __init__(
        self,
        settings: EmulatorSettings,
        config: GameConfig | None = None,
        *,
        seed: TxStep | None = None,
        sweep: TxStep | None = None,
    ) -> None:
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
        self._seed = seed
        self._sweep = sweep
        #: Live leaderboard streams (one channel per board).
        self.broadcaster = Broadcaster()
        #: Live inventory streams (one channel per player), fed by committed writes.
        self.inventory_feed = InventoryFeed(self.store)
        #: Emulator milliseconds of the last purge of expired idempotency records.
        self.last_idempotency_purge_ms: int | None = None
        #: Whether the keyed-board seed path was logged once already.
        self.seed_path_logged = False
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
            if self.settings.seed_content and self._seed is not None:
                self._seed(tx, self, now)

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
        self.last_idempotency_purge_ms = None
        self.initialize()
        self.broadcaster.close_all("reset")
        self.inventory_feed.reset()

    def shutdown_streams(self) -> None:
        """End every open stream with ``closed`` (the server is about to stop)."""
        for hub in (self.broadcaster, self.inventory_feed.hub):
            try:
                hub.close_all("shutdown")
            except Exception:
                _log.exception("closing streams failed")

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

    def heartbeat_s(self) -> float:
        """Seconds between stream heartbeats (settings ``extra`` wins over the config)."""
        override = self.settings.extra.get("sse_heartbeat_s")
        if isinstance(override, int | float) and override > 0:
            return float(override)
        value = self.config.emulator.sse_heartbeat_s
        return float(value) if value and value > 0 else DEFAULT_HEARTBEAT_S

    def sweep(self, tx: Transaction, now: datetime | None = None) -> None:
        """Run the time-based lazy work (lobby promotion, window close, expiry) now."""
        moment = now or self.clock.now()
        self._last_sweep = moment
        if self._sweep is not None:
            self._sweep(tx, self, moment)

    def maybe_sweep(self) -> None:
        """Sweep if the emulator clock moved at least a second since the last sweep."""
        now = self.clock.now()
        last = self._last_sweep
        if last is not None and _NO_TIME <= now - last < _ONE_SECOND:
            return
        if not self._sweep_lock.acquire(blocking=False):
            return
        try:
            with self.store.write() as tx:
                self.sweep(tx, now)
        finally:
            self._sweep_lock.release()


_NO_TIME = timedelta(0)
_ONE_SECOND = timedelta(seconds=1)

#: Scope key under which the emulator's middleware hands each request its runtime.
RUNTIME_SCOPE_KEY = "kraty.runtime"


def runtime_of(request: Request) -> EmulatorRuntime:
    """The runtime of the app serving ``request``."""
    runtime: EmulatorRuntime | None = request.scope.get(RUNTIME_SCOPE_KEY)
    if runtime is None:  # a request that did not pass the middleware
        runtime = request.app.state.runtime
    return runtime
