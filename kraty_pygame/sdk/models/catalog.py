"""The game catalog: items and currencies."""

from dataclasses import field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from kraty_pygame.sdk.models._base import KratyModel, localized

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["Catalog", "CatalogCurrency", "CatalogItem"]


@dataclass(frozen=True)
class CatalogItem(KratyModel):
    """An item definition (``item_type_key`` is e.g. ``consumable``, ``badge``, ``crate``)."""

    key: str = ""
    name: Union[str, Dict[str, str]] = ""
    icon_url: Optional[str] = None
    description: Optional[Union[str, Dict[str, str]]] = None
    item_type_key: str = ""
    tags: List[str] = field(default_factory=list)
    rarity: Optional[str] = None
    attributes: Dict[str, Any] = field(default_factory=dict)

    def display_name(self, locale: str = "en") -> str:
        """``name`` rendered for ``locale``."""
        return localized(self.name, locale)


@dataclass(frozen=True)
class CatalogCurrency(KratyModel):
    """A wallet economy: ``kind`` is ``currency`` or ``progression``."""

    key: str = ""
    name: Union[str, Dict[str, str]] = ""
    icon_url: Optional[str] = None
    description: Optional[Union[str, Dict[str, str]]] = None
    kind: str = "currency"

    def display_name(self, locale: str = "en") -> str:
        """``name`` rendered for ``locale``."""
        return localized(self.name, locale)


@dataclass(frozen=True)
class Catalog(KratyModel):
    """Every item and currency of the game (``catalog.read``)."""

    items: List[CatalogItem] = field(default_factory=list)
    currencies: List[CatalogCurrency] = field(default_factory=list)

    def item(self, key: str) -> Optional[CatalogItem]:
        """The item with ``key``, or None."""
        return next((i for i in self.items if i.key == key), None)

    def currency(self, key: str) -> Optional[CatalogCurrency]:
        """The currency with ``key``, or None."""
        return next((c for c in self.currencies if c.key == key), None)
