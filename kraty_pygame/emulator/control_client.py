"""``EmulatorControl``: a client of the ``/_emulator/*`` control plane of a running emulator."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from kraty_pygame.emulator.clock import parse_iso

__all__ = ["DEFAULT_CONTROL_TIMEOUT", "EmulatorControl", "EmulatorControlError"]

DEFAULT_CONTROL_TIMEOUT = 30.0
"""Seconds one control call may take (a finalize on a busy machine can be slow)."""
_SNIPPET = 300


class EmulatorControlError(RuntimeError):
    """A control call failed: the emulator answered an error, or could not be reached.

    Attributes:
        method: the HTTP method.
        path: the control path (``/_emulator/...``).
        status: the HTTP status, 0 when no answer came.
        code: the error envelope's ``code`` (``""`` when there was none).
        body: the start of the answer's body (at most 300 characters).
    """

    def __init__(self, method: str, path: str, status: int, code: str, body: str) -> None:
        shown = f"{status}" if status else "no answer"
        super().__init__(f"{method} {path} -> {shown}: {body}")
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.body = body


def _error_code(payload: str) -> str:
    try:
        envelope = json.loads(payload)
    except ValueError:
        return ""
    error = envelope.get("error") if isinstance(envelope, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else ""


class EmulatorControl:
    """A client of one emulator's control plane, e.g. ``EmulatorControl("http://127.0.0.1:8787")``.

    Args:
        base_url: the emulator's root URL (one trailing ``/`` is ignored). The control
            plane is served on loopback hosts only, unless the emulator was started
            with ``--control-plane``.
        timeout: seconds one call may take.

    The emulator may run in this process (``EmbeddedEmulator`` delegates its control
    methods here), in another process (``kraty-emulator --port 0``) or in a child
    process of a game: the calls use only ``urllib`` and never the emulator's
    internals. Each call is one short HTTP request and returns the ``data`` of the
    envelope; an error answer raises :class:`EmulatorControlError` with the status and
    the error code, an unreachable emulator raises it with ``status`` 0.

    Thread-safe: calls share no connection.
    """

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_CONTROL_TIMEOUT) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = base_url[:-1] if base_url.endswith("/") else base_url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"EmulatorControl(base_url={self.base_url!r})"

    # ------------------------------------------------------------ transport

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one control request and return the envelope's ``data``.

        ``path`` starts with ``/_emulator/``; the typed methods below cover every route.

        Raises:
            EmulatorControlError: an error answer, an answer without ``data``, or no answer.
        """
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.base_url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            with exc:  # closes the error's connection now, not at garbage collection
                text = exc.read().decode("utf-8", "replace")
            raise EmulatorControlError(
                method, path, exc.code, _error_code(text), text[:_SNIPPET]
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise EmulatorControlError(method, path, 0, "", str(reason)[:_SNIPPET]) from exc
        try:
            envelope = json.loads(payload)
            return envelope["data"]
        except (ValueError, TypeError, KeyError):
            text = payload.decode("utf-8", "replace")[:_SNIPPET]
            raise EmulatorControlError(method, path, 200, "", text) from None

    # ------------------------------------------------------------ clock

    def health(self) -> dict[str, Any]:
        """``{"ok": True, "now": iso}`` once the emulator serves its control plane."""
        result: dict[str, Any] = self.call("GET", "/_emulator/health")
        return result

    def clock(self) -> dict[str, Any]:
        """The clock's state: ``now`` and ``epoch`` (ISO strings) and ``mode``."""
        result: dict[str, Any] = self.call("GET", "/_emulator/clock")
        return result

    def now(self) -> datetime:
        """The emulator's current time."""
        return parse_iso(self.clock()["now"])

    def advance_clock(self, seconds: float) -> datetime:
        """Move the emulator clock forward; lobbies, windows and expiries update."""
        moved = self.call("POST", "/_emulator/clock", {"advance_s": float(seconds)})
        return parse_iso(moved["now"])

    def set_clock(self, moment: str | datetime) -> datetime:
        """Jump the emulator clock to an ISO time (or an aware datetime)."""
        text = moment if isinstance(moment, str) else moment.isoformat()
        return parse_iso(self.call("POST", "/_emulator/clock", {"set": text})["now"])

    # ------------------------------------------------------------ state

    def reset(self) -> None:
        """Reload the config and wipe all state (seeded content is re-created)."""
        self.call("POST", "/_emulator/reset")

    def state(self) -> dict[str, Any]:
        """The ``/_emulator/state`` dump (no secrets)."""
        result: dict[str, Any] = self.call("GET", "/_emulator/state")
        return result

    def recent_requests(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent requests with (masked) headers and bodies, oldest first."""
        query = urllib.parse.urlencode({"limit": int(limit)})
        result: list[dict[str, Any]] = self.call("GET", f"/_emulator/requests?{query}")
        return result

    # ------------------------------------------------------------ faults

    def faults(self) -> dict[str, Any]:
        """The injected-fault settings in force."""
        result: dict[str, Any] = self.call("GET", "/_emulator/faults")
        return result

    def set_faults(
        self,
        latency_ms: float = 0,
        fail_rate: float = 0.0,
        break_after_commit_rate: float = 0.0,
        routes: list[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Configure injected faults (all zero = off); ``routes`` are path globs."""
        result: dict[str, Any] = self.call(
            "POST",
            "/_emulator/faults",
            {
                "latency_ms": float(latency_ms),
                "fail_rate": float(fail_rate),
                "break_after_commit_rate": float(break_after_commit_rate),
                "routes": routes,
                "seed": seed,
            },
        )
        return result

    # ------------------------------------------------------------ gameplay

    def finalize_event(self, event_key: str) -> dict[str, Any]:
        """Close the event's current window now (reward policy + SSE finalized/closed)."""
        path = f"/_emulator/events/{_segment(event_key)}/finalize"
        result: dict[str, Any] = self.call("POST", path)
        return result

    def promote_lobby(self, lobby_id: str) -> dict[str, Any]:
        """Force-promote a forming lobby to active."""
        path = f"/_emulator/lobbies/{_segment(lobby_id)}/promote"
        result: dict[str, Any] = self.call("POST", path)
        return result


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")
