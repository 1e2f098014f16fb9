"""Support for the leaderboard stream tests: a TCP proxy and a threaded stream reader.

``TcpProxy`` cuts live connections or refuses streaming requests; ``StreamReader``
consumes a ``LeaderboardStream`` on its own thread into a queue; ``BoardState`` is a
caller's view of a board built from a snapshot plus the stream's events.

The proxy forwards bytes unchanged between the SDK and the emulator. A connection that
has carried a ``GET …/stream`` request is marked as a stream connection, so a test can
cut only those (``cut_streams()``) and leave the pool's ordinary connections alone, or
make streaming impossible (``block_streams = True``) the way a buffering proxy would,
while ordinary reads keep working.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from kraty_pygame.sdk import (
    EventLeaderboard,
    LeaderboardScoreUpdate,
    LeaderboardStream,
    LeaderboardStreamEvent,
)

_STREAM_MARK = b"/stream"


@dataclass
class _Link:
    client: socket.socket
    upstream: socket.socket
    is_stream: bool = False

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target_url``'s host and port. Use as a context manager."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        assert parts.hostname is not None and parts.port is not None
        self._target = (parts.hostname, parts.port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.block_streams = False
        self.stream_requests = 0
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._pumps: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(
            target=self._accept, name="test-proxy-accept", daemon=True
        )
        self._acceptor.start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def cut_streams(self) -> int:
        """Abruptly close every connection that carried a stream request; returns how many."""
        with self._lock:
            victims = [link for link in self._links if link.is_stream]
            self._links = [link for link in self._links if not link.is_stream]
        for link in victims:
            link.close()
        return len(victims)

    def cut_all(self) -> None:
        """Close every proxied connection."""
        with self._lock:
            victims, self._links = self._links, []
        for link in victims:
            link.close()

    def stop(self) -> None:
        """Stop accepting, close everything and join the proxy's threads."""
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone doesn't
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()
        self._acceptor.join(5)
        with self._lock:
            pumps = list(self._pumps)
        for thread in pumps:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            link = _Link(client, upstream)
            with self._lock:
                if self._stopped.is_set():
                    link.close()
                    return
                self._links.append(link)
            for source, sink, inspect in ((client, upstream, True), (upstream, client, False)):
                thread = threading.Thread(
                    target=self._pump, args=(link, source, sink, inspect), daemon=True
                )
                with self._lock:
                    self._pumps.append(thread)
                thread.start()

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket, inspect: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if inspect and b"GET " in data and _STREAM_MARK in data:
                    with self._lock:
                        link.is_stream = True
                        self.stream_requests += 1
                        blocked = self.block_streams
                    if blocked:
                        break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            link.close()
            with self._lock:
                if link in self._links:
                    self._links.remove(link)


# --- stream consumers -----------------------------------------------------------------

WAIT = 10.0  # generous: two shared cores


class StreamReader:
    """Iterates ``stream`` on its own thread; events (and the final error) land in a queue."""

    def __init__(self, stream: LeaderboardStream) -> None:
        self.stream = stream
        self.events: queue.Queue[LeaderboardStreamEvent] = queue.Queue()
        self.seen: list[LeaderboardStreamEvent] = []
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self.finished_at: float | None = None
        self.thread = threading.Thread(target=self._run, name="test-stream-reader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event)
        except BaseException as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self.finished.set()

    def next(self, timeout: float = WAIT) -> LeaderboardStreamEvent:
        """The next event (fails the test after ``timeout``)."""
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no stream event within {timeout} s (seen: {[e.kind for e in self.seen]}, "
                f"error: {self.error!r})"
            ) from None
        self.seen.append(event)
        return event

    def until(
        self, predicate: Callable[[LeaderboardStreamEvent], bool], timeout: float = WAIT
    ) -> LeaderboardStreamEvent:
        """Skip events until one matches ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if predicate(event):
                return event

    def until_kind(self, kind: str, timeout: float = WAIT) -> LeaderboardStreamEvent:
        """Skip events until one of ``kind``."""
        return self.until(lambda e: e.kind == kind, timeout)

    def drain(self) -> list[LeaderboardStreamEvent]:
        """Everything queued right now."""
        out: list[LeaderboardStreamEvent] = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return out
            self.seen.append(event)
            out.append(event)

    def stop(self) -> None:
        """Cancel the stream and join the thread."""
        self.stream.cancel()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "stream reader thread did not end"


class BoardState:
    """A caller's view of a board: a snapshot, then every update and resync applied."""

    def __init__(self, board: EventLeaderboard) -> None:
        self.scores: dict[str, float] = {}
        self.reset(board)

    def reset(self, board: EventLeaderboard) -> None:
        self.scores = {e.participant_id: e.score for e in board.entries}

    def apply(self, event: LeaderboardStreamEvent) -> None:
        if isinstance(event.data, LeaderboardScoreUpdate):
            self.scores[event.data.participant_id] = event.data.score
        elif isinstance(event.data, EventLeaderboard):
            self.reset(event.data)


def board_scores(board: EventLeaderboard) -> dict[str, float]:
    """Participant -> score of a snapshot."""
    return {e.participant_id: e.score for e in board.entries}
