"""Builds the :class:`~.boards.BoardServices` of one emulator app from its runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kraty_pygame.emulator.domain import grants
from kraty_pygame.emulator.domain.leaderboards import event_boards
from kraty_pygame.emulator.domain.leaderboards.boards import BoardServices
from kraty_pygame.emulator.domain.leaderboards.keyed_boards import (
    PlayerRef,
    attempt_context,
    contribute,
)
from kraty_pygame.emulator.store import Transaction

if TYPE_CHECKING:
    from kraty_pygame.emulator.domain.context import GameContext


def board_services(rt: GameContext) -> BoardServices:
    """The services board writes use: the app's broadcaster, its config and grants."""

    def create_grant(tx: Transaction, **kw: Any) -> Any:
        return grants.create_pending_grant(tx.conn, rt, **kw)

    def contribution(tx: Transaction, **kw: Any) -> None:
        player = PlayerRef(kw["player_id"], kw["external_player_id"], kw["display_name"])
        contribute(
            tx.conn,
            rt.config.leaderboards,
            player,
            event_key=kw["event_key"],
            attempt_score=kw["attempt_score"],
            board_best=kw["board_best"],
            previous_best=kw["previous_best"],
            now=kw["now"],
            seed_bots=rt.config.seed_bots,
            context=attempt_context(tx.conn, kw["player_id"], kw["event_key"]),
            tz=rt.config.game.timezone,
        )

    return BoardServices(
        publisher=rt.broadcaster,
        board_factory=lambda conn, lb, _key, now: event_boards.resolve(conn, rt, lb, now),
        contribution=contribution,
        config=rt.config,
        create_grant=create_grant,
        event_id=event_boards.event_id,
    )
