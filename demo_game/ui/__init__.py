"""A small widget kit on plain pygame: buttons, text inputs, lists, tabs, particles.

Widgets keep their own rect (set by the screen's ``layout``), react to pygame events
in ``handle_event`` (returning True when they used the event), animate in ``update``
and draw themselves in ``draw``. Every string reaches the font renderer through
:class:`TextRenderer`, which caches rendered text and replaces any registered secret
with bullets, so no screen can show a player secret even by mistake.
"""

from ..ui.draw import panel, pill, progress_bar, rounded
from ..ui.lists import RowAction, ScrollList
from ..ui.particles import Particles
from ..ui.tabs import Tab, TabBar
from ..ui.text import MASK, Anchor, TextRenderer, Ui
from ..ui.widgets import Button, Chips, TextInput, TextView, Variant, Widget

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
