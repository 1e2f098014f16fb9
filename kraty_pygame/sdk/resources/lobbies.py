"""``kraty.lobbies``: lobby state of lobby-matched events."""

from __future__ import annotations

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.models.lobbies import Lobby
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["LobbiesClient"]


class LobbiesClient(ResourceClient):
    """Read lobbies (API key only; no player needed)."""

    @operation(
        "lobbies", write=False, http="GET /lobbies/{lobby_id}", official="lobbies.read(lobbyId)"
    )
    def read(self, lobby_id: str) -> Lobby:
        """The lobby with its ``bot_slots`` projection; see also ``filled_slots``.

        Raises:
            KratyApiError: ``is_not_found``.
        """
        return self._client.request_decoded(*self._route(lobby_id=lobby_id), Lobby.from_wire)
