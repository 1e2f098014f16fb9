"""``kraty.friends``: friend codes, presence, friends, requests, blocks and gifts.

Every call acts for the active player (or ``as_``) and needs its secret. Reads that
take ``progression`` add ``{economyKey: balance}`` of those economies (at most 8) to
each player they return. A game sends :meth:`FriendsClient.heartbeat` every
:data:`PRESENCE_HEARTBEAT_INTERVAL` seconds while the player is around; friends read
the presence with :meth:`FriendsClient.list`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from types import EllipsisType
from typing import Any, Literal

from kraty_pygame.sdk._constants import PRESENCE_HEARTBEAT_INTERVAL
from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyConfigError, KratyProtocolError
from kraty_pygame.sdk.models.friends import (
    BlockedPlayer,
    Friend,
    FriendCode,
    FriendRequests,
    FriendSearchResult,
    Gift,
    GiftCatalog,
    PlayerPresence,
    SendFriendRequestResult,
    _BlockEnvelope,
    _BlockList,
    _FriendEnvelope,
    _FriendList,
    _GiftEnvelope,
    _GiftList,
    _SearchResults,
)
from kraty_pygame.sdk.options import is_text
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["PRESENCE_HEARTBEAT_INTERVAL", "FriendsClient"]


def _progression(keys: Sequence[str] | None) -> Sequence[str] | None:
    if keys is None:
        return None
    if isinstance(keys, str) or not all(is_text(k) for k in keys):
        raise KratyConfigError("progression must be a sequence of economy keys")
    return list(keys) or None


def _target(friend_code: str | None, external_player_id: str | None) -> dict[str, Any]:
    if (friend_code is None) == (external_player_id is None):
        raise KratyConfigError("pass exactly one of friend_code= and external_player_id=")
    if friend_code is not None:
        if not is_text(friend_code):
            raise KratyConfigError("friend_code must be a non-empty string")
        return {"friendCode": friend_code}
    if not is_text(external_player_id):
        raise KratyConfigError("external_player_id must be a non-empty string")
    return {"externalPlayerId": external_player_id}


def _flag(name: str) -> Callable[[Any], bool]:
    """Decoder of ``{"<name>": true}`` answers."""

    def decode(data: Any) -> bool:
        value = data.get(name) if isinstance(data, dict) else None
        if not isinstance(value, bool):
            raise KratyProtocolError(f"expected a boolean '{name}' member", field=f"data.{name}")
        return value

    return decode


def _text(name: str, value: str) -> str:
    if not is_text(value):
        raise KratyConfigError(f"{name} must be a non-empty string")
    return value


class FriendsClient(ResourceClient):
    """Friends of the active player (or of ``as_``); gifting needs v0.24.0 backends."""

    # ------------------------------------------------------------ code and presence

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friend-code",
        official="friends.getCode({progression}) (v0.17)",
    )
    def get_code(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> FriendCode:
        """Your friend code (6 characters, stable forever) to share with others."""
        return self._client.request_decoded(
            *self._route(as_),
            FriendCode.from_wire,
            query={"progression": _progression(progression)},
        )

    @operation(
        "friends",
        write=True,
        http="POST /players/{player}/presence",
        official="friends.heartbeat({status}) (v0.17)",
    )
    def heartbeat(
        self,
        *,
        status: str | EllipsisType | None = ...,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> PlayerPresence:
        """Say "I'm here"; send it every ``PRESENCE_HEARTBEAT_INTERVAL`` seconds.

        Args:
            status: a short activity string friends see (``"in_lobby"``); ``None``
                clears it; leave it out to keep the previous one.
        """
        body: dict[str, Any] = {}
        if status is not ...:
            body["status"] = status
        return self._client.request_decoded(
            *self._route(as_),
            PlayerPresence.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )

    # ------------------------------------------------------------ reads

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends",
        official="friends.list({progression}) (v0.17)",
    )
    def list(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> builtins.list[Friend]:
        """Your friends with their presence (``online``, ``status``, ``last_active_at``)."""
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _FriendList.from_wire(data).friends,
            query={"progression": _progression(progression)},
        )

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends/search",
        official="friends.search(q, {limit, progression}) (v0.17)",
    )
    def search(
        self,
        query: str,
        *,
        limit: int | None = None,
        progression: Sequence[str] | None = None,
        as_: str | None = None,
    ) -> builtins.list[FriendSearchResult]:
        """Players whose name or id contains ``query``, or whose friend code it is.

        Blocked players (either way) are never returned.
        """
        if not isinstance(query, str):
            raise KratyConfigError("query must be a string")
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _SearchResults.from_wire(data).results,
            query={"q": query, "limit": limit, "progression": _progression(progression)},
        )

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends/requests",
        official="friends.listRequests({progression}) (v0.17)",
    )
    def list_requests(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> FriendRequests:
        """Pending requests, ``incoming`` (to accept / decline) and ``outgoing``."""
        return self._client.request_decoded(
            *self._route(as_),
            FriendRequests.from_wire,
            query={"progression": _progression(progression)},
        )

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/blocks",
        official="friends.listBlocks() (v0.17)",
    )
    def list_blocks(self, *, as_: str | None = None) -> builtins.list[BlockedPlayer]:
        """Players you blocked, newest first."""
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _BlockList.from_wire(data).blocked,
        )

    # ------------------------------------------------------------ requests

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/friends/requests",
        official="friends.add({friendCode}) or friends.add({externalPlayerId}) (v0.17)",
    )
    def add(
        self,
        *,
        friend_code: str | None = None,
        external_player_id: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> SendFriendRequestResult:
        """Ask a player (by friend code **or** id) to be friends.

        If they already asked you, you become friends at once (``is_accepted``).

        Raises:
            KratyApiError: ``is_cannot_friend_self``, ``is_friend_code_invalid``,
                ``is_not_found``, ``is_player_blocked``, ``is_already_friends``.
            KratyConfigError: neither or both targets given.
        """
        return self._client.request_decoded(
            *self._route(as_),
            SendFriendRequestResult.from_wire,
            body=_target(friend_code, external_player_id),
            idempotency_key=idempotency_key,
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/friends/requests/{request_id}/accept",
        official="friends.accept(requestId) (v0.17)",
    )
    def accept(
        self, request_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> Friend:
        """Accept an incoming request; returns the new friend."""
        return self._client.request_decoded(
            *self._route(as_, request_id=_text("request_id", request_id)),
            lambda data: _FriendEnvelope.from_wire(data).friend,
            body={},
            idempotency_key=idempotency_key,
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/friends/requests/{request_id}/decline",
        official="friends.decline(requestId) (v0.17)",
    )
    def decline(
        self, request_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> bool:
        """Decline an incoming request (True when declined)."""
        return self._client.request_decoded(
            *self._route(as_, request_id=_text("request_id", request_id)),
            _flag("declined"),
            body={},
            idempotency_key=idempotency_key,
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="DELETE /players/{player}/friends/requests/{request_id}",
        official="friends.cancelRequest(requestId) (v0.17)",
    )
    def cancel_request(self, request_id: str, *, as_: str | None = None) -> bool:
        """Withdraw a request you sent (True when cancelled)."""
        return self._client.request_decoded(
            *self._route(as_, request_id=_text("request_id", request_id)),
            _flag("cancelled"),
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="DELETE /players/{player}/friends/{external_player_id}",
        official="friends.remove(externalPlayerId) (v0.17)",
    )
    def remove(self, external_player_id: str, *, as_: str | None = None) -> bool:
        """End a friendship (True when removed; 404 ``not_found`` if not friends)."""
        return self._client.request_decoded(
            *self._route(as_, external_player_id=_text("external_player_id", external_player_id)),
            _flag("removed"),
        )

    # ------------------------------------------------------------ blocks

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/blocks",
        official="friends.block(target) (v0.17)",
    )
    def block(
        self,
        *,
        friend_code: str | None = None,
        external_player_id: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> BlockedPlayer:
        """Block a player; ends your friendship and pending requests both ways."""
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _BlockEnvelope.from_wire(data).blocked,
            body=_target(friend_code, external_player_id),
            idempotency_key=idempotency_key,
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="DELETE /players/{player}/blocks/{external_player_id}",
        official="friends.unblock(externalPlayerId) (v0.17)",
    )
    def unblock(self, external_player_id: str, *, as_: str | None = None) -> bool:
        """Lift a block (True when lifted)."""
        return self._client.request_decoded(
            *self._route(as_, external_player_id=_text("external_player_id", external_player_id)),
            _flag("unblocked"),
        )

    # ------------------------------------------------------------ gifts (v0.24.0)

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends/gifts/catalog",
        official="friends.giftCatalog() (v0.24)",
    )
    def gift_catalog(self, *, as_: str | None = None) -> GiftCatalog:
        """What may be gifted, the cooldown and the daily limit.

        Raises:
            KratyApiError: ``is_gifting_disabled`` for a game without gifting.
        """
        return self._client.request_decoded(
            *self._route(as_),
            GiftCatalog.from_wire,
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/friends/gifts",
        official="friends.sendGift({to, type, resourceKey, amount, message}) (v0.24)",
    )
    def send_gift(
        self,
        *,
        type: Literal["item", "currency"],
        resource_key: str,
        amount: int,
        friend_code: str | None = None,
        external_player_id: str | None = None,
        message: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> Gift:
        """Gift a friend (by friend code **or** id); they get a pending grant.

        Raises:
            KratyApiError: ``is_gifting_disabled``; ``is_player_blocked``; ``is_forbidden``
                (not friends); ``is_validation_failed`` (not giftable, amount, message
                over 140 characters); ``is_conflict`` with ``details["reason"]``
                ``gift_cooldown`` (``details["giftCooldownUntil"]``) or
                ``daily_send_limit``, or too little to give.
        """
        if not _is_int(amount):
            raise KratyConfigError("amount must be an int")
        body: dict[str, Any] = {
            **_target(friend_code, external_player_id),
            "type": type,
            "resourceKey": _text("resource_key", resource_key),
            "amount": amount,
        }
        if message is not None:
            body["message"] = message
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _GiftEnvelope.from_wire(data).gift,
            body=body,
            idempotency_key=idempotency_key,
        )

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends/gifts",
        official="friends.gifts({status, limit}) (v0.24)",
    )
    def gifts(
        self, *, status: str | None = None, limit: int | None = None, as_: str | None = None
    ) -> builtins.list[Gift]:
        """Gifts you received, newest first (``status="pending"`` for the unclaimed)."""
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _GiftList.from_wire(data).gifts,
            query={"status": status, "limit": limit},
        )

    @operation(
        "friends",
        write=False,
        http="GET /players/{player}/friends/gifts/sent",
        official="friends.sentGifts({status, limit}) (v0.24)",
    )
    def sent_gifts(
        self, *, status: str | None = None, limit: int | None = None, as_: str | None = None
    ) -> builtins.list[Gift]:
        """Gifts you sent, newest first."""
        return self._client.request_decoded(
            *self._route(as_),
            lambda data: _GiftList.from_wire(data).gifts,
            query={"status": status, "limit": limit},
        )

    @operation(
        "friends",
        write=True,
        durable=True,
        http="POST /players/{player}/friends/gifts/{gift_id}/claim",
        official="friends.claimGift(giftId) (v0.24)",
    )
    def claim_gift(
        self, gift_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> Gift:
        """Claim a received gift (its grant pays out); claiming again is harmless."""
        return self._client.request_decoded(
            *self._route(as_, gift_id=_text("gift_id", gift_id)),
            lambda data: _GiftEnvelope.from_wire(data).gift,
            body={},
            idempotency_key=idempotency_key,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
