"""``kraty.catalog``: the game's items and currencies (PROTOCOL E15)."""

from __future__ import annotations

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.models.catalog import Catalog
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["CatalogClient"]


class CatalogClient(ResourceClient):
    """Read the catalog of the game the API key belongs to (no player needed)."""

    @operation("catalog", write=False)
    def read(self) -> Catalog:
        """Every item and currency definition."""
        return self._client.request_decoded("GET", self._sdk_path("catalog"), Catalog.from_wire)
