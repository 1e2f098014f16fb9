"""``kraty.catalog``: the game's items and currencies."""

from __future__ import annotations

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.models.catalog import Catalog
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["CatalogClient"]


class CatalogClient(ResourceClient):
    """Read the catalog of the game the API key belongs to (no player needed)."""

    @operation("catalog", write=False, http="GET /catalog", official="catalog.read()")
    def read(self) -> Catalog:
        """Every item and currency definition."""
        return self._client.request_decoded(*self._route(), Catalog.from_wire)
