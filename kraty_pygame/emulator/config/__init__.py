"""The emulator's TOML config: typed models, the loader and its checks."""
