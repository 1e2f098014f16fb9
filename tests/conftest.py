"""Shared test setup: isolation from the real home, headless SDL, CI's no-skip rule, and the
fixtures every part's tests use (``make_kraty``, ``pygame_headless``, ``make_component``).

Helpers that are not fixtures live in ``tests/support/``; a folder's own ``conftest.py``
holds only what its tests alone need.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty
from tests.support.clients import ZERO_BACKOFF, Endpoint, KratyFactory

if TYPE_CHECKING:  # pygame and the emulator are imported only by the tests that use them
    from kraty_pygame.component import KratyComponent
    from kraty_pygame.emulator import EmbeddedEmulator
    from tests.support.component import ComponentFactory
    from tests.support.demo_tour import TourRun

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
    """Under CI=true a skipped test is a failure: CI must run everything.

    Under pytest-xdist the controller sees every worker's reports and decides; the
    workers stay out of it.
    """
    if hasattr(session.config, "workerinput"):
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and _skipped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"CI=true: {len(_skipped)} skipped test(s) count as failures:", red=True
            )
            for nodeid in _skipped:
                reporter.write_line(f"  {nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def kraty_endpoint(kraty_emulator: EmbeddedEmulator) -> Endpoint:
    """Where ``make_kraty`` points its clients: the per-test emulator (state reset).

    A folder whose tests talk to another server overrides this fixture.
    """
    return Endpoint(kraty_emulator.client_api_key, kraty_emulator.base_url)


@pytest.fixture
def make_kraty(kraty_endpoint: Endpoint) -> Iterator[KratyFactory]:
    """Factory of ``Kraty`` clients (in-memory secrets, retries without waiting); keyword
    options override those defaults. Every client is closed after the test."""
    made: list[Kraty] = []

    def make(**options: Any) -> Kraty:
        options.setdefault("base_url", kraty_endpoint.base_url)
        options.setdefault("secret_store", InMemorySecretStore())
        options.setdefault("retry", ZERO_BACKOFF)
        kraty = Kraty(kraty_endpoint.api_key, **options)
        made.append(kraty)
        return kraty

    yield make
    for kraty in made:
        kraty.close()


@pytest.fixture
def pygame_headless() -> Iterator[None]:
    """pygame initialised on the dummy video/audio drivers; quit afterwards."""
    import pygame  # only the tests that draw pay for pygame

    pygame.init()
    pygame.display.set_mode((64, 64))
    pygame.event.clear()
    try:
        yield
    finally:
        pygame.quit()


@pytest.fixture
def make_component(pygame_headless: None) -> Iterator[ComponentFactory]:
    """Build components; each is closed after the test and must leave no thread behind."""
    from kraty_pygame.component import KratyComponent
    from tests.support.component import component_threads

    made: list[KratyComponent] = []

    def factory(kraty: Kraty, **options: Any) -> KratyComponent:
        component = KratyComponent(kraty, **options)
        made.append(component)
        return component

    yield factory
    for component in made:
        report = component.close(timeout=5.0)
        assert report.threads_alive == ()
    assert component_threads() == []



@pytest.fixture(scope="session")
def demo_tour(tmp_path_factory: pytest.TempPathFactory) -> TourRun:
    """The demo's scripted tour, played once per run for every test that looks at it (see
    ``tests/support/demo_tour.py``); pytest-xdist workers share the one play."""
    from tests.support.demo_tour import shared_tour

    return shared_tour(tmp_path_factory)
