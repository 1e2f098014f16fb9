"""PyInstaller hook: the public names of kraty_pygame resolve lazily, by module name."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("kraty_pygame.sdk")
