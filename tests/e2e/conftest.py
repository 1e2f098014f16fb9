"""Everything under ``tests/e2e/`` is an end-to-end run (fault proxies, child processes,
package builds): it is marked ``slow``, so a plain ``pytest`` deselects it and the full
test command (``bash scripts/test.sh``) runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection looks at the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
