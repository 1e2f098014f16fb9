"""1,000 crate openings through the SDK match the demo roll table (chi-square, p >= 0.01).

``crate_gold`` (the demo config's roll table): a guaranteed 25 gold, then 2 independent draws
weighted 60 (100 gold) / 30 (2 health potions) / 10 (1 hunter badge). The crates are
minted by a studio backend stand-in over ``/server/v1`` (the client SDK cannot mint),
then opened with ``kraty.grants.open``. Ids and rolls derive from the emulator's seed, so
the counts are the same on every run.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
import requests

from kraty_pygame.sdk import Grant, Kraty, RewardEntryPreview

if TYPE_CHECKING:
    from kraty_pygame.emulator import EmbeddedEmulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

OPENINGS = 1000
WORKERS = 4
DRAWS_PER_OPENING = 2
WEIGHTS = {"gold_100": 60, "potion_2": 30, "badge_1": 10}


def _outcome(entry: RewardEntryPreview) -> str:
    if entry.type == "currency" and entry.currency_key == "gold" and entry.amount == 100:
        return "gold_100"
    if entry.type == "item" and entry.item_key == "health_potion" and entry.quantity == 2:
        return "potion_2"
    if entry.type == "item" and entry.item_key == "hunter_badge" and entry.quantity == 1:
        return "badge_1"
    return f"unexpected {entry.raw}"


def _mint_crates(emulator: EmbeddedEmulator, player_id: str, count: int) -> None:
    """Create ``count`` pending crates over ``/server/v1`` (a few threads, a session each)."""
    url = f"{emulator.base_url}/server/v1/players/{player_id}/grants"
    headers = {"authorization": f"Bearer {emulator.server_api_key}"}
    local = threading.local()
    sessions: list[requests.Session] = []

    def mint(i: int) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            sessions.append(session)
        body = {
            "idempotencyKey": f"mint-crate-{i}",
            "kind": "crate",
            "sourceKind": "api",
            "entries": [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}],
        }
        return session.post(url, json=body, headers=headers, timeout=10).status_code

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            assert set(pool.map(mint, range(count))) == {201}
    finally:
        for session in sessions:
            session.close()


def _open_all(kraty: Kraty, crates: list[Grant]) -> list[list[RewardEntryPreview]]:
    """Open ``crates`` on a few threads (each opening is one independent request)."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda crate: kraty.grants.open(crate.id).contents.entries, crates))


def test_crate_rolls_match_the_table(kraty: Kraty, kraty_emulator: EmbeddedEmulator) -> None:
    player = kraty.ensure_identity().external_player_id
    _mint_crates(kraty_emulator, player, OPENINGS)

    crates = [g for g in kraty.grants.list_pending(limit=200) if g.is_crate]
    counts: Counter[str] = Counter()
    opened = 0
    while crates:
        for entries in _open_all(kraty, crates):
            guaranteed, *draws = entries
            assert (guaranteed.currency_key, guaranteed.amount) == ("gold", 25)
            assert len(draws) == DRAWS_PER_OPENING
            counts.update(_outcome(e) for e in draws)
            opened += 1
        crates = [g for g in kraty.grants.list_pending(limit=200) if g.is_crate]
    assert opened == OPENINGS
    assert set(counts) == set(WEIGHTS), counts

    total = OPENINGS * DRAWS_PER_OPENING
    weight_sum = sum(WEIGHTS.values())
    statistic = sum(
        (counts[k] - total * w / weight_sum) ** 2 / (total * w / weight_sum)
        for k, w in WEIGHTS.items()
    )
    p_value = math.exp(-statistic / 2)  # chi-square survival function with 2 degrees of freedom
    assert p_value >= 0.01, (dict(counts), statistic, p_value)
