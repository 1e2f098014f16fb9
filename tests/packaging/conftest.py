"""Fixtures of the packaging tests: the project built once per session, and fresh
virtual environments outside the repository (pip uses the configured package index)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(
    args: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command; with ``check``, fail the test with its output when it fails."""
    out = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and out.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {out.returncode}\n--- stdout\n{out.stdout[-4000:]}"
            f"\n--- stderr\n{out.stderr[-4000:]}",
            pytrace=False,
        )
    return out


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would leak the repository in."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    env.update(extra)
    return env


def make_venv(path: Path) -> Path:
    """A fresh virtual environment with pip; returns its ``bin`` (``Scripts``) folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / ("Scripts" if os.name == "nt" else "bin")


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
