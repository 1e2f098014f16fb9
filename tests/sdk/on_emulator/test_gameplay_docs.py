"""The gameplay guide pages are runnable: every ``python`` block of a page runs, in order.

Each page starts its own ``EmbeddedEmulator`` in its first block and stops it in its last,
so the examples are exactly what a reader would paste.
"""

from __future__ import annotations

import pytest

from tests.support.doc_pages import python_blocks, run_page

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

PAGES = ["events.md", "grants.md", "lobbies.md", "inventory-wallet.md", "catalog.md"]


@pytest.mark.parametrize("page", PAGES)
def test_guide_page_runs(page: str) -> None:
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python examples"
    printed = run_page(page, blocks=blocks)
    assert printed  # the examples print what they show
