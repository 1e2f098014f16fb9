"""``kraty.inventory``: list and consume items, live changes."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from kraty_pygame.sdk import _constants as C
from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.models.inventory import (
    ConsumeItemInput,
    ConsumeItemResult,
    InventoryList,
    PlayerItemHolding,
)
from kraty_pygame.sdk.resources._base import ResourceClient
from kraty_pygame.sdk.streams.inventory import InventoryHandler, InventoryStream, start_watch

__all__ = ["InventoryClient"]


def _items(data: Any) -> builtins.list[PlayerItemHolding]:
    return InventoryList.from_wire(data, "data").items


class InventoryClient(ResourceClient):
    """Platform-managed inventory of the active player (or of ``as_``)."""

    @operation(
        "inventory",
        write=False,
        http="GET /players/{player}/inventory",
        official="inventory.list({as})",
    )
    def list(self, *, as_: str | None = None) -> builtins.list[PlayerItemHolding]:
        """Items held (quantity > 0); empty for studio-managed games. Order is not guaranteed."""
        return self._client.request_decoded(*self._route(as_), _items)

    @operation(
        "inventory",
        write=True,
        durable=True,
        http="POST /players/{player}/inventory/{item_key}/consume",
        official="inventory.consume(itemKey, input, {as})",
    )
    def consume(
        self,
        item_key: str,
        input: ConsumeItemInput | None = None,
        *,
        quantity: int | None = None,
        reason: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> ConsumeItemResult:
        """Consume items atomically; pass a :class:`ConsumeItemInput` or ``quantity=`` (not both).

        A replay of the same idempotency key returns the first result with ``applied=False``.

        Raises:
            KratyApiError: ``is_conflict`` (409, not enough), ``is_validation_failed``
                (quantity <= 0), ``is_not_found`` (unknown item).
            TypeError: neither or both of ``input`` and ``quantity`` were given.
        """
        if input is None:
            if quantity is None:
                raise TypeError("consume(): pass a ConsumeItemInput or quantity=")
            input = ConsumeItemInput(quantity=quantity, reason=reason)
        elif quantity is not None or reason is not None:
            raise TypeError("consume(): pass either a ConsumeItemInput or keyword fields, not both")
        return self._client.request_decoded(
            *self._route(as_, item_key=item_key),
            ConsumeItemResult.from_wire,
            body=input.to_body(),
            idempotency_key=idempotency_key or input.idempotency_key,
        )

    @operation(
        "inventory",
        write=False,
        stream=True,
        http="GET /players/{player}/inventory/stream",
        official="inventory.live({as}) (v0.20)",
    )
    def live(
        self,
        *,
        read_timeout: float = C.DEFAULT_STREAM_READ_TIMEOUT,
        as_: str | None = None,
    ) -> InventoryStream:
        """Open the player's inventory stream (v0.20.0+): iterate it, ``cancel()`` it.

        Events: ``ready``, ``inventory_changed``, ``wallet_changed``, ``grant_created``
        (others pass through). No reconnection: a dropped connection ends the
        iteration with ``KratyStreamError``.

        Args:
            read_timeout: seconds of silence before the stream counts as dead (the
                server sends a heartbeat every 15 s).

        Raises:
            KratyApiError: the server refused the stream (e.g. ``is_player_secret_invalid``).
            KratyNetworkError: the connection could not be made.
        """
        player_id = self._player_id(as_)
        _, path = self._route(player_id)
        response = self._client.open_stream(path, read_timeout=read_timeout)
        return InventoryStream(player_id, response, mask=self._client.mask_error)

    @operation(
        "inventory",
        write=False,
        stream=True,
        http="GET /players/{player}/inventory/stream",
        official="inventory.watch(handler, {ignoreOwnWrites, onError, as}) (v0.20)",
    )
    def watch(
        self,
        handler: InventoryHandler,
        *,
        ignore_own_writes: bool = False,
        on_error: Callable[[BaseException], None] | None = None,
        read_timeout: float = C.DEFAULT_STREAM_READ_TIMEOUT,
        as_: str | None = None,
    ) -> Callable[[], None]:
        """Call ``handler(event)`` for every live inventory event; returns ``stop()``.

        The stream is opened before this returns (connection errors raise here);
        ``handler`` then runs on a background thread of its own. With
        ``ignore_own_writes`` the changes this game made through the SDK (``origin ==
        "client"``: consumes, debits, self-grants, progress) are skipped.
        ``on_error(exc)`` is called once if the stream dies (no reconnection; call
        ``watch`` again after a backoff). ``stop()`` is idempotent and joins the thread.
        """
        if not callable(handler):
            raise KratyConfigError("handler must be callable")
        stream = self.live(read_timeout=read_timeout, as_=as_)
        return start_watch(stream, handler, ignore_own_writes=ignore_own_writes, on_error=on_error)
