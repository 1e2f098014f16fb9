"""The SDK's public surface, and that importing it never pulls pygame or server code."""

from __future__ import annotations

import importlib
import subprocess
import sys

import kraty_pygame
import kraty_pygame.sdk as sdk
from tests.support.paths import REPO_ROOT

REPO = REPO_ROOT

CORE_NAMES = {
    "Kraty",
    "KratyClient",
    "RetryConfig",
    "RequestInfo",
    "CancelToken",
    "KratyError",
    "KratyConfigError",
    "KratyApiError",
    "KratyProtocolError",
    "KratyNetworkError",
    "KratyTimeoutError",
    "KratyCancelledError",
    "KratyPollTimeoutError",
    "KratyStreamError",
    "KratyErrorCode",
    "SecretStoreError",
    "is_lobby_forming",
    "Identity",
    "IdentityManager",
    "SecretStore",
    "InMemorySecretStore",
    "FileSecretStore",
    "KeyringSecretStore",
    "PlayerRegistration",
    "PlayerIdentity",
    "SyntheticIdentity",
    "localized",
}
PUBLIC_MODULES = [
    "kraty_pygame.sdk",
    "kraty_pygame.sdk.errors",
    "kraty_pygame.sdk.options",
    "kraty_pygame.sdk.transport",
    "kraty_pygame.sdk.identity",
    "kraty_pygame.sdk.kraty",
    "kraty_pygame.sdk.models",
    "kraty_pygame.sdk.models._base",
    "kraty_pygame.sdk.models.players",
    "kraty_pygame.sdk.resources",
    "kraty_pygame.sdk.resources.players",
]


def test_core_surface_is_exported() -> None:
    assert set(sdk.__all__) >= CORE_NAMES
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None, name


def test_every_public_module_has_all() -> None:
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert isinstance(module.__all__, list | tuple), module_name
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_top_level_sdk_names_resolve_to_the_sdk() -> None:
    for name in ("Kraty", "RetryConfig", "KratyApiError", "KratyErrorCode", "SecretStoreError"):
        assert getattr(kraty_pygame, name) is getattr(sdk, name)


def test_the_packages_list_public_names_and_their_own_loaded_submodules() -> None:
    """``dir()`` of each package: its ``__all__`` and the submodules of its own imported
    so far, never a helper module such as ``logging`` or ``importlib``."""
    import kraty_pygame.component as component
    import kraty_pygame.sdk.errors  # a loaded submodule of the SDK

    for package in (kraty_pygame, sdk, component):
        listed = set(dir(package))
        assert set(package.__all__) <= listed, package.__name__
        assert not listed & {"logging", "importlib", "Any", "TYPE_CHECKING"}, package.__name__
    assert "errors" in dir(sdk)
    try:
        sdk.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'kraty_pygame.sdk' has no attribute 'no_such_name'"
    else:
        raise AssertionError("an unknown name must raise AttributeError")


_CHILD = """
import importlib.abc, sys

BLOCKED = ("pygame", "fastapi", "uvicorn", "sse_starlette", "starlette")

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Block())
try:
    import pygame  # noqa
except ImportError:
    pass
else:
    raise SystemExit("pygame should be unimportable here")

import kraty_pygame.sdk
from kraty_pygame.sdk import Kraty, InMemorySecretStore
Kraty("kr_test.a", base_url="http://127.0.0.1:9", secret_store=InMemorySecretStore()).close()
import kraty_pygame
kraty_pygame.Kraty
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("LOADED", loaded)
"""


def test_sdk_imports_without_pygame_or_server_packages() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout
