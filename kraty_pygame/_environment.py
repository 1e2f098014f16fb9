"""Is the ``pygame`` that imports pygame-ce, and is classic pygame installed over it?

Classic ``pygame`` and ``pygame-ce`` install the same ``pygame`` folder: installing one
into an environment that has the other silently overwrites its files, and uninstalling
either later breaks both. This module finds out without importing pygame (it reads the
installers' metadata folders next to the ``pygame`` package), so the component can warn
at import and ``kraty-doctor`` can explain.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Final

__all__ = [
    "FIX_COMMAND",
    "KratyEnvironmentWarning",
    "PygameInstall",
    "find_pygame_install",
    "pygame_problem",
    "warn_about_pygame",
]

FIX_COMMAND: Final = "pip uninstall -y pygame pygame-ce && pip install pygame-ce"
_METADATA = re.compile(r"^(pygame|pygame_ce)-([^-]+?)(?:-py[0-9.]+)?\.(?:dist|egg)-info$", re.I)


class KratyEnvironmentWarning(UserWarning):
    """Something in the Python environment will make kraty_pygame misbehave."""


@dataclass(frozen=True, slots=True)
class PygameInstall:
    """What an environment holds under the ``pygame`` import name.

    Attributes:
        location: the folder that holds the ``pygame`` package that imports (None: none).
        classic: version of classic pygame's metadata in that folder (None: absent).
        ce: version of pygame-ce's metadata in that folder (None: absent).
    """

    location: Path | None
    classic: str | None
    ce: str | None

    @property
    def both(self) -> bool:
        """True when classic pygame and pygame-ce share the folder."""
        return self.classic is not None and self.ce is not None


def find_pygame_install(path: Sequence[str] | None = None) -> PygameInstall:
    """Locate the ``pygame`` package on ``path`` (default ``sys.path``) and read which
    distributions installed files into its folder. Never imports pygame."""
    spec = PathFinder.find_spec("pygame", list(path) if path is not None else None)
    if spec is None or not spec.submodule_search_locations:
        return PygameInstall(location=None, classic=None, ce=None)
    package = Path(next(iter(spec.submodule_search_locations)))
    location = package.parent
    classic: str | None = None
    ce: str | None = None
    try:
        names = os.listdir(location)
    except OSError:
        names = []
    for name in names:
        match = _METADATA.match(name)
        if match is None:
            continue
        if match.group(1).lower() == "pygame":
            classic = match.group(2)
        else:
            ce = match.group(2)
    return PygameInstall(location=location, classic=classic, ce=ce)


def pygame_problem(install: PygameInstall) -> str | None:
    """A plain-words explanation of what is wrong with ``install`` (None: nothing)."""
    if install.both:
        return (
            f"classic pygame {install.classic} and pygame-ce {install.ce} are both installed "
            f"in {install.location}. They share the 'pygame' folder, so the one installed "
            "last overwrote the other's files, and uninstalling either later breaks both. "
            f"kraty_pygame needs pygame-ce only; repair the environment with: {FIX_COMMAND}"
        )
    if install.classic is not None:
        return (
            f"the pygame in {install.location} is classic pygame {install.classic}; "
            f"kraty_pygame is built and tested on pygame-ce. Switch with: {FIX_COMMAND}"
        )
    return None


def warn_about_pygame(path: Sequence[str] | None = None) -> bool:
    """Emit a :class:`KratyEnvironmentWarning` when classic pygame is installed where
    the importable ``pygame`` lives; returns True when it warned."""
    problem = pygame_problem(find_pygame_install(path))
    if problem is None:
        return False
    warnings.warn(
        problem + " (run kraty-doctor for details)", KratyEnvironmentWarning, stacklevel=2
    )
    return True
