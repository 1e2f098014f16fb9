"""``recording_transport``: a requests adapter with scripted responses, for unit tests.

Mount it on a ``requests.Session`` and pass the session to ``Kraty``/``KratyClient``:
no socket is opened; every request is recorded (method, URL, headers, JSON body and
the keyword arguments the transport used), and responses come from the script
(a status + JSON body, raw bytes, or an exception to raise).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from urllib3.response import HTTPResponse

from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig

__all__ = [
    "KratyOnRecording",
    "Recorded",
    "RecordingAdapter",
    "Scripted",
    "recording_kraty",
    "recording_session",
]


@dataclass
class Scripted:
    """One scripted answer: ``error`` is raised, else a response is built."""

    status: int = 200
    json_body: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: BaseException | None = None

    def payload(self) -> bytes:
        """The body bytes."""
        if self.body is not None:
            return self.body
        if self.json_body is None:
            return b""
        return json.dumps(self.json_body).encode()


@dataclass(frozen=True)
class Recorded:
    """One request the adapter received."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    kwargs: dict[str, Any]

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``None`` when there is none)."""
        return json.loads(self.body) if self.body else None

    @property
    def path(self) -> str:
        """The URL path with its query string."""
        rest = self.url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


Responder = Callable[[Recorded], Scripted]


class RecordingAdapter(BaseAdapter):
    """Answers from a script (in order; the last one repeats) or a responder function."""

    def __init__(self, script: Iterable[Scripted] = (), responder: Responder | None = None) -> None:
        super().__init__()
        self.script = list(script)
        self.responder = responder
        self.calls: list[Recorded] = []

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        headers = {k.lower(): v for k, v in request.headers.items()}
        recorded = Recorded(str(request.method), str(request.url), headers, body, dict(kwargs))
        self.calls.append(recorded)
        if self.script:
            scripted = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        elif self.responder is not None:
            scripted = self.responder(recorded)
        else:
            scripted = Scripted(200, {"data": {}})
        if scripted.error is not None:
            raise scripted.error
        payload = scripted.payload()
        raw = HTTPResponse(
            body=io.BytesIO(payload),
            headers={"content-length": str(len(payload)), **scripted.headers},
            status=scripted.status,
            preload_content=False,
        )
        response = requests.Response()
        response.status_code = scripted.status
        response.headers = requests.structures.CaseInsensitiveDict(raw.headers)
        response.raw = raw
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


def recording_session(
    script: Iterable[Scripted] = (), responder: Responder | None = None
) -> tuple[requests.Session, RecordingAdapter]:
    """A session whose every request goes to a new ``RecordingAdapter``."""
    session = requests.Session()
    adapter = RecordingAdapter(script, responder)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


KratyOnRecording = Callable[..., "tuple[Kraty, RecordingAdapter]"]
"""A factory of ``recording_kraty`` clients (the unit tests' ``make`` fixture)."""


def recording_kraty(
    *script: Scripted, responder: Responder | None = None, **options: Any
) -> tuple[Kraty, RecordingAdapter]:
    """A ``Kraty`` signed in as ``p1`` on a recording session, with no waits between
    retries and every idempotency key ``"gen"``; ``options`` override any of these."""
    session, adapter = recording_session(script, responder)
    settings: dict[str, Any] = {
        "base_url": "https://api.kraty.test",
        "active_external_player_id": "p1",
        "player_secret": "kps_unit_secret",
        "secret_store": InMemorySecretStore(),
        "retry": RetryConfig(initial_delay=0.0, max_delay=0.0),
        "generate_idempotency_key": lambda: "gen",
        **options,
    }
    return Kraty("kr_test.unit", session=session, **settings), adapter


def ok(data: Any, status: int = 200, **headers: str) -> Scripted:
    """A success envelope."""
    return Scripted(status, {"data": data}, headers=dict(headers))


def err(
    status: int,
    code: str,
    message: str = "",
    details: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Scripted:
    """An error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = dict(details)
    return Scripted(status, {"error": error}, headers=dict(headers or {}))
