"""Load a TOML game config: ``tomllib`` reads it, the pydantic models validate it.

Every problem is reported as ``<file>:<line>: <toml.key.path>: <what is wrong>``; a
syntax error as ``<file>:<line>:<column>: TOML syntax error: …``. Unknown keys are
errors too (a typo must not silently fall back to a default). :class:`ConfigError`
stops start-up.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from kraty_pygame.emulator.config.checks import check
from kraty_pygame.emulator.config.lines import KeyLines
from kraty_pygame.emulator.config.models import ConfigFile, GameConfig, PlatformConfig
from kraty_pygame.emulator.config.problems import ConfigError, Report

__all__ = ["ConfigError", "demo_config_text", "load_config", "parse_config", "parse_config_text"]

_TOML_POS_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)")
DEMO_CONFIG_NAME: Final = "<bundled demo config: kraty_pygame/emulator/data/demo.toml>"


def _no_line(path: str) -> int | None:
    return None


def _game_defaults(data: Any) -> dict[str, Any]:
    """``[game]`` values that other tables take as their defaults."""
    game = data.get("game") if isinstance(data, dict) else None
    if not isinstance(game, dict):
        return {}
    return {"timezone": game.get("timezone"), "fill_strategy": game.get("lobby_fill_strategy")}


def parse_config(data: dict[str, Any], source: str, text: str | None = None) -> GameConfig:
    """Validate an already-parsed TOML document (``text``, when given, adds line numbers).

    Raises:
        ConfigError: naming ``source`` and the key path of every problem.
    """
    report = Report(source, _no_line if text is None else KeyLines(text).line)
    try:
        file = ConfigFile.model_validate(data, context=_game_defaults(data))
    except ValidationError as exc:
        report.add(exc)
        raise ConfigError(source, report.problems) from None
    cfg = GameConfig(
        source=source,
        emulator=file.emulator,
        game=file.game,
        api_keys=file.api_keys,
        currencies=file.currencies,
        items=file.items,
        crates=file.crates,
        reward_bundles=file.reward_bundles,
        events=file.events,
        leaderboards=file.leaderboards,
        seed_players=file.seed.players,
        seed_bots=file.seed.bots,
        new_player=file.seed.new_player,
        platform=PlatformConfig(friends=file.friends, gifting=file.gifting),
    )
    check(report, cfg)
    if report.problems:
        raise ConfigError(source, report.problems)
    return cfg


def parse_config_text(text: str, source: str = "<string>") -> GameConfig:
    """Parse and validate TOML text.

    Raises:
        ConfigError: a syntax error (with its line and column) or invalid content.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS_RE.search(message)
        where = f"{source}:{match.group(1)}:{match.group(2)}" if match else source
        detail = _TOML_POS_RE.sub("", message).strip()
        line = f"line {match.group(1)}, column {match.group(2)}: " if match else ""
        raise ConfigError(source, [f"{where}: TOML syntax error: {line}{detail}"]) from None
    return parse_config(data, source, text)


def demo_config_text() -> str:
    """The bundled demo config (``kraty_pygame/emulator/data/demo.toml``)."""
    return (
        resources.files("kraty_pygame.emulator")
        .joinpath("data/demo.toml")
        .read_text(encoding="utf-8")
    )


def load_config(path: str | Path | None = None) -> GameConfig:
    """Load a config file; ``None`` loads the bundled demo config.

    Raises:
        ConfigError: the file is missing, unreadable or invalid.
    """
    if path is None:
        return parse_config_text(demo_config_text(), DEMO_CONFIG_NAME)
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            source, [f"{source}: cannot read the config file: {exc.strerror}"]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(source, [f"{source}: the config file is not UTF-8 text"]) from None
    return parse_config_text(text, source)
