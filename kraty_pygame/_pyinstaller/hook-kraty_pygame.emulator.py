"""PyInstaller hook: the emulator's submodules, ``sse_starlette`` and its SQL/TOML files."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = [*collect_submodules("kraty_pygame.emulator"), "sse_starlette"]
datas = collect_data_files("kraty_pygame.emulator")
