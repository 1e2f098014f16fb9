"""``players``: register and rotate (E1)."""

from __future__ import annotations

from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.models.players import PlayerRegistration
from kraty_pygame.sdk.options import is_text
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["PlayersClient"]


class PlayersClient(ResourceClient):
    """Explicit player registration. Games rarely need it: the first player-scoped
    call registers the player lazily."""

    def register(self, external_player_id: str, *, force: bool = False) -> PlayerRegistration:
        """``POST /sdk/v1/players/{id}/register[?force=true]``.

        Does not change the active player, except that a forced re-registration of the
        active player installs and persists the new secret (the old one stops working).

        Raises:
            KratyApiError: 409 ``player_already_registered`` without ``force``; 403
                ``forbidden`` for ``force`` with a live key.
        """
        if not is_text(external_player_id):
            raise KratyConfigError("external_player_id must be a non-empty string")
        registration = self._client.request_decoded(
            "POST",
            self._player_path(external_player_id, "register"),
            PlayerRegistration.from_wire,
            body={},
            query={"force": True} if force else None,
        )
        if force and registration.secret:
            self._identity.install_rotated(external_player_id, registration.secret)
        return registration

    def rotate(self, external_player_id: str) -> PlayerRegistration:
        """Mint a new secret for a player: ``register(id, force=True)`` (non-live keys only)."""
        return self.register(external_player_id, force=True)
