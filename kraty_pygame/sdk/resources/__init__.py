"""Resource clients, one module per area; each shares the client's ``KratyClient``."""

from kraty_pygame.sdk.resources._base import ResourceClient, encode_segment
from kraty_pygame.sdk.resources.players import PlayersClient

__all__ = ["PlayersClient", "ResourceClient", "encode_segment"]
