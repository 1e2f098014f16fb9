"""Wallet and inventory routes: list a player's holdings and change one, client and server side.

Both kinds share one implementation (:mod:`kraty_pygame.emulator.domain.economy`); the
table below names each change route, its kind, direction and default ledger reason.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from kraty_pygame.emulator.clock import iso
from kraty_pygame.emulator.domain import economy
from kraty_pygame.emulator.domain.economy import INVENTORY, WALLET, HoldingKind
from kraty_pygame.emulator.errors import not_found
from kraty_pygame.emulator.http import auth, responses
from kraty_pygame.emulator.routes._common import (
    ClientKey,
    ServerKey,
    StrictBody,
    player_write,
    server_write,
)
from kraty_pygame.emulator.runtime import EmulatorRuntime, runtime_of
from kraty_pygame.emulator.store import Transaction

router = APIRouter()


class DebitBody(StrictBody):
    """``DebitWalletInput``."""

    amount: int = Field(gt=0)
    reason: str | None = None


class ConsumeBody(StrictBody):
    """``ConsumeItemInput``."""

    quantity: int = Field(gt=0)
    reason: str | None = None


class AmountBody(StrictBody):
    amount: int = Field(gt=0)
    reason: str | None = None
    sourceRefId: str | None = None


class QuantityBody(StrictBody):
    quantity: int = Field(gt=0)
    reason: str | None = None
    sourceRefId: str | None = None


def change_holding(
    rt: EmulatorRuntime,
    tx: Transaction,
    player: auth.PlayerRow,
    kind: HoldingKind,
    *,
    key: str,
    delta: int,
    reason: str,
    origin: str,
    source_ref_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Move one holding for a write route: 404 for a key the config does not know,
    409 when it would go negative; returns the route's 200 answer."""
    if kind is WALLET and rt.config.currency(key) is None:
        raise not_found(f"economy {key!r}")
    if kind is INVENTORY and rt.config.item(key) is None:
        raise not_found(f"item {key!r}")
    change = economy.change_holding(
        tx.conn,
        kind,
        player_id=player.id,
        key=key,
        delta=delta,
        now=iso(rt.now()),
        reason=reason,
        origin=origin,
        source_ref_id=source_ref_id,
    )
    return 200, {kind.key_field: key, kind.amount_field: change.after, "applied": True}


# ------------------------------------------------------------------------- lists


def _list_route(kind: HoldingKind, path: str, name: str, doc: str) -> None:
    async def endpoint(request: Request, external_id: str, key: ClientKey) -> Response:
        rt = runtime_of(request)
        del key
        with rt.store.read() as conn:
            player = auth.player_for_read(conn, request, external_id)
            if player is None or rt.config.game.inventory_management == "studio":
                return responses.ok({kind.list_field: []})
            return responses.ok({kind.list_field: economy.holding_rows(conn, kind, player.id)})

    endpoint.__doc__ = doc
    router.add_api_route(path, endpoint, methods=["GET"], name=name, tags=[kind.ledger_kind])


_list_route(
    WALLET,
    "/sdk/v1/players/{external_id}/wallet",
    "list_wallet",
    '``{"wallet": PlayerWalletHolding[]}`` (empty for unknown players and studio inventories).',
)
_list_route(
    INVENTORY,
    "/sdk/v1/players/{external_id}/inventory",
    "list_inventory",
    '``{"items": PlayerItemHolding[]}`` (empty for unknown players and studio inventories).',
)


# ----------------------------------------------------------------------- changes


@dataclass(frozen=True)
class _Change:
    """One holding-change route."""

    name: str
    path: str
    kind: HoldingKind
    sign: int  # +1 adds, -1 takes away
    reason: str  # the ledger reason when the body gives none
    body: type[StrictBody]
    server: bool
    doc: str
    require_key: bool = False


_CLIENT = "/sdk/v1/players/{external_id}"
_SERVER = "/server/v1/players/{external_id}"

_CHANGES = (
    _Change(
        "debit_wallet",
        _CLIENT + "/wallet/{economy_key}/debit",
        WALLET,
        -1,
        "client_debit",
        DebitBody,
        server=False,
        doc="Debit a balance; 409 ``conflict`` when it would go negative.",
        require_key=True,
    ),
    _Change(
        "consume_item",
        _CLIENT + "/inventory/{item_key}/consume",
        INVENTORY,
        -1,
        "consume",
        ConsumeBody,
        server=False,
        doc="Consume items; 409 ``conflict`` when the player has too few.",
        require_key=True,
    ),
    _Change(
        "credit",
        _SERVER + "/wallet/{economy_key}/credit",
        WALLET,
        1,
        "server_credit",
        AmountBody,
        server=True,
        doc="Credit a balance.",
    ),
    _Change(
        "debit",
        _SERVER + "/wallet/{economy_key}/debit",
        WALLET,
        -1,
        "server_debit",
        AmountBody,
        server=True,
        doc="Debit a balance; 409 ``conflict`` if insufficient.",
    ),
    _Change(
        "grant_item",
        _SERVER + "/inventory/{item_key}/grant",
        INVENTORY,
        1,
        "admin_grant",
        QuantityBody,
        server=True,
        doc="Add items.",
    ),
    _Change(
        "revoke_item",
        _SERVER + "/inventory/{item_key}/revoke",
        INVENTORY,
        -1,
        "admin_revoke",
        QuantityBody,
        server=True,
        doc="Remove items; 409 ``conflict`` if insufficient.",
    ),
)


def _change_route(spec: _Change) -> None:
    kind = spec.kind

    async def endpoint(request: Request, **params: Any) -> Response:
        rt = runtime_of(request)
        body = params["body"]
        key = params[kind.path_param]

        def handler(tx: Transaction, player: auth.PlayerRow) -> tuple[int, Any]:
            return change_holding(
                rt,
                tx,
                player,
                kind,
                key=key,
                delta=spec.sign * int(getattr(body, kind.body_field)),
                reason=body.reason or spec.reason,
                origin="server" if spec.server else "client",
                source_ref_id=getattr(body, "sourceRefId", None),
            )

        write = server_write if spec.server else player_write
        return await write(request, params["key"], handler, require_key=spec.require_key)

    # FastAPI reads the parameters (path, body model, key dependency) from the signature.
    keyword = inspect.Parameter.KEYWORD_ONLY
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", positional, annotation=Request),
            inspect.Parameter("external_id", keyword, annotation=str),
            inspect.Parameter(kind.path_param, keyword, annotation=str),
            inspect.Parameter("body", keyword, annotation=spec.body),
            inspect.Parameter("key", keyword, annotation=ServerKey if spec.server else ClientKey),
        ],
        return_annotation=Response,
    )
    endpoint.__doc__ = spec.doc
    tag = "server" if spec.server else kind.ledger_kind
    router.add_api_route(spec.path, endpoint, methods=["POST"], name=spec.name, tags=[tag])


for _spec in _CHANGES:
    _change_route(_spec)
