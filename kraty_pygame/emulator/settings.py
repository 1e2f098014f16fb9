"""Emulator settings: what the CLI, ``EmbeddedEmulator`` and tests pass to ``create_app``."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

import platformdirs

from kraty_pygame.emulator.clock import ClockMode

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8787
CONFIG_ENV: Final = "KRATY_EMULATOR_CONFIG"


def default_db_path() -> Path:
    """The CLI's default database: ``emulator.sqlite3`` in the platformdirs user data dir."""
    return Path(platformdirs.user_data_dir("kraty-emulator", appauthor=False)) / "emulator.sqlite3"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class EmulatorSettings:
    """Options of one emulator instance.

    Attributes:
        config: path of a TOML game config; ``None`` = ``$KRATY_EMULATOR_CONFIG`` if set,
            else the bundled demo config.
        db: SQLite file path, or ``":memory:"`` for a throwaway database.
        host: the interface to bind (default ``127.0.0.1``).
        port: TCP port (``0`` = a free port).
        clock: ``"real"`` or ``"manual"``; ``None`` = the config's ``[emulator] clock``.
        start_time: initial clock reading; ``None`` = the config's ``start_time`` or now.
        rng_seed: overrides the config's ``rng_seed``.
        reset: wipe the database at start-up.
        control_plane: serve ``/_emulator/*``; ``None`` = only when bound to loopback.
        max_body_bytes: request bodies above this get 413 ``payload_too_large``;
            ``None`` = the config's value (1 MiB by default).
        request_log_size: how many recent requests ``/_emulator/requests`` keeps.
        seed_content: apply ``[seed]`` players/bots to a fresh database.
        route_plans: call route endpoints through their compiled plans (see
            :mod:`~kraty_pygame.emulator.dispatch`); ``False`` lets FastAPI run every
            request (the answers are the same; used to compare the two).
    """

    config: str | Path | None = None
    db: str | Path = ":memory:"
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    clock: ClockMode | None = None
    start_time: datetime | None = None
    rng_seed: int | None = None
    reset: bool = False
    control_plane: bool | None = None
    max_body_bytes: int | None = None
    request_log_size: int = 200
    seed_content: bool = True
    route_plans: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def config_path(self) -> str | Path | None:
        if self.config is not None:
            return self.config
        return os.environ.get(CONFIG_ENV) or None

    def control_plane_enabled(self) -> bool:
        if self.control_plane is not None:
            return self.control_plane
        return is_loopback(self.host)
