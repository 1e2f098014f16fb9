"""Build script: the metadata lives in setup.cfg; this file maps the demo into the package.

The repository keeps the demo game in ``demo_game/`` (``python -m demo_game`` from a
clone); installs ship it as ``kraty_pygame.demo`` with its assets, so no generic
top-level ``demo_game`` lands in users' site-packages. Modules only a developer needs
(the asset generator) stay out of the wheel.
"""

from __future__ import annotations

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DEMO_PACKAGE = "kraty_pygame.demo"
DEMO_DIR = "demo_game"
DEV_ONLY_MODULES = frozenset({(DEMO_PACKAGE, "assets_gen")})


class BuildPy(build_py):
    """``build_py`` without the developer-only modules."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules: list[tuple[str, str, str]] = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) not in DEV_ONLY_MODULES]


demo_subpackages = [f"{DEMO_PACKAGE}.{name}" for name in find_packages(DEMO_DIR)]

setup(
    packages=[
        *find_packages(include=["kraty_pygame", "kraty_pygame.*"]),
        DEMO_PACKAGE,
        *demo_subpackages,
    ],
    package_dir={DEMO_PACKAGE: DEMO_DIR},
    cmdclass={"build_py": BuildPy},
)
