"""Shared test setup: isolation from the real home, headless SDL, and CI's no-skip rule."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Headless pygame everywhere, before anything imports it.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

_skipped: list[str] = []


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point every platformdirs location at a temporary folder so no test touches a real home."""
    base = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        path = base / sub
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    for var in ("KRATY_BASE_URL", "KRATY_API_KEY", "KRATY_EMULATOR_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    yield base


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: CI must run everything."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and _skipped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"CI=true: {len(_skipped)} skipped test(s) count as failures:", red=True
            )
            for nodeid in _skipped:
                reporter.write_line(f"  {nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
