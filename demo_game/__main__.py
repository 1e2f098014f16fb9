"""Entry point of the demo game.

The playable demo is not built yet; until it lands this entry point says so and
exits with a non-zero status instead of pretending.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the demo game; returns the process exit code."""
    del argv
    print("kraty_pygame demo game: not built yet (see CHANGELOG.md for what exists).")
    return 2


def console_main() -> None:
    """Console-script wrapper for :func:`main`."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
