"""The platform guide pages run: every ``python`` block of a page, in order (issue 10)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["friends.md", "platform.md"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES)
def test_platform_page_runs(page: str) -> None:
    blocks = _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python examples"
    namespace: dict[str, Any] = {"__name__": f"docs_{page}"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for index, block in enumerate(blocks):
                exec(compile(block, f"{page}[block {index}]", "exec"), namespace)
    finally:
        stack = namespace.get("stack")
        if isinstance(stack, contextlib.ExitStack):
            stack.close()  # no-op when the page closed it already
    printed = out.getvalue()
    assert "Traceback" not in printed and printed.count("\n") >= 5
