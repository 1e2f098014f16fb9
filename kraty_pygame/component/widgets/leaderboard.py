"""``LeaderboardPanel``: a live top-N table fed by ``KRATY_LEADERBOARD`` events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from kraty_pygame.component.event_types import KRATY_LEADERBOARD
from kraty_pygame.component.widgets.theme import TextCache, WidgetTheme

__all__ = ["LeaderboardPanel", "PanelRow"]


@dataclass
class PanelRow:
    """One displayed row."""

    participant_id: str
    name: str
    score: float
    rank: int
    is_self: bool = False
    is_bot: bool = False


class LeaderboardPanel:
    """A leaderboard drawn onto any surface, kept current by the component's events.

    A ``snapshot`` replaces every row; a ``score_update`` moves one participant to its
    new rank (the rows it passes shift by one, as the server's ranking implies); a
    ``finalized`` event shows the final standings and marks the board final.

    Args:
        leaderboard_id: only events of this board are taken (``None``: the first board
            seen, then only that one).
        theme: colours and fonts.
        rows: rows shown (top N).
        title: the caption above the rows.
        self_participant_id: highlight this participant (snapshots with
            ``include_self`` mark the player's row by themselves).
    """

    def __init__(
        self,
        leaderboard_id: str | None = None,
        theme: WidgetTheme | None = None,
        *,
        rows: int = 10,
        title: str = "Leaderboard",
        self_participant_id: str | None = None,
    ) -> None:
        self.leaderboard_id = leaderboard_id
        self.theme = theme or WidgetTheme()
        self.max_rows = rows
        self.title = title
        self.self_participant_id = self_participant_id
        self.finalized = False
        self._rows: dict[str, PanelRow] = {}
        self._ordered: list[PanelRow] | None = None  # rows in rank order; None: re-sort
        self._text = TextCache(self.theme)

    @property
    def rows(self) -> list[PanelRow]:
        """Every known row in rank order (sorted again only after a change)."""
        return list(self._ranked())

    def _ranked(self) -> list[PanelRow]:
        ordered = self._ordered
        if ordered is None:
            ordered = sorted(
                self._rows.values(), key=lambda r: (r.rank, -r.score, r.participant_id)
            )
            self._ordered = ordered
        return ordered

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Apply a ``KRATY_LEADERBOARD`` event of this board; True if it changed the panel."""
        if event.type != KRATY_LEADERBOARD:
            return False
        if self.leaderboard_id is None:
            self.leaderboard_id = event.leaderboard_id
        elif event.leaderboard_id != self.leaderboard_id:
            return False
        kind = event.kind
        if kind == "snapshot" and event.board is not None:
            self.set_board(event.board)
            return True
        if kind == "score_update" and event.entry is not None:
            self.apply_update(event.entry)
            return True
        if kind == "finalized" and event.board is not None:
            self.finalized = True
            standings = getattr(event.board, "standings", None) or []
            if standings:
                self._replace(standings)
            return True
        return False

    def set_board(self, board: Any) -> None:
        """Show a board read (``EventLeaderboard`` or keyed ``Leaderboard``)."""
        self.finalized = bool(getattr(board, "finalized", False))
        self._replace(getattr(board, "entries", None) or [])

    def _replace(self, entries: list[Any]) -> None:
        self._ordered = None
        self._rows = {}
        for entry in entries:
            row = self._row(entry)
            self._rows[row.participant_id] = row

    def _row(self, entry: Any) -> PanelRow:
        pid = str(getattr(entry, "participant_id", ""))
        return PanelRow(
            participant_id=pid,
            name=str(getattr(entry, "name", None) or pid[:8] or "?"),
            score=float(getattr(entry, "score", 0.0) or 0.0),
            rank=int(getattr(entry, "rank", 0) or 0),
            is_self=bool(getattr(entry, "is_self", False)) or pid == self.self_participant_id,
            is_bot=getattr(entry, "kind", "") == "bot",
        )

    def apply_update(self, update: Any) -> None:
        """Move one participant to its new score and rank (``LeaderboardScoreUpdate``)."""
        self._ordered = None
        new = self._row(update)
        old = self._rows.get(new.participant_id)
        if old is not None:
            new.is_self = new.is_self or old.is_self
            if not getattr(update, "name", None):
                new.name = old.name
        if new.rank > 0:
            old_rank = old.rank if old is not None and old.rank > 0 else None
            for row in self._rows.values():
                if row is old:
                    continue
                if old_rank is None:
                    if row.rank >= new.rank:
                        row.rank += 1
                elif new.rank < old_rank:
                    if new.rank <= row.rank < old_rank:
                        row.rank += 1
                elif old_rank < row.rank <= new.rank:
                    row.rank -= 1
        self._rows[new.participant_id] = new

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Draw the panel into ``rect`` of ``surface``."""
        theme = self.theme
        pad = theme.padding
        panel = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.rect(panel, theme.background, panel.get_rect(), border_radius=theme.radius)
        pygame.draw.rect(panel, theme.border, panel.get_rect(), 1, border_radius=theme.radius)
        caption = self.title + ("  (final)" if self.finalized else "")
        title = self._text.fit(caption, theme.accent, rect.width - 2 * pad, theme.title_size)
        panel.blit(title, (pad, pad))
        y = pad + title.get_height() + 4
        line = theme.font().get_linesize() + 4
        rank_w = theme.font().size("999.")[0]
        score_w = theme.font().size("0000000")[0]
        for row in self._ranked()[: self.max_rows]:
            if y + line > rect.height - pad:
                break
            if row.is_self:
                band = pygame.Rect(pad // 2, y - 2, rect.width - pad, line)
                pygame.draw.rect(panel, theme.self_row, band, border_radius=theme.radius // 2)
            colour = theme.muted if row.is_bot else theme.text
            panel.blit(self._text.render(f"{row.rank}.", theme.muted), (pad, y))
            name_w = rect.width - 2 * pad - rank_w - score_w - 8
            panel.blit(self._text.fit(row.name, colour, max(name_w, 10)), (pad + rank_w + 4, y))
            score = self._text.render(f"{row.score:g}", colour)
            panel.blit(score, (rect.width - pad - score.get_width(), y))
            y += line
        if not self._rows:
            panel.blit(self._text.render("waiting for scores…", theme.muted), (pad, y))
        surface.blit(panel, rect)
