"""A small widget kit on plain pygame: buttons, text inputs, lists, tabs, particles.

Widgets keep their own rect (set by the screen's ``layout``), react to pygame events
in ``handle_event`` (returning True when they used the event), animate in ``update``
and draw themselves in ``draw``. Every string reaches the font renderer through
:class:`TextRenderer`, which caches rendered text and replaces any registered secret
with bullets, so no screen can show a player secret even by mistake.
"""

from demo_game.ui.draw import panel, pill, progress_bar, rounded
from demo_game.ui.lists import RowAction, ScrollList
from demo_game.ui.particles import Particles
from demo_game.ui.tabs import Tab, TabBar
from demo_game.ui.text import MASK, Anchor, TextRenderer, Ui
from demo_game.ui.widgets import Button, Chips, TextInput, TextView, Variant, Widget

__all__ = [
    "MASK",
    "Anchor",
    "Button",
    "Chips",
    "Particles",
    "RowAction",
    "ScrollList",
    "Tab",
    "TabBar",
    "TextInput",
    "TextRenderer",
    "TextView",
    "Ui",
    "Variant",
    "Widget",
    "panel",
    "pill",
    "progress_bar",
    "rounded",
]
