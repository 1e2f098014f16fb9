"""A raw-socket hostile HTTP server on 127.0.0.1 (port 0) for the SDK's security tests.

Each connection is read up to the end of its request (head, and a body by
``content-length``), recorded, then handed with its socket to ``behave``, which writes
whatever bytes it likes, as slowly as it likes (:meth:`HostileServer.trickle`), valid
HTTP or not. ``stop()`` (or leaving the ``with`` block) wakes every sleeping behaviour,
shuts every socket down and joins every thread it started.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from tests.support.http_server import Recorded, _read_request

__all__ = ["Behaviour", "HostileServer"]

Behaviour = Callable[["HostileServer", socket.socket, Recorded], None]
"""Answers one request on ``conn``; returning closes the connection."""


class HostileServer:
    """Threaded raw-socket server whose answers are whatever ``behave`` writes."""

    def __init__(self, behave: Behaviour) -> None:
        self._behave = behave
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self.requests: list[Recorded] = []
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.1)  # so stop() is noticed promptly
        self.port: int = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._accept_thread = threading.Thread(target=self._accept_loop, name="hostile-accept")
        self._accept_thread.start()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def trickle(self, conn: socket.socket, data: bytes, interval: float) -> bool:
        """Send ``data`` one byte every ``interval`` seconds; False once stopped or the
        peer went away."""
        for index in range(len(data)):
            if self.stopped.wait(interval):
                return False
            try:
                conn.sendall(data[index : index + 1])
            except OSError:
                return False
        return True

    def stop(self) -> None:
        """Wake sleeping behaviours, shut every socket down, join every thread."""
        self.stopped.set()
        self._accept_thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = tuple(self._conns)
            threads = tuple(self._threads)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=10)
        alive = [t.name for t in threads if t.is_alive()]
        if alive or self._accept_thread.is_alive():
            raise RuntimeError(f"hostile server threads did not stop: {alive}")

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self.stopped.is_set():
                    conn.close()
                    return
                self._conns.add(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), name="hostile-conn")
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            request = _read_request(reader)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            self._behave(self, conn, request)
        except OSError:
            return
        finally:
            reader.close()
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
