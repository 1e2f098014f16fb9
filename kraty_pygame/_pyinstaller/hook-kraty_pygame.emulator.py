"""PyInstaller hook: the emulator's submodules and its SQL/TOML files."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("kraty_pygame.emulator")
datas = collect_data_files("kraty_pygame.emulator")
