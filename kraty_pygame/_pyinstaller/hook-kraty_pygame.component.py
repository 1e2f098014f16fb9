"""PyInstaller hook: the component's public names resolve lazily, by module name."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("kraty_pygame.component")
