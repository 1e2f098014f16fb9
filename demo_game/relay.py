"""A local TCP relay between the game and its server, with a switch to cut the link.

The demo points the game's ``Kraty`` at the relay (``127.0.0.1:<free port>``) while its
emulator controls keep talking to the emulator directly. :meth:`LinkRelay.cut` makes the
game offline at once: every open connection is reset and new ones are reset as soon as
they are accepted (the port stays ours, so nothing else can take it); :meth:`restore`
lets traffic through again. Bytes are copied as they are, so streams work through it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["LinkRelay"]

_CHUNK = 65_536
_POLL = 0.2


def _reset(sock: socket.socket) -> None:
    """Close with an RST (linger 0), so the peer fails at once instead of waiting."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class LinkRelay:
    """Relays ``127.0.0.1:<port>`` to ``upstream`` (an ``http://host:port`` URL).

    Args:
        upstream: the server's base URL (scheme ``http``, a host and a port).
        port: the port to listen on; 0 picks a free one.
    """

    def __init__(self, upstream: str, *, port: int = 0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"the relay needs an http://host:port upstream, not {upstream!r}")
        self._target = (parts.hostname, parts.port)
        self._path = parts.path.rstrip("/")
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._threads: list[threading.Thread] = []
        self._cut = False
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", port))
        self._listener.settimeout(_POLL)
        self.port: int = self._listener.getsockname()[1]
        self.cuts = 0
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="demo-relay-accept", daemon=True
        )
        self._acceptor.start()

    @property
    def url(self) -> str:
        """The base URL the game uses: the relay's address plus the upstream's path."""
        return f"http://127.0.0.1:{self.port}{self._path}"

    @property
    def is_cut(self) -> bool:
        """True while the link is cut (the game is offline)."""
        return self._cut

    def cut(self) -> None:
        """Cut the link: reset every open connection and every new one."""
        with self._lock:
            if self._cut:
                return
            self._cut = True
            self.cuts += 1
        self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            pairs = list(self._pairs)
            self._pairs.clear()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def restore(self) -> None:
        """Let traffic through again."""
        with self._lock:
            self._cut = False

    def set_cut(self, cut: bool) -> None:
        """:meth:`cut` or :meth:`restore`."""
        if cut:
            self.cut()
        else:
            self.restore()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listener and every connection; join the relay's threads."""
        self._stopping.set()
        with self._lock:
            self._cut = True
        self._drop_all()
        self._acceptor.join(timeout)
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout)

    def __enter__(self) -> LinkRelay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------

    def _cut_now(self) -> bool:
        return self._cut

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._cut:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5.0)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self._cut_now():  # cut while we were connecting
                    _reset(client)
                    _reset(upstream)
                    continue
                self._pairs.add((client, upstream))
                self._threads = [t for t in self._threads if t.is_alive()]
                thread = threading.Thread(
                    target=self._pipe, args=(client, upstream), name="demo-relay-pipe", daemon=True
                )
                self._threads.append(thread)
            thread.start()

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopping.is_set():
                try:
                    ready, _, _ = select.select(list(peers), [], [], _POLL)
                except (OSError, ValueError):
                    return
                for sock in ready:
                    data = sock.recv(_CHUNK)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._pairs.discard((client, upstream))
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
