"""Code, docs and tests explain themselves: no pointers to documents outside the repository
and no spec or acceptance ids it does not define."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKED = [
    REPO / "kraty_pygame",
    REPO / "demo_game",
    REPO / "docs",
    REPO / "scripts",
    REPO / "examples",
    REPO / "tests",
    REPO / ".ci",
    REPO / "README.md",
    REPO / "CHANGELOG.md",
    REPO / "setup.cfg",
    REPO / "setup.py",
    REPO / "pyproject.toml",
    REPO / "mkdocs.yml",
]
TEXT = {".py", ".pyi", ".md", ".json", ".toml", ".cfg", ".yml", ".yaml", ".txt", ".sh", ""}
# Test files that spell out the patterns they look for.
PATTERN_FILES = {
    REPO / "tests" / "docs" / "test_self_contained_words.py",
    REPO / "tests" / "emulator" / "test_emu_structure.py",
}
OUTSIDE = re.compile(
    r"PROTOCOL\.md|STYLE\.md|\bPROTOCOL\b|§ ?[0-9]|\b[EQSC][0-9]{1,2}'?(?=[\s,.;:)/-]|$)"
)


def _files() -> list[Path]:
    found: list[Path] = []
    for root in CHECKED:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        found += [
            p
            for p in paths
            if p.is_file()
            and p.suffix in TEXT
            and p not in PATTERN_FILES
            and "__pycache__" not in p.parts
        ]
    return found


def test_no_words_point_outside_the_repository() -> None:
    files = _files()
    assert len(files) > 60
    hits = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_the_pattern_catches_the_usual_shapes() -> None:
    # spelled in pieces so that this file passes the same search over the repository
    for text in ("see PROTOCOL" ".md", "(\u00a75.3)", "E37)", "the E5' board", "Q4 says", "(C12)"):
        assert OUTSIDE.search(text), text
    for text in ("ERROR_BODY_SNIPPET", "Python 3.11", "HTTP/1.1", "E2E tests", "sha256"):
        assert not OUTSIDE.search(text), text
