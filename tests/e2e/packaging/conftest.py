"""Fixtures of the packaging tests: the project built once per run (sdist, then the wheel
from it), shared by every pytest-xdist worker. Fresh virtual environments come from
``tests/support/packaging.py``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.packaging import run
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture(scope="session")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel of this checkout; the wheel is built from the sdist (as ``build``
    does by default), so whatever MANIFEST.in forgets is missing from the wheel too."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        out = tmp_path_factory.mktemp("dist")
        _build(out)
        return out
    # Under xdist the first worker that needs the distributions builds them into the run's
    # shared temporary folder; the others wait on the lock and reuse them (two builds in
    # one source tree at the same time would also trip over each other).
    shared = tmp_path_factory.getbasetemp().parent / "dist"
    with FileLock(f"{shared}.lock"):
        if not (shared / "built").is_file():
            shared.mkdir(exist_ok=True)
            _build(shared)
            (shared / "built").touch()
    return shared


def _build(out: Path) -> None:
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)


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
