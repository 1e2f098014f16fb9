"""Crate rolls (A.4): seeded, deterministic per grant, and true to the roll table."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.emu_http import SERVER_KEY, RawClient

pytestmark = pytest.mark.emulator

CRATE = [{"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}]
#: crates.gold of the demo config: weights 60 / 30 / 10, two rolls, 25 gold guaranteed.
WEIGHTS = {"gold_100": 60, "potion_2": 30, "badge_1": 10}


def _open_crates(
    client: RawClient, ext: str, secret: str, count: int
) -> list[list[dict[str, Any]]]:
    contents = []
    for _ in range(count):
        grant = client.post(
            f"/server/v1/players/{ext}/grants", {"kind": "crate", "entries": CRATE}, key=SERVER_KEY
        )
        assert grant.status == 201, grant.body
        opened = client.post(f"/sdk/v1/players/{ext}/crates/{grant.data['id']}/open", secret=secret)
        assert opened.status == 200, opened.body
        contents.append(opened.data["contents"]["contents"]["entries"])
    return contents


def _category(entry: dict[str, Any]) -> str:
    if entry["type"] == "currency":
        return f"gold_{entry['amount']}"
    return f"{'potion' if entry['itemKey'] == 'health_potion' else 'badge'}_{entry['quantity']}"


def chi_square_p_value_df2(
    observed: dict[str, int], weights: dict[str, int]
) -> tuple[float, float]:
    """Pearson's statistic and its exact p-value for 2 degrees of freedom (exp(-x/2))."""
    total = sum(observed.values())
    weight_sum = sum(weights.values())
    stat = sum(
        (observed.get(k, 0) - total * w / weight_sum) ** 2 / (total * w / weight_sum)
        for k, w in weights.items()
    )
    return stat, math.exp(-stat / 2)


def test_chi_square_p_value_helper() -> None:
    # the 0.01 critical value of chi-square with 2 dof is 9.2103
    _stat, p = chi_square_p_value_df2({"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 1})
    assert p == 1.0
    assert abs(math.exp(-9.2103 / 2) - 0.01) < 1e-4


@pytest.mark.slow
def test_1000_openings_match_the_roll_table(client: RawClient) -> None:
    ext, secret = client.register()
    rolled: Counter[str] = Counter()
    for entries in _open_crates(client, ext, secret, 1000):
        assert entries[0] == {"type": "currency", "currencyKey": "gold", "amount": 25}
        assert len(entries) == 3  # guaranteed + two rolls
        rolled.update(_category(e) for e in entries[1:])
    assert sum(rolled.values()) == 2000 and set(rolled) <= set(WEIGHTS)
    stat, p = chi_square_p_value_df2(dict(rolled), WEIGHTS)
    print(f"crate rolls {dict(rolled)} chi2={stat:.3f} p={p:.4f}")
    assert p >= 0.01


def test_rolls_are_deterministic_per_seed(emu: EmbeddedEmulator, client: RawClient) -> None:
    ext = "kp_" + "a" * 32
    _, secret = client.register(ext)
    first = _open_crates(client, ext, secret, 8)
    emu.reset()
    _, secret = client.register(ext)
    assert _open_crates(client, ext, secret, 8) == first
