"""Frozen DTOs of the Kraty client API, one module per area (see ``_base`` for the pattern)."""

from kraty_pygame.sdk.models._base import KratyModel, decode_list, localized, parse_iso, wire_name
from kraty_pygame.sdk.models.players import PlayerIdentity, PlayerRegistration, SyntheticIdentity

__all__ = [
    "KratyModel",
    "PlayerIdentity",
    "PlayerRegistration",
    "SyntheticIdentity",
    "decode_list",
    "localized",
    "parse_iso",
    "wire_name",
]
