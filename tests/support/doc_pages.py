"""Run a docs page's ``python`` blocks in order, in one namespace, as a reader pasting
them would; the guides' tests use it so their examples cannot rot."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: str) -> list[str]:
    """The ``python`` fenced blocks of ``docs/<page>``, in order."""
    return _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def run_page(
    page: str,
    *,
    blocks: list[str] | None = None,
    cleanup: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Execute the page's blocks (or ``blocks``) and return what they printed.

    Afterwards, also when a block fails: ``cleanup(namespace)`` if given, then the
    page's ``stack`` (a ``contextlib.ExitStack``) is closed; a no-op when the page
    closed it itself. Block ``n`` is reported as ``<page>[block n]`` in tracebacks.
    """
    namespace: dict[str, Any] = {"__name__": f"docs_{page}"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for index, block in enumerate(python_blocks(page) if blocks is None else blocks):
                exec(compile(block, f"{page}[block {index}]", "exec"), namespace)
    finally:
        try:
            if cleanup is not None:
                cleanup(namespace)
        finally:
            stack = namespace.get("stack")
            if isinstance(stack, contextlib.ExitStack):
                stack.close()
    return out.getvalue()
