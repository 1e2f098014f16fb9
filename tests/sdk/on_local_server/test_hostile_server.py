"""The SDK against a hostile server: raw sockets on 127.0.0.1, real HTTP, real threads.

Each test is one attack of the "SDK" rows of the security table in
``docs/reliability.md``: an SSE event built to make parsing quadratic, secrets echoed
back in errors, bodies and status lines, a register answer whose secret smuggles a
header, status lines and headers trickled to hold a call, and cleartext to names that
do not resolve to loopback. Name resolution is the one thing replaced (a test cannot
own a DNS server): ``fake_dns`` answers for made-up names only.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from kraty_pygame.component import KRATY_REQUEST_FAILED, KratyComponent
from kraty_pygame.sdk import (
    FileSecretStore,
    InMemorySecretStore,
    Kraty,
    KratyApiError,
    KratyConfigError,
    KratyNetworkError,
    KratyProtocolError,
    KratyStreamError,
    KratyTimeoutError,
    RetryConfig,
)
from kraty_pygame.sdk._constants import ERROR_BODY_SNIPPET
from kraty_pygame.sdk.transport import KratyClient
from tests.support.hostile_server import HostileServer
from tests.support.http_server import Recorded, Reply, ScriptedServer, json_reply

KEY_SECRET = "HOSTILECANARYKEYPART"
API_KEY = f"kr_test.{KEY_SECRET}"
PLAYER = "p_hostile"
PLAYER_SECRET = "kps_HOSTILE_CANARY_SECRET_0001"
CANARIES = (KEY_SECRET, PLAYER_SECRET)
FAST = RetryConfig(initial_delay=0.0, max_delay=0.0, jitter=0.0)
SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n"


def _kraty(base_url: str, **options: Any) -> Kraty:
    options.setdefault("retry", FAST)
    options.setdefault("secret_store", InMemorySecretStore())
    return Kraty(
        API_KEY,
        base_url=base_url,
        active_external_player_id=PLAYER,
        player_secret=PLAYER_SECRET,
        **options,
    )


# ------------------------------------------------------------------ SSE parsing cost


def _one_huge_event(server: HostileServer, conn: socket.socket, _request: Recorded) -> None:
    """A stream whose second event is 1 MiB of ``x`` lines (under both size limits)."""
    conn.sendall(SSE_HEAD)
    conn.sendall(b'event: ready\ndata: {"leaderboardId":"lb_1"}\n\n')
    lines = b"x\n" * ((1 << 20) // 2)
    for start in range(0, len(lines), 65536):
        conn.sendall(lines[start : start + 65536])
    conn.sendall(b'event: score_update\ndata: {"leaderboardId":"lb_1","score":7}\n\n')
    conn.sendall(b'event: closed\ndata: {"reason":"finalized"}\n\n')
    server.stopped.wait(10)  # hold the connection: the client ends it after "closed"


def test_an_sse_event_of_many_short_lines_parses_in_linear_time() -> None:
    # Quadratic parsing took ~18 s of CPU for this one event; linear parsing takes a few
    # hundredths of a second, so the bound below has a wide margin either way.
    with HostileServer(_one_huge_event) as server, _kraty(server.base_url) as kraty:
        started = time.monotonic()
        with kraty.event_leaderboards.live("lb_1", read_timeout=10) as stream:
            kinds = [event.kind for event in stream]
        elapsed = time.monotonic() - started
    assert kinds == ["ready", "score_update", "closed"]
    assert elapsed < 5.0, f"parsing one 1 MiB event took {elapsed:.1f} s"


# ------------------------------------------------------------------ echoed secrets


def _texts(exc: BaseException) -> str:
    """Everything an error shows: its text, its attributes, its traceback, its chain."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        for name in ("message", "code", "details", "body", "field", "original_cause"):
            parts.append(repr(getattr(current, name, None)))
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
        cause = getattr(current, "original_cause", None)
        if isinstance(cause, BaseException):
            stack.append(cause)
    return "\n".join(parts)


def _assert_masked(text: str) -> None:
    leaked = [canary for canary in CANARIES if canary in text]
    assert leaked == [], text[:2000]


def _echo_everywhere(request: Recorded) -> Reply:
    """Echoes the key and the secret the request carried in the code, message, details."""
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    secret = request.headers.get("x-player-secret", "")
    error = {
        "code": f"bad_{secret}",
        "message": f"rejected key {key} for secret {secret}",
        "details": {"echo": [secret, {"key": key}], secret: KEY_SECRET, "deep": [[[secret]]]},
    }
    return json_reply(400, {"error": error})


def test_secrets_echoed_in_an_error_envelope_are_masked() -> None:
    with (
        ScriptedServer(handler=_echo_everywhere) as server,
        _kraty(server.base_url) as kraty,
        pytest.raises(KratyApiError) as caught,
    ):
        kraty.wallet.list()
    err = caught.value
    _assert_masked(_texts(err))
    assert err.status == 400 and "***" in err.message
    assert err.details["echo"] == ["***", {"key": "***"}] and err.details["***"] == "***"
    assert server.requests[0].headers["x-player-secret"] == PLAYER_SECRET  # it was sent


@pytest.mark.parametrize(
    "reply",
    [
        # cut by the snippet's length limit in the middle of the secret
        Reply(200, b"<html>" + b"." * (ERROR_BODY_SNIPPET - 16) + PLAYER_SECRET.encode()),
        Reply(200, json.dumps({"echo": f"{API_KEY} {PLAYER_SECRET}"}).encode()),
        Reply(502, f"proxy error for {API_KEY} / {PLAYER_SECRET}".encode()),
    ],
    ids=["non_json_2xx_cut_in_the_secret", "json_2xx_without_data", "non_json_5xx"],
)
def test_secrets_echoed_in_a_body_are_masked(reply: Reply) -> None:
    with (
        ScriptedServer([reply]) as server,
        _kraty(server.base_url, retry=RetryConfig(attempts=1)) as kraty,
        pytest.raises(KratyApiError) as caught,
    ):
        kraty.get_server_time()
    _assert_masked(_texts(caught.value))
    # not even the head of the secret survives the cut
    assert PLAYER_SECRET[:8] not in _texts(caught.value)


def _secret_as_status_line(_server: HostileServer, conn: socket.socket, request: Recorded) -> None:
    conn.sendall(b"HTTP/1.1 " + request.headers["x-player-secret"].encode() + b"\r\n\r\n")


def test_a_secret_echoed_in_the_status_line_stays_out_of_the_traceback() -> None:
    with (
        HostileServer(_secret_as_status_line) as server,
        _kraty(server.base_url, retry=RetryConfig(attempts=1)) as kraty,
        pytest.raises(KratyNetworkError) as caught,
    ):
        kraty.wallet.list()
    text = _texts(caught.value)
    _assert_masked(text)
    assert "BadStatusLine" in text  # the cause is still named


def _secret_as_chunk_size(server: HostileServer, conn: socket.socket, request: Recorded) -> None:
    ready = b'event: ready\ndata: {"leaderboardId":"lb_1"}\n\n'
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        + f"{len(ready):x}\r\n".encode()
        + ready
        + b"\r\n"
    )
    server.stopped.wait(0.2)
    conn.sendall(request.headers["x-player-secret"].encode() + b"\r\n")  # not a chunk size


@pytest.mark.parametrize("which", ["leaderboard", "inventory"])
def test_a_secret_echoed_into_a_stream_stays_out_of_its_errors(which: str) -> None:
    states: list[Any] = []
    with HostileServer(_secret_as_chunk_size) as server, _kraty(server.base_url) as kraty:
        stream: Iterator[Any] = (
            kraty.event_leaderboards.live("lb_1", read_timeout=5, on_state=states.append)
            if which == "leaderboard"
            else kraty.inventory.live(read_timeout=5)
        )
        with pytest.raises(KratyStreamError) as caught:
            for _event in stream:
                pass
    text = _texts(caught.value) + "".join(_texts(s.error) for s in states if s.error)
    _assert_masked(text)
    assert "ProtocolError" in text  # the transport failure is still named


def test_the_component_masks_echoed_secrets_in_events_and_its_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    pygame.init()
    pygame.display.set_mode((32, 32))
    pygame.event.clear()
    try:
        with ScriptedServer(handler=_echo_everywhere) as server:
            component = KratyComponent(_kraty(server.base_url), owns_kraty=True)
            try:
                handle = component.wallet.list()
                failed = _pump_until_failed(component, handle)
                _wait_for(lambda: "clock sync failed" in caplog.text)
            finally:
                component.close()
    finally:
        pygame.quit()
    assert isinstance(failed.error, KratyApiError)
    _assert_masked(_texts(failed.error) + repr(failed.dict))
    _assert_masked(caplog.text)
    assert "rejected key *** for secret ***" in caplog.text


def _pump_until_failed(component: KratyComponent, handle: object) -> Any:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        component.update()
        for event in pygame.event.get():
            if event.type == KRATY_REQUEST_FAILED and event.handle is handle:
                return event
        component.wait_for_results(0.05)
    raise AssertionError("no KRATY_REQUEST_FAILED event")


def _wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


# ------------------------------------------------------------------ register secret

UNSAFE_SECRET = "kps_x\r\nx-injected: 1"
SAFE_SECRET = "kps_SAFE_SECOND_SECRET"


class _Registrar:
    """Register answers: the unsafe secret first, a good one after; 200 elsewhere."""

    def __init__(self) -> None:
        self.secrets = [UNSAFE_SECRET, SAFE_SECRET]

    def __call__(self, request: Recorded) -> Reply:
        if request.path.endswith("/register"):
            player = request.path.split("/")[4]
            secret = self.secrets.pop(0) if len(self.secrets) > 1 else self.secrets[0]
            data = {"playerId": "p", "externalPlayerId": player, "secret": secret}
            return json_reply(201, {"data": data})
        return json_reply(200, {"data": {"wallet": []}})


def test_a_header_unsafe_secret_from_register_is_refused_and_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    with (
        ScriptedServer(handler=_Registrar()) as server,
        Kraty(
            API_KEY, base_url=server.base_url, secret_store=FileSecretStore(path), retry=FAST
        ) as kraty,
    ):
        with pytest.raises(KratyProtocolError) as caught:
            kraty.ensure_identity()
        assert caught.value.field == "data.secret" and "x-injected" not in _texts(caught.value)
        assert kraty.identity.current() is None
        assert not path.exists() or "kps_x" not in path.read_text()
        store = FileSecretStore(path)
        assert store.read_active_external_player_id() is None
        # Nothing was stored, so the next call simply registers again and works.
        kraty.wallet.list()
        assert kraty.identity.current_secret() == SAFE_SECRET
        last = server.requests[-1]
        assert last.headers["x-player-secret"] == SAFE_SECRET and "x-injected" not in last.headers


def test_a_header_unsafe_rotated_secret_leaves_the_identity_alone() -> None:
    registrar = _Registrar()
    registrar.secrets = [UNSAFE_SECRET, UNSAFE_SECRET]
    with ScriptedServer(handler=registrar) as server, _kraty(server.base_url) as kraty:
        with pytest.raises(KratyProtocolError):
            kraty.players.rotate(PLAYER)
        assert kraty.identity.current_secret() == PLAYER_SECRET
        assert kraty.identity.store.read(PLAYER) is None


# ------------------------------------------------------------------ trickled heads


def _trickled_stream_head(server: HostileServer, conn: socket.socket, _request: Recorded) -> None:
    # One byte every 2 s, below a 3 s read timeout; gives up after ~20 s so that a client
    # without a connect-phase deadline fails this test instead of hanging it.
    server.trickle(conn, SSE_HEAD[:10], 2.0)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["leaderboard", "inventory"])
def test_opening_a_stream_has_an_overall_deadline(which: str) -> None:
    with (
        HostileServer(_trickled_stream_head) as server,
        _kraty(server.base_url, timeout=1.0) as kraty,
    ):
        opened: dict[str, Callable[[], object]] = {
            "leaderboard": lambda: kraty.event_leaderboards.live("lb_1", read_timeout=3),
            "inventory": lambda: kraty.inventory.live(read_timeout=3),
        }
        started = time.monotonic()
        with pytest.raises(KratyTimeoutError):
            opened[which]()
        elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"opening the stream took {elapsed:.1f} s"


def _status_then_trickled_headers(
    server: HostileServer, conn: socket.socket, _request: Recorded
) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    server.trickle(conn, b"x-slow: " + b"a" * 200 + b"\r\ncontent-length: 12\r\n\r\n", 0.2)


@pytest.mark.slow
def test_headers_trickling_past_the_deadline_end_as_a_retried_timeout() -> None:
    with HostileServer(_status_then_trickled_headers) as server:
        client = KratyClient(
            API_KEY,
            base_url=server.base_url,
            timeout=0.5,
            retry=RetryConfig(attempts=2, initial_delay=0.0, max_delay=0.0, jitter=0.0),
        )
        try:
            with pytest.raises(KratyTimeoutError) as caught:
                client.request_decoded(
                    "POST", "/sdk/v1/players/p/wallet/gold/credit", dict, body={}
                )
        finally:
            client.close()
    assert len(server.requests) == 2  # retried like any timeout
    assert caught.value.outcome_unknown and caught.value.idempotency_key
    keys = {r.json["idempotencyKey"] for r in server.requests}
    assert keys == {caught.value.idempotency_key}


# ------------------------------------------------------------------ cleartext trust

TEST_NET = "192.0.2.10"  # documentation range: never a loopback address


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answers for made-up names (an empty list: the name does not resolve)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if host not in answers:
            return real(host, port, *args, **kwargs)
        if not answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        number = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, number, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, number))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def api() -> Iterator[ScriptedServer]:
    with ScriptedServer(handler=lambda _r: json_reply(200, {"data": {"wallet": []}})) as server:
        yield server


@pytest.mark.parametrize(
    "answer",
    [[TEST_NET], ["127.0.0.1", TEST_NET], ["::1", TEST_NET], []],
    ids=["elsewhere", "mixed", "mixed_v6", "unresolvable"],
)
def test_a_name_is_trusted_for_cleartext_only_if_it_resolves_to_loopback(
    fake_dns: dict[str, list[str]], api: ScriptedServer, answer: list[str]
) -> None:
    fake_dns["game.localhost"] = answer
    with pytest.raises(KratyConfigError, match="loopback"):
        _kraty(f"http://game.localhost:{api.port}")
    assert api.requests == []
    # With the explicit opt-in the same URL is accepted.
    Kraty(API_KEY, base_url=f"http://game.localhost:{api.port}", allow_insecure_http=True).close()


@pytest.mark.parametrize("name", ["game.localhost", "devbox", "localhost"])
def test_names_resolving_to_loopback_only_are_trusted(
    fake_dns: dict[str, list[str]], api: ScriptedServer, name: str
) -> None:
    fake_dns.update({"game.localhost": ["127.0.0.1"], "devbox": ["127.0.0.1", "127.0.1.1"]})
    with _kraty(f"http://{name}:{api.port}") as kraty:
        kraty.wallet.list()
    assert api.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_a_name_that_rebinds_outside_loopback_gets_nothing_in_cleartext(
    fake_dns: dict[str, list[str]], api: ScriptedServer
) -> None:
    fake_dns["game.localhost"] = ["127.0.0.1"]
    with _kraty(f"http://game.localhost:{api.port}", timeout=2.0) as kraty:
        kraty.wallet.list()
        fake_dns["game.localhost"] = ["127.0.0.1", TEST_NET]  # DNS changed its mind
        kraty.client._session.close()  # no pooled connection: the next call connects anew
        with pytest.raises(KratyNetworkError) as caught:
            kraty.wallet.list()
    assert len(api.requests) == 1  # the second call never left the machine
    assert not caught.value.outcome_unknown
    assert "loopback" in _texts(caught.value)
