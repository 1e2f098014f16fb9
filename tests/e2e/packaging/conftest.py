"""Fixtures of the packaging tests: the project built once per session (sdist, then the
wheel from it). Fresh virtual environments come from ``tests/support/packaging.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.packaging import run
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture(scope="session")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel of this checkout; the wheel is built from the sdist (as ``build``
    does by default), so whatever MANIFEST.in forgets is missing from the wheel too."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


@pytest.fixture(scope="session")
def wheel(dist_dir: Path) -> Path:
    """The built wheel."""
    (path,) = dist_dir.glob("kraty_pygame-*.whl")
    return path


@pytest.fixture(scope="session")
def sdist(dist_dir: Path) -> Path:
    """The built source distribution."""
    (path,) = dist_dir.glob("kraty_pygame-*.tar.gz")
    return path
