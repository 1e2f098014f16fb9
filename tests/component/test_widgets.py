"""Drop-in widgets: they take the component's events and draw onto any surface."""

from __future__ import annotations

import pygame
import pytest

from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_GRANTS,
    KRATY_LEADERBOARD,
    KRATY_LOBBY,
    KRATY_MILESTONE,
    KRATY_SYNC,
)
from kraty_pygame.component.widgets import (
    LeaderboardPanel,
    LobbyBar,
    SyncBadge,
    ToastStack,
    WidgetTheme,
    catalog_names,
    describe_grants,
)
from kraty_pygame.sdk.models.catalog import Catalog
from kraty_pygame.sdk.models.events import MilestoneFired
from kraty_pygame.sdk.models.grants import Grant, GrantContents, RewardEntryPreview
from kraty_pygame.sdk.models.leaderboards import (
    EventLeaderboard,
    LeaderboardEntry,
    LeaderboardFinalized,
    LeaderboardScoreUpdate,
)
from kraty_pygame.sdk.models.lobbies import Lobby

pytestmark = pytest.mark.headless

GOLD = Grant(
    id="g1",
    kind="reward",
    contents=GrantContents(
        entries=[RewardEntryPreview(type="currency", currency_key="gold", amount=10)]
    ),
    status="pending",
)


def painted(surface: pygame.Surface, rect: pygame.Rect) -> bool:
    """True when something was drawn in ``rect`` of a surface that started black."""
    black = pygame.Color(0, 0, 0, 255)
    return any(
        surface.get_at((x, y)) != black
        for x in range(rect.left, rect.right, 3)
        for y in range(rect.top, rect.bottom, 3)
    )


def test_toasts_come_from_milestones_and_poller_grants_then_fade(pygame_headless: None) -> None:
    stack = ToastStack(WidgetTheme(toast_seconds=1.0, fade_seconds=0.5), max_toasts=3)
    milestone = pygame.event.Event(
        KRATY_MILESTONE,
        event_key="tap_frenzy", attempt_id="a", milestone=MilestoneFired(key="taps_5"),
        grants=[GOLD],
    )
    assert stack.handle_event(milestone)
    assert not stack.handle_event(
        pygame.event.Event(KRATY_GRANTS, grants=[GOLD], source="milestone")
    )
    assert stack.handle_event(pygame.event.Event(KRATY_GRANTS, grants=[GOLD], source="poller"))
    assert [(t.title, t.body) for t in stack.toasts] == [
        ("Milestone: taps_5", "10 gold"),
        ("1 reward waiting", "10 gold"),
    ]
    surface = pygame.Surface((640, 360))
    stack.draw(surface)
    assert painted(surface, pygame.Rect(640 - 312, 12, 300, 40))
    stack.update(1.2)
    assert stack._alpha(stack.toasts[0]) < 255
    stack.update(0.5)
    assert not stack.toasts
    for i in range(5):
        stack.push(f"t{i}")
    assert [t.title for t in stack.toasts] == ["t2", "t3", "t4"]


def entry(pid: str, score: float, rank: int, **kw: object) -> LeaderboardEntry:
    return LeaderboardEntry(participant_id=pid, name=pid.upper(), score=score, rank=rank, **kw)  # type: ignore[arg-type]


def test_leaderboard_panel_follows_snapshots_updates_and_finalization(
    pygame_headless: None,
) -> None:
    panel = LeaderboardPanel("lb1", rows=5)
    board = EventLeaderboard(
        leaderboard_id="lb1",
        entries=[entry("a", 30, 1), entry("b", 20, 2, kind="bot"), entry("c", 10, 3, is_self=True)],
    )
    snap = pygame.event.Event(KRATY_LEADERBOARD, leaderboard_id="lb1", kind="snapshot",
                              board=board, entry=None)
    assert panel.handle_event(snap)
    other = pygame.event.Event(KRATY_LEADERBOARD, leaderboard_id="lb2", kind="snapshot",
                               board=board, entry=None)
    assert not panel.handle_event(other)
    update = LeaderboardScoreUpdate(leaderboard_id="lb1", participant_id="c", score=35, rank=1)
    assert panel.handle_event(pygame.event.Event(
        KRATY_LEADERBOARD, leaderboard_id="lb1", kind="score_update", board=None, entry=update
    ))
    assert [(r.participant_id, r.rank, r.is_self) for r in panel.rows] == [
        ("c", 1, True), ("a", 2, False), ("b", 3, False)
    ]
    down = LeaderboardScoreUpdate(leaderboard_id="lb1", participant_id="c", score=5, rank=3)
    panel.apply_update(down)
    assert [(r.participant_id, r.rank) for r in panel.rows] == [("a", 1), ("b", 2), ("c", 3)]
    newcomer = LeaderboardScoreUpdate(leaderboard_id="lb1", participant_id="d", score=25, rank=2)
    panel.apply_update(newcomer)
    assert [r.participant_id for r in panel.rows] == ["a", "d", "b", "c"]
    surface = pygame.Surface((320, 240))
    panel.draw(surface, pygame.Rect(10, 10, 300, 220))
    assert painted(surface, pygame.Rect(10, 10, 300, 220))
    final = LeaderboardFinalized(leaderboard_id="lb1", reason="window_closed", standings=[])
    panel.handle_event(pygame.event.Event(
        KRATY_LEADERBOARD, leaderboard_id="lb1", kind="finalized", board=final, entry=None
    ))
    assert panel.finalized


def test_lobby_bar_counts_humans_and_bots_and_animates(pygame_headless: None) -> None:
    bar = LobbyBar("lob1", speed=4.0)
    assert bar.label() == "Looking for a lobby…"
    forming = Lobby(id="lob1", status="forming", capacity=4, participant_count=1, bot_slots=2)
    assert bar.handle_event(pygame.event.Event(KRATY_LOBBY, lobby=forming, active=False))
    assert not bar.handle_event(pygame.event.Event(
        KRATY_LOBBY, lobby=Lobby(id="other"), active=False
    ))
    assert (bar.humans, bar.filled) == (1, 3)
    assert bar.label() == "Finding players: 1 + 2 bots / 4"
    bar.update(0.5)
    assert bar.shown == 2.0
    bar.update(1.0)
    assert bar.shown == 3.0
    bar.set_lobby(Lobby(id="lob1", status="active", capacity=4, participant_count=1, bot_slots=9))
    assert bar.filled == 4 and bar.label().startswith("Lobby full: 4/4")
    surface = pygame.Surface((300, 80))
    bar.draw(surface, pygame.Rect(0, 0, 300, 80))
    assert painted(surface, pygame.Rect(0, 0, 300, 80))


def test_sync_badge_counts_waiting_writes_and_shows_offline(pygame_headless: None) -> None:
    badge = SyncBadge()
    surface = pygame.Surface((400, 80))
    assert not badge.visible and badge.draw(surface, (4, 4)) is None
    assert badge.label() == "All synced"
    assert badge.handle_event(pygame.event.Event(KRATY_SYNC, kind="pending", pending=3))
    assert badge.label() == "3 rewards waiting to sync"
    offline = pygame.event.Event(KRATY_CONNECTION, source="calls", state="offline", error=None)
    assert badge.handle_event(offline)
    assert badge.label() == "3 rewards waiting to sync (offline)"
    rect = badge.draw(surface, (4, 4))
    assert rect is not None and painted(surface, rect)
    stream = pygame.event.Event(KRATY_CONNECTION, source="board", state="dropped", error=None)
    assert not badge.handle_event(stream)
    badge.handle_event(pygame.event.Event(KRATY_SYNC, kind="pending", pending=1))
    online = pygame.event.Event(KRATY_CONNECTION, source="calls", state="online", error=None)
    badge.handle_event(online)
    assert badge.label() == "1 reward waiting to sync"
    badge.handle_event(pygame.event.Event(KRATY_SYNC, kind="synced", pending=0))
    assert (badge.visible, badge.label()) == (False, "All synced")


def test_toasts_show_catalog_display_names_instead_of_keys(pygame_headless: None) -> None:
    catalog = Catalog.from_wire(
        {
            "items": [{"key": "health_potion", "name": {"en": "Health Potion", "de": "Heiltrank"}}],
            "currencies": [{"key": "gold", "name": "Gold"}],
        }
    )
    potion = Grant(
        id="g2",
        kind="reward",
        contents=GrantContents(
            entries=[RewardEntryPreview(type="item", item_key="health_potion", quantity=1)]
        ),
        status="pending",
    )
    unknown = Grant(
        id="g3",
        kind="reward",
        contents=GrantContents(
            entries=[RewardEntryPreview(type="item", item_key="mystery_box", quantity=2)]
        ),
        status="pending",
    )
    stack = ToastStack()
    stack.use_catalog(catalog)
    assert stack.handle_event(
        pygame.event.Event(KRATY_GRANTS, grants=[potion, GOLD, unknown], source="poller")
    )
    assert stack.toasts[-1].body == "1 Health Potion, 10 Gold, 2 mystery_box"
    assert describe_grants([potion], catalog_names(catalog, "de")) == "1 Heiltrank"
    assert describe_grants([potion], lambda key: key.replace("_", " ").title()) == (
        "1 Health Potion"
    )
    assert describe_grants([potion]) == "1 health_potion"  # no names given: the key


def test_leaderboard_panel_sorts_and_fits_text_only_when_something_changed(
    pygame_headless: None,
) -> None:
    panel = LeaderboardPanel("lb1")
    long_name = "An Extraordinarily Long Player Name 1234"
    panel.set_board(
        EventLeaderboard(
            leaderboard_id="lb1",
            entries=[entry("a", 30, 1), LeaderboardEntry(participant_id="b", name=long_name,
                                                         score=20, rank=2)],
        )
    )
    first = panel._ranked()
    assert panel._ranked() is first  # no re-sort while nothing changed
    surface = pygame.Surface((200, 200))
    panel.draw(surface, surface.get_rect())
    fitted = panel._text.fit(long_name, panel.theme.text, 100)
    assert panel._text.fit(long_name, panel.theme.text, 100) is fitted  # measured once
    assert fitted.get_width() <= 100
    panel.apply_update(LeaderboardScoreUpdate(participant_id="b", score=50, rank=1))
    assert panel._ranked() is not first
    assert [r.participant_id for r in panel.rows] == ["b", "a"]
