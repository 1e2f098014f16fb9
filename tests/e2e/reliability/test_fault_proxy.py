"""The fault proxy against a tiny local HTTP/1.1 server: each fault does what it says."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.fault_proxy import (
    ALL_FAULTS,
    FaultKind,
    FaultProxy,
    FaultRates,
)


class _Backend(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.applied: list[bytes] = []
        self.release_stream = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.applied)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # head and body leave in one write; flushed after each request
    server: _Backend

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or ""):
            out = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _send(self, status: int, payload: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        body = self._body()
        with self.server.lock:
            self.server.applied.append(body)
            n = len(self.server.applied)
        self._send(200, json.dumps({"data": {"count": n, "echo": body.decode()}}).encode())

    def do_GET(self) -> None:
        if self.path == "/chunked" or self.path == "/stream":
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.send_header(
                "content-type",
                "text/event-stream" if self.path == "/stream" else "application/json",
            )
            self.end_headers()
            pieces = [b'{"data": ', b'{"parts": ', b"[1, 2, 3]}}"]
            for i, piece in enumerate(pieces):
                if self.path == "/stream" and i == 1:
                    self.server.release_stream.wait(10)
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/until-close":
            self.send_response(200)
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(b'{"data": "read to the end"}')
            self.close_connection = True
            return
        self._send(200, b'{"data": {"hello": "world"}}')


@pytest.fixture
def backend() -> Iterator[_Backend]:
    server = _Backend()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        assert not thread.is_alive()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _proxy_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("fault-proxy")]


def test_transparent_keep_alive(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        for i in range(20):
            r = session.post(f"{proxy.url}/w", json={"i": i}, timeout=5)
            assert r.status_code == 200
            assert r.json()["data"]["count"] == i + 1
        assert proxy.connections == 1  # one keep-alive connection carried all requests
        assert proxy.counts == {FaultKind.NONE: 20}
    assert backend.count == 20
    assert _proxy_threads() == []


def test_reset_before_never_reaches_server(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        proxy.schedule(FaultKind.RESET_BEFORE)
        with pytest.raises(requests.ConnectionError):
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
        assert backend.count == 0
        assert session.post(f"{proxy.url}/w", json={"x": 2}, timeout=5).ok
    assert backend.count == 1


def test_reset_after_commits_then_resets(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        proxy.schedule(FaultKind.RESET_AFTER)
        with pytest.raises(requests.ConnectionError) as info:
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
        assert "reset" in repr(info.value).lower() or "aborted" in repr(info.value).lower()
        assert proxy.counts[FaultKind.RESET_AFTER] == 1
    assert backend.count == 1  # the server applied it, the client never heard


def test_refuse_resets_a_new_connection(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        proxy.schedule(FaultKind.REFUSE)
        with pytest.raises(requests.ConnectionError):
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
        assert proxy.counts[FaultKind.REFUSE] == 1
    assert backend.count == 0


def test_refusing_closes_the_listener(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        with proxy.refusing(), pytest.raises(requests.ConnectionError) as info:
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
        assert "refused" in repr(info.value).lower()
        assert session.post(f"{proxy.url}/w", json={"x": 2}, timeout=5).ok
    assert backend.count == 1


def test_stall_holds_until_the_client_gives_up(
    backend: _Backend, session: requests.Session
) -> None:
    with FaultProxy(backend.url, stall_seconds=30) as proxy:
        proxy.schedule(FaultKind.STALL)
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=0.5)
        assert time.monotonic() - started >= 0.4
    assert backend.count == 0


def test_stop_is_prompt_with_a_stalled_connection(backend: _Backend) -> None:
    proxy = FaultProxy(backend.url, stall_seconds=60).start()
    proxy.schedule(FaultKind.STALL)
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    try:
        sock.sendall(b"POST /w HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
        deadline = time.monotonic() + 5
        while proxy.counts.get(FaultKind.STALL, 0) == 0 and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        started = time.monotonic()
        proxy.stop(timeout=5)
        assert time.monotonic() - started < 3
    finally:
        sock.close()
    assert _proxy_threads() == []


@pytest.mark.parametrize(
    ("kind", "status", "ctype"),
    [(FaultKind.STATUS_503, 503, "text/html"), (FaultKind.STATUS_429, 429, "application/json")],
)
def test_proxy_answers_itself_with_retry_after(
    backend: _Backend, session: requests.Session, kind: FaultKind, status: int, ctype: str
) -> None:
    with FaultProxy(backend.url, retry_after="2") as proxy:
        proxy.schedule(kind)
        r = session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
        assert r.status_code == status
        assert r.headers["retry-after"] == "2"
        assert r.headers["content-type"] == ctype
        assert session.post(f"{proxy.url}/w", json={"x": 2}, timeout=5).ok
        assert proxy.connections == 1  # the canned answer kept the connection usable
    assert backend.count == 1


def test_truncate_cuts_the_body(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url) as proxy:
        proxy.schedule(FaultKind.TRUNCATE)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            session.post(f"{proxy.url}/w", json={"x": 1}, timeout=5)
    assert backend.count == 1


def test_corrupt_keeps_length_and_breaks_json(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url, seed=7) as proxy:
        clean = session.get(f"{proxy.url}/chunked", timeout=5).content
        proxy.schedule(FaultKind.CORRUPT)
        r = session.get(f"{proxy.url}/chunked", timeout=5)
        assert r.status_code == 200
        assert len(r.content) == len(clean)
        assert b"\xff" in r.content
        with pytest.raises(ValueError):
            json.loads(r.content)
        assert session.get(f"{proxy.url}/chunked", timeout=5).content == clean


def test_slow_drip_delivers_everything_slowly(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url, drip_seconds=0.5, drip_interval=0.02) as proxy:
        proxy.schedule(FaultKind.SLOW_DRIP)
        started = time.monotonic()
        r = session.post(f"{proxy.url}/w", json={"x": 1}, timeout=10)
        assert time.monotonic() - started >= 0.25
        assert r.json()["data"]["count"] == 1


def test_chunked_request_and_until_close_response(
    backend: _Backend, session: requests.Session
) -> None:
    with FaultProxy(backend.url) as proxy:
        r = session.post(f"{proxy.url}/w", data=iter([b'{"a":', b" 1}"]), timeout=5)
        assert r.json()["data"]["echo"] == '{"a": 1}'
        assert session.get(f"{proxy.url}/until-close", timeout=5).json() == {
            "data": "read to the end"
        }
        assert session.get(f"{proxy.url}/chunked", timeout=5).json() == {
            "data": {"parts": [1, 2, 3]}
        }


def test_streams_are_relayed_as_they_arrive(backend: _Backend, session: requests.Session) -> None:
    with FaultProxy(backend.url, rates=FaultRates(reset_before=1.0)) as proxy:
        r = session.get(
            f"{proxy.url}/stream", headers={"accept": "text/event-stream"}, stream=True, timeout=5
        )
        try:
            pieces = r.iter_content(chunk_size=None)
            first = next(pieces)
            assert first == b'{"data": '  # arrived before the server sent the rest
            backend.release_stream.set()
            rest = b"".join(pieces)
        finally:
            r.close()
        assert first + rest == b'{"data": {"parts": [1, 2, 3]}}'
        assert proxy.counts == {FaultKind.NONE: 1}  # streams are not faulted by default


def _decision_kinds(backend: _Backend, seed: int) -> list[FaultKind]:
    rates = FaultRates(status_503=0.2, status_429=0.2)
    with FaultProxy(backend.url, rates=rates, seed=seed) as proxy, requests.Session() as s:
        for i in range(150):
            s.post(f"{proxy.url}/w", json={"i": i}, timeout=5)
        return [d.kind for d in proxy.decisions]


def test_decisions_are_reproducible_per_seed(backend: _Backend) -> None:
    first = _decision_kinds(backend, seed=11)
    assert first == _decision_kinds(backend, seed=11)
    assert first != _decision_kinds(backend, seed=12)
    faulted = sum(k is not FaultKind.NONE for k in first)
    assert 20 <= faulted <= 100  # ~40 % of 150, generous bounds


def test_rates_validate_and_spread() -> None:
    with pytest.raises(ValueError):
        FaultRates(stall=1.5)
    with pytest.raises(ValueError):
        FaultRates(stall=0.6, truncate=0.6)
    spread = FaultRates.spread(0.3)
    assert spread.refuse == pytest.approx(0.3 / len(ALL_FAULTS))
    assert spread.request_total == pytest.approx(0.3 * (len(ALL_FAULTS) - 1) / len(ALL_FAULTS))


def test_report_lines_cover_every_kind(backend: _Backend) -> None:
    with FaultProxy(backend.url) as proxy:
        lines = proxy.report_lines()
    assert [line.split(":")[0] for line in lines] == [f"faults {k.value}" for k in ALL_FAULTS]


def test_stops_by_itself_after_its_lifetime(backend: _Backend) -> None:
    proxy = FaultProxy(backend.url, max_lifetime=0.3).start()
    try:
        assert proxy._acceptor is not None
        proxy._acceptor.join(5)
        assert not proxy._acceptor.is_alive()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
    finally:
        proxy.stop()
    assert _proxy_threads() == []
