"""``kraty.grants``: pending grants, claims, crate openings, ``collect_all`` and
self-grants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kraty_pygame.sdk._operation import operation
from kraty_pygame.sdk.errors import KratyConfigError
from kraty_pygame.sdk.models._base import decode_list
from kraty_pygame.sdk.models.grants import (
    CollectAllFailure,
    CollectAllResult,
    Grant,
    OpenCrateResponse,
    RangeSpec,
    RewardEntryPreview,
)
from kraty_pygame.sdk.resources._base import ResourceClient

__all__ = ["GrantsClient"]


def _grants(data: Any) -> list[Grant]:
    return decode_list(Grant, data, "data")


class GrantsClient(ResourceClient):
    """Reward and crate grants of the active player (or of ``as_``)."""

    @operation(
        "grants",
        write=False,
        http="GET /players/{player}/pending-grants",
        official="grants.listPending({as, limit})",
    )
    def list_pending(self, *, limit: int | None = None, as_: str | None = None) -> list[Grant]:
        """Grants waiting to be claimed or opened, oldest first (server default limit 50)."""
        return self._client.request_decoded(*self._route(as_), _grants, query={"limit": limit})

    @operation(
        "grants",
        write=True,
        durable=True,
        http="POST /players/{player}/grants/{grant_id}/claim",
        official="grants.claim(grantId, {as})",
    )
    def claim(
        self, grant_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> Grant:
        """Claim a reward grant; claiming it again returns the same claimed row.

        Raises:
            KratyApiError: ``is_not_found`` (unknown or expired), ``is_conflict`` (a crate).
        """
        return self._client.request_decoded(
            *self._route(as_, grant_id=grant_id),
            Grant.from_wire,
            body={},
            idempotency_key=idempotency_key,
        )

    @operation(
        "grants",
        write=True,
        durable=True,
        http="POST /players/{player}/crates/{grant_id}/open",
        official="grants.open(grantId, {as})",
    )
    def open(
        self, grant_id: str, *, idempotency_key: str | None = None, as_: str | None = None
    ) -> OpenCrateResponse:
        """Open a crate grant: rolled once; the contents are a new pending grant.

        The contents grant shows up in the next ``list_pending``; opening the
        same crate again returns the same contents.

        Raises:
            KratyApiError: ``is_not_found``, ``is_conflict`` (not a crate).
        """
        return self._client.request_decoded(
            *self._route(as_, grant_id=grant_id),
            OpenCrateResponse.from_wire,
            body={},
            idempotency_key=idempotency_key,
        )

    @operation(
        "grants",
        write=True,
        http=None,
        official="grants.collectAll({as})",
    )
    def collect_all(self, *, as_: str | None = None) -> CollectAllResult:
        """List pending grants once, open every crate, then claim the rest.

        Calls are sequential; a failing grant is recorded in ``failures`` and the
        sweep goes on. Only the listing can fail the whole call. Crate contents
        rolled here are claimed by the next sweep.
        """
        pending = self.list_pending(as_=as_)
        opened: list[OpenCrateResponse] = []
        claimed: list[Grant] = []
        failures: list[CollectAllFailure] = []
        for grant in (g for g in pending if g.is_crate):
            try:
                opened.append(self.open(grant.id, as_=as_))
            except Exception as exc:  # each failure is reported, never raised
                failures.append(CollectAllFailure(grant=grant, error=exc))
        for grant in (g for g in pending if not g.is_crate):
            try:
                claimed.append(self.claim(grant.id, as_=as_))
            except Exception as exc:  # each failure is reported, never raised
                failures.append(CollectAllFailure(grant=grant, error=exc))
        return CollectAllResult(
            processed=len(pending), opened=opened, claimed=claimed, failures=failures
        )

    @operation(
        "grants",
        write=True,
        durable=True,
        http="POST /players/{player}/grants",
        official="grants.grant(input, {as}) (v0.19)",
    )
    def grant(
        self,
        entries: Sequence[Mapping[str, Any] | RewardEntryPreview],
        *,
        kind: Literal["reward", "crate"] = "reward",
        expires_at: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        as_: str | None = None,
    ) -> Grant:
        """Grant yourself rewards (v0.19.0+): only games with *permissive* inventory.

        ``entries`` use the reward-entry shape (``{"type": "currency", "currencyKey":
        "gold", "amount": 5}``, ``item`` + ``itemKey`` + ``quantity``, ``crate`` +
        ``crateItemKey`` + ``quantity``) or :class:`RewardEntryPreview` objects. A reward
        grant is deposited at once and comes back claimed; a crate grant comes back
        pending, to be opened with :meth:`open`.

        Raises:
            KratyApiError: ``is_inventory_not_permissive`` (403) for other games;
                ``is_validation_failed`` for unknown keys or bad amounts.
        """
        given: object = entries
        if isinstance(given, Mapping | str) or not isinstance(given, Sequence) or not given:
            raise KratyConfigError("entries must be a non-empty sequence of reward entries")
        body: dict[str, Any] = {"entries": [_entry_body(e) for e in entries], "kind": kind}
        if expires_at is not None:
            body["expiresAt"] = expires_at
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return self._client.request_decoded(
            *self._route(as_),
            Grant.from_wire,
            body=body,
            idempotency_key=idempotency_key,
        )


def _entry_body(entry: Mapping[str, Any] | RewardEntryPreview) -> dict[str, Any]:
    """One reward entry as its wire object."""
    if isinstance(entry, RewardEntryPreview):
        if entry.raw:
            return dict(entry.raw)
        out: dict[str, Any] = {"type": entry.type}
        for wire, value in (
            ("currencyKey", entry.currency_key),
            ("itemKey", entry.item_key),
            ("crateItemKey", entry.crate_item_key),
        ):
            if value is not None:
                out[wire] = value
        count = entry.count
        if isinstance(count, RangeSpec):
            raise KratyConfigError("a granted entry needs a fixed amount, not a range")
        out["amount" if entry.type == "currency" else "quantity"] = count
        if entry.parameters is not None:
            out["parameters"] = dict(entry.parameters)
        return out
    given: object = entry
    if not isinstance(given, Mapping) or not isinstance(given.get("type"), str):
        raise KratyConfigError("each entry must be a mapping with a 'type'")
    return dict(entry)
