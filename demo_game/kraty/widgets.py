"""The component's drop-in widgets (toasts, live board, lobby bar), styled like the demo."""

from __future__ import annotations

from pathlib import Path

from kraty_pygame.component import WidgetTheme

from ..theme import PALETTE

FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans.ttf"


def widget_theme() -> WidgetTheme:
    """The widgets' theme, matched to the demo's palette and font."""
    return WidgetTheme(
        font_path=str(FONT) if FONT.is_file() else None,
        font_size=14,
        title_size=17,
        text=PALETTE.text,
        muted=PALETTE.muted,
        background=(*PALETTE.panel, 242),
        border=PALETTE.border,
        accent=PALETTE.gold,
        success=PALETTE.good,
        danger=PALETTE.bad,
        self_row=PALETTE.self_row,
        bot=(150, 96, 60),
        empty=PALETTE.panel_lo,
        radius=10,
        padding=10,
        toast_width=330,
        toast_seconds=3.0,
    )
