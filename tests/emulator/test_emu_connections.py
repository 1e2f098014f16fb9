"""Connection-level limits of the emulator, over raw sockets: the request-head cap
(431) under the HTTP parser the emulator really runs, bounded headers in the request
log, head/body/idle timeouts, and the connection cap that spares live SSE streams."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.emulator.http.http_limits import ConnectionLimits, LimitedHttpToolsProtocol
from tests.support.emu_http import CLIENT_KEY, SERVER_KEY, RawClient
from tests.support.security_http import (
    address,
    connect,
    exchange,
    http_request,
    read_until_closed,
    status_of,
    strict_json,
)

pytestmark = pytest.mark.emulator

FAST = ConnectionLimits(
    max_header_bytes=16 * 1024,
    header_timeout_s=1.0,
    body_timeout_s=1.0,
    idle_timeout_s=1.0,
    max_connections=24,
)


@pytest.fixture(scope="module")
def fast_emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(clock="manual", limits=FAST) as emulator:
        yield emulator


def _host(emu: EmbeddedEmulator) -> str:
    host, port = address(emu.base_url)
    return f"{host}:{port}"


def _catalog(emu: EmbeddedEmulator, extra: dict[str, str] | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {CLIENT_KEY}", **(extra or {})}
    return http_request("GET", "/sdk/v1/catalog", _host(emu), headers)


# ---------------------------------------------------------------- 7. header size


def test_the_server_runs_the_limited_httptools_protocol(emu: EmbeddedEmulator) -> None:
    assert emu._server is not None
    assert issubclass(emu._server.config.http_protocol_class, LimitedHttpToolsProtocol)


def test_the_server_runs_on_uvloop_where_the_extra_installs_it(emu: EmbeddedEmulator) -> None:
    assert emu._server is not None
    loop = emu._server.servers[0].get_loop()
    # The emulator extra installs uvloop everywhere but on Windows.
    expected = "asyncio" if sys.platform == "win32" else "uvloop"
    assert type(loop).__module__.split(".")[0] == expected, type(loop)


@pytest.mark.parametrize("size", [40 * 1024, 1024 * 1024, 8 * 1024 * 1024], ids=str)
def test_oversized_headers_get_431(emu: EmbeddedEmulator, size: int) -> None:
    started = time.monotonic()
    reply = exchange(emu.base_url, _catalog(emu, {"X-Big": "a" * size}), limit_s=10)
    assert status_of(reply) == 431, reply[:200]
    assert strict_json(reply.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "headers_too_large"
    assert time.monotonic() - started < 10


def test_many_small_headers_count_towards_the_cap(emu: EmbeddedEmulator) -> None:
    headers = {f"X-H{i}": "v" * 60 for i in range(1000)}
    reply = exchange(emu.base_url, _catalog(emu, headers))
    assert status_of(reply) == 431


def test_a_long_url_counts_towards_the_cap(emu: EmbeddedEmulator) -> None:
    path = "/sdk/v1/catalog?x=" + "a" * (64 * 1024)
    request = f"GET {path} HTTP/1.1\r\nHost: {_host(emu)}\r\n\r\n".encode()
    assert status_of(exchange(emu.base_url, request)) == 431


def test_headers_under_the_cap_pass_and_the_log_keeps_them_bounded(
    emu: EmbeddedEmulator, client: RawClient
) -> None:
    headers = {"X-Big": "b" * 20_000, **{f"X-Many-{i}": "m" for i in range(200)}}
    reply = exchange(emu.base_url, _catalog(emu, headers))
    assert status_of(reply) == 200
    entry = next(
        e for e in client.get("/_emulator/requests?limit=5").data if e["path"] == "/sdk/v1/catalog"
    )
    assert len(entry["headers"]["x-big"]) <= 1100
    assert len(entry["headers"]) <= 65
    assert sum(len(k) + len(v) for k, v in entry["headers"].items()) < 16 * 1024


def test_a_request_after_a_431_on_a_fresh_connection_is_served(emu: EmbeddedEmulator) -> None:
    assert status_of(exchange(emu.base_url, _catalog(emu, {"X-Big": "c" * 100_000}))) == 431
    assert status_of(exchange(emu.base_url, _catalog(emu))) == 200


# ---------------------------------------------------------------- 8. timeouts


@pytest.mark.slow
def test_an_idle_connection_is_closed(fast_emu: EmbeddedEmulator) -> None:
    with connect(fast_emu.base_url) as sock:
        data, closed = read_until_closed(sock, 5)
    assert closed and data == b""


@pytest.mark.slow
def test_slow_headers_time_out_even_while_bytes_trickle(fast_emu: EmbeddedEmulator) -> None:
    request = _catalog(fast_emu)
    started = time.monotonic()
    with connect(fast_emu.base_url) as sock:
        answer = b""
        for byte in request[:-4]:  # one byte every 0.15 s, never finishing the head
            if time.monotonic() - started > 6:
                break
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            sock.settimeout(0.15)
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            break
        rest, closed = read_until_closed(sock, 3)
    answer += rest
    assert closed and status_of(answer) == 408, answer[:200]
    assert time.monotonic() - started < 4


@pytest.mark.slow
def test_slow_body_times_out_and_the_partial_body_is_not_applied(
    fast_emu: EmbeddedEmulator,
) -> None:
    fast_emu.reset()
    client = RawClient(fast_emu.base_url)
    server = RawClient(fast_emu.base_url, api_key=SERVER_KEY)
    try:
        ext, _secret = client.register()
        path = f"/server/v1/players/{ext}/wallet/gold/credit"
        before = server.get(f"/server/v1/players/{ext}").data["wallet"]
        body = b'{"amount": 7, "idempotencyKey": "slow-body"}'
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {_host(fast_emu)}\r\n"
            f"Authorization: Bearer {SERVER_KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) + 40}\r\n\r\n"
        ).encode()
        started = time.monotonic()
        with connect(fast_emu.base_url) as sock:
            sock.sendall(head + body)  # 40 bytes short, then silence
            answer, closed = read_until_closed(sock, 4)
        assert closed and status_of(answer) == 408, answer[:200]
        assert time.monotonic() - started < 4
        server.close()  # its keep-alive connection idled out meanwhile
        assert server.get(f"/server/v1/players/{ext}").data["wallet"] == before
    finally:
        client.close()
        server.close()


@pytest.mark.slow
def test_keep_alive_connections_idle_out_between_requests(fast_emu: EmbeddedEmulator) -> None:
    request = _catalog(fast_emu).replace(b"Connection: close\r\n", b"")
    with connect(fast_emu.base_url) as sock:
        sock.sendall(request)
        first = _read_to(sock, b"\r\n\r\n")
        length = int(first.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
        while len(first.split(b"\r\n\r\n", 1)[1]) < length:
            first += sock.recv(65536)
        assert status_of(first) == 200
        started = time.monotonic()
        rest, closed = read_until_closed(sock, 5)
    assert closed and rest == b""
    assert 0.5 < time.monotonic() - started < 4


def _open_stream(emu: EmbeddedEmulator, board: str) -> socket.socket:
    sock = connect(emu.base_url)
    sock.sendall(
        (
            f"GET /sdk/v1/event-leaderboards/{board}/stream HTTP/1.1\r\nHost: {_host(emu)}\r\n"
            f"Authorization: Bearer {CLIENT_KEY}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    _read_to(sock, b"event: ready")
    return sock


def _read_to(sock: socket.socket, marker: bytes, limit_s: float = 5) -> bytes:
    deadline = time.monotonic() + limit_s
    seen = b""
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {seen[-300:]!r}"
        sock.settimeout(left)
        chunk = sock.recv(65536)
        assert chunk, f"stream closed before {marker!r}: {seen[-300:]!r}"
        seen += chunk
    return seen


def _board_with_attempt(emu: EmbeddedEmulator) -> tuple[str, str, str, str]:
    client = RawClient(emu.base_url)
    try:
        ext, secret = client.register()
        started = client.post(f"/sdk/v1/players/{ext}/events/daily_duel/start", secret=secret)
        assert started.status == 201, started.body
    finally:
        client.close()
    attempt = started.data["attempt"]
    return ext, secret, attempt["id"], attempt["leaderboardId"]


def _score(emu: EmbeddedEmulator, ext: str, secret: str, attempt: str, value: int) -> None:
    writer = RawClient(emu.base_url)
    try:
        reply = writer.post(
            f"/sdk/v1/players/{ext}/events/daily_duel/attempts/{attempt}/progress",
            {"mode": "set", "metricValue": value},
            secret=secret,
        )
    finally:
        writer.close()
    assert reply.status == 200, reply.body


@pytest.mark.slow
def test_streams_outlive_every_timeout(fast_emu: EmbeddedEmulator) -> None:
    ext, secret, attempt, board = _board_with_attempt(fast_emu)
    streams = [_open_stream(fast_emu, board) for _ in range(3)]
    try:
        time.sleep(2.5)  # past the head, body and idle timeouts (1 s each)
        _score(fast_emu, ext, secret, attempt, 9)
        for stream in streams:
            _read_to(stream, b"event: score_update")
    finally:
        for stream in streams:
            stream.close()


CAP = 24


@pytest.fixture(scope="module")
def capped_emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(clock="manual", limits=ConnectionLimits(max_connections=CAP)) as emu:
        yield emu


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.slow
def test_connection_cap_evicts_idle_connections_and_spares_streams(
    capped_emu: EmbeddedEmulator,
) -> None:
    ext, secret, attempt, board = _board_with_attempt(capped_emu)
    streams = [_open_stream(capped_emu, board) for _ in range(4)]
    idle: list[socket.socket] = []
    try:
        for _ in range(3 * CAP):
            idle.append(connect(capped_emu.base_url))
        time.sleep(0.3)
        closed = [_closed(sock) for sock in idle]
        # the oldest idle sockets made room; the newest are still open (no timeout here)
        assert sum(closed) >= 3 * CAP - CAP, sum(closed)
        assert not any(closed[-(CAP // 2) :]), closed
        # a new client still gets an answer, and every stream still delivers
        assert status_of(exchange(capped_emu.base_url, _catalog(capped_emu))) == 200
        _score(capped_emu, ext, secret, attempt, 9)
        for stream in streams:
            _read_to(stream, b"event: score_update")
    finally:
        for sock in idle + streams:
            sock.close()


@pytest.mark.slow
def test_a_full_server_of_busy_connections_turns_new_ones_away(
    capped_emu: EmbeddedEmulator,
) -> None:
    _ext, _secret, _attempt, board = _board_with_attempt(capped_emu)
    streams: list[socket.socket] = []
    try:
        for _ in range(CAP):
            streams.append(_open_stream(capped_emu, board))
        with connect(capped_emu.base_url) as extra:
            _data, closed = read_until_closed(extra, 3)
        assert closed  # no idle connection to evict: the newcomer is closed, not a stream
        for stream in streams:
            assert not _closed(stream)
    finally:
        for stream in streams:
            stream.close()


def test_default_limits_hold_the_fan_out_benchmark() -> None:
    limits = ConnectionLimits()
    assert limits.max_connections > 1000
    assert limits.header_timeout_s > 0 and limits.body_timeout_s > 0
    assert limits.max_header_bytes >= 16 * 1024
