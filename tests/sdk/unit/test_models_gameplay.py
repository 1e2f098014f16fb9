"""Decoding every gameplay payload (events, progress, finish, grants, crates, lobbies,
inventory, wallet, catalog): documented examples, tolerance, types."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kraty_pygame.sdk.errors import KratyProtocolError
from kraty_pygame.sdk.models._base import decode_list
from kraty_pygame.sdk.models.catalog import Catalog, CatalogCurrency
from kraty_pygame.sdk.models.events import (
    EventListing,
    FinishAttemptResponse,
    ProgressInput,
    ProgressResponse,
    RangeSpec,
    RewardEntryPreview,
    StartAttemptResponse,
)
from kraty_pygame.sdk.models.grants import CollectAllResult, Grant, OpenCrateResponse
from kraty_pygame.sdk.models.inventory import ConsumeItemInput, ConsumeItemResult, InventoryList
from kraty_pygame.sdk.models.lobbies import Lobby
from kraty_pygame.sdk.models.wallet import DebitWalletInput, DebitWalletResult, WalletList

# --- the documented examples, verbatim shapes -------------------------------------------

LISTING: dict[str, Any] = {
    "eventKey": "bounty_hunt",
    "name": "Bounty Hunt",
    "windowId": "win_2026w25",
    "startsAt": "2026-06-15T00:00:00.000Z",
    "endsAt": "2026-06-22T00:00:00.000Z",
    "leaderboardId": "lb_6f1d2c3b4a59",
    "currentAttemptId": None,
    "type": "single_metric",
    "leaderboardMode": "global",
    "metrics": [{"key": "kills", "target": 15, "cap": 100, "scorePerUnit": 1, "scoreWeight": 1}],
    "entryRequirement": None,
    "entryCost": {"currencies": [{"key": "gold", "amount": 50}], "items": []},
    "metadata": {"bannerKey": "bounty_red"},
    "milestoneRewards": [
        {
            "key": "kills_5",
            "metricKey": "kills",
            "threshold": 5,
            "entries": [{"type": "currency", "currencyKey": "gold", "amount": 20}],
        }
    ],
    "rewardPolicy": {
        "type": "rank_scaled",
        "tiers": [
            {
                "fromRank": 1,
                "toRank": 1,
                "bundle": {
                    "key": "gold_crate",
                    "name": "Gold crate",
                    "entries": [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}],
                },
            },
            {
                "fromRank": 2,
                "toRank": 10,
                "bundle": {
                    "key": "silver",
                    "name": "Silver",
                    "entries": [{"type": "currency", "currencyKey": "gold", "amount": 100}],
                },
            },
        ],
    },
}

ATTEMPT: dict[str, Any] = {
    "id": "att_1a2b3c4d5e6f",
    "eventId": "ev_93c1",
    "eventWindowId": "win_2026w25",
    "leaderboardId": "lb_6f1d2c3b4a59",
    "playerId": "5b0c7c7e-1f3a-4c43-9d7e-2a8f0f1c9e11",
    "startedAt": "2026-06-16T09:00:00.000Z",
    "endsAt": "2026-06-16T09:10:00.000Z",
    "completedAt": None,
    "metrics": {},
    "metricsRaw": {},
    "score": 0,
    "status": "in_progress",
}

START: dict[str, Any] = {
    "attempt": ATTEMPT,
    "leaderboardId": "lb_6f1d2c3b4a59",
    "windowEndsAt": "2026-06-22T00:00:00.000Z",
}

GRANT: dict[str, Any] = {
    "id": "gr_a1b2c3d4e5f6",
    "kind": "reward",
    "contents": {"entries": [{"type": "currency", "currencyKey": "gold", "amount": 50}]},
    "sourceKind": "event_milestone",
    "sourceRefId": "att_1a2b3c4d5e6f",
    "parentGrantId": None,
    "status": "pending",
    "rolledAt": "2026-06-16T09:05:00.000Z",
    "claimedAt": None,
    "expiresAt": None,
    "createdAt": "2026-06-16T09:05:00.000Z",
}

PROGRESS: dict[str, Any] = {
    "attempt": {**ATTEMPT, "metrics": {"kills": 15}, "metricsRaw": {"kills": 15}, "score": 15},
    "milestonesFired": [{"key": "kills_15", "grants": [GRANT]}],
}

CRATE_GRANT: dict[str, Any] = {
    "id": "gr_c1",
    "kind": "crate",
    "status": "claimed",
    "rolledAt": "2026-06-16T09:20:00.000Z",
    "contents": {"entries": [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}]},
    "sourceKind": "event_reward",
    "sourceRefId": "att_1a2b3c4d5e6f",
    "parentGrantId": None,
    "claimedAt": "2026-06-16T09:20:00.000Z",
    "expiresAt": None,
    "createdAt": "2026-06-16T09:15:00.000Z",
}

OPEN: dict[str, Any] = {
    "crate": CRATE_GRANT,
    "contents": {
        "id": "gr_c1r",
        "kind": "reward",
        "status": "pending",
        "rolledAt": "2026-06-16T09:20:00.000Z",
        "contents": {
            "entries": [
                {"type": "currency", "currencyKey": "gold", "amount": 250},
                {"type": "item", "itemKey": "health_potion", "quantity": 2},
            ]
        },
        "sourceKind": "crate",
        "sourceRefId": "gr_c1",
        "parentGrantId": "gr_c1",
        "claimedAt": None,
        "expiresAt": None,
        "createdAt": "2026-06-16T09:20:00.000Z",
    },
}

LOBBY: dict[str, Any] = {
    "id": "lob_7f3a",
    "eventId": "ev_93c1",
    "eventWindowId": "win_2026w25",
    "leaderboardId": "lb_0a9b8c7d6e5f",
    "mode": "lobby_matched",
    "status": "forming",
    "capacity": 4,
    "fillBy": "2026-06-16T09:00:30.000Z",
    "participantCount": 1,
    "botSlots": 2,
    "startedAt": None,
    "endsAt": None,
}

INVENTORY: dict[str, Any] = {
    "items": [
        {
            "itemKey": "health_potion",
            "quantity": 3,
            "metadata": {},
            "createdAt": "2026-06-16T09:20:00.000Z",
            "updatedAt": "2026-06-16T09:25:00.000Z",
        }
    ]
}

WALLET: dict[str, Any] = {
    "wallet": [
        {
            "economyKey": "gold",
            "balance": 150,
            "metadata": {},
            "createdAt": "2026-06-16T09:00:00.000Z",
            "updatedAt": "2026-06-16T09:00:00.000Z",
        },
        {
            "economyKey": "xp",
            "balance": 0,
            "metadata": {},
            "createdAt": "2026-06-16T09:00:00.000Z",
            "updatedAt": "2026-06-16T09:00:00.000Z",
        },
    ]
}

CATALOG: dict[str, Any] = {
    "items": [
        {
            "key": "health_potion",
            "name": "Health Potion",
            "iconUrl": None,
            "description": "Restores 50 HP",
            "itemTypeKey": "consumable",
            "tags": ["potion"],
            "rarity": "common",
            "attributes": {"heal": 50},
        },
        {
            "key": "crate_gold",
            "name": "Gold Crate",
            "iconUrl": None,
            "description": None,
            "itemTypeKey": "crate",
            "tags": [],
            "rarity": "epic",
            "attributes": {},
        },
    ],
    "currencies": [
        {"key": "gold", "name": "Gold", "iconUrl": None, "description": None, "kind": "currency"},
        {
            "key": "xp",
            "name": "Experience",
            "iconUrl": None,
            "description": None,
            "kind": "progression",
        },
    ],
}


# --- examples decode field by field ------------------------------------------------------------


def test_event_listing_decodes_every_field() -> None:
    listing = EventListing.from_wire(LISTING, "data[0]")
    assert listing.event_key == "bounty_hunt"
    assert listing.display_name() == "Bounty Hunt"
    assert listing.window_id == "win_2026w25"
    assert listing.starts_at_dt is not None and listing.starts_at_dt.year == 2026
    assert listing.leaderboard_id == "lb_6f1d2c3b4a59"
    assert listing.current_attempt_id is None
    assert listing.type == "single_metric"
    assert listing.leaderboard_mode == "global"
    assert not listing.is_lobby_matched
    assert listing.metrics[0]["target"] == 15
    assert listing.metric_keys == ["kills"]
    assert listing.entry_requirement is None
    assert listing.entry_cost is not None
    assert listing.entry_cost.currencies[0].key == "gold"
    assert listing.entry_cost.currencies[0].amount == 50
    assert listing.entry_cost.items == []
    assert not listing.is_free
    assert listing.metadata == {"bannerKey": "bounty_red"}
    milestone = listing.milestone_rewards[0]
    assert (milestone.key, milestone.metric_key, milestone.threshold) == ("kills_5", "kills", 5.0)
    assert milestone.entries[0].currency_key == "gold"
    assert milestone.entries[0].amount == 20
    policy = listing.reward_policy
    assert policy.type == "rank_scaled"
    assert [(t.from_rank, t.to_rank) for t in policy.tiers] == [(1, 1), (2, 10)]
    first = policy.tiers[0].bundle
    assert first is not None and first.key == "gold_crate"
    assert first.entries[0].type == "crate"
    assert first.entries[0].crate_item_key == "crate_gold"
    assert first.entries[0].quantity == 1
    assert listing.raw is LISTING or listing.raw == LISTING


def test_event_listing_defaults_when_optional_fields_are_missing() -> None:
    listing = EventListing.from_wire({"eventKey": "tap_frenzy", "name": "Tap"}, "data[0]")
    assert listing.type == "single_metric"
    assert listing.leaderboard_mode == "global"
    assert listing.metrics == []
    assert listing.entry_cost is None
    assert listing.is_free
    assert listing.metadata == {}
    assert listing.milestone_rewards == []
    assert listing.reward_policy.type == "none"


def test_lobby_matched_listing_and_localized_name() -> None:
    listing = EventListing.from_wire(
        {
            "eventKey": "quick_brawl",
            "name": {"en": "Quick Brawl", "pt": "Briga"},
            "leaderboardMode": "lobby_matched",
            "leaderboardId": None,
        },
        "data[0]",
    )
    assert listing.is_lobby_matched
    assert listing.display_name("pt") == "Briga"
    assert listing.display_name("en") == "Quick Brawl"


def test_reward_amount_may_be_a_range() -> None:
    entry = RewardEntryPreview.from_wire(
        {
            "type": "currency",
            "currencyKey": "gold",
            "amount": {"min": 100, "max": 1000, "step": 10},
        },
        "entry",
    )
    assert isinstance(entry.amount, RangeSpec)
    assert (entry.amount.min, entry.amount.max, entry.amount.step) == (100, 1000, 10)
    item = RewardEntryPreview.from_wire(
        {
            "type": "item",
            "itemKey": "health_potion",
            "quantity": {"min": 1, "max": 3},
            "parameters": {"tier": 2},
        },
        "entry",
    )
    assert isinstance(item.quantity, RangeSpec) and item.quantity.step is None
    assert item.parameters == {"tier": 2}
    assert item.resource_key == "health_potion"
    plain = RewardEntryPreview.from_wire(
        {"type": "currency", "currencyKey": "gold", "amount": 5}, "e"
    )
    assert plain.amount == 5 and plain.count == 5


def test_shared_pool_and_fixed_bundle_policies() -> None:
    pool = EventListing.from_wire(
        {
            "eventKey": "e",
            "rewardPolicy": {"type": "shared_pool", "pool": 1000, "currencyKey": "gold"},
        },
        "d",
    ).reward_policy
    assert pool.pool == 1000.0 and pool.currency_key == "gold"
    fixed = EventListing.from_wire(
        {
            "eventKey": "e",
            "rewardPolicy": {
                "type": "fixed_bundle",
                "bundle": {"key": "silver", "name": "Silver", "entries": []},
            },
        },
        "d",
    ).reward_policy
    assert fixed.bundle is not None and fixed.bundle.key == "silver"


def test_start_attempt_response() -> None:
    start = StartAttemptResponse.from_wire(START, "data")
    assert start.leaderboard_id == "lb_6f1d2c3b4a59"
    assert start.window_ends_at == "2026-06-22T00:00:00.000Z"
    attempt = start.attempt
    assert attempt.id == "att_1a2b3c4d5e6f"
    assert attempt.event_id == "ev_93c1"
    assert attempt.event_window_id == "win_2026w25"
    assert attempt.player_id.startswith("5b0c7c7e")
    assert attempt.completed_at is None and attempt.completed_at_dt is None
    assert attempt.metrics == {} and attempt.metrics_raw == {}
    assert attempt.score == 0.0
    assert attempt.is_in_progress and not attempt.is_completed
    assert attempt.ends_at_dt is not None


def test_progress_response_with_milestone_and_grant() -> None:
    progress = ProgressResponse.from_wire(PROGRESS, "data")
    assert progress.attempt.metrics == {"kills": 15.0}
    assert progress.attempt.metrics_raw == {"kills": 15.0}
    assert progress.attempt.score == 15.0
    fired = progress.milestones_fired[0]
    assert fired.key == "kills_15"
    grant = fired.grants[0]
    assert grant.source_kind == "event_milestone"
    assert grant.is_pending and not grant.is_crate
    assert grant.entries[0].amount == 50


def test_progress_response_tolerates_missing_milestones_fired() -> None:
    """A backend that omits ``milestonesFired`` decodes to an empty list."""
    body = {"attempt": ATTEMPT}
    assert ProgressResponse.from_wire(body, "data").milestones_fired == []
    assert (
        ProgressResponse.from_wire({**body, "milestonesFired": None}, "data").milestones_fired == []
    )


def test_fractional_metric_values() -> None:
    progress = ProgressResponse.from_wire(
        {"attempt": {**ATTEMPT, "metrics": {"distance": 12.5}, "score": 12.5}}, "data"
    )
    assert progress.attempt.metrics["distance"] == 12.5


def test_finish_attempt_response() -> None:
    finish = FinishAttemptResponse.from_wire(
        {
            "attempt": {
                **ATTEMPT,
                "status": "completed",
                "completedAt": "2026-06-16T09:06:00.000Z",
            },
            "outcome": "completed",
        },
        "data",
    )
    assert finish.outcome == "completed"
    assert finish.attempt.is_completed
    assert finish.attempt.completed_at_dt is not None


def test_grant_decodes_every_field() -> None:
    grant = Grant.from_wire(GRANT, "data[0]")
    assert grant.id == "gr_a1b2c3d4e5f6"
    assert grant.kind == "reward"
    assert grant.source_ref_id == "att_1a2b3c4d5e6f"
    assert grant.parent_grant_id is None
    assert grant.rolled_at == "2026-06-16T09:05:00.000Z"
    assert grant.claimed_at is None and grant.expires_at is None and grant.expires_at_dt is None
    assert grant.created_at_dt is not None
    assert grant.contents.entries[0].currency_key == "gold"


def test_open_crate_response() -> None:
    opened = OpenCrateResponse.from_wire(OPEN, "data")
    assert opened.crate.is_crate and opened.crate.status == "claimed"
    assert opened.contents.parent_grant_id == "gr_c1"
    assert opened.contents.is_pending
    assert [e.type for e in opened.contents.entries] == ["currency", "item"]
    assert opened.contents.entries[1].quantity == 2


def test_collect_all_result_has_failures() -> None:
    assert not CollectAllResult().has_failures
    assert CollectAllResult().processed == 0


def test_lobby_and_filled_slots() -> None:
    lobby = Lobby.from_wire(LOBBY, "data")
    assert lobby.id == "lob_7f3a"
    assert lobby.mode == "lobby_matched"
    assert lobby.is_forming and not lobby.is_active
    assert lobby.capacity == 4 and lobby.participant_count == 1 and lobby.bot_slots == 2
    assert lobby.filled_slots == 3
    assert lobby.fill_by_dt is not None
    assert lobby.started_at is None and lobby.ends_at is None


def test_filled_slots_is_clamped_to_capacity() -> None:
    """3 humans + 5 projected bots in a lobby of 4 fill 4 seats."""
    lobby = Lobby.from_wire({**LOBBY, "participantCount": 3, "botSlots": 5}, "data")
    assert lobby.filled_slots == 4


def test_lobby_bot_slots_defaults_to_zero() -> None:
    body = {k: v for k, v in LOBBY.items() if k != "botSlots"}
    assert Lobby.from_wire(body, "data").bot_slots == 0


def test_inventory_and_wallet_wrappers() -> None:
    items = InventoryList.from_wire(INVENTORY, "data").items
    assert items[0].item_key == "health_potion" and items[0].quantity == 3
    assert items[0].updated_at == "2026-06-16T09:25:00.000Z"
    wallet = WalletList.from_wire(WALLET, "data").wallet
    assert [(w.economy_key, w.balance) for w in wallet] == [("gold", 150), ("xp", 0)]


def test_consume_and_debit_results() -> None:
    consumed = ConsumeItemResult.from_wire(
        {"itemKey": "health_potion", "quantity": 2, "applied": True}, "d"
    )
    assert (consumed.item_key, consumed.quantity, consumed.applied) == ("health_potion", 2, True)
    debited = DebitWalletResult.from_wire(
        {"economyKey": "gold", "balance": 50, "applied": False}, "d"
    )
    assert (debited.economy_key, debited.balance, debited.applied) == ("gold", 50, False)


def test_catalog() -> None:
    catalog = Catalog.from_wire(CATALOG, "data")
    potion = catalog.item("health_potion")
    assert potion is not None
    assert potion.display_name() == "Health Potion"
    assert potion.description == "Restores 50 HP"
    assert potion.item_type_key == "consumable"
    assert potion.tags == ["potion"] and potion.rarity == "common"
    assert potion.attributes == {"heal": 50}
    crate = catalog.item("crate_gold")
    assert crate is not None and crate.description is None and crate.icon_url is None
    xp = catalog.currency("xp")
    assert xp is not None and xp.kind == "progression"
    assert catalog.currency("nope") is None
    gems = CatalogCurrency.from_wire({"key": "gems", "name": {"en": "Gems"}}, "d")
    assert gems.kind == "currency" and gems.display_name() == "Gems"


# --- tolerance ---------------------------------------------------------------------------------


def test_unknown_fields_are_tolerated_and_kept_in_raw() -> None:
    body = copy.deepcopy(GRANT)
    body["futureField"] = {"x": 1}
    body["contents"]["bonus"] = True
    grant = Grant.from_wire(body, "data")
    assert grant.raw["futureField"] == {"x": 1}
    assert grant.contents.raw["bonus"] is True


def test_null_on_a_required_field_gives_its_default() -> None:
    listing = EventListing.from_wire({**LISTING, "metrics": None, "metadata": None}, "d")
    assert listing.metrics == [] and listing.metadata == {}


def test_decode_list_of_listings() -> None:
    listings = decode_list(EventListing, [LISTING, {**LISTING, "eventKey": "b"}], "data")
    assert [x.event_key for x in listings] == ["bounty_hunt", "b"]


def test_dataclasses_json_reference_path_matches() -> None:
    """``from_dict`` (dataclasses-json, slow path) reads the same wire names."""
    grant = Grant.from_dict(GRANT)
    assert grant.source_kind == "event_milestone"
    assert grant.contents.entries[0].currency_key == "gold"
    lobby = Lobby.from_dict(LOBBY)
    assert lobby.filled_slots == 3


# --- wrong JSON types name the field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body", "path"),
    [
        (EventListing, {**LISTING, "eventKey": 7}, "data[0].eventKey"),
        (
            EventListing,
            {**LISTING, "entryCost": {"currencies": [{"key": "gold", "amount": "50"}]}},
            "data[0].entryCost.currencies[0].amount",
        ),
        (
            EventListing,
            {**LISTING, "milestoneRewards": [{"key": "m", "threshold": "five"}]},
            "data[0].milestoneRewards[0].threshold",
        ),
        (EventListing, {**LISTING, "metrics": {"kills": 1}}, "data[0].metrics"),
        (
            Grant,
            {**GRANT, "contents": {"entries": [{"type": "currency", "amount": "lots"}]}},
            "data[0].contents.entries[0].amount",
        ),
        (Lobby, {**LOBBY, "capacity": "four"}, "data[0].capacity"),
        (Lobby, {**LOBBY, "botSlots": 1.5}, "data[0].botSlots"),
        (Lobby, {**LOBBY, "participantCount": True}, "data[0].participantCount"),
    ],
)
def test_wrong_type_raises_protocol_error_naming_the_field(
    model: Any, body: Any, path: str
) -> None:
    with pytest.raises(KratyProtocolError) as info:
        model.from_wire(body, "data[0]")
    assert path in str(info.value)


def test_wrong_nested_type_in_progress_names_the_grant() -> None:
    body = copy.deepcopy(PROGRESS)
    body["milestonesFired"][0]["grants"][0]["createdAt"] = 12
    with pytest.raises(KratyProtocolError) as info:
        ProgressResponse.from_wire(body, "data")
    assert "data.milestonesFired[0].grants[0].createdAt" in str(info.value)


def test_non_object_payload_is_a_protocol_error() -> None:
    with pytest.raises(KratyProtocolError):
        Lobby.from_wire(["not", "an", "object"], "data")


# --- input DTOs --------------------------------------------------------------------------------


def test_progress_input_body_omits_unset_fields() -> None:
    assert ProgressInput(mode="set").to_body() == {"mode": "set"}
    body = ProgressInput(
        mode="increment", metric_value=1, occurred_at="2026-06-16T09:00:00.000Z"
    ).to_body()
    assert body == {"mode": "increment", "metricValue": 1, "occurredAt": "2026-06-16T09:00:00.000Z"}
    body = ProgressInput(mode="set", metrics={"a": 1.5}).to_body()
    assert body == {"mode": "set", "metrics": {"a": 1.5}}


def test_consume_and_debit_input_bodies() -> None:
    assert ConsumeItemInput(quantity=1).to_body() == {"quantity": 1}
    assert ConsumeItemInput(quantity=2, reason="heal").to_body() == {
        "quantity": 2,
        "reason": "heal",
    }
    assert DebitWalletInput(amount=100).to_body() == {"amount": 100}
    assert DebitWalletInput(amount=5, reason="shop").to_body() == {"amount": 5, "reason": "shop"}
