"""The demo's window, frame loop, tab navigation and overlays.

One frame: ``kraty.update()`` (the component's ``update()``, measured with
``time.thread_time()``), then ``pygame.event.get()`` dispatching KRATY_* events to the
Kraty side (:mod:`demo_game.kraty`) and input to the overlay, the focused widget, the
global keys and the current screen, then the tour's next step, animation and drawing.

Keys: 1-6 pick a tab, Left/Right switch tabs, Tab / Shift+Tab move the keyboard
focus, Up/Down move it too (or the selection in a focused list), Enter / Space
activate the focused widget, Esc closes an overlay or drops the focus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pygame

from .assets import Assets
from .options import DemoOptions
from .screens.base import Screen
from .theme import (
    MIN_WINDOW,
    PAD,
    PALETTE,
    STATUS_BAR_HEIGHT,
    TAB_BAR_HEIGHT,
    approach,
)
from .timing import FrameMeter
from .ui import Tab, TabBar, TextInput, TextRenderer, Ui, Widget, rounded

log = logging.getLogger(__name__)


class Overlay(Protocol):
    """A modal layer over the screens (the crate reveal)."""

    finished: bool

    def handle_event(self, event: pygame.event.Event, ui: Ui) -> bool: ...

    def update(self, dt: float, ui: Ui) -> None: ...

    def draw(self, surface: pygame.Surface, ui: Ui) -> None: ...

    def close(self) -> None: ...


@dataclass
class Notice:
    """A short message in the snackbar at the bottom of the window."""

    text: str
    kind: str
    age: float = 0.0
    ttl: float = 3.0


class KratySide(Protocol):
    """What the app needs from the Kraty side of the game (:mod:`demo_game.kraty`)."""

    def update(self) -> None:
        """Once per frame before ``pygame.event.get()``: the component's ``update()``."""

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Consume a KRATY_* event; False for any other event."""

    def animate(self, dt: float) -> None:
        """Advance the Kraty side's animations (toasts)."""

    def draw_overlays(self, surface: pygame.Surface) -> None:
        """Draw the Kraty side's layers over the screen (toasts)."""

    def status_parts(self) -> list[tuple[str, tuple[int, int, int]]]:
        """Texts for the status bar."""


class StepHook(Protocol):
    """Something run once per frame after input (the scripted tour)."""

    finished: bool

    def step(self, dt: float) -> None: ...


class App:
    """The game: window, loop, tabs, notices, overlays."""

    def __init__(
        self,
        options: DemoOptions,
        kraty: KratySide | None,
        screens: Sequence[Callable[[App], Screen]],
    ) -> None:
        self.options = options
        self.kraty = kraty
        flags = pygame.RESIZABLE
        self.surface = pygame.display.set_mode(options.size, flags)
        pygame.display.set_caption("Kraty demo")
        self.assets = Assets(sound=not options.mute)
        pygame.display.set_icon(self.assets.image("icon"))
        self.text_renderer = TextRenderer()
        self.ui = Ui(fonts=self.assets.fonts, assets=self.assets, text_renderer=self.text_renderer)
        self.clock = pygame.time.Clock()
        self.meter = FrameMeter()
        self.screens: list[Screen] = [factory(self) for factory in screens]
        self.tabs = TabBar(
            [Tab(s.name, s.title, s.icon) for s in self.screens], on_select=self.select
        )
        self.current = 0
        self.overlay: Overlay | None = None
        self.notices: list[Notice] = []
        self.notice_rects: list[pygame.Rect] = []  # where the last frame put each notice
        self.hook: StepHook | None = None
        self.running = True
        self.frame_count = 0
        self.fps = 0.0
        self._fade = 0.0
        self._header_extra: Callable[[pygame.Surface, pygame.Rect], None] | None = None
        if self.screens:
            self.layout()
            self.screen.on_enter()

    def install(self, kraty: KratySide, screens: Sequence[Callable[[App], Screen]]) -> None:
        """Attach the Kraty side and build the screens (they need both)."""
        self.kraty = kraty
        self.screens = [factory(self) for factory in screens]
        self.tabs = TabBar(
            [Tab(s.name, s.title, s.icon) for s in self.screens], on_select=self.select
        )
        self.current = 0
        self.layout()
        self.screen.on_enter()

    # ---------------------------------------------------------------- navigation

    @property
    def screen(self) -> Screen:
        """The visible screen."""
        return self.screens[self.current]

    def screen_named(self, name: str) -> Screen:
        """The screen whose ``name`` is ``name``."""
        for screen in self.screens:
            if screen.name == name:
                return screen
        raise KeyError(name)

    def select(self, index: int) -> None:
        """Show tab ``index`` (ignored when out of range)."""
        if not (0 <= index < len(self.screens)) or index == self.current:
            return
        self.current = index
        self.tabs.selected = index
        self.ui.focus = None
        self._fade = 1.0
        self.screen.on_enter()

    def select_named(self, name: str) -> None:
        """Show the screen called ``name``."""
        self.select(next(i for i, s in enumerate(self.screens) if s.name == name))

    def notify(self, text: str, kind: str = "info") -> None:
        """Show a snackbar message (``kind``: info, good, warn, bad)."""
        self.notices.append(Notice(text, kind))
        del self.notices[:-4]

    def open_overlay(self, overlay: Overlay) -> None:
        """Show a modal overlay (replacing any open one)."""
        if self.overlay is not None:
            self.overlay.close()
        self.overlay = overlay

    def set_header_extra(self, draw: Callable[[pygame.Surface, pygame.Rect], None]) -> None:
        """Draw something at the right end of the tab bar (the wallet chips)."""
        self._header_extra = draw

    # ---------------------------------------------------------------- layout

    def header_rect(self) -> pygame.Rect:
        """The tab bar area."""
        return pygame.Rect(0, 0, self.surface.get_width(), TAB_BAR_HEIGHT)

    def content_rect(self) -> pygame.Rect:
        """Where screens draw (between the tab bar and the status bar)."""
        w, h = self.surface.get_size()
        top = TAB_BAR_HEIGHT + PAD
        return pygame.Rect(PAD + 4, top, w - 2 * PAD - 8, h - top - STATUS_BAR_HEIGHT - PAD)

    def layout(self) -> None:
        """Recompute every rect from the window size (start and VIDEORESIZE)."""
        header = self.header_rect()
        self.tabs.rect = pygame.Rect(0, 0, max(300, header.width - 250), header.height)
        content = self.content_rect()
        for screen in self.screens:
            screen.layout(content.copy())

    def _resized(self) -> None:
        surface = pygame.display.get_surface()
        if surface is not None:
            self.surface = surface
        w, h = self.surface.get_size()
        if (w < MIN_WINDOW[0] or h < MIN_WINDOW[1]) and not self.options.headless:
            self.surface = pygame.display.set_mode(
                (max(w, MIN_WINDOW[0]), max(h, MIN_WINDOW[1])), pygame.RESIZABLE
            )
        self.layout()

    def resize(self, size: tuple[int, int]) -> None:
        """Change the window size (the tour uses it; players drag the window edge)."""
        self.surface = pygame.display.set_mode(size, pygame.RESIZABLE)
        self.layout()

    # ---------------------------------------------------------------- events

    def dispatch(self, event: pygame.event.Event) -> None:
        """Route one pygame event (see the module docstring for the order)."""
        if self.kraty is not None and self.kraty.handle_event(event):
            return
        if event.type == pygame.QUIT:
            self.running = False
            return
        if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            self._resized()
            return
        if event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            self.ui.mouse = event.pos
        if self.overlay is not None:
            if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
                self.overlay.close()
                return
            if self.overlay.handle_event(event, self.ui):
                return
            if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.KEYDOWN):
                return  # modal: nothing underneath gets input
        focus = self.ui.focus
        if (
            focus is not None
            and event.type in (pygame.KEYDOWN, pygame.TEXTINPUT)
            and focus.handle_event(event, self.ui)
        ):
            return
        if event.type == pygame.KEYDOWN and self._global_key(event):
            return
        if event.type == pygame.TEXTINPUT:
            return
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.ui.focus = None  # widgets that take focus set it again below
        if self.tabs.handle_event(event, self.ui):
            return
        self.screen.handle_event(event)

    def _global_key(self, event: pygame.event.Event) -> bool:
        key = event.key
        typing = isinstance(self.ui.focus, TextInput)
        if key == pygame.K_ESCAPE:
            self.ui.focus = None
            return True
        if key == pygame.K_TAB:
            self._move_focus(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        if typing:
            return False
        if pygame.K_1 <= key <= pygame.K_9:
            self.select(key - pygame.K_1)
            return True
        if key == pygame.K_LEFT:
            self.select((self.current - 1) % len(self.screens))
            return True
        if key == pygame.K_RIGHT:
            self.select((self.current + 1) % len(self.screens))
            return True
        if key in (pygame.K_UP, pygame.K_DOWN):
            self._move_focus(-1 if key == pygame.K_UP else 1)
            return True
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE) and self.ui.focus:
            self.ui.focus.activate(self.ui)
            return True
        return False

    def _move_focus(self, step: int) -> None:
        order: list[Widget] = self.screen.focusables()
        if not order:
            return
        if self.ui.focus in order:
            index = (order.index(self.ui.focus) + step) % len(order)
        else:
            index = 0 if step > 0 else len(order) - 1
        self.ui.focus = order[index]

    # ---------------------------------------------------------------- frame

    def frame(self) -> None:
        """Run one frame: update the Kraty side, handle events, step the hook, draw."""
        dt = min(0.1, self.clock.tick(self.options.fps) / 1000.0)
        self.ui.time += dt
        if self.kraty is not None:
            with self.meter.measure():
                self.kraty.update()
        for event in pygame.event.get():
            self.dispatch(event)
        if self.hook is not None and not self.hook.finished:
            self.hook.step(dt)
        self.update(dt)
        self.draw()
        pygame.display.flip()
        self.meter.end_frame()
        self.frame_count += 1
        self.fps = self.clock.get_fps()

    def update(self, dt: float) -> None:
        """Advance animations."""
        self._fade = approach(self._fade, 0.0, 9, dt)
        self.tabs.update(dt, self.ui)
        self.screen.update(dt)
        if self.overlay is not None:
            self.overlay.update(dt, self.ui)
            if self.overlay.finished:
                self.overlay = None
        for notice in self.notices:
            notice.age += dt
        self.notices = [n for n in self.notices if n.age < n.ttl]
        if self.kraty is not None:
            self.kraty.animate(dt)

    def draw(self) -> None:
        """Draw the whole window."""
        surface = self.surface
        surface.fill(PALETTE.bg)
        content = self.content_rect()
        clip = surface.get_clip()
        surface.set_clip(content.inflate(2 * PAD, 2 * PAD))
        self.screen.draw(surface)
        surface.set_clip(clip)
        if self._fade > 0.02:
            veil = pygame.Surface(content.inflate(2 * PAD, 2 * PAD).size)
            veil.fill(PALETTE.bg)
            veil.set_alpha(round(255 * self._fade))
            surface.blit(veil, content.inflate(2 * PAD, 2 * PAD))
        header = self.header_rect()
        pygame.draw.rect(surface, PALETTE.bg_top, header)
        pygame.draw.line(surface, PALETTE.border, header.bottomleft, header.bottomright, 1)
        self.tabs.draw(surface, self.ui)
        if self._header_extra is not None:
            extra = pygame.Rect(
                self.tabs.rect.right, 0, header.width - self.tabs.rect.right, header.height
            )
            self._header_extra(surface, extra)
        self._draw_status(surface)
        if self.kraty is not None:
            self.kraty.draw_overlays(surface)
        if self.overlay is not None:
            self.overlay.draw(surface, self.ui)
        self._draw_notices(surface)

    def _draw_status(self, surface: pygame.Surface) -> None:
        w, h = surface.get_size()
        rect = pygame.Rect(0, h - STATUS_BAR_HEIGHT, w, STATUS_BAR_HEIGHT)
        pygame.draw.rect(surface, PALETTE.bg_top, rect)
        pygame.draw.line(surface, PALETTE.border, rect.topleft, rect.topright, 1)
        parts: list[tuple[str, tuple[int, int, int]]] = []
        if self.kraty is not None:
            parts.extend(self.kraty.status_parts())
        parts.append((f"{self.fps:4.0f} fps", PALETTE.faint))
        x = PAD
        for text, color in parts:
            drawn = self.ui.text(
                surface,
                text,
                (x, rect.centery),
                font=self.ui.fonts.small,
                color=color,
                anchor="midleft",
            )
            x = drawn.right + 18

    def _draw_notices(self, surface: pygame.Surface) -> None:
        if not self.notices:
            return
        w, h = surface.get_size()
        y = h - STATUS_BAR_HEIGHT - 12
        colors = {
            "info": PALETTE.panel_hi,
            "good": (36, 92, 64),
            "warn": (110, 80, 28),
            "bad": (120, 36, 48),
        }
        avoid = self.screen.keep_clear()
        self.notice_rects = []
        for notice in reversed(self.notices):
            appear = min(1.0, notice.age * 6)
            vanish = min(1.0, (notice.ttl - notice.age) * 3)
            offset = round((1 - appear) * 30)
            font = self.ui.fonts.body
            text = self.ui.text_renderer.fit(font, notice.text, min(760, w - 80))
            tw = font.size(text)[0]
            rect = pygame.Rect(0, 0, tw + 32, 34)
            rect.midbottom = (w // 2, y)
            for _ in range(len(avoid) + 1):  # never over a button of the screen
                hits = [a for a in avoid if rect.colliderect(a)]
                if not hits:
                    break
                rect.bottom = min(a.top for a in hits) - 8
            slid = rect.move(0, offset)  # slides up into place as it appears
            if not any(slid.colliderect(a) for a in avoid):
                rect = slid
            self.notice_rects.append(rect.copy())
            card = pygame.Surface(rect.size, pygame.SRCALPHA)
            rounded(card, colors.get(notice.kind, PALETTE.panel_hi), card.get_rect(), 17)
            rounded(card, PALETTE.border, card.get_rect(), 17, 1)
            self.ui.text(card, text, (16, 17), font=font, anchor="midleft")
            card.set_alpha(round(255 * min(appear, vanish)))
            surface.blit(card, rect)
            y = rect.y - 8

    # ---------------------------------------------------------------- run

    def run(self) -> int:
        """Loop until the window closes, the hook finishes or ``max_frames`` pass."""
        max_frames = self.options.max_frames
        while self.running:
            self.frame()
            if self.hook is not None and self.hook.finished:
                break
            if max_frames is not None and self.frame_count >= max_frames:
                break
        return 0

    def screenshot(self, path: Path) -> None:
        """Save the current frame as a PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(path))

    def snapshots(self) -> dict[str, Any]:
        """Every screen's :meth:`Screen.snapshot`."""
        return {screen.name: screen.snapshot() for screen in self.screens}
