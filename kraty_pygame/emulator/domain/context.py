"""What domain code reads of the running emulator, as a narrow typed protocol."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kraty_pygame.emulator.config.models import GameConfig
    from kraty_pygame.emulator.domain.leaderboards.boards import Publisher


class GameContext(Protocol):
    """The game config, the RNG seed of ids and rolls, the epoch of relative windows
    and the broadcaster of board streams (the runtime provides all four)."""

    @property
    def config(self) -> GameConfig: ...

    @property
    def rng_seed(self) -> int: ...

    @property
    def epoch(self) -> datetime: ...

    @property
    def broadcaster(self) -> Publisher: ...
