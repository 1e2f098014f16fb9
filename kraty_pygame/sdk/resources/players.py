"""``kraty.players``: register and rotate, display identity and metadata."""

from __future__ import annotations

from collections.abc import Mapping
from types import EllipsisType
from typing import Any

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.identity import decode_registration
from kraty_pygame.sdk.models.identity import PlayerIdentities, PlayerMetadata
from kraty_pygame.sdk.models.players import PlayerIdentity, PlayerRegistration
from kraty_pygame.sdk.options import is_text
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["PlayersClient"]


class PlayersClient(ResourceClient):
    """Explicit player registration. Games rarely need it: the first player-scoped
    call registers the player lazily."""

    @operation(
        "players",
        write=True,
        http="POST /players/{player}/register",
        official="players.register(externalPlayerId, {force})",
    )
    def register(self, external_player_id: str, *, force: bool = False) -> PlayerRegistration:
        """Register ``external_player_id`` (``force=True``: mint a new secret for it).

        Does not change the active player, except that a forced re-registration of the
        active player installs and persists the new secret (the old one stops working).

        Raises:
            KratyApiError: 409 ``player_already_registered`` without ``force``; 403
                ``forbidden`` for ``force`` with a live key.
        """
        if not is_text(external_player_id):
            raise KratyConfigError("external_player_id must be a non-empty string")
        registration = self._client.request_decoded(
            *self._route(external_player_id),
            decode_registration,
            body={},
            query={"force": True} if force else None,
        )
        self._client.hold_secret(registration.secret)  # masked if a server echoes it
        if force and registration.secret:
            self._identity.install_rotated(external_player_id, registration.secret)
        return registration

    @operation(
        "players",
        write=True,
        http="POST /players/{player}/register",
        official='seed "players … rotate" (= register with force)',
    )
    def rotate(self, external_player_id: str) -> PlayerRegistration:
        """Mint a new secret for a player: ``register(id, force=True)`` (non-live keys only)."""
        return self.register(external_player_id, force=True)

    # ------------------------------------------------------------ identity (v0.12, v0.13)

    @operation(
        "players",
        write=True,
        durable=True,
        http="PUT /players/{player}/identity",
        official="players.setIdentity(name, avatar) (v0.12)",
    )
    def set_identity(
        self,
        *,
        name: str,
        avatar: str | EllipsisType | None = ...,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> PlayerIdentity | None:
        """Set the player's display identity; returns it (name 1-32 characters).

        Args:
            avatar: an avatar URL or key; ``None`` clears it; leave it out to keep it.

        Raises:
            KratyApiError: ``is_validation_failed`` for an empty or over-long name.
        """
        given: object = name
        if not isinstance(given, str):
            raise KratyConfigError("name must be a string")
        body: dict[str, Any] = {"name": name}
        if avatar is not ...:
            body["avatar"] = avatar
        result = self._client.request_decoded(
            *self._route(as_),
            PlayerIdentities.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )
        return result.display_identity

    @operation(
        "players",
        write=False,
        http="GET /players/{player}/identity",
    )
    def get_identities(self, *, as_: str | None = None) -> PlayerIdentities:
        """Both identities of a player in one read (any player's id works with ``as_``)."""
        return self._client.request_decoded(*self._route(as_), PlayerIdentities.from_wire)

    @operation(
        "players",
        write=False,
        http="GET /players/{player}/identity",
        official="players.getIdentity() (v0.13)",
    )
    def get_identity(self, *, as_: str | None = None) -> PlayerIdentity | None:
        """The player's display identity (None until one was set)."""
        return self.get_identities(as_=as_).display_identity

    @operation(
        "players",
        write=False,
        http="GET /players/{player}/identity",
        official="players.getAnonymizedIdentity() (v0.13)",
    )
    def get_anonymized_identity(self, *, as_: str | None = None) -> PlayerIdentity | None:
        """The player's anonymized identity (the immutable synthetic-pool name)."""
        return self.get_identities(as_=as_).anonymized_identity

    # ------------------------------------------------------------ metadata (v0.15)

    @operation(
        "players",
        write=True,
        durable=True,
        http="PUT /players/{player}/metadata",
        official="players.setMetadata(obj) (v0.15)",
    )
    def set_metadata(
        self,
        metadata: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> dict[str, Any]:
        """Replace the player's metadata with ``metadata``; returns what is stored.

        The write's ``idempotencyKey`` travels inside the object (the server drops it),
        so ``metadata`` itself must not use that key.
        """
        return self._write_metadata(metadata, idempotency_key, as_)

    @operation(
        "players",
        write=True,
        durable=True,
        http="PATCH /players/{player}/metadata",
        official="players.mergeMetadata(patch) (v0.15)",
    )
    def merge_metadata(
        self,
        patch: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> dict[str, Any]:
        """Shallow-merge ``patch`` into the player's metadata; returns the result."""
        return self._write_metadata(patch, idempotency_key, as_)

    def _write_metadata(
        self,
        metadata: Mapping[str, Any],
        idempotency_key: str | None,
        as_: str | None,
    ) -> dict[str, Any]:
        if not isinstance(metadata, Mapping):
            raise KratyConfigError("metadata must be a mapping (a JSON object)")
        if "idempotencyKey" in metadata:
            raise KratyConfigError("'idempotencyKey' is reserved; pass idempotency_key= instead")
        result = self._client.request_decoded(
            *self._route(as_),
            PlayerMetadata.from_wire,
            body=dict(metadata),
            idempotency_key=idempotency_key,
        )
        return result.metadata
