"""Building the client: which server, which data folder, ``Kraty`` and ``KratyComponent``.

By default the demo starts the embedded emulator (bundled demo config, real clock) and
keeps its database, the player's secret store and the outbox in the demo's folder of
the user data dir, so the player and the progress survive a restart. The game reaches
the emulator through a local relay (:mod:`demo_game.relay`) that the Debug screen can
cut to play offline. ``--base-url`` / ``--api-key`` point the demo at any Kraty server
instead; then no emulator runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from kraty_pygame.component import KratyComponent
from kraty_pygame.sdk import FileSecretStore, Kraty, RequestInfo, RetryConfig

from ..options import DEFAULT_FAIL_RATE, DemoOptions
from ..relay import LinkRelay
from . import emulator_host
from .emulator_host import EmulatorHost

APP_DIR_NAME = "kraty-pygame-demo"


def default_data_dir() -> Path:
    """The demo's stable folder in the platformdirs user data dir."""
    return platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)


@dataclass
class Client:
    """Everything the game talks to: facade, component, optional emulator, telemetry."""

    kraty: Kraty
    component: KratyComponent
    emulator: EmulatorHost | None
    label: str
    data_dir: Path
    telemetry: deque[RequestInfo] = field(default_factory=lambda: deque(maxlen=2000))
    temporary: bool = False
    faults_on: bool = False
    relay: LinkRelay | None = None

    def close(self, timeout: float = 3.0) -> None:
        """Close the component (joins its threads), the facade and the emulator."""
        try:
            self.component.close(timeout=timeout)
        finally:
            try:
                self.kraty.close()
            finally:
                if self.relay is not None:
                    self.relay.stop()
                if self.emulator is not None:
                    self.emulator.stop()
                if self.temporary:
                    shutil.rmtree(self.data_dir, ignore_errors=True)


def _store_name(base_url: str, api_key: str) -> str:
    """A file name per server + key that does not reveal the key."""
    digest = hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()[:16]
    host = urlsplit(base_url).hostname or "server"
    return f"secrets-{host}-{digest}.json"


def _open_relay(upstream: str, remembered: Path) -> LinkRelay:
    """The game's relay, on the port it had last time when that port is free.

    The outbox only sends writes to the server they were recorded for (its base URL),
    so a stable address lets writes left by the previous session sync in this one.
    """
    try:
        port = int(remembered.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        port = 0
    try:
        relay = LinkRelay(upstream, port=port)
    except OSError:  # taken by something else meanwhile: a fresh port
        relay = LinkRelay(upstream)
    with contextlib.suppress(OSError):
        remembered.write_text(str(relay.port), encoding="utf-8")
    return relay


def start_client(
    options: DemoOptions,
    *,
    on_request: Callable[[RequestInfo], None] | None = None,
) -> Client:
    """Start (or connect to) the server and build ``Kraty`` + ``KratyComponent``.

    Args:
        options: the parsed command line.
        on_request: extra per-attempt telemetry observer (runs on worker threads).
    """
    temporary = False
    if options.data_dir is not None:
        data_dir = options.data_dir
    elif options.tour:
        data_dir = Path(tempfile.mkdtemp(prefix="kraty-demo-tour-"))
        temporary = True
    else:
        data_dir = default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)

    emulator: EmulatorHost | None = None
    relay: LinkRelay | None = None
    if options.uses_emulator:
        emulator = emulator_host.start(
            data_dir / "emulator.sqlite3", subprocess_mode=options.emulator_subprocess
        )
        relay = _open_relay(emulator.base_url, data_dir / "relay-port")
        base_url, api_key = relay.url, emulator.client_api_key
        store_path = data_dir / "secrets-emulator.json"
        where = "child process" if options.emulator_subprocess else "in-process"
        label = f"emulator ({where}) {base_url}"
    else:
        assert options.base_url is not None and options.api_key is not None
        base_url, api_key = options.base_url, options.api_key
        store_path = data_dir / _store_name(base_url, api_key)
        label = base_url

    telemetry: deque[RequestInfo] = deque(maxlen=2000)

    def observe(info: RequestInfo) -> None:  # worker threads: deque.append is thread-safe
        telemetry.append(info)
        if on_request is not None:
            on_request(info)

    try:
        if emulator is not None and options.faults:
            emulator.set_faults(fail_rate=DEFAULT_FAIL_RATE, seed=options.fault_seed)
        kraty = Kraty(
            api_key,
            base_url=base_url,
            on_request=observe,
            secret_store=FileSecretStore(store_path),
            retry=RetryConfig(attempts=5, initial_delay=0.05, max_delay=1.0),
            timeout=10.0,
        )
    except BaseException:
        if relay is not None:
            relay.stop()
        if emulator is not None:
            emulator.stop()
        raise
    # the one line that makes it non-blocking: calls on threads, results as pygame events
    component = KratyComponent(kraty, outbox=data_dir / "outbox")
    return Client(
        kraty=kraty,
        component=component,
        emulator=emulator,
        label=label,
        data_dir=data_dir,
        telemetry=telemetry,
        temporary=temporary,
        faults_on=emulator is not None and options.faults,
        relay=relay,
    )
