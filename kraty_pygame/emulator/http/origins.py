"""Who may talk to the emulator from a browser: CORS for the game API, same-origin
local use only for the control plane (see :class:`OriginPolicy`)."""

from __future__ import annotations

import ipaddress

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kraty_pygame.emulator.errors import ApiError
from kraty_pygame.emulator.http.responses import dumps

CONTROL_PREFIX = "/_emulator"
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names, not a bind


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_name(value: str) -> str:
    """The host part of a ``Host`` value (``[::1]:8787`` -> ``::1``), lowercased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class LocalHosts:
    """The ``Host`` names under which the control plane answers.

    Args:
        bound_host: the interface the emulator listens on (``--host``).
    """

    def __init__(self, bound_host: str) -> None:
        self.bound = host_name(bound_host)
        self.any_address = self.bound in _WILDCARDS

    def allows(self, name: str) -> bool:
        if name in ("localhost", self.bound):
            return True
        address = _ip(name)
        if address is None:
            return False
        return address.is_loopback or self.any_address


def _headers(scope: Scope) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in (b"host", b"origin", b"sec-fetch-site") and name not in found:
            found[name] = value.decode("latin-1")
    return found


def control_problem(scope: Scope, hosts: LocalHosts) -> str | None:
    """Why this control-plane request is refused, or None."""
    headers = _headers(scope)
    host = headers.get(b"host")
    if host is not None and not hosts.allows(host_name(host)):
        return f"the control plane does not answer for host {host[:80]!r}"
    origin = headers.get(b"origin")
    if origin is not None and (host is None or origin.strip().lower() != f"http://{host.lower()}"):
        return "the control plane does not answer other origins"
    if headers.get(b"sec-fetch-site", "").strip().lower() in ("cross-site", "same-site"):
        return "the control plane does not answer other sites"
    return None


class OriginPolicy:
    """ASGI middleware: CORS for the game API, same-origin local use for the control plane.

    The game API (``/sdk``, ``/server``, docs) answers CORS for any origin, so a browser
    game can call it. The control plane (``/_emulator/*``) can reset and dump everything,
    so it gets no CORS at all and refuses, with 403 ``forbidden``:

    * a ``Host`` that is not a name of this machine's emulator (DNS rebinding: a foreign
      page whose name now resolves to 127.0.0.1 still sends its own name as ``Host``);
      loopback names and addresses are local, and so is the host the emulator is bound to
      (any IP address when it is bound to all interfaces);
    * an ``Origin`` other than the emulator's own (``http://<Host>``), ``Origin: null``
      included, and ``Sec-Fetch-Site: cross-site`` / ``same-site``; a preflight from a
      foreign page is refused the same way.

    Clients that are not browsers (the SDK, ``curl``, :class:`EmulatorControl`) send no
    ``Origin`` and are unaffected.

    Args:
        app: the wrapped app.
        bound_host: the interface the emulator listens on.
        control_plane: whether ``/_emulator/*`` is served (when not, its paths are
            left to the app, which answers 404).
    """

    def __init__(self, app: ASGIApp, bound_host: str, control_plane: bool) -> None:
        self.app = app
        self.hosts = LocalHosts(bound_host)
        self.control_plane = control_plane
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["retry-after"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            problem = control_problem(scope, self.hosts) if self.control_plane else None
            if problem is not None:
                await _forbidden(send, problem)
                return
            await self.app(scope, receive, send)  # no CORS headers, ever
            return
        if any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
            return
        # Not from a browser: the only thing CORS would add is ``Vary: Origin``.
        await self.app(scope, receive, _vary_origin(send))


def _vary_origin(send: Send) -> Send:
    """``send`` adding ``Vary: Origin`` to the response head (as CORS does without an
    ``Origin``)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            raw = message.setdefault("headers", [])
            if any(name.lower() == b"vary" for name, _ in raw):
                headers = MutableHeaders(scope=message)
                headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
            else:
                message["headers"] = [*raw, (b"vary", b"Origin")]
        await send(message)

    return wrapped


async def _forbidden(send: Send, message: str) -> None:
    body = dumps(ApiError("forbidden", message).envelope())
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
