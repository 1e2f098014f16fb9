"""PyInstaller hooks for kraty_pygame, found through the ``pyinstaller40`` entry point.

With them a plain ``pyinstaller my_game.py`` bundles what kraty_pygame loads by name
(the lazily imported submodules, the emulator's modules) and its
data files (the emulator's schema and demo config, the demo's assets).
"""

from __future__ import annotations

from pathlib import Path


def get_hook_dirs() -> list[str]:
    """The folder holding the ``hook-*.py`` files (PyInstaller calls this)."""
    return [str(Path(__file__).resolve().parent)]
