"""Security under a hostile client machine and a misbehaving network.

* a player secret never acts as another player (reads and writes, SDK and raw HTTP);
* a client key never reaches ``/server/v1``;
* the secret store file is 0600 in a directory others cannot write;
* canary secrets never show in logs (DEBUG), exceptions, reprs, telemetry, crash
  output, or anything the demo game renders;
* plain ``http://`` to a non-loopback host is refused unless allowed; TLS is verified.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import FileSecretStore, InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyConfigError,
    KratyError,
    KratyNetworkError,
)
from kraty_pygame.sdk.options import RequestInfo
from tests.support.chaos import CRATE_ENTRY, REWARD_ENTRY, TAP_EVENT, ServerApi
from tests.support.fault_proxy import FaultProxy, FaultRates
from tests.support.paths import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.demo_tour import TourRun

REPO = REPO_ROOT


@dataclass
class Player:
    external_id: str
    secret: str


def _register(emulator: EmbeddedEmulator) -> Player:
    with Kraty(
        emulator.client_api_key, base_url=emulator.base_url, secret_store=InMemorySecretStore()
    ) as kraty:
        identity = kraty.ensure_identity()
    return Player(identity.external_player_id, identity.secret)


def _kraty_as(emulator: EmbeddedEmulator, player: Player, **options: Any) -> Kraty:
    options.setdefault("base_url", emulator.base_url)
    options.setdefault("secret_store", InMemorySecretStore())
    return Kraty(
        emulator.client_api_key,
        active_external_player_id=player.external_id,
        player_secret=player.secret,
        **options,
    )


# ------------------------------------------------------------------ player isolation


@pytest.mark.emulator
def test_a_player_secret_cannot_read_or_write_another_player(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    alice, bob = _register(kraty_emulator), _register(kraty_emulator)
    server = ServerApi(kraty_emulator)
    try:
        bob_reward = server.create_grant(bob.external_id, "reward", REWARD_ENTRY)
        bob_crate = server.create_grant(bob.external_id, "crate", CRATE_ENTRY)
        with _kraty_as(kraty_emulator, bob) as as_bob:
            bob_attempt = as_bob.events.start(TAP_EVENT).attempt.id
        before = kraty_emulator.state()
        bob_id = bob.external_id

        # Alice's client (her secret on every request) aiming at Bob's data.
        with _kraty_as(kraty_emulator, alice, retry=RetryConfig(attempts=1)) as kraty:
            attempts: list[tuple[str, Callable[[], object]]] = [
                ("wallet.list", lambda: kraty.wallet.list(as_=bob_id)),
                ("inventory.list", lambda: kraty.inventory.list(as_=bob_id)),
                ("grants.list_pending", lambda: kraty.grants.list_pending(as_=bob_id)),
                ("wallet.debit", lambda: kraty.wallet.debit("gold", amount=1, as_=bob_id)),
                (
                    "inventory.consume",
                    lambda: kraty.inventory.consume("health_potion", quantity=1, as_=bob_id),
                ),
                ("grants.claim", lambda: kraty.grants.claim(bob_reward, as_=bob_id)),
                ("grants.open", lambda: kraty.grants.open(bob_crate, as_=bob_id)),
                ("events.start", lambda: kraty.events.start(TAP_EVENT, as_=bob_id)),
                (
                    "events.progress",
                    lambda: kraty.events.progress(
                        TAP_EVENT, bob_attempt, mode="increment", metric_value=5, as_=bob_id
                    ),
                ),
                ("events.finish", lambda: kraty.events.finish(TAP_EVENT, bob_attempt, as_=bob_id)),
                # Alice's own path with Bob's grant / attempt ids
                ("grants.claim (own path)", lambda: kraty.grants.claim(bob_reward)),
                ("grants.open (own path)", lambda: kraty.grants.open(bob_crate)),
                (
                    "events.progress (own path)",
                    lambda: kraty.events.progress(
                        TAP_EVENT, bob_attempt, mode="increment", metric_value=5
                    ),
                ),
                ("events.finish (own path)", lambda: kraty.events.finish(TAP_EVENT, bob_attempt)),
            ]
            outcomes: dict[str, str] = {}
            for name, call in attempts:
                try:
                    call()
                    outcomes[name] = "ALLOWED"
                except KratyApiError as exc:
                    outcomes[name] = f"{exc.status} {exc.code}"
        allowed = {name: o for name, o in outcomes.items() if o == "ALLOWED"}
        assert not allowed, outcomes
        for name, outcome in outcomes.items():
            expected = ("404",) if "own path" in name else ("401", "403")
            assert outcome.startswith(expected), (name, outcome)

        # Raw HTTP: Alice's secret in the header, Bob's id in the path, no SDK involved.
        headers = {
            "authorization": f"Bearer {kraty_emulator.client_api_key}",
            "x-player-secret": alice.secret,
        }
        base = f"{kraty_emulator.base_url}/sdk/v1/players/{bob_id}"
        raw = [
            ("GET", "/wallet", None),
            ("GET", "/inventory", None),
            ("GET", "/pending-grants", None),
            ("POST", "/wallet/gold/debit", {"amount": 1, "idempotencyKey": "x1"}),
            ("POST", "/inventory/health_potion/consume", {"quantity": 1, "idempotencyKey": "x2"}),
            ("POST", f"/grants/{bob_reward}/claim", {"idempotencyKey": "x3"}),
            ("POST", f"/crates/{bob_crate}/open", {"idempotencyKey": "x4"}),
            ("POST", f"/events/{TAP_EVENT}/start", {"idempotencyKey": "x5"}),
        ]
        with requests.Session() as session:
            for method, path, body in raw:
                r = session.request(method, base + path, json=body, headers=headers, timeout=10)
                assert r.status_code == 401, (method, path, r.status_code, r.text)
                assert r.json()["error"]["code"] == "player_secret_invalid"
                assert "data" not in r.json()
        after = kraty_emulator.state()
        for table in ("wallet", "inventory", "grants", "attempts"):
            mine_before = [row for row in before[table] if row.get("external_id") == bob_id]
            mine_after = [row for row in after[table] if row.get("external_id") == bob_id]
            assert mine_after == mine_before, f"Bob's {table} changed"
    finally:
        server.close()


# ------------------------------------------------------------------ /server/v1

SERVER_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/players/{p}/wallet/gold/credit", {"amount": 1000}),
    ("POST", "/players/{p}/wallet/gold/debit", {"amount": 1}),
    ("POST", "/players/{p}/inventory/health_potion/grant", {"quantity": 5}),
    ("POST", "/players/{p}/inventory/health_potion/revoke", {"quantity": 1}),
    ("POST", "/players/{p}/grants", {"kind": "reward", "entries": [REWARD_ENTRY]}),
    ("POST", "/players/{p}/grants/gr_x/ack", {}),
    ("POST", "/players/{p}/secret/rotate", {}),
    ("GET", "/players/{p}", None),
    ("POST", "/players/{p}/events/tap_frenzy/attempts/att_x/progress", {"metricValue": 1}),
    ("POST", "/players/{p}/events/tap_frenzy/attempts/att_x/finish", {}),
    ("POST", "/leaderboards/weekly_global/score", {"externalPlayerId": "{p}", "value": 9}),
    ("POST", "/games/game_demo/events/quick_brawl/lobbies", {"key": "k", "externalPlayerIds": []}),
    ("GET", "/games/game_demo/lobbies/lob_x", None),
    ("POST", "/players/{p}/ban", {"reason": "x"}),
    ("POST", "/players/{p}/unban", {}),
    ("GET", "/ping", None),
]


@pytest.mark.emulator
def test_a_client_key_cannot_reach_server_routes(kraty_emulator: EmbeddedEmulator) -> None:
    player = _register(kraty_emulator)
    before = kraty_emulator.state()
    answers: dict[str, int] = {}
    with requests.Session() as session:
        for n, (method, template, body) in enumerate(SERVER_ROUTES):
            path = template.replace("{p}", player.external_id)
            payload = None
            if body is not None:
                payload = json.loads(json.dumps(body).replace("{p}", player.external_id))
                payload["idempotencyKey"] = f"client-key-{n}"
            for key, secret in (
                (kraty_emulator.client_api_key, None),
                (kraty_emulator.client_api_key, player.secret),  # a secret does not help
                ("kr_live.client-demo", None),
            ):
                headers = {"authorization": f"Bearer {key}"}
                if secret:
                    headers["x-player-secret"] = secret
                r = session.request(
                    method,
                    f"{kraty_emulator.base_url}/server/v1{path}",
                    json=payload,
                    headers=headers,
                    timeout=10,
                )
                answers[f"{method} {template} ({key}{', +secret' if secret else ''})"] = (
                    r.status_code
                )
                if r.status_code == 403:
                    assert r.json()["error"]["code"] == "forbidden"
    wrong = {route: status for route, status in answers.items() if status != 403}
    assert not wrong, wrong
    after = kraty_emulator.state()
    for table in ("players", "wallet", "inventory", "grants", "lobbies"):
        assert after[table] == before[table], f"{table} changed through a client key"
    # and the client SDK never builds a /server/v1 path
    sdk_dir = REPO / "kraty_pygame" / "sdk"
    offenders = [
        str(f.relative_to(REPO))
        for f in sdk_dir.rglob("*.py")
        if "/server/v1" in f.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders


# ------------------------------------------------------------------ the secret store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.emulator
def test_default_store_file_is_0600_in_a_private_directory(
    kraty_emulator: EmbeddedEmulator,
) -> None:
    old = os.umask(0o022)
    try:
        with Kraty(kraty_emulator.client_api_key, base_url=kraty_emulator.base_url) as kraty:
            identity = kraty.ensure_identity()
            store = kraty.identity.store
            assert isinstance(store, FileSecretStore)
            path = store.path
    finally:
        os.umask(old)
    assert identity.secret in path.read_text(encoding="utf-8")
    assert _mode(path) == 0o600
    assert _mode(path.parent) & 0o077 == 0, oct(_mode(path.parent))
    lock = Path(str(path) + ".lock")
    if lock.exists():
        assert _mode(lock) & 0o077 == 0
    assert not list(path.parent.glob("*.tmp")), "a temp file with a secret was left behind"


def test_store_file_stays_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "game" / "secrets.json"
    old = os.umask(0)
    try:
        store = FileSecretStore(path)
        store.write("kp_one", "kps_first_secret_value")
        store.write_active_external_player_id("kp_one")
        store.write("kp_one", "kps_rotated_secret_value")  # rewritten: still private
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _mode(path.parent) & 0o077 == 0, oct(_mode(path.parent))
    assert "kps_first_secret_value" not in path.read_text(encoding="utf-8")


def test_every_directory_the_store_creates_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "secrets.json"
    old = os.umask(0)
    try:
        FileSecretStore(path).write("kp_one", "kps_secret_value")
    finally:
        os.umask(old)
    for directory in (path.parent, path.parent.parent):
        assert _mode(directory) & 0o022 == 0, f"{directory} is {oct(_mode(directory))}"


# ------------------------------------------------------------------ canary secrets


@dataclass
class Capture:
    """Everything the SDK let out during a run, as text."""

    texts: list[str] = field(default_factory=list)

    def add(self, value: object) -> None:
        if isinstance(value, BaseException):
            self.texts.append(str(value))
            self.texts.append(repr(value))
            self.texts.append("".join(traceback.format_exception(value)))
            for attr in ("details", "body", "message", "original_cause"):
                self.texts.append(repr(getattr(value, attr, None)))
        else:
            self.texts.append(repr(value))
            self.texts.append(str(value))

    def leaks(self, *secrets: str) -> list[str]:
        return [t[:300] for t in self.texts for s in secrets if s and s in t]


@pytest.mark.emulator
def test_canary_secrets_never_leak_from_the_sdk(
    kraty_emulator: EmbeddedEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    canary_key_secret = "CANARYk3y5ecret7Q"
    wrong_secret = "kps_canary_wrong_secret_3f9a"
    player = _register(kraty_emulator)
    server = ServerApi(kraty_emulator)
    capture = Capture()
    secrets = [player.secret, canary_key_secret, wrong_secret]

    def telemetry(info: RequestInfo) -> None:
        capture.add(info)
        capture.texts.append(json.dumps(vars(info) if hasattr(info, "__dict__") else str(info)))

    def drive(kraty: Kraty, as_other: str | None = None) -> None:
        reward = server.create_grant(player.external_id, "reward", REWARD_ENTRY)
        crate = server.create_grant(player.external_id, "crate", CRATE_ENTRY)
        calls: list[Callable[[], object]] = [
            kraty.ensure_identity,
            kraty.events.list_for_player,
            lambda: kraty.events.start(TAP_EVENT),
            kraty.grants.list_pending,
            lambda: kraty.grants.claim(reward),
            lambda: kraty.grants.open(crate),
            kraty.grants.collect_all,
            lambda: kraty.grants.claim("gr_does_not_exist"),
            kraty.inventory.list,
            lambda: kraty.inventory.consume("health_potion", quantity=1, reason="canary"),
            lambda: kraty.inventory.consume("no_such_item", quantity=1),
            kraty.wallet.list,
            lambda: kraty.wallet.debit("gold", amount=1, reason="canary"),
            lambda: kraty.wallet.debit("gold", amount=10**9),
            kraty.catalog.read,
            lambda: kraty.lobbies.read("lob_missing"),
            lambda: kraty.leaderboards.read("weekly_global", include_self=True),
            lambda: kraty.events.start("winter_cup"),
            lambda: kraty.events.start("coming_soon"),
        ]
        if as_other:
            calls.append(lambda: kraty.wallet.list(as_=as_other))
            calls.append(lambda: kraty.players.register(as_other))
        for call in calls:
            try:
                capture.add(call())
            except KratyError as exc:
                capture.add(exc)
        started = None
        try:
            started = kraty.events.start(TAP_EVENT)
            capture.add(started)
            capture.add(
                kraty.events.progress(
                    TAP_EVENT, started.attempt.id, mode="increment", metric_value=3
                )
            )
            capture.add(kraty.events.finish(TAP_EVENT, started.attempt.id))
        except KratyError as exc:
            capture.add(exc)
        capture.add(kraty)
        capture.add(kraty.client)
        capture.add(kraty.identity)
        capture.add(kraty.identity.store)

    caplog.set_level(logging.DEBUG)
    try:
        # 1. the real secret, every method, DEBUG logging and telemetry on
        with _kraty_as(kraty_emulator, player, on_request=telemetry) as kraty:
            drive(kraty, as_other="kp_" + "0" * 32)
            capture.add(kraty.ensure_identity())
        # 2. the same through a proxy that breaks things: network errors and their causes
        with (
            FaultProxy(kraty_emulator.base_url, rates=FaultRates.spread(0.6), seed=3) as proxy,
            _kraty_as(
                kraty_emulator,
                player,
                base_url=proxy.url,
                on_request=telemetry,
                timeout=1.0,
                retry=RetryConfig(attempts=2, initial_delay=0.001, max_delay=0.002),
            ) as kraty,
        ):
            proxy.stall_seconds = 1.5
            drive(kraty)
        # 3. a wrong secret (401 player_secret_invalid everywhere)
        wrong = Player(player.external_id, wrong_secret)
        with _kraty_as(kraty_emulator, wrong, on_request=telemetry) as kraty:
            drive(kraty)
        # 4. an unknown API key with a secret part (401 session_invalid everywhere)
        with Kraty(
            f"kr_test.{canary_key_secret}",
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=player.external_id,
            player_secret=player.secret,
            on_request=telemetry,
        ) as kraty:
            drive(kraty)
        # 5. a registration's answer carries a brand-new secret: it must not show either
        with Kraty(
            kraty_emulator.client_api_key,
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
            on_request=telemetry,
        ) as kraty:
            registration = kraty.players.register("kp_" + "1" * 32)
            secrets.append(registration.secret)
            capture.add(registration)
            capture.add(kraty.ensure_identity())
            secrets.append(kraty.ensure_identity().secret)
            capture.add(kraty)
            capture.add(kraty.identity)
    finally:
        server.close()
    for record in caplog.records:
        capture.texts.append(record.getMessage())
        capture.texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            capture.add(record.exc_info[1])
    capture.texts.append(caplog.text)
    assert len(caplog.records) > 50, "DEBUG logging captured almost nothing?"
    assert any("RequestInfo" in t for t in capture.texts)
    leaks = capture.leaks(*secrets)
    assert not leaks, leaks


CRASH_SCRIPT = textwrap.dedent(
    """
    import logging, os, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
    secret = os.environ["CANARY_SECRET"]
    player = os.environ["CANARY_PLAYER"]
    good = Kraty(os.environ["KEY"], base_url=os.environ["URL"],
                 secret_store=InMemorySecretStore(), player_secret=secret,
                 active_external_player_id=player, on_request=print)
    print(good, good.client, good.identity, good.wallet.list())
    print(good.wallet.debit("gold", amount=1, reason="crash-test"))
    try:
        good.wallet.debit("no_such_currency", amount=1)
    except Exception as exc:
        print("handled:", repr(exc), exc)
    dead = Kraty(os.environ["KEY"], base_url=os.environ["DEAD_URL"],
                 secret_store=InMemorySecretStore(), player_secret=secret,
                 active_external_player_id=player, on_request=print,
                 retry=RetryConfig(attempts=2, initial_delay=0.01, max_delay=0.01))
    print(dead)
    dead.wallet.debit("gold", amount=1)   # raises: the uncaught traceback is the crash
    """
)


@pytest.mark.emulator
def test_crash_output_carries_no_secret(kraty_emulator: EmbeddedEmulator) -> None:
    player = _register(kraty_emulator)
    with FaultProxy(kraty_emulator.base_url) as proxy, proxy.refusing():
        env = dict(os.environ)
        env.update(
            CANARY_SECRET=player.secret,
            CANARY_PLAYER=player.external_id,
            KEY=kraty_emulator.client_api_key,
            URL=kraty_emulator.base_url,
            DEAD_URL=proxy.url,
            PYTHONPATH=str(REPO),
        )
        proc = subprocess.run(
            [sys.executable, "-X", "dev", "-c", CRASH_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" in proc.stderr and "KratyNetworkError" in proc.stderr
    assert "RequestInfo" in proc.stdout  # telemetry was printed
    assert "DEBUG" in proc.stderr  # and so was the DEBUG log
    assert player.secret not in proc.stdout
    assert player.secret not in proc.stderr


@pytest.mark.emulator
@pytest.mark.headless
@pytest.mark.slow
def test_the_demo_never_renders_a_secret(demo_tour: TourRun) -> None:
    """The demo's scripted tour (with faults) under a font that records every string
    (the suite's one play of the tour, see ``tests/support/demo_tour.py``)."""
    # The tour's own verdict (it may time out on a loaded machine) is the demo's tests'
    # business; here it only has to have run and drawn its screens.
    assert "Traceback" not in demo_tour.stderr, demo_tour.stderr[-3000:]
    rendered = demo_tour.rendered
    assert rendered is not None, demo_tour.stdout[-2000:] + demo_tour.stderr[-2000:]
    assert len(rendered) > 1000, "the demo rendered almost nothing?"
    secrets = {"kps_demo_player_42_secret"}
    for store in demo_tour.data_dir.rglob("*.json"):
        try:
            data = json.loads(store.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            secrets |= {
                str(v) for k, v in data.items() if k.startswith("kraty.playerSecret.") and v
            }
    assert len(secrets) > 1, "the demo stored no player secret?"
    for secret in secrets:
        assert secret not in rendered, "a player secret reached the font renderer"
        assert secret not in demo_tour.stdout and secret not in demo_tour.stderr


# ------------------------------------------------------------------ transport hygiene


@pytest.mark.parametrize(
    "url",
    [
        "http://api.kraty.io",
        "http://10.0.0.7:8787",
        "http://192.168.1.20",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://[2001:db8::1]",
        "http://0.0.0.0:8787",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(KratyConfigError):
        Kraty("kr_test.client-demo", base_url=url, secret_store=InMemorySecretStore())
    with Kraty(
        "kr_test.client-demo",
        base_url=url,
        secret_store=InMemorySecretStore(),
        allow_insecure_http=True,
    ) as kraty:
        assert kraty.client.base_url == url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    with Kraty("kr_test.client-demo", base_url=url, secret_store=InMemorySecretStore()) as kraty:
        assert kraty.client.base_url == url


class _TlsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str] = []  # noqa: RUF012 - per test, reset by the fixture

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"data": {"items": [], "currencies": []}}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 whose certificate no trust store knows."""
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    _TlsHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TlsHandler)
    server.daemon_threads = False
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        assert not thread.is_alive()


def _cause_chain(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def test_tls_certificates_are_verified(self_signed_server: str) -> None:
    with Kraty(
        "kr_test.client-demo",
        base_url=self_signed_server,
        secret_store=InMemorySecretStore(),
        retry=RetryConfig(attempts=1),
        timeout=5,
    ) as kraty:
        with pytest.raises(KratyNetworkError) as info:
            kraty.catalog.read()
        assert kraty.client._session.verify is True  # the SDK's own session
    assert "CERTIFICATE_VERIFY_FAILED" in _cause_chain(info.value)
    assert _TlsHandler.hits == []  # no request went over the unverified connection


def test_tls_stays_verified_with_a_session_that_disabled_it(self_signed_server: str) -> None:
    with requests.Session() as session:
        session.verify = False
        with (
            Kraty(
                "kr_test.client-demo",
                base_url=self_signed_server,
                secret_store=InMemorySecretStore(),
                session=session,
                retry=RetryConfig(attempts=1),
                timeout=5,
            ) as kraty,
            pytest.raises(KratyNetworkError) as info,
        ):
            kraty.catalog.read()
    assert "CERTIFICATE_VERIFY_FAILED" in _cause_chain(info.value)
    assert _TlsHandler.hits == []
