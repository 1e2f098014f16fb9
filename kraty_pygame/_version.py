"""The package version, kept in one place (setup.cfg reads it)."""

from typing import Final

__version__: Final = "0.2.0"
