"""Config loading: the demo config, and errors naming file, key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraty_pygame.emulator.config.loader import (
    ConfigError,
    demo_config_text,
    load_config,
    parse_config_text,
)
from kraty_pygame.emulator.settings import EmulatorSettings, is_loopback


def test_demo_config_has_the_contracted_content() -> None:
    cfg = load_config()
    assert [k.key for k in cfg.api_keys] == [
        "kr_test.client-demo",
        "kr_test.server-demo",
        "kr_live.client-demo",
    ]
    assert {e.key for e in cfg.events} == {
        "tap_frenzy",
        "bounty_hunt",
        "daily_duel",
        "elite_trial",
        "quick_brawl",
        "winter_cup",
        "coming_soon",
    }
    assert {c.key for c in cfg.currencies} >= {"gold", "gems", "xp", "level"}
    assert {i.key for i in cfg.items} == {"health_potion", "hunter_badge", "crate_gold"}
    tap = cfg.event("tap_frenzy")
    assert tap is not None and [m.key for m in tap.milestones] == ["taps_5", "taps_15", "taps_30"]
    bounty = cfg.event("bounty_hunt")
    assert bounty is not None and bounty.entry_cost.currencies == (("gold", 50),)
    assert bounty.schedule.start_offset_s is not None  # relative to the emulator epoch
    brawl = cfg.event("quick_brawl")
    assert brawl is not None and brawl.lobby is not None and brawl.lobby.capacity == 4
    assert cfg.seed_players[0].external_id == "player_42"
    assert cfg.new_player.wallet == {"gold": 200}
    assert cfg.leaderboards[0].key == "weekly_global"


def _problems(text: str, source: str = "game.toml") -> str:
    with pytest.raises(ConfigError) as exc:
        parse_config_text(text, source)
    return str(exc.value)


_BASE = """
[[api_keys]]
key = "kr_test.a"
permission_set = "client_sdk"
[[currencies]]
key = "gold"
name = "Gold"
"""


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "[game]\ninventory_management = 'sometimes'\n",
            "game.inventory_management: must be one of",
        ),
        ("[game]\nnmae = 'typo'\n", "game.nmae: unknown key"),
        ("[emulator]\nport = 'x'\n", "emulator.port: expected an integer"),
        ("[emulator]\nfail_rate = 2.0\n", "emulator.fail_rate: must be between 0 and 1"),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n",
            "events[0].metrics: an event needs at least one metric",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\n"
            "[events.schedule]\nkind = 'once'\nduration_s = 10\n",
            "events[0].schedule: a once schedule needs exactly one of start or start_offset_s",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\n"
            "[events.entry_cost]\ncurrencies = [{ key = 'gems', amount = 5 }]\n",
            "events[0].entry_cost.currencies: unknown currency 'gems'",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\nleaderboard_mode = 'lobby_matched'\n"
            "[[events.metrics]]\nkey = 'm'\n",
            "events[0].lobby: a lobby_matched event needs",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\n"
            "[events.unlock_condition]\nsome = []\n",
            "events[0].unlock_condition.some: unknown condition",
        ),
        (
            "[[leaderboards]]\nkey = 'lb_0123456789ab'\n",
            "leaderboards[0].key: a board key must not look like",
        ),
        (
            "[seed.new_player]\nwallet = { diamonds = 3 }\n",
            "seed.new_player.wallet.diamonds: unknown currency",
        ),
        (
            "[[items]]\nkey = 'c'\nname = 'C'\ncrate = 'missing'\n",
            "items[0].crate: no [crates.missing] table",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\ntarget = 'x'\n",
            "events[0].metrics[0].target: expected a number, got string",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\nbogus = 1\n",
            "events[0].metrics[0].bogus: unknown key",
        ),
        (
            "[reward_bundles.b]\nentries = [{ type = 'gem' }]\n",
            "reward_bundles.b.entries[0].type: must be one of currency, item, crate; got 'gem'",
        ),
        (
            "[reward_bundles.b]\n"
            "entries = [{ type = 'currency', currencyKey = 'gold',"
            " amount = { min = 5, max = 2 } }]\n",
            "reward_bundles.b.entries[0].amount: max (2) is below min (5)",
        ),
        (
            "[[currencies]]\nkey = 'lvl'\nname = 'L'\nlevel_rewards = { x = [] }\n",
            "currencies[1].level_rewards.x: level keys are integers",
        ),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\n"
            "[events.entry_requirement]\nall = [{ balance = { key = 'gold', min = -1 } }]\n",
            "events[0].entry_requirement.all[0].balance.min: must be >= 0, got -1",
        ),
    ],
)
def test_errors_name_the_file_and_key_path(snippet: str, expected: str) -> None:
    message = _problems(_BASE + snippet)
    assert "game.toml:" in message
    assert expected in message


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("[game]\nid = 'g'\nnmae = 'typo'\n", "game.toml:10: game.nmae: unknown key"),
        (
            "[[events]]\nkey = 'e'\nname = 'E'\n[[events.metrics]]\nkey = 'm'\n"
            "[[events]]\nkey = 'f'\nname = 'F'\n[[events.metrics]]\nkey = 'm'\n"
            "[[events.milestones]]\nkey = 'x'\nmetric = 'm'\nthreshold = 'high'\nentries = []\n",
            "game.toml:21: events[1].milestones[0].threshold: expected a number",
        ),
        (  # a key inside an inline table: the line of the enclosing key
            "[seed.new_player]\nwallet = { diamonds = 3 }\n",
            "game.toml:9: seed.new_player.wallet.diamonds: unknown currency",
        ),
        (  # look-alike lines inside a multi-line string are text, not keys
            'notes = """\n[emulator]\nport = 1\n"""\n[emulator]\nport = "x"\n',
            "game.toml:13: emulator.port: expected an integer",
        ),
        (  # a problem with no key in the file names the file only
            "",
            "game.toml: api_keys: at least one client_sdk key",
        ),
    ],
)
def test_errors_name_the_line_of_the_key(snippet: str, expected: str) -> None:
    base = _BASE if snippet else _BASE.replace("client_sdk", "server_integration")
    assert expected in _problems(base + snippet)


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[game]\nid = 'ok'\nname = = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert f"{path}:3:" in str(exc.value) and "TOML syntax error" in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.toml")
    assert "nope.toml" in str(exc.value)


def test_config_env_var_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "game.toml"
    path.write_text(
        demo_config_text().replace('name = "Kraty Demo"', 'name = "Env Game"'), encoding="utf-8"
    )
    monkeypatch.setenv("KRATY_EMULATOR_CONFIG", str(path))
    assert load_config(EmulatorSettings().config_path()).game.name == "Env Game"


def test_control_plane_default_follows_the_host() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert EmulatorSettings(host="127.0.0.1").control_plane_enabled()
    assert not EmulatorSettings(host="0.0.0.0").control_plane_enabled()
    assert EmulatorSettings(host="0.0.0.0", control_plane=True).control_plane_enabled()
