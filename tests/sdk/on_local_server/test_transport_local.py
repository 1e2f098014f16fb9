"""The transport against a real HTTP server on 127.0.0.1: wire behaviour, retries,
deadlines, cancellation, size cap, TLS and insecure-http refusal."""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from kraty_pygame.sdk import (
    CancelToken,
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyNetworkError,
    KratyProtocolError,
    KratyTimeoutError,
    RequestInfo,
    RetryConfig,
)
from kraty_pygame.sdk.http.calls import CallScope
from kraty_pygame.sdk.transport import KratyClient
from tests.support.clients import ZERO_BACKOFF
from tests.support.emu_http import CLIENT_KEY
from tests.support.http_server import Reply, ScriptedServer, json_reply
from tests.support.sockets import client_sockets_to

MakeClient = Callable[..., KratyClient]


def ok(data: object, status: int = 200) -> Reply:
    return json_reply(status, {"data": data})


def error(status: int, code: str, **headers: str) -> Reply:
    return json_reply(status, {"error": {"code": code, "message": code}}, **headers)


class CallInThread:
    """Run a call on a thread; wait for its outcome with a timeout (thread joined)."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.result: object = None
        self.error: BaseException | None = None
        self.finished_at = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fn,))
        self._thread.start()

    def _run(self, fn: Callable[[], object]) -> None:
        try:
            self.result = fn()
        except BaseException as exc:  # handed to the test thread
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self._done.set()

    def join(self, timeout: float) -> None:
        assert self._done.wait(timeout), "call did not finish in time"
        self._thread.join(timeout)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` (10 ms steps) until it holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        tick.wait(0.01)


def live_attempt(client: KratyClient) -> CallScope | None:
    """The client's only in-flight call, whose running try is inspected (test introspection)."""
    scopes = list(client._calls._scopes)
    return scopes[0] if len(scopes) == 1 else None


# --------------------------------------------------------------------------- wire and retries


def test_wire_headers_and_stamped_body(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([ok({}, 201)])
    client = make_client(generate_idempotency_key=lambda: "key-1")
    client.bind_identity(lambda: "kps_secret")
    client.request("POST", "/sdk/v1/players/p/events/e/start", body={"playerContext": {}})
    client.request("GET", "/sdk/v1/players/p/events")
    post, get = server.requests
    assert post.headers["authorization"] == "Bearer kr_test.client-demo"
    assert post.headers["x-kraty-sdk"].startswith("kraty-python/")
    assert post.headers["x-player-secret"] == "kps_secret"
    assert post.headers["content-type"] == "application/json"
    assert post.json == {"playerContext": {}, "idempotencyKey": "key-1"}
    assert get.body == b""
    assert "content-type" not in get.headers
    assert get.headers["accept"] == "application/json"


def test_caller_key_travels_unchanged(server: ScriptedServer, make_client: MakeClient) -> None:
    def never() -> str:
        raise AssertionError("the generator must not be called")

    server.set_script([ok({})])
    client = make_client(generate_idempotency_key=never)
    client.request("POST", "/sdk/v1/x", body={"idempotencyKey": "mine", "a": 1})
    client.request("PATCH", "/sdk/v1/x", body={"a": 2}, idempotency_key="override")
    assert server.requests[0].json == {"idempotencyKey": "mine", "a": 1}
    assert server.requests[1].json == {"a": 2, "idempotencyKey": "override"}


def test_503_503_201_same_key_generator_once(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    calls: list[str] = []

    def gen() -> str:
        calls.append("k")
        return f"key-{len(calls)}"

    server.set_script([error(503, "x"), error(503, "x"), ok({"id": 1}, 201), ok({})])
    client = make_client(generate_idempotency_key=gen)
    assert client.request_data("POST", "/sdk/v1/x", body={"v": 1}) == {"id": 1}
    assert len(server.requests) == 3
    assert {r.json["idempotencyKey"] for r in server.requests} == {"key-1"}
    assert calls == ["k"]


def test_budget_exhausted_last_error(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([error(500, "first"), error(500, "second"), error(500, "third")])
    client = make_client(retry=RetryConfig(attempts=3, initial_delay=0, max_delay=0))
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert info.value.code == "third"
    assert len(server.requests) == 3


def test_retry_after_zero_is_immediate(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([error(429, "rate_limited", **{"Retry-After": "0"}), ok({})])
    client = make_client(retry=RetryConfig(initial_delay=2.0, max_delay=5.0))
    started = time.monotonic()
    client.request("GET", "/sdk/v1/x")
    assert time.monotonic() - started < 0.5
    assert len(server.requests) == 2


def test_final_statuses_one_call(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client()
    for status in (400, 404, 409, 501):
        server.set_script([error(status, "x"), ok({})])
        before = len(server.requests)
        with pytest.raises(KratyApiError):
            client.request("GET", "/sdk/v1/x")
        assert len(server.requests) == before + 1


def test_html_503_retried_then_internal_error(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    page = Reply(503, b"<html><body>upstream down</body></html>", {"content-type": "text/html"})
    server.set_script([page])
    client = make_client(retry=RetryConfig(attempts=3, initial_delay=0, max_delay=0))
    with pytest.raises(KratyApiError) as info:
        client.request("GET", "/sdk/v1/x")
    assert (info.value.status, info.value.code) == (503, "internal_error")
    assert len(server.requests) == 3


def test_lobby_forming_202(server: ScriptedServer, make_client: MakeClient) -> None:
    body = {"error": {"code": "lobby_forming", "message": "", "details": {"lobbyId": "lob_1"}}}
    server.set_script([json_reply(202, body), ok({})])
    client = make_client()
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/players/p/events/quick_brawl/start")
    assert info.value.is_lobby_forming and info.value.status == 202
    assert info.value.details == {"lobbyId": "lob_1"}
    assert len(server.requests) == 1


def test_malformed_2xx_protocol_error(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([Reply(200, b"<html>proxy login</html>"), ok({})])
    client = make_client()
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("GET", "/sdk/v1/x")
    assert info.value.status == 200
    assert len(server.requests) == 1


def test_on_request_once_per_attempt(server: ScriptedServer, make_client: MakeClient) -> None:
    infos: list[RequestInfo] = []
    server.set_script([error(503, "x"), error(502, "x"), ok({})])
    client = make_client(on_request=infos.append)
    client.request("GET", "/sdk/v1/x", query={"limit": 5})
    assert [(i.attempt, i.status, i.ok) for i in infos] == [
        (1, 503, False),
        (2, 502, False),
        (3, 200, True),
    ]
    assert infos[0].url == f"{server.base_url}/sdk/v1/x?limit=5"


def test_connection_refused_every_attempt(make_client: MakeClient) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    infos: list[RequestInfo] = []
    client = make_client(base_url=f"http://127.0.0.1:{port}", on_request=infos.append)
    with pytest.raises(KratyNetworkError) as info:
        client.request("POST", "/sdk/v1/x", idempotency_key="k-9")
    assert len(infos) == 4
    assert info.value.outcome_unknown is False
    assert info.value.idempotency_key == "k-9"
    assert isinstance(info.value.original_cause, requests.RequestException | OSError)


def test_reset_after_request_sent_is_outcome_unknown(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.set_script([Reply(action="reset")])
    client = make_client(retry=RetryConfig(attempts=2, initial_delay=0, max_delay=0))
    with pytest.raises(KratyNetworkError) as info:
        client.request("POST", "/sdk/v1/players/p/wallet/gold/debit", body={"amount": 5})
    assert info.value.outcome_unknown is True
    assert info.value.idempotency_key == server.requests[0].json["idempotencyKey"]
    assert server.requests[0].json == server.requests[1].json  # the retry reused the key


def test_503_after_a_reset_still_says_outcome_unknown(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.set_script([Reply(action="reset"), error(503, "service_unavailable")])
    client = make_client(retry=RetryConfig(attempts=2, initial_delay=0, max_delay=0))
    with pytest.raises(KratyApiError) as info:
        client.request("POST", "/sdk/v1/players/p/wallet/gold/debit", body={"amount": 5})
    assert info.value.status == 503
    assert info.value.outcome_unknown is True  # the reset attempt may have been applied
    assert info.value.idempotency_key == server.requests[0].json["idempotencyKey"]


def test_corrupt_2xx_to_a_write_carries_the_key_to_replay(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.set_script([Reply(201, b'{"data": {"applied": tr\x00'), ok({"applied": False})])
    client = make_client()
    with pytest.raises(KratyProtocolError) as info:
        client.request_data("POST", "/sdk/v1/players/p/wallet/gold/debit", body={"amount": 5})
    assert (info.value.status, info.value.outcome_unknown) == (201, True)
    key = info.value.idempotency_key
    assert key == server.requests[0].json["idempotencyKey"]
    replay = client.request_data(
        "POST", "/sdk/v1/players/p/wallet/gold/debit", body={"amount": 5}, idempotency_key=key
    )
    assert replay == {"applied": False}
    assert server.requests[1].json == server.requests[0].json  # the very same request


def test_reset_then_success_is_retried(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([Reply(action="reset"), Reply(action="close"), ok({"ok": True})])
    client = make_client()
    assert client.request_data("POST", "/sdk/v1/x") == {"ok": True}
    assert len({r.json["idempotencyKey"] for r in server.requests}) == 1


# --------------------------------------------------------------------------- deadlines


def _elapsed_attempts(infos: list[RequestInfo]) -> list[float]:
    return [i.duration_ms / 1000.0 for i in infos]


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply",
    [
        Reply(action="hang"),
        Reply(200, b'{"data": "' + b"x" * 200 + b'"}', action="drip", drip_interval=0.2),
        Reply(200, b'{"data": "' + b"x" * 200 + b'"}', action="hang_body"),
    ],
    ids=["never-answers", "drips-body", "stalls-mid-body"],
)
def test_each_attempt_ends_within_timeout(
    server: ScriptedServer, make_client: MakeClient, reply: Reply
) -> None:
    timeout = 1.5
    server.set_script([reply])
    infos: list[RequestInfo] = []
    client = make_client(
        timeout=timeout,
        on_request=infos.append,
        retry=RetryConfig(attempts=2, initial_delay=0, max_delay=0),
    )
    started = time.monotonic()
    with pytest.raises(KratyTimeoutError) as info:
        client.request("GET", "/sdk/v1/x")
    total = time.monotonic() - started
    assert len(infos) == 2
    for seconds in _elapsed_attempts(infos):
        assert timeout * 0.9 <= seconds <= timeout * 1.1
    assert total <= 2 * timeout * 1.1 + 0.2
    assert info.value.outcome_unknown is False  # a GET


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply",
    [
        # One byte per 0.3 s keeps every socket read under its own timeout, so only a
        # whole-attempt deadline can end it.
        Reply(200, b"x" * 100, action="drip", drip_interval=0.3),
        Reply(action="hang"),
    ],
    ids=["drips", "never-answers"],
)
def test_single_attempt_call_ends_within_timeout(
    server: ScriptedServer, make_client: MakeClient, reply: Reply
) -> None:
    server.set_script([reply])
    client = make_client(timeout=1.0, retry=RetryConfig(attempts=1))
    started = time.monotonic()
    with pytest.raises(KratyTimeoutError):
        client.request("GET", "/sdk/v1/x")
    assert time.monotonic() - started <= 1.1


# --------------------------------------------------------------------------- cancellation


@pytest.mark.parametrize("how", ["close", "token"])
def test_abort_from_another_thread_before_headers(
    server: ScriptedServer, make_client: MakeClient, how: str
) -> None:
    server.set_script([Reply(action="hang")])
    client = make_client(timeout=30.0)
    token = CancelToken()
    call = CallInThread(lambda: client.request("POST", "/sdk/v1/x", cancel=token))
    assert server.wait_for_requests(1, timeout=5)
    aborted_at = time.monotonic()
    if how == "close":
        client.close()
    else:
        token.cancel()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5
    assert call.error.outcome_unknown is True  # the write reached the server
    assert call.error.idempotency_key == server.requests[0].json["idempotencyKey"]
    assert len(server.requests) == 1  # a cancelled call is not retried


def test_close_aborts_mid_body(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([Reply(200, b"y" * 1000, action="drip", drip_interval=0.05)])
    client = make_client(timeout=30.0)
    call = CallInThread(lambda: client.request("GET", "/sdk/v1/x"))
    assert server.wait_for_requests(1, timeout=5)
    wait_until(lambda: (a := live_attempt(client)) is not None and a.answer is not None)
    aborted_at = time.monotonic()
    client.close()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5


def test_cancel_during_backoff_sleep(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_script([error(503, "busy", **{"Retry-After": "5"})])
    client = make_client(retry=RetryConfig(attempts=4, initial_delay=0, max_delay=5.0))
    token = CancelToken()
    call = CallInThread(lambda: client.request("GET", "/sdk/v1/x", cancel=token))
    assert server.wait_for_requests(1, timeout=5)
    aborted_at = time.monotonic()
    token.cancel()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5
    assert len(server.requests) == 1


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A listener whose accept queue is full, so further connects hang in SYN_SENT."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    host, port = listener.getsockname()
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex((host, port))
        fillers.append(filler)
    try:
        yield f"http://{host}:{port}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_cancel_while_connecting(blackhole: str, make_client: MakeClient) -> None:
    client = make_client(base_url=blackhole, timeout=20.0)
    probe = socket.create_connection  # the blackhole really hangs connects
    with pytest.raises(OSError):
        probe(tuple(blackhole.removeprefix("http://").split(":")), timeout=0.3)  # type: ignore[arg-type]
    token = CancelToken()
    call = CallInThread(lambda: client.request("POST", "/sdk/v1/x", cancel=token))
    # the call holds a socket that is not connected yet: it is blocked connecting
    wait_until(
        lambda: (a := live_attempt(client)) is not None and a.sock is not None and a.sent is False
    )
    aborted_at = time.monotonic()
    token.cancel()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5
    assert call.error.outcome_unknown is False  # never connected, so nothing was sent


@pytest.fixture
def silent_tls() -> Iterator[str]:
    """An https:// URL on 127.0.0.1 whose server accepts TCP but never answers the
    ClientHello, so a client stays in the TLS handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # read nothing, answer nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    host, port = listener.getsockname()
    try:
        yield f"https://{host}:{port}"
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("how", ["token", "close"])
def test_cancel_during_the_tls_handshake(
    silent_tls: str, make_client: MakeClient, how: str
) -> None:
    client = make_client(base_url=silent_tls, timeout=20.0)
    token = CancelToken()
    call = CallInThread(lambda: client.request("POST", "/sdk/v1/x", cancel=token))
    # the call holds a TLS socket that is not connected yet: it waits for the ServerHello
    wait_until(
        lambda: (
            (a := live_attempt(client)) is not None
            and isinstance(a.sock, ssl.SSLSocket)
            and a.sent is False
        )
    )
    time.sleep(0.2)  # well inside the handshake's wait
    aborted_at = time.monotonic()
    token.cancel() if how == "token" else client.close()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5
    assert call.error.outcome_unknown is False  # the request never went out


def test_cancel_while_connecting_over_https(blackhole: str, make_client: MakeClient) -> None:
    client = make_client(base_url=blackhole.replace("http://", "https://"), timeout=20.0)
    token = CancelToken()
    call = CallInThread(lambda: client.request("GET", "/sdk/v1/x", cancel=token))
    wait_until(
        lambda: (
            (a := live_attempt(client)) is not None
            and a.sock is not None
            and not isinstance(a.sock, ssl.SSLSocket)
        )
    )
    time.sleep(0.2)  # blocked in the TCP connect (the accept queue is full)
    aborted_at = time.monotonic()
    token.cancel()
    call.join(timeout=5)
    assert isinstance(call.error, KratyCancelledError)
    assert call.finished_at - aborted_at <= 0.5


# --------------------------------------------------------------------------- limits and TLS


def test_size_cap_refuses_large_bodies(server: ScriptedServer, make_client: MakeClient) -> None:
    big = json.dumps({"data": "z" * (9 * 1024 * 1024)}).encode()
    server.set_script([Reply(200, big), Reply(200, big, content_length=None)])
    client = make_client()
    with pytest.raises(KratyProtocolError) as info:
        client.request("GET", "/sdk/v1/x")
    assert "max_response_bytes" in str(info.value)
    small = make_client(max_response_bytes=64)
    server.set_script([ok("a" * 100)])
    with pytest.raises(KratyProtocolError):
        small.request("GET", "/sdk/v1/x")


def test_insecure_http_refused_for_remote_hosts() -> None:
    with pytest.raises(KratyConfigError) as info:
        KratyClient("kr_test.a", base_url="http://api.example.com")
    assert "allow_insecure_http" in str(info.value)


def test_plain_http_through_a_proxy_off_loopback_is_refused(
    server: ScriptedServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback rule of plain HTTP holds for a proxy from the environment too: the
    key would cross the network in cleartext to reach it."""
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.10:3128")  # a documentation address
    monkeypatch.setenv("NO_PROXY", "")
    client = make_client(retry=RetryConfig(attempts=1))
    started = time.monotonic()
    with pytest.raises(KratyNetworkError) as info:
        client.request("POST", "/sdk/v1/x")
    assert time.monotonic() - started < 1.0  # refused before any connect
    assert "via proxy 192.0.2.10" in str(info.value.original_cause)
    assert info.value.outcome_unknown is False
    assert server.requests == []


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def self_signed(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


def test_tls_with_a_trusted_bundle_checks_the_host_name(
    tls_files: tuple[Path, Path], self_signed: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files[0]))
    with ScriptedServer([ok({"ok": True})], tls=self_signed) as tls_server:
        trusted = KratyClient("kr_test.a", base_url=tls_server.base_url)
        # the certificate names 127.0.0.1 only: the same server as "localhost" is refused
        other_name = tls_server.base_url.replace("127.0.0.1", "localhost")
        renamed = KratyClient("kr_test.a", base_url=other_name, retry=RetryConfig(attempts=1))
        try:
            assert trusted.request_data("GET", "/sdk/v1/x") == {"ok": True}
            with pytest.raises(KratyNetworkError) as info:
                renamed.request("GET", "/sdk/v1/x")
            assert isinstance(info.value.original_cause, requests.exceptions.SSLError)
            assert "localhost" in str(info.value.original_cause)
        finally:
            trusted.close()
            renamed.close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # the raw probe
def test_tls_verification_stays_on(self_signed: ssl.SSLContext) -> None:
    with ScriptedServer([ok({"ok": True})], tls=self_signed) as tls_server:
        # The server works (an unverified raw request gets through) ...
        with requests.Session() as raw:
            response = raw.get(tls_server.base_url + "/sdk/v1/x", verify=False, timeout=5)
            assert response.json() == {"data": {"ok": True}}
        # ... but the SDK refuses the untrusted certificate, even on a verify=False session.
        session = requests.Session()
        session.verify = False
        client = KratyClient(
            "kr_test.a",
            base_url=tls_server.base_url,
            session=session,
            retry=RetryConfig(attempts=1),
        )
        try:
            with pytest.raises(KratyNetworkError) as info:
                client.request("GET", "/sdk/v1/x")
            assert isinstance(info.value.original_cause, requests.exceptions.SSLError)
        finally:
            client.close()
            session.close()


class TunnelProxy:
    """An HTTP proxy on 127.0.0.1 that answers ``CONNECT`` and pipes bytes both ways, as
    an HTTPS call through ``HTTPS_PROXY`` uses it; it records the targets asked for."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept)]
        self._threads[0].start()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._listener.accept()[0]
            except OSError:
                continue
            thread = threading.Thread(target=self._tunnel, args=(conn,))
            self._threads.append(thread)
            thread.start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as head:
            target = head.readline().split()[1].decode()
            while head.readline() not in (b"\r\n", b""):
                pass
            self.targets.append(target)
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                downstream = threading.Thread(target=self._pipe, args=(upstream, conn))
                downstream.start()
                self._pipe(conn, upstream)
                downstream.join(5)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(0.1)
        while not self._stop.is_set():
            try:
                chunk = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            with contextlib.suppress(OSError):
                sink.sendall(chunk)

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(5)
        self._listener.close()


@pytest.mark.slow  # a proxy and a dripping TLS server: about a second each
@pytest.mark.parametrize("action", ["drip_head", "drip"], ids=["headers", "body"])
def test_the_deadline_holds_behind_an_https_proxy(
    action: str,
    tls_files: tuple[Path, Path],
    self_signed: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through a tunnelling proxy the connect is urllib3's, but once connected the socket
    is the call's: an answer dripped a byte at a time (each read well inside the read
    timeout), headers or body, still ends at the try's deadline."""
    proxy = TunnelProxy()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files[0]))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    dripped = Reply(200, b'{"data": {}}' * 10, action=action, drip_interval=0.2)
    try:
        with ScriptedServer([ok({"via": "proxy"}), dripped], tls=self_signed) as tls_server:
            url, once = tls_server.base_url, RetryConfig(attempts=1)
            client = KratyClient("kr_test.a", base_url=url, timeout=1.0, retry=once)
            try:
                assert client.request_data("GET", "/sdk/v1/x") == {"via": "proxy"}
                started = time.monotonic()
                with pytest.raises(KratyTimeoutError):
                    client.request("GET", "/sdk/v1/x")
                assert time.monotonic() - started <= 1.3
            finally:
                client.close()
            assert proxy.targets == [url.removeprefix("https://")]  # one tunnel, reused
    finally:
        proxy.stop()


# --------------------------------------------------------------------------- streams


def test_open_stream_headers_and_no_telemetry(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    sse = Reply(200, b"event: ready\ndata: {}\n\n", {"content-type": "text/event-stream"})
    server.set_script([sse])
    infos: list[RequestInfo] = []
    client = make_client(on_request=infos.append)
    client.bind_identity(lambda: "kps_s")
    response = client.open_stream("/sdk/v1/event-leaderboards/lb_1/stream", query={"a": 1})
    try:
        assert response.raw.read() == b"event: ready\ndata: {}\n\n"
    finally:
        response.close()
    request = server.requests[0]
    assert request.target == "/sdk/v1/event-leaderboards/lb_1/stream?a=1"
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["x-player-secret"] == "kps_s"
    assert request.headers["x-kraty-sdk"].startswith("kraty-python/")
    assert infos == []


def test_open_stream_errors(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client()
    server.set_script([error(404, "not_found"), Reply(502, b"<html>bad gateway</html>")])
    with pytest.raises(KratyApiError) as info:
        client.open_stream("/sdk/v1/event-leaderboards/x/stream")
    assert (info.value.status, info.value.code) == (404, "not_found")
    with pytest.raises(KratyApiError) as info:
        client.open_stream("/sdk/v1/event-leaderboards/x/stream")
    assert (info.value.status, info.value.code) == (502, "http_502")
    assert len(server.requests) == 2  # streams are never retried


@pytest.mark.parametrize("how", ["close", "token"])
def test_open_stream_is_aborted_from_another_thread(
    server: ScriptedServer, make_client: MakeClient, how: str
) -> None:
    server.set_script([Reply(200, b"data: 1\n\n" * 4, action="hang_body")])
    client = make_client()
    token = CancelToken()
    response = client.open_stream("/sdk/v1/event-leaderboards/x/stream", cancel=token)

    got_bytes = threading.Event()

    def read_all() -> bytes:
        chunks = []
        try:
            while chunk := response.raw.read(1):
                chunks.append(chunk)
                if len(chunks) == 18:
                    got_bytes.set()  # everything sent so far; the next read blocks
        except Exception:  # an aborted stream may end with an error or with EOF
            pass
        return b"".join(chunks)

    reader = CallInThread(read_all)
    assert got_bytes.wait(5)
    aborted_at = time.monotonic()
    client.close() if how == "close" else token.cancel()
    reader.join(timeout=5)
    response.close()
    assert reader.finished_at - aborted_at <= 0.5
    assert reader.result == b"data: 1\n\n" * 2


# --------------------------------------------------------------------------- connections


def test_close_closes_pooled_connections_while_a_stream_is_still_referenced(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """A live stream's response keeps its pool alive; ``close()`` must still close the
    idle keep-alive socket in that pool at once, not leave it to the collector."""
    server.set_script([Reply(200, b"data: 1\n\n", action="hang_body"), ok({})])
    client = make_client()
    stream = client.open_stream("/sdk/v1/event-leaderboards/x/stream")
    client.request("GET", "/sdk/v1/x")  # a second connection, idle in the pool afterwards
    assert len(client_sockets_to(server.port)) == 2
    client.close()
    assert client_sockets_to(server.port) == set()
    stream.close()


def test_a_client_dropped_without_close_leaves_no_connection(server: ScriptedServer) -> None:
    """The deadline thread outlives a client that was never closed; it must not keep the
    client's session, and so its pooled sockets, alive with it."""
    server.set_script([ok({})])
    client = KratyClient(CLIENT_KEY, base_url=server.base_url, retry=ZERO_BACKOFF)
    client.request("GET", "/sdk/v1/x")
    assert len(client_sockets_to(server.port)) == 1
    with warnings.catch_warnings(record=True):  # the collector closes the socket
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert client_sockets_to(server.port) == set()
