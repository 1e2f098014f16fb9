"""A raw HTTP client for emulator tests (``http.client``; no SDK, no requests)."""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

CLIENT_KEY = "kr_test.client-demo"
SERVER_KEY = "kr_test.server-demo"
LIVE_KEY = "kr_live.client-demo"
PLAYER_42 = "player_42"
PLAYER_42_SECRET = "kps_demo_player_42_secret"

_DEFAULT = object()


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    @property
    def data(self) -> Any:
        assert isinstance(self.body, dict) and "data" in self.body, self.body
        return self.body["data"]

    @property
    def code(self) -> str:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        return str(self.body["error"]["code"])


class RawClient:
    """One keep-alive connection to the emulator."""

    def __init__(
        self, base_url: str, *, api_key: str | None = CLIENT_KEY, timeout: float = 30
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.api_key = api_key
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: Any = _DEFAULT,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> Reply:
        sent: dict[str, str] = {"accept": "application/json", "x-kraty-sdk": "emulator-tests/1"}
        api_key = self.api_key if key is _DEFAULT else key
        if api_key is not None:
            sent["authorization"] = f"Bearer {api_key}"
        if secret is not None:
            sent["x-player-secret"] = secret
        payload = raw_body
        if payload is None and body is not None:
            payload = json.dumps(body).encode()
        if payload is not None:
            sent["content-type"] = "application/json"
        sent.update(headers or {})
        conn = self._connection()
        try:
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
        parsed: Any = json.loads(raw) if raw else None
        if response.getheader("connection", "").lower() == "close":
            self.close()
        return Reply(response.status, parsed, reply_headers, raw)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        if body is None:
            body = {}
        if isinstance(body, dict) and "idempotencyKey" not in body:
            body = {**body, "idempotencyKey": uuid.uuid4().hex}
        return self.request("POST", path, body, **kwargs)

    def register(self, external_id: str | None = None) -> tuple[str, str]:
        """Register a fresh player; returns (external id, secret)."""
        ext = external_id or "kp_" + uuid.uuid4().hex
        reply = self.post(f"/sdk/v1/players/{ext}/register")
        assert reply.status == 201, reply.body
        return ext, str(reply.data["secret"])
