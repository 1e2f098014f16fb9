"""The platform guide pages run: every ``python`` block of a page, in order."""

from __future__ import annotations

import pytest

from tests.support.doc_pages import python_blocks, run_page

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

PAGES = ["friends.md", "platform.md"]


@pytest.mark.parametrize("page", PAGES)
def test_platform_page_runs(page: str) -> None:
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python examples"
    printed = run_page(page, blocks=blocks)
    assert "Traceback" not in printed and printed.count("\n") >= 5
