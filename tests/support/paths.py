"""Where things are: the repository's root, for tests that read its files."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder (the one holding ``pyproject.toml``).
REPO_ROOT = Path(__file__).resolve().parents[2]
