"""``ResourceClient``: what every resource client (events, grants, ...) builds on."""

from __future__ import annotations

from kraty_pygame.sdk._constants import API_PREFIX
from kraty_pygame.sdk._operation import PLAYER_SLOT, current_call
from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.identity import IdentityManager
from kraty_pygame.sdk.options import is_text
from kraty_pygame.sdk.transport import KratyClient, encode_segment

__all__ = ["ResourceClient", "encode_segment"]


_ROUTES: dict[str, tuple[tuple[tuple[bool, str], ...], bool]] = {}
"""Declared paths, parsed once: ((is a value, name or text) per segment, under the player)."""


def _parse_route(path: str) -> tuple[tuple[tuple[bool, str], ...], bool]:
    segments = path.strip("/").split("/")
    parts = tuple(
        (True, segment[1:-1])
        if segment.startswith("{") and segment.endswith("}") and segment != PLAYER_SLOT
        else (False, segment)
        for segment in segments
    )
    return parts, segments[:2] == ["players", PLAYER_SLOT]


class ResourceClient:
    """Base of the resource clients: holds the transport and the identity manager."""

    def __init__(self, client: KratyClient, identity: IdentityManager) -> None:
        self._client = client
        self._identity = identity

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r})"

    def _player_id(self, as_: str | None) -> str:
        """``as_`` when given (no resolution, nothing persisted), else the active player
        (resolved lazily, which may register one)."""
        if as_ is not None:
            if not is_text(as_):
                raise KratyConfigError("as_ must be a non-empty player id")
            return as_
        return self._identity.ensure().external_player_id

    def _player_path(self, as_: str | None, *segments: str) -> str:
        """``/sdk/v1/players/{id}/{seg}/...`` with every segment percent-encoded.

        A durable write of the active player with an outbox attached goes to the
        outbox: the player is not resolved here (no registration on this thread); an
        unknown player is left as a slot the outbox's sender fills in.
        """
        ctx = current_call()
        if (
            ctx is not None
            and as_ is None
            and ctx.operation.durable
            and self._client.outbox is not None
        ):
            player = self._identity.active_external_player_id
            ctx.queue = True
            ctx.player = player
            head = PLAYER_SLOT if player is None else encode_segment(player)
            path = f"{API_PREFIX}/players/{head}"
            for segment in segments:
                path += "/" + encode_segment(segment)
            return path
        path = f"{API_PREFIX}/players/{encode_segment(self._player_id(as_))}"
        for segment in segments:
            path += "/" + encode_segment(segment)
        return path

    def _route(self, as_: str | None = None, /, **values: str) -> tuple[str, str]:
        """The HTTP method and path of the running operation, from its declaration.

        ``{player}`` in the declared path is the player of ``as_`` (or the active
        player, see :meth:`_player_path`); every other ``{name}`` is ``values[name]``,
        percent-encoded.

        Raises:
            RuntimeError: called outside a declared operation.
            TypeError: a value is missing, or one was given that the path does not use.
        """
        ctx = current_call()
        if ctx is None:
            raise RuntimeError("_route() runs only inside a declared operation")
        op = ctx.operation
        parsed = _ROUTES.get(op.path)
        if parsed is None:
            if not op.path:
                raise RuntimeError(f"{op.name} declares no HTTP route")
            parsed = _ROUTES[op.path] = _parse_route(op.path)
        parts, of_player = parsed
        filled: list[str] = []
        used = 0
        for is_value, text in parts:
            if is_value:
                if text not in values:
                    raise TypeError(f"{op.name}: no value for {{{text}}} in {op.path}")
                filled.append(values[text])
                used += 1
            else:
                filled.append(text)
        if used != len(values):
            unused = set(values).difference(text for is_value, text in parts if is_value)
            if unused:
                raise TypeError(f"{op.name}: {sorted(unused)} not in {op.path}")
        if of_player:
            return op.method, self._player_path(as_, *filled[2:])
        return op.method, self._sdk_path(*filled)

    @staticmethod
    def _sdk_path(*segments: str) -> str:
        """``/sdk/v1/{seg}/...`` with every segment percent-encoded."""
        return API_PREFIX + "".join("/" + encode_segment(s) for s in segments)
