"""Raw-socket and strict-JSON helpers for the emulator's security tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

from kraty_pygame.emulator.app import create_app
from kraty_pygame.emulator.embedded import EmulatorServer, bind_socket, uvicorn_config
from kraty_pygame.emulator.settings import EmulatorSettings


def strict_json(raw: bytes | str) -> Any:
    """Parse like a strict JSON parser of another SDK: no ``NaN`` / ``Infinity``."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(raw, parse_constant=refuse)


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(base_url: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(address(base_url), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or ``limit_s`` passes (False)."""
    deadline = time.monotonic() + limit_s
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return b"".join(chunks), False
        except ConnectionResetError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def exchange(base_url: str, payload: bytes, limit_s: float = 5.0) -> bytes:
    """Send ``payload`` (tolerating a server that stops reading) and read the answer."""
    with connect(base_url) as sock:
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(payload)
        data, _closed = read_until_closed(sock, limit_s)
        return data


def status_of(response: bytes) -> int:
    line = response.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    assert len(parts) >= 2 and parts[0].startswith(b"HTTP/"), response[:200]
    return int(parts[1])


def http_request(
    method: str, path: str, host: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@contextmanager
def serve(settings: EmulatorSettings) -> Iterator[str]:
    """Serve an emulator app built from ``settings`` on 127.0.0.1 (whatever host the
    settings name), yielding its base URL; stops when the block ends."""
    app = create_app(settings)
    sock = bind_socket("127.0.0.1", 0)
    ready = threading.Event()
    server = EmulatorServer(uvicorn_config(app, embedded=True), ready)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="security-emulator", daemon=True
    )
    thread.start()
    try:
        assert ready.wait(30), "the emulator did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        app.state.runtime.shutdown_streams()
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.runtime.close()
