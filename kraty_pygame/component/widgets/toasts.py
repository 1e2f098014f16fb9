"""``ToastStack``: short-lived notices for milestones, grants and errors."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pygame

from kraty_pygame.component.event_types import KRATY_GRANTS, KRATY_MILESTONE
from kraty_pygame.component.widgets.theme import Color, TextCache, WidgetTheme

__all__ = ["DisplayNames", "Toast", "ToastStack", "catalog_names", "describe_grants"]

ToastKind = Literal["info", "milestone", "grant", "error"]
Anchor = Literal["topleft", "topright", "bottomleft", "bottomright"]


DisplayNames = Mapping[str, str] | Callable[[str], str]
"""Item and currency keys to display names: a mapping, or a function of the key."""


def catalog_names(catalog: Any, locale: str = "en") -> dict[str, str]:
    """``{key: display name}`` of every item and currency of a ``Catalog``."""
    names: dict[str, str] = {}
    for entry in [*(getattr(catalog, "currencies", None) or []), *(catalog.items or [])]:
        key = str(getattr(entry, "key", "") or "")
        if key:
            shown = entry.display_name(locale) if hasattr(entry, "display_name") else ""
            names[key] = shown or key
    return names


def _name_of(key: str, names: DisplayNames | None) -> str:
    if names is None:
        return key
    if callable(names):
        return names(key) or key
    return names.get(key) or key


def describe_grants(grants: list[Any], names: DisplayNames | None = None) -> str:
    """A short line for a list of grants: ``"10 Gold, 1 Golden Crate"``.

    Args:
        grants: ``Grant`` objects (their ``contents.entries``).
        names: display names of item and currency keys (see :func:`catalog_names`);
            a key without a name is shown as it is.
    """
    parts: list[str] = []
    for grant in grants:
        contents = getattr(grant, "contents", None)
        for entry in getattr(contents, "entries", None) or []:
            amount = getattr(entry, "amount", None) or getattr(entry, "quantity", None) or 1
            key = (
                getattr(entry, "currency_key", None)
                or getattr(entry, "item_key", None)
                or getattr(entry, "crate_item_key", None)
                or getattr(entry, "type", None)
                or "reward"
            )
            label = _name_of(str(key), names)
            parts.append(f"{amount:g} {label}" if isinstance(amount, int | float) else label)
        if not getattr(contents, "entries", None):
            parts.append("a crate" if getattr(grant, "kind", "") == "crate" else "a reward")
    return ", ".join(parts) if parts else f"{len(grants)} reward(s)"


@dataclass
class Toast:
    """One notice: a title, an optional body line, a kind (picks the colour) and its age."""

    title: str
    body: str = ""
    kind: ToastKind = "info"
    age: float = 0.0


class ToastStack:
    """A stack of toasts in a corner of any surface.

    Feed it events with :meth:`handle_event` (``KRATY_MILESTONE`` and poller
    ``KRATY_GRANTS`` become toasts) or call :meth:`push`; call :meth:`update` with the
    frame time and :meth:`draw` after the game has drawn its frame.

    Args:
        theme: colours, fonts and timings.
        max_toasts: the oldest toast goes when one more arrives.
        anchor: the corner the stack grows from.
        margin: distance from the surface edges in pixels.
        names: display names of item and currency keys for grant lines; set them
            later with :meth:`use_catalog` (after ``catalog.read()``). Without a name
            a key is shown as it is.
    """

    def __init__(
        self,
        theme: WidgetTheme | None = None,
        *,
        max_toasts: int = 5,
        anchor: Anchor = "topright",
        margin: int = 12,
        names: DisplayNames | None = None,
    ) -> None:
        self.theme = theme or WidgetTheme()
        self.names: DisplayNames | None = names
        self.anchor: Anchor = anchor
        self.margin = margin
        self.toasts: deque[Toast] = deque(maxlen=max_toasts)
        self.drawn: list[pygame.Rect] = []  # where the last draw() put each toast
        self._text = TextCache(self.theme)

    def use_catalog(self, catalog: Any, locale: str = "en") -> None:
        """Show grants with the display names of ``catalog`` (a ``Catalog``)."""
        self.names = catalog_names(catalog, locale)

    def push(self, title: str, body: str = "", *, kind: ToastKind = "info") -> Toast:
        """Show a toast now; returns it."""
        toast = Toast(title, body, kind)
        self.toasts.append(toast)
        return toast

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Turn a milestone or a poller grant event into a toast; True if it did."""
        if event.type == KRATY_MILESTONE:
            key = getattr(event.milestone, "key", "") or "milestone"
            grants = list(event.grants or [])
            body = describe_grants(grants, self.names) if grants else ""
            self.push(f"Milestone: {key}", body, kind="milestone")
            return True
        if event.type == KRATY_GRANTS and event.source != "milestone":
            grants = list(event.grants or [])
            if grants:
                noun = "reward" if len(grants) == 1 else "rewards"
                body = describe_grants(grants, self.names)
                self.push(f"{len(grants)} {noun} waiting", body, kind="grant")
                return True
        return False

    def update(self, dt: float) -> None:
        """Age the toasts by ``dt`` seconds and drop the ones that have faded out."""
        life = self.theme.toast_seconds + self.theme.fade_seconds
        for toast in self.toasts:
            toast.age += dt
        while self.toasts and self.toasts[0].age >= life:
            self.toasts.popleft()
        if any(t.age >= life for t in self.toasts):
            self.toasts = deque((t for t in self.toasts if t.age < life), maxlen=self.toasts.maxlen)

    def _colour(self, kind: ToastKind) -> Color:
        theme = self.theme
        return {
            "milestone": theme.accent,
            "grant": theme.success,
            "error": theme.danger,
            "info": theme.border,
        }[kind]

    def draw(self, surface: pygame.Surface, avoid: Sequence[pygame.Rect] = ()) -> None:
        """Draw the stack onto ``surface``.

        Args:
            avoid: rects of ``surface`` a toast must not cover (the game's buttons): a
                toast that would overlap one is moved past it, and toasts that no longer
                fit are not drawn this frame. ``drawn`` lists the rects used.
        """
        theme = self.theme
        self.drawn = []
        width = min(theme.toast_width, surface.get_width() - 2 * self.margin)
        if width <= 0:
            return
        top = self.anchor.startswith("top")
        left = self.anchor.endswith("left")
        x = self.margin if left else surface.get_width() - self.margin - width
        y = self.margin if top else surface.get_height() - self.margin
        pad = theme.padding
        for toast in reversed(self.toasts):
            title = self._text.fit(toast.title, theme.text, width - 2 * pad - 6, theme.font_size)
            body = (
                self._text.fit(toast.body, theme.muted, width - 2 * pad - 6, theme.font_size - 2)
                if toast.body
                else None
            )
            height = pad * 2 + title.get_height() + (body.get_height() + 2 if body else 0)
            rect = pygame.Rect(x, y if top else y - height, width, height)
            rect = self._clear_of(rect, avoid, top)
            if (
                rect.top < 0
                or rect.bottom > surface.get_height()
                or any(rect.colliderect(a) for a in avoid)
            ):
                break  # no room left: the rest wait (they still age and fade)
            alpha = self._alpha(toast)
            card = pygame.Surface(rect.size, pygame.SRCALPHA)
            pygame.draw.rect(card, theme.background, card.get_rect(), border_radius=theme.radius)
            stripe = pygame.Rect(0, 0, 5, height)
            pygame.draw.rect(card, self._colour(toast.kind), stripe, border_radius=theme.radius)
            card.blit(title, (pad + 6, pad))
            if body is not None:
                card.blit(body, (pad + 6, pad + title.get_height() + 2))
            if alpha < 255:
                card.set_alpha(alpha)
            surface.blit(card, rect)
            self.drawn.append(rect)
            y = rect.bottom + 6 if top else rect.top - 6

    @staticmethod
    def _clear_of(rect: pygame.Rect, avoid: Sequence[pygame.Rect], top: bool) -> pygame.Rect:
        """``rect`` moved down (top anchors) or up until it overlaps none of ``avoid``."""
        rect = rect.copy()
        for _ in range(len(avoid) + 1):
            hits = [a for a in avoid if rect.colliderect(a)]
            if not hits:
                break
            if top:
                rect.top = max(a.bottom for a in hits) + 6
            else:
                rect.bottom = min(a.top for a in hits) - 6
        return rect

    def _alpha(self, toast: Toast) -> int:
        fade = self.theme.fade_seconds
        over = toast.age - self.theme.toast_seconds
        if over <= 0 or fade <= 0:
            return 255
        return max(0, int(255 * (1 - over / fade)))
