"""Canary: no secret ever shows in a log record, repr, exception or telemetry record.

Drives every public method of every resource client on the facade (found by
introspection, so resources added later are covered), plus identity operations and
the error paths (401, 5xx HTML, malformed 2xx echoing the secret, timeouts, network
failures, a corrupt store), with DEBUG logging on for every logger.
"""

from __future__ import annotations

import inspect
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.sdk import FileSecretStore, Kraty, RequestInfo, RetryConfig
from kraty_pygame.sdk.resources._base import ResourceClient
from tests.support.http_server import Recorded, Reply, ScriptedServer, json_reply

API_SECRET = "CANARYAPIKEYSECRETPART"
API_KEY = f"kr_test.{API_SECRET}"
PLAYER_SECRETS = [f"kps_CANARY_PLAYER_SECRET_{n:02d}" for n in range(8)]
SIGN_IN_SECRET = "kps_CANARY_SIGNED_IN_SECRET"
CANARIES = [API_SECRET, SIGN_IN_SECRET, *PLAYER_SECRETS]
SKIP_METHODS = {"live", "subscribe", "watch"}  # long-lived; streams are opened below directly


class CanaryBackend:
    """Answers by mode; registrations hand out canary secrets."""

    def __init__(self) -> None:
        self.mode = "ok"
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, request: Recorded) -> Reply:
        if request.path.endswith("/register"):
            with self._lock:
                secret = PLAYER_SECRETS[self._next % len(PLAYER_SECRETS)]
                self._next += 1
            player = request.path.split("/")[4]
            data = {"playerId": "p", "externalPlayerId": player, "secret": secret}
            return json_reply(201, {"data": data})
        if self.mode == "ok":
            return json_reply(200, {"data": {}})
        if self.mode == "list":
            return json_reply(200, {"data": []})
        if self.mode == "401":
            return json_reply(401, {"error": {"code": "player_secret_invalid", "message": "no"}})
        if self.mode == "html":
            return Reply(503, b"<html>down</html>")
        if self.mode == "echo":  # a broken proxy echoing the request's secret back
            echoed = request.headers.get("x-player-secret", "")
            return Reply(200, f'<html>{{"secret": "{echoed}"}}</html>'.encode())
        if self.mode == "echo_error":
            echoed = request.headers.get("x-player-secret", "")
            body = {
                "error": {
                    "code": "validation_failed",
                    "message": "bad",
                    "details": {"secret": echoed},
                }
            }
            return json_reply(400, body)
        return Reply(action="hang")


def _dummy(parameter: inspect.Parameter) -> Any:
    annotation = str(parameter.annotation)
    if "Mapping" in annotation or "dict" in annotation:
        return {"k": 1}
    if "list" in annotation or "Sequence" in annotation:
        return []
    if "float" in annotation:
        return 1.0
    if "int" in annotation:
        return 1
    if "bool" in annotation:
        return False
    return "x1"


def _drive_all(kraty: Kraty, errors: list[BaseException], results: list[Any]) -> int:
    called = 0
    # the facade builds its resource clients on first access: look them up by name
    for attribute in sorted(name for name in dir(kraty) if not name.startswith("_")):
        resource = getattr(kraty, attribute)
        if not isinstance(resource, ResourceClient):
            continue
        for name, method in inspect.getmembers(resource, inspect.ismethod):
            if name.startswith("_") or name in SKIP_METHODS:
                continue
            args: list[Any] = []
            kwargs: dict[str, Any] = {}
            for parameter in inspect.signature(method).parameters.values():
                if parameter.default is not inspect.Parameter.empty:
                    continue
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                    kwargs[parameter.name] = _dummy(parameter)
                elif parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
                    args.append(_dummy(parameter))
            called += 1
            try:
                results.append(method(*args, **kwargs))
            except Exception as exc:
                errors.append(exc)
            assert attribute  # every resource of the facade is visited
    return called


def _texts_of_error(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        current = current.__cause__ or current.__context__


@pytest.fixture
def backend() -> CanaryBackend:
    return CanaryBackend()


@pytest.fixture
def api(backend: CanaryBackend) -> Iterator[ScriptedServer]:
    with ScriptedServer(handler=backend) as srv:
        yield srv


@pytest.mark.slow
def test_no_secret_leaks_anywhere(
    api: ScriptedServer, backend: CanaryBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, including urllib3's
    telemetry: list[RequestInfo] = []
    errors: list[BaseException] = []
    results: list[Any] = []
    texts: list[str] = []
    store = FileSecretStore(tmp_path / "ids.json")
    kraty = Kraty(
        API_KEY,
        base_url=api.base_url,
        secret_store=store,
        on_request=telemetry.append,
        retry=RetryConfig(attempts=2, initial_delay=0, max_delay=0),
        timeout=0.5,
    )
    recovering = Kraty(
        API_KEY,
        base_url=api.base_url,
        secret_store=FileSecretStore(tmp_path / "b.json"),
        on_request=telemetry.append,
        auto_recover_identity=True,
        retry=RetryConfig(attempts=1),
        timeout=0.5,
    )
    try:
        identity = kraty.ensure_identity()
        texts += [repr(identity), str(identity), repr(kraty), repr(kraty.identity), repr(store)]
        called = 0
        for mode in ("ok", "list", "401", "html", "echo", "echo_error"):
            backend.mode = mode
            called += _drive_all(kraty, errors, results)
        backend.mode = "401"
        called += _drive_all(recovering, errors, results)
        assert called > 40  # every resource method, several times
        backend.mode = "hang"
        kraty.events.list_for_player() if hasattr(kraty, "events") else None
    except Exception as exc:
        errors.append(exc)
    try:
        backend.mode = "401"
        kraty.client.open_stream("/sdk/v1/players/x/inventory/stream")
    except Exception as exc:
        errors.append(exc)
    try:  # a network failure with a secret held
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with Kraty(
            API_KEY,
            base_url=f"http://127.0.0.1:{port}",
            active_external_player_id="p",
            player_secret=SIGN_IN_SECRET,
            retry=RetryConfig(attempts=1),
        ) as offline:
            texts.append(repr(offline))
            offline.client.request("POST", "/sdk/v1/players/p/wallet/gold/debit")
    except Exception as exc:
        errors.append(exc)
    backend.mode = "ok"
    kraty.sign_in(external_player_id="p_signed", secret=SIGN_IN_SECRET)
    texts += [repr(kraty.identity.current()), repr(kraty)]
    registration = kraty.players.register("p_other")
    rotated = kraty.players.rotate("p_signed")
    texts += [repr(registration), str(registration), repr(rotated)]
    kraty.logout()
    (tmp_path / "ids.json").write_text('{"kraty.playerSecret.p": "' + PLAYER_SECRETS[0])
    try:
        Kraty(
            API_KEY, base_url=api.base_url, secret_store=FileSecretStore(tmp_path / "ids.json")
        ).ensure_identity()
    except Exception as exc:
        errors.append(exc)
    kraty.close()
    recovering.close()

    assert registration.secret in PLAYER_SECRETS  # the data itself is intact
    assert len(errors) > 20
    texts += [t for exc in errors for t in _texts_of_error(exc)]
    texts += [repr(r) for r in results]
    texts += [repr(info) for info in telemetry]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
    assert len(telemetry) > 40 and len(caplog.records) > 40
    blob = "\n".join(texts)
    leaked = [canary for canary in CANARIES if canary in blob]
    where = [t[:300] for t in texts if any(c in t for c in CANARIES)]
    assert leaked == [], where
