"""docs/leaderboards.md is runnable: its ``python`` blocks run in order against an emulator."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

PAGE = REPO_ROOT / "docs" / "leaderboards.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_leaderboard_guide_runs() -> None:
    blocks = _BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 8, "the guide lost its examples"
    namespace: dict[str, Any] = {"__name__": "docs_leaderboards"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for index, block in enumerate(blocks):
                exec(compile(block, f"leaderboards.md[block {index}]", "exec"), namespace)
    finally:
        for name in ("stream", "resilient"):
            stream = namespace.get(name)
            if stream is not None:
                stream.cancel()
        subscription = namespace.get("subscription")
        if subscription is not None:
            subscription.close()
        watcher = namespace.get("watcher")
        if watcher is not None:
            watcher.join(5)
        stack = namespace.get("stack")
        if isinstance(stack, contextlib.ExitStack):
            stack.close()
    text = out.getvalue()
    assert "You: #" in text and "update:" in text
