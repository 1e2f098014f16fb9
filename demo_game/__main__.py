"""Entry point of the demo game: ``python -m demo_game`` (also the ``kraty-demo`` script).

Without arguments it opens a window and plays against an embedded Kraty emulator
whose data persists in the demo's folder of the user data dir. ``--headless --tour
--screenshots DIR`` plays the scripted tour without a display and saves one
screenshot per screen; ``python -m demo_game --help`` lists every option.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the demo game; returns the process exit code."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from .options import parse_options  # noqa: PLC0415 - after the env variable

    options = parse_options(sys.argv[1:] if argv is None else argv)
    if options.headless:
        # must be set before pygame initialises SDL
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from .game import run  # noqa: PLC0415 - imports pygame

    return run(options)


def console_main() -> None:
    """Console-script wrapper for :func:`main`."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
