"""The install instructions match the project: the wheel name carries this version,
the docs extra is named for mkdocs, and both new pages are in the site's navigation."""

from __future__ import annotations

import re

from kraty_pygame import __version__
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_documented_wheel_names_carry_this_version() -> None:
    for page in ("README.md", "docs/getting-started.md"):
        names = re.findall(r"dist/kraty_pygame-([0-9][^-]*)-py3-none-any\.whl", _read(page))
        assert names, f"{page} shows no wheel to install"
        assert set(names) == {__version__}, page


def test_the_readme_says_the_package_is_not_on_pypi_and_how_to_serve_the_docs() -> None:
    readme = _read("README.md")
    assert "not on PyPI" in readme
    assert "pip install '.[emulator]'" in readme
    assert "pip install -e '.[docs]'" in readme and "mkdocs serve" in readme
    setup = _read("setup.cfg")
    assert re.search(r"^docs =\n\s+mkdocs", setup, re.M), "the docs extra must bring mkdocs"


def test_troubleshooting_starts_with_the_doctor_and_both_pages_are_in_the_nav() -> None:
    page = _read("docs/troubleshooting.md")
    first_section = page.split("\n## ", 2)[1]
    assert first_section.startswith("Start with the doctor")
    assert "kraty-doctor" in first_section
    nav = _read("mkdocs.yml")
    assert "Troubleshooting: troubleshooting.md" in nav
    assert "Shipping your game: shipping.md" in nav


def test_the_changelog_has_migration_notes_for_this_version() -> None:
    changelog = _read("CHANGELOG.md")
    section = changelog.split(f"## [Unreleased] - {__version__}", 1)[1].split("\n## [", 1)[0]
    assert "migration notes" in section.lower() and "kraty_pygame.demo" in section
    assert _read("docs/changelog.md").endswith(changelog.split("\n", 1)[1])
