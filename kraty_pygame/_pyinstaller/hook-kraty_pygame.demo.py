"""PyInstaller hook: the demo game's fonts, images and sounds."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("kraty_pygame.demo")
datas = collect_data_files("kraty_pygame.demo")
