"""``EmbeddedEmulator``: the emulator in a background thread on a free port.

Tests, the demo game and ``kraty-emulator`` start the emulator through this module.
The helper methods talk to the ``/_emulator/*`` control plane over plain HTTP
through :class:`~kraty_pygame.emulator.control_client.EmulatorControl`, exactly as a client
in another process would.
"""

from __future__ import annotations

import socket
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from kraty_pygame.emulator.app import create_app
from kraty_pygame.emulator.clock import ClockMode
from kraty_pygame.emulator.control_client import EmulatorControl
from kraty_pygame.emulator.http.http_limits import ConnectionLimits, protocol_class
from kraty_pygame.emulator.settings import EmulatorSettings

CLIENT_API_KEY = "kr_test.client-demo"
SERVER_API_KEY = "kr_test.server-demo"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 = a free port), ready to hand to uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class EmulatorServer(uvicorn.Server):
    """uvicorn server that reports the end of start-up through an event."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._ready.set()


def uvicorn_config(
    app: Any, *, embedded: bool, limits: ConnectionLimits | None = None
) -> uvicorn.Config:
    """The uvicorn settings shared by the CLI and the embedded server (``limits``:
    header size, timeouts and the connection cap; see :mod:`.http_limits`)."""
    chosen = limits or ConnectionLimits()
    return uvicorn.Config(
        app,
        http=protocol_class(chosen),
        ws="none",
        # uvloop where it is installed (the emulator extra brings it, except on Windows),
        # else asyncio's own loop; uvloop takes 15-20 us of CPU off every request.
        loop="auto",
        lifespan="off",
        log_level="warning",
        access_log=False,
        log_config=None if embedded else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=max(1, round(chosen.idle_timeout_s)),
    )


class EmbeddedEmulator:
    """Run an emulator in-process; use as a context manager.

    Args:
        config: TOML config path; ``None`` = the bundled demo config.
        db: SQLite path or ``":memory:"``.
        host: interface to bind.
        port: TCP port (0 = free).
        clock: ``"manual"`` (frozen between moves, the default here) or ``"real"``.
        rng_seed: overrides the config's seed.
        start_time: initial clock reading (default: today 09:00 UTC in manual mode).
        control_plane: serve ``/_emulator/*`` (default: only on loopback hosts).
        limits: connection limits (header size, timeouts, connection cap).
    """

    def __init__(
        self,
        config: str | Path | None = None,
        *,
        db: str | Path = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: ClockMode = "manual",
        rng_seed: int | None = None,
        start_time: datetime | None = None,
        control_plane: bool | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.limits = limits or ConnectionLimits()
        self.settings = EmulatorSettings(
            config=config,
            db=db,
            host=host,
            port=port,
            clock=clock,
            rng_seed=rng_seed,
            start_time=start_time,
            control_plane=control_plane,
        )
        self.client_api_key = CLIENT_API_KEY
        self.server_api_key = SERVER_API_KEY
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._control: EmulatorControl | None = None
        self.app: Any = None
        self.base_url = ""

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 30.0) -> EmbeddedEmulator:
        """Create the app, bind the socket and serve in a daemon thread.

        Raises:
            ConfigError: the config is invalid.
            OSError: the port cannot be bound.
            RuntimeError: the server did not start within ``timeout`` seconds.
        """
        if self._thread is not None:
            return self
        self.app = create_app(self.settings)
        self._socket = bind_socket(self.settings.host, self.settings.port)
        host, port = self._socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"
        ready = threading.Event()
        self._server = EmulatorServer(
            uvicorn_config(self.app, embedded=True, limits=self.limits), ready
        )
        sockets = [self._socket]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": sockets}, name="kraty-emulator", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("the emulator did not start in time")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and close the database (idempotent)."""
        if self._server is not None:
            if self.app is not None:
                # Open SSE streams would hold uvicorn's graceful shutdown; end them first.
                self.app.state.runtime.shutdown_streams()
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        if self.app is not None:
            self.app.state.runtime.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ control plane

    @property
    def control(self) -> EmulatorControl:
        """The :class:`EmulatorControl` of this emulator (the methods below use it).

        Raises:
            RuntimeError: the emulator was never started.
        """
        if not self.base_url:
            raise RuntimeError("the emulator is not started (call start() or use `with`)")
        if self._control is None or self._control.base_url != self.base_url:
            self._control = EmulatorControl(self.base_url)
        return self._control

    def advance_clock(self, seconds: float) -> datetime:
        """Move the emulator clock forward; lobbies, windows and expiries update."""
        return self.control.advance_clock(seconds)

    def set_clock(self, moment: str | datetime) -> datetime:
        """Jump the emulator clock to an ISO time (or an aware datetime)."""
        return self.control.set_clock(moment)

    def now(self) -> datetime:
        """The emulator's current time."""
        return self.control.now()

    def reset(self) -> None:
        """Reload the config and wipe all state (seeded content is re-created)."""
        self.control.reset()

    def state(self) -> dict[str, Any]:
        """The ``/_emulator/state`` dump (no secrets)."""
        return self.control.state()

    def set_faults(
        self,
        latency_ms: float = 0,
        fail_rate: float = 0.0,
        break_after_commit_rate: float = 0.0,
        routes: list[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Configure injected faults (all zero = off); ``routes`` are path globs."""
        return self.control.set_faults(latency_ms, fail_rate, break_after_commit_rate, routes, seed)

    def finalize_event(self, event_key: str) -> dict[str, Any]:
        """Close the event's current window now (reward policy + SSE finalized/closed)."""
        return self.control.finalize_event(event_key)

    def promote_lobby(self, lobby_id: str) -> dict[str, Any]:
        """Force-promote a forming lobby to active."""
        return self.control.promote_lobby(lobby_id)

    def recent_requests(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent requests with (masked) headers and bodies, oldest first."""
        return self.control.recent_requests(limit)
