"""``kraty-emulator`` / ``python -m kraty_pygame.emulator``: run the emulator.

``main(argv)`` returns the exit code (0 after a clean Ctrl+C / SIGTERM stop, 2 for an
invalid config or arguments, 1 when the port cannot be bound).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from kraty_pygame._version import __version__
from kraty_pygame.emulator.app import create_app
from kraty_pygame.emulator.config.loader import ConfigError, load_config
from kraty_pygame.emulator.embedded import EmulatorServer, bind_socket, uvicorn_config
from kraty_pygame.emulator.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    EmulatorSettings,
    default_db_path,
)

PUBLIC_DEMO_KEYS = frozenset({"kr_test.client-demo", "kr_test.server-demo", "kr_live.client-demo"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kraty-emulator",
        description="Run a local Kraty server (the bundled demo game unless --config is given).",
    )
    parser.add_argument(
        "--config", help="TOML game config (default: $KRATY_EMULATOR_CONFIG or the demo)"
    )
    parser.add_argument(
        "--db",
        help="SQLite database file, or ':memory:' for a throwaway run "
        f"(default: the config's database, else {default_db_path()})",
    )
    parser.add_argument("--host", default=None, help=f"interface to bind (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=None, help=f"TCP port, 0 = free (default {DEFAULT_PORT})"
    )
    parser.add_argument("--reset", action="store_true", help="wipe the database before starting")
    parser.add_argument(
        "--clock", choices=("real", "manual"), help="clock mode (default: the config's)"
    )
    parser.add_argument("--seed", type=int, help="RNG seed (default: the config's rng_seed)")
    parser.add_argument(
        "--control-plane",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve /_emulator/* (default: on for loopback hosts only)",
    )
    parser.add_argument("--version", action="version", version=f"kraty-emulator {__version__}")
    return parser


def _shown_key(key: str) -> str:
    return key if key in PUBLIC_DEMO_KEYS else key.split(".", 1)[0] + ".***"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, start the server in this thread and block until stopped."""
    args = _parser().parse_args(argv)

    settings = EmulatorSettings(
        config=args.config,
        control_plane=args.control_plane,
        reset=args.reset,
        clock=args.clock,
        rng_seed=args.seed,
    )
    try:
        config = load_config(settings.config_path())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings.host = args.host or config.emulator.host or DEFAULT_HOST
    settings.port = args.port if args.port is not None else config.emulator.port
    if args.db is not None:
        settings.db = args.db
    elif config.emulator.database:
        settings.db = config.emulator.database
    else:
        settings.db = default_db_path()
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        print(
            f"kraty-emulator: cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    try:
        app = create_app(settings)
    except ConfigError as exc:
        sock.close()
        print(exc, file=sys.stderr)
        return 2
    rt = app.state.runtime
    host, port = sock.getsockname()[:2]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    lines = [
        f"Kraty emulator {__version__} listening on {url}",
        f"  config:    {rt.config.source}",
        f"  database:  {settings.db if str(settings.db) == ':memory:' else Path(settings.db)}",
        f"  clock:     {rt.clock.mode} (now {rt.now().isoformat()})",
        "  API keys:",
        *(
            f"    {_shown_key(k.key):<24} {k.permission_set}, {k.environment}"
            for k in rt.config.api_keys
        ),
        f"  OpenAPI:   {url}/openapi.json   (interactive docs: {url}/docs)",
        f"  control:   {url + '/_emulator/state' if rt.control_plane else 'disabled'}",
        "Press Ctrl+C to stop.",
    ]
    print("\n".join(lines), flush=True)
    # The server owns this process: what start-up built (modules, the app and its
    # routes) lives as long as the process, so the garbage collector stops scanning it
    # and a full collection stays short while many streams are open.
    gc.freeze()
    server = EmulatorServer(uvicorn_config(app, embedded=False), threading.Event())
    # uvicorn stops gracefully on SIGINT/SIGTERM, then re-raises the signal through the
    # previous handler; make SIGTERM end up where Ctrl+C does (a clean exit code 0).
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
        sock.close()
        rt.close()
    print("Kraty emulator stopped.", flush=True)
    return 0


def console_main() -> None:
    """Entry point of the ``kraty-emulator`` console script."""
    raise SystemExit(main())


if __name__ == "__main__":
    console_main()
