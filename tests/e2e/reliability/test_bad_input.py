"""Bad input from a hostile or broken server: decoders fail typed, memory stays bounded.

* hypothesis feeds random JSON shapes to every ``KratyModel`` subclass (found at run
  time in ``kraty_pygame.sdk.models``), to the envelope decoders, to every resource
  method over a scripted transport and to the SSE parser: only ``KratyProtocolError``
  (``KratyStreamError`` for streams) may escape;
* an oversized response is cut off without reading it all (tracemalloc);
* an endless SSE line is cut off with a clear ``KratyStreamError``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pkgutil
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter

import kraty_pygame.sdk.models as models_pkg
from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk._envelope import decode_error_response, decode_success_response
from kraty_pygame.sdk.errors import KratyApiError, KratyProtocolError, KratyStreamError
from kraty_pygame.sdk.models._base import KratyModel, decode_list, model_fields
from kraty_pygame.sdk.models.leaderboards import LeaderboardStreamEvent
from kraty_pygame.sdk.streams.sse import iter_sse_messages

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _all_models() -> list[type[KratyModel]]:
    for info in pkgutil.iter_modules(models_pkg.__path__):
        importlib.import_module(f"{models_pkg.__name__}.{info.name}")
    found: set[type[KratyModel]] = set()
    stack = list(KratyModel.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in found:
            found.add(cls)
            stack.extend(cls.__subclasses__())
    return sorted(
        (c for c in found if c.__module__.startswith(models_pkg.__name__)),
        key=lambda c: c.__qualname__,
    )


MODELS = _all_models()
WIRE_KEYS = sorted({spec.wire_key for model in MODELS for spec in model_fields(model)})

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "1.5", "2026-06-16T09:00:00.000Z", "not-a-date", "gold"])
)
keys = st.sampled_from(WIRE_KEYS) | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=10,
)


def shaped(model: type[KratyModel]) -> st.SearchStrategy[Any]:
    """Objects that use the model's own keys (so fields are reached) with random values,
    or any JSON value at all."""
    own = [spec.wire_key for spec in model_fields(model)] or ["x"]
    return st.dictionaries(st.sampled_from(own), json_values, max_size=len(own)) | json_values


def test_every_model_is_found() -> None:
    names = {m.__name__ for m in MODELS}
    assert len(MODELS) >= 30, names
    assert {"Grant", "Attempt", "EventLeaderboard", "Lobby", "PlayerRegistration"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_decoders_fail_only_with_protocol_errors(model: type[KratyModel]) -> None:
    @FUZZ
    @given(value=shaped(model))
    def check(value: Any) -> None:
        try:
            decoded = model.from_wire(value, path="data")
        except KratyProtocolError as exc:
            assert "data" in str(exc)  # the message names the path
        else:
            assert isinstance(decoded, model)
            repr(decoded)  # a decoded model always renders
        try:
            items = decode_list(model, [value, value], path="data")
        except KratyProtocolError:
            pass
        else:
            assert all(isinstance(item, model) for item in items)

    check()


@FUZZ
@given(body=st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()))
def test_envelope_decoders_fail_only_with_api_errors(body: bytes) -> None:
    for status in (200, 201, 202):
        try:
            decode_success_response(status, body)
        except KratyApiError as exc:  # KratyProtocolError, or a 2xx error envelope
            assert exc.status == status
    for status in (400, 404, 409, 429, 500, 503):
        err = decode_error_response(status, body)
        assert err.status == status


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_protocol_error(depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    with pytest.raises(KratyProtocolError):
        decode_success_response(200, body)
    body = b'{"data":' * depth + b"1" + b"}" * depth
    with contextlib.suppress(KratyProtocolError):
        decode_success_response(200, body)


# ------------------------------------------------------------------ resources, scripted


class _Scripted(BaseAdapter):
    """A requests adapter answering every request with ``body`` (status 200)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = b"{}"

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(self.body),
            headers={"content-type": "application/json"},
            status=200,
            preload_content=False,
        )
        response = requests.Response()
        response.status_code = 200
        response.raw = raw
        response.headers = requests.structures.CaseInsensitiveDict(raw.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


ResourceCall = tuple[str, Callable[[Kraty], object]]
RESOURCE_CALLS: list[ResourceCall] = [
    ("events.list_for_player", lambda k: k.events.list_for_player()),
    ("events.start", lambda k: k.events.start("tap_frenzy")),
    (
        "events.progress",
        lambda k: k.events.progress("tap_frenzy", "att", mode="increment", metric_value=1),
    ),
    ("events.finish", lambda k: k.events.finish("tap_frenzy", "att")),
    ("grants.list_pending", lambda k: k.grants.list_pending()),
    ("grants.claim", lambda k: k.grants.claim("gr")),
    ("grants.open", lambda k: k.grants.open("gr")),
    ("grants.collect_all", lambda k: k.grants.collect_all()),
    ("inventory.list", lambda k: k.inventory.list()),
    ("inventory.consume", lambda k: k.inventory.consume("health_potion", quantity=1)),
    ("wallet.list", lambda k: k.wallet.list()),
    ("wallet.debit", lambda k: k.wallet.debit("gold", amount=1)),
    ("catalog.read", lambda k: k.catalog.read()),
    ("lobbies.read", lambda k: k.lobbies.read("lob")),
    ("players.register", lambda k: k.players.register("kp_" + "a" * 32)),
    ("leaderboards.read", lambda k: k.leaderboards.read("weekly_global")),
    ("leaderboards.list_periods", lambda k: k.leaderboards.list_periods("weekly_global")),
    ("leaderboards.submit_score", lambda k: k.leaderboards.submit_score("weekly_global", 5.0)),
    ("leaderboards.join", lambda k: k.leaderboards.join("weekly_global")),
    ("leaderboards.standings", lambda k: k.leaderboards.standings("weekly_global")),
    ("event_leaderboards.read", lambda k: k.event_leaderboards.read("lb")),
    ("event_leaderboards.join", lambda k: k.event_leaderboards.join("lb")),
]


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[Kraty, _Scripted]]:
    adapter = _Scripted()
    session = requests.Session()
    session.mount("https://", adapter)
    kraty = Kraty(
        "kr_test.client-demo",
        base_url="https://kraty.invalid",
        session=session,
        secret_store=InMemorySecretStore(),
        active_external_player_id="kp_" + "b" * 32,
        player_secret="kps_scripted_secret",
        retry=RetryConfig(attempts=1),
    )
    try:
        yield kraty, adapter
    finally:
        kraty.close()
        session.close()


@pytest.mark.parametrize("call", RESOURCE_CALLS, ids=[name for name, _ in RESOURCE_CALLS])
def test_resource_decoders_fail_only_with_protocol_errors(
    scripted: tuple[Kraty, _Scripted], call: ResourceCall
) -> None:
    kraty, adapter = scripted
    name, invoke = call

    @FUZZ
    @given(data=json_values | st.dictionaries(keys, json_values, max_size=6))
    def check(data: Any) -> None:
        adapter.body = json.dumps({"data": data}).encode()
        with contextlib.suppress(KratyProtocolError):
            invoke(kraty)

    check()
    adapter.body = b'{"data": "not what ' + name.encode() + b' expects"}'
    with pytest.raises(KratyProtocolError):
        invoke(kraty)


# ------------------------------------------------------------------ SSE parser


@FUZZ
@given(
    chunks=st.lists(
        st.binary(max_size=40)
        | st.sampled_from(
            [
                b"data: {",
                b"}\n\n",
                b"event: score_update\n",
                b"data: [1]\n\n",
                b"\r",
                b"\n",
                b": hb\n\n",
                b"data: \xff\xfe\n\n",
                b'event: ready\ndata: {"x": 1}\n\n',
            ]
        ),
        max_size=12,
    )
)
def test_sse_parser_fails_only_with_stream_errors(chunks: list[bytes]) -> None:
    try:
        for message in iter_sse_messages(iter(chunks), max_line_bytes=64, max_event_bytes=128):
            event = LeaderboardStreamEvent.from_sse(message.event, message.data)
            assert isinstance(event.kind, str)
    except KratyStreamError:
        pass


@FUZZ
@given(
    kind=st.sampled_from(["ready", "score_update", "finalized", "closed", "snapshot", "new_kind"]),
    payload=st.dictionaries(keys, json_values, max_size=6),
)
def test_stream_frames_never_raise(kind: str, payload: dict[str, Any]) -> None:
    event = LeaderboardStreamEvent.from_sse(kind, payload)
    assert event.kind in (kind, "parse-error")


def test_endless_sse_line_in_the_parser_is_cut_off() -> None:
    produced = 0

    def endless() -> Iterator[bytes]:
        nonlocal produced
        yield b"event: score_update\ndata: "
        while True:
            produced += 65536
            yield b"a" * 65536

    with pytest.raises(KratyStreamError, match="line longer than"):
        for _ in iter_sse_messages(endless(), max_line_bytes=1 << 20):
            pass
    assert produced <= 2 << 20  # stopped right after the limit, not at the end of memory


# ------------------------------------------------------------------ oversized bodies, live


class _Flood(ThreadingHTTPServer):
    """Answers with an endless body: chunked JSON, an SSE line, or a lying length."""

    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FloodHandler)
        self.stop = threading.Event()
        self.sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _FloodHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Flood

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        stream = self.path.endswith("/stream")
        declared = "declared" in self.path
        status = 503 if "error" in self.path else 200
        self.send_response(status)
        self.send_header("content-type", "text/event-stream" if stream else "application/json")
        if declared:
            self.send_header("content-length", str(10**12))
        else:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        head = b"event: score_update\ndata: " if stream else b'{"data": {"items": ["'
        piece = b"x" * 65536
        chunks = [head, *([piece] * 8192)]  # at most 512 MiB, far beyond any cap
        try:
            for chunk in chunks:
                if self.server.stop.is_set():
                    break
                self.wfile.write(chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.server.sent += len(chunk)
        except OSError:
            pass  # the client hung up: what we want
        self.close_connection = True

    do_POST = do_GET


@pytest.fixture
def flood() -> Iterator[_Flood]:
    server = _Flood()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(15)
        assert not thread.is_alive()


def _flood_kraty(flood: _Flood, **options: Any) -> Kraty:
    return Kraty(
        "kr_test.client-demo",
        base_url=flood.url,
        secret_store=InMemorySecretStore(),
        active_external_player_id="kp_" + "c" * 32,
        player_secret="kps_flood_secret",
        retry=RetryConfig(attempts=1),
        timeout=20,
        **options,
    )


def _peak(fn: Callable[[], None]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("variant", ["chunked", "declared"])
def test_an_oversized_response_is_cut_off(flood: _Flood, variant: str) -> None:
    cap = 1 << 20
    errors: list[KratyProtocolError] = []

    def call() -> None:
        with _flood_kraty(flood, max_response_bytes=cap) as kraty:
            try:
                kraty.lobbies.read(variant)
            except KratyProtocolError as exc:
                errors.append(exc)

    peak = _peak(call)
    assert errors and "max_response_bytes" in str(errors[0])
    assert errors[0].status == 200
    assert peak < 8 * cap, f"peak {peak} bytes for a {cap}-byte cap"
    assert flood.sent < 64 * cap  # the client stopped reading long before the end


def test_an_oversized_error_page_is_cut_off(flood: _Flood) -> None:
    cap = 1 << 20
    errors: list[KratyApiError] = []

    def call() -> None:
        with _flood_kraty(flood, max_response_bytes=cap) as kraty:
            try:
                kraty.lobbies.read("error")
            except KratyApiError as exc:
                errors.append(exc)

    peak = _peak(call)
    assert errors and errors[0].status == 503
    assert peak < 8 * cap
    assert flood.sent < 64 * cap


def test_an_endless_sse_line_on_a_live_stream_is_cut_off(flood: _Flood) -> None:
    errors: list[BaseException] = []

    def call() -> None:
        with _flood_kraty(flood) as kraty:
            stream = kraty.event_leaderboards.live("lb_endless")
            try:
                for _ in stream:
                    pass
            except KratyStreamError as exc:
                errors.append(exc)
            finally:
                stream.cancel()

    peak = _peak(call)
    assert errors, "the stream never gave up"
    assert "longer than" in str(errors[0])  # a clear reason, not a MemoryError
    assert peak < 16 << 20
    assert flood.sent < 64 << 20
