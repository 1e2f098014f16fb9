"""The gameplay guide pages are runnable: every ``python`` block of a page runs, in order.

Each page starts its own ``EmbeddedEmulator`` in its first block and stops it in its last,
so the examples are exactly what a reader would paste.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["events.md", "grants.md", "lobbies.md", "inventory-wallet.md", "catalog.md"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: str) -> list[str]:
    return _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES)
def test_guide_page_runs(page: str) -> None:
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python examples"
    namespace: dict[str, Any] = {"__name__": f"docs_{page}"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for index, block in enumerate(blocks):
                code = compile(block, f"{page}[block {index}]", "exec")
                exec(code, namespace)
    finally:
        stack = namespace.get("stack")
        if isinstance(stack, contextlib.ExitStack):
            stack.close()  # no-op when the page closed it already
    assert out.getvalue()  # the examples print what they show
