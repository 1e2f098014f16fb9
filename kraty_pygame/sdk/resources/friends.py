"""``kraty.friends``: friend codes, presence, friends, requests, blocks and gifts (E25-E45).

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

    @operation("friends", write=False)
    def get_code(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> FriendCode:
        """E25: your friend code (6 characters, stable forever) to share with others."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friend-code"),
            FriendCode.from_wire,
            query={"progression": _progression(progression)},
        )

    @operation("friends", write=True)
    def heartbeat(
        self,
        *,
        status: str | EllipsisType | None = ...,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> PlayerPresence:
        """E26: say "I'm here"; send it every ``PRESENCE_HEARTBEAT_INTERVAL`` seconds.

        Args:
            status: a short activity string friends see (``"in_lobby"``); ``None``
                clears it; leave it out to keep the previous one.
        """
        body: dict[str, Any] = {}
        if status is not ...:
            body["status"] = status
        return self._client.request_decoded(
            "POST",
            self._player_path(as_, "presence"),
            PlayerPresence.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )

    # ------------------------------------------------------------ reads

    @operation("friends", write=False)
    def list(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> builtins.list[Friend]:
        """E27: your friends with their presence (``online``, ``status``, ``last_active_at``)."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends"),
            lambda data: _FriendList.from_wire(data).friends,
            query={"progression": _progression(progression)},
        )

    @operation("friends", write=False)
    def search(
        self,
        query: str,
        *,
        limit: int | None = None,
        progression: Sequence[str] | None = None,
        as_: str | None = None,
    ) -> builtins.list[FriendSearchResult]:
        """E28: players whose name or id contains ``query``, or whose friend code it is.

        Blocked players (either way) are never returned.
        """
        if not isinstance(query, str):
            raise KratyConfigError("query must be a string")
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends", "search"),
            lambda data: _SearchResults.from_wire(data).results,
            query={"q": query, "limit": limit, "progression": _progression(progression)},
        )

    @operation("friends", write=False)
    def list_requests(
        self, *, progression: Sequence[str] | None = None, as_: str | None = None
    ) -> FriendRequests:
        """E29: pending requests, ``incoming`` (to accept / decline) and ``outgoing``."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends", "requests"),
            FriendRequests.from_wire,
            query={"progression": _progression(progression)},
        )

    @operation("friends", write=False)
    def list_blocks(self, *, as_: str | None = None) -> builtins.list[BlockedPlayer]:
        """E35: players you blocked, newest first."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "blocks"),
            lambda data: _BlockList.from_wire(data).blocked,
        )

    # ------------------------------------------------------------ requests

    @operation("friends", write=True, durable=True)
    def add(
        self,
        *,
        friend_code: str | None = None,
        external_player_id: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> SendFriendRequestResult:
        """E30: ask a player (by friend code **or** id) to be friends.

        If they already asked you, you become friends at once (``is_accepted``).

        Raises:
            KratyApiError: ``is_cannot_friend_self``, ``is_friend_code_invalid``,
                ``is_not_found``, ``is_player_blocked``, ``is_already_friends``.
            KratyConfigError: neither or both targets given.
        """
        return self._client.request_decoded(
            "POST",
            self._player_path(as_, "friends", "requests"),
            SendFriendRequestResult.from_wire,
            body=_target(friend_code, external_player_id),
            idempotency_key=idempotency_key,
        )

    @operation("friends", write=True, durable=True)
    def accept(
        self, request_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> Friend:
        """E31: accept an incoming request; returns the new friend."""
        return self._client.request_decoded(
            "POST",
            self._player_path(
                as_, "friends", "requests", _text("request_id", request_id), "accept"
            ),
            lambda data: _FriendEnvelope.from_wire(data).friend,
            body={},
            idempotency_key=idempotency_key,
        )

    @operation("friends", write=True, durable=True)
    def decline(
        self, request_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> bool:
        """E32: decline an incoming request (True when declined)."""
        return self._client.request_decoded(
            "POST",
            self._player_path(
                as_, "friends", "requests", _text("request_id", request_id), "decline"
            ),
            _flag("declined"),
            body={},
            idempotency_key=idempotency_key,
        )

    @operation("friends", write=True, durable=True)
    def cancel_request(self, request_id: str, *, as_: str | None = None) -> bool:
        """E33: withdraw a request you sent (True when cancelled)."""
        return self._client.request_decoded(
            "DELETE",
            self._player_path(as_, "friends", "requests", _text("request_id", request_id)),
            _flag("cancelled"),
        )

    @operation("friends", write=True, durable=True)
    def remove(self, external_player_id: str, *, as_: str | None = None) -> bool:
        """E34: end a friendship (True when removed; 404 ``not_found`` if not friends)."""
        return self._client.request_decoded(
            "DELETE",
            self._player_path(as_, "friends", _text("external_player_id", external_player_id)),
            _flag("removed"),
        )

    # ------------------------------------------------------------ blocks

    @operation("friends", write=True, durable=True)
    def block(
        self,
        *,
        friend_code: str | None = None,
        external_player_id: str | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> BlockedPlayer:
        """E36: block a player; ends your friendship and pending requests both ways."""
        return self._client.request_decoded(
            "POST",
            self._player_path(as_, "blocks"),
            lambda data: _BlockEnvelope.from_wire(data).blocked,
            body=_target(friend_code, external_player_id),
            idempotency_key=idempotency_key,
        )

    @operation("friends", write=True, durable=True)
    def unblock(self, external_player_id: str, *, as_: str | None = None) -> bool:
        """E36: lift a block (True when lifted)."""
        return self._client.request_decoded(
            "DELETE",
            self._player_path(as_, "blocks", _text("external_player_id", external_player_id)),
            _flag("unblocked"),
        )

    # ------------------------------------------------------------ gifts (v0.24.0)

    @operation("friends", write=False)
    def gift_catalog(self, *, as_: str | None = None) -> GiftCatalog:
        """E41: what may be gifted, the cooldown and the daily limit.

        Raises:
            KratyApiError: ``is_gifting_disabled`` for a game without gifting.
        """
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends", "gifts", "catalog"),
            GiftCatalog.from_wire,
        )

    @operation("friends", write=True, durable=True)
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
        """E42: gift a friend (by friend code **or** id); they get a pending grant.

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
            "POST",
            self._player_path(as_, "friends", "gifts"),
            lambda data: _GiftEnvelope.from_wire(data).gift,
            body=body,
            idempotency_key=idempotency_key,
        )

    @operation("friends", write=False)
    def gifts(
        self, *, status: str | None = None, limit: int | None = None, as_: str | None = None
    ) -> builtins.list[Gift]:
        """E43: gifts you received, newest first (``status="pending"`` for the unclaimed)."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends", "gifts"),
            lambda data: _GiftList.from_wire(data).gifts,
            query={"status": status, "limit": limit},
        )

    @operation("friends", write=False)
    def sent_gifts(
        self, *, status: str | None = None, limit: int | None = None, as_: str | None = None
    ) -> builtins.list[Gift]:
        """E44: gifts you sent, newest first."""
        return self._client.request_decoded(
            "GET",
            self._player_path(as_, "friends", "gifts", "sent"),
            lambda data: _GiftList.from_wire(data).gifts,
            query={"status": status, "limit": limit},
        )

    @operation("friends", write=True, durable=True)
    def claim_gift(
        self, gift_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> Gift:
        """E45: claim a received gift (its grant pays out); claiming again is harmless."""
        return self._client.request_decoded(
            "POST",
            self._player_path(as_, "friends", "gifts", _text("gift_id", gift_id), "claim"),
            lambda data: _GiftEnvelope.from_wire(data).gift,
            body={},
            idempotency_key=idempotency_key,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
