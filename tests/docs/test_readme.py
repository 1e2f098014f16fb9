"""The README opens with the two commands a newcomer pastes, and CI runs the second."""

from __future__ import annotations

import re

from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


def _first_block_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"# [^\n]+\n+```bash\n(.*?)```", text, re.S)
    assert match, "README must start with its title and then a bash block"
    return [line.split("#", 1)[0].strip() for line in match.group(1).splitlines() if line.strip()]


def test_readme_starts_with_exactly_the_demo_and_test_commands() -> None:
    assert _first_block_commands() == ["bash scripts/demo.sh", "bash scripts/test.sh"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        body = (ROOT / script).read_text(encoding="utf-8")
        assert "-m venv" in body, f"{script} must create its own virtual environment"
