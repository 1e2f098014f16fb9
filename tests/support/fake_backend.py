"""A tiny stand-in for the Kraty player routes, served by ``ScriptedServer``.

Enough of the register route and the secret rule to test identity for real:
``POST /sdk/v1/players/{id}/register[?force=true]`` mints ``kps_…`` secrets (409
``player_already_registered`` for a known id without force), and any other
player-scoped route answers 200 when ``x-player-secret`` matches, else 401
``player_secret_invalid``. Registrations can be held back to widen race windows.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import unquote

from tests.support.http_server import Recorded, Reply, json_reply

__all__ = ["FakeBackend"]


class FakeBackend:
    """Callable handler for ``ScriptedServer(handler=FakeBackend())``."""

    def __init__(self, *, register_delay: float = 0.0, hold_until_registers: int = 0) -> None:
        self.players: dict[str, str] = {}
        self.registers: list[str] = []
        self.register_delay = register_delay
        self.hold_until_registers = hold_until_registers
        self._lock = threading.Condition()

    def register_count(self) -> int:
        """How many register requests arrived."""
        with self._lock:
            return len(self.registers)

    def __call__(self, request: Recorded) -> Reply:
        parts = request.path.split("/")
        if len(parts) >= 5 and parts[1:4] == ["sdk", "v1", "players"]:
            player = unquote(parts[4])
            rest = parts[5:]
            if rest == ["register"] and request.method == "POST":
                return self._register(player, force="force=true" in request.query)
            with self._lock:
                known = self.players.get(player)
            public = request.method == "GET" and rest == ["events"]
            if not public and (known is None or request.headers.get("x-player-secret") != known):
                return json_reply(
                    401, {"error": {"code": "player_secret_invalid", "message": "bad secret"}}
                )
            return json_reply(200, {"data": [{"eventKey": "tap_frenzy", "player": player}]})
        return json_reply(404, {"error": {"code": "not_found", "message": request.path}})

    def _register(self, player: str, *, force: bool) -> Reply:
        with self._lock:
            self.registers.append(player)
            self._lock.notify_all()
            if self.hold_until_registers:
                self._lock.wait_for(
                    lambda: len(self.registers) >= self.hold_until_registers, timeout=3.0
                )
            elif self.register_delay:
                self._lock.wait(self.register_delay)
            if player in self.players and not force:
                return json_reply(
                    409, {"error": {"code": "player_already_registered", "message": player}}
                )
            secret = "kps_" + secrets.token_urlsafe(18)
            self.players[player] = secret
        body = {
            "playerId": f"pid-{player}",
            "externalPlayerId": player,
            "secret": secret,
            "secretPrefix": secret[:8],
            "registeredAt": "2026-06-13T10:00:00.000Z",
        }
        return json_reply(201, {"data": body})
