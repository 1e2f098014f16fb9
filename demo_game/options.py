"""Command line of ``python -m demo_game`` and the options object built from it."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from .theme import DEFAULT_WINDOW

DEFAULT_FAULT_SEED = 7
# the command that started us: from a clone the folder, once installed the console script
PROG = "python -m demo_game" if __package__ == "demo_game" else "kraty-demo"
DEFAULT_FAIL_RATE = 0.3


@dataclass
class DemoOptions:
    """Everything that changes how the demo starts.

    Attributes:
        headless: no window (``SDL_VIDEODRIVER=dummy``); set by ``--headless``.
        tour: play the scripted tour instead of waiting for a player.
        screenshots: folder for the tour's screenshots and its JSON report.
        faults: turn the emulator's fault injection on (30 % retryable 503s, seeded).
        fault_seed: seed of the fault injection.
        emulator_subprocess: run the embedded emulator in a child process (keeps its
            threads off this process's GIL while the frame cost is measured).
        base_url / api_key: a Kraty server to use instead of the embedded emulator.
        data_dir: where the emulator database and secret store live (default: the demo's
            folder in the user data dir; the tour uses a fresh temporary folder).
        fps: frame cap.
        size: initial window size.
        mute: do not start the mixer.
        max_frames: stop after this many frames (smoke runs); None = until quit.
        tour_timeout: the tour fails when it has not finished after this many seconds.
        assets_report: write which fonts, sounds and images were loaded (JSON) here
            when the game ends.
    """

    headless: bool = False
    tour: bool = False
    screenshots: Path | None = None
    faults: bool = False
    fault_seed: int = DEFAULT_FAULT_SEED
    emulator_subprocess: bool = False
    base_url: str | None = None
    api_key: str | None = None
    data_dir: Path | None = None
    fps: int = 60
    size: tuple[int, int] = DEFAULT_WINDOW
    mute: bool = False
    max_frames: int | None = None
    tour_timeout: float = 240.0
    assets_report: Path | None = None

    @property
    def uses_emulator(self) -> bool:
        """True when the demo starts its own emulator (no ``--base-url``)."""
        return self.base_url is None


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    return max(320, width), max(240, height)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``python -m demo_game``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Kraty demo game: events, a tap-to-score quest with lobbies and milestones, "
            "live leaderboards, the player's wallet, inventory and grants, and a debug "
            "panel for every SDK call. Runs on an embedded Kraty emulator by default."
        ),
    )
    server = parser.add_argument_group("server")
    server.add_argument(
        "--base-url",
        default=os.environ.get("KRATY_BASE_URL") or None,
        help="a Kraty server to use instead of the embedded emulator (env KRATY_BASE_URL)",
    )
    server.add_argument(
        "--api-key",
        default=os.environ.get("KRATY_API_KEY") or None,
        help="client SDK key for --base-url (env KRATY_API_KEY)",
    )
    server.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the emulator database and the secret store "
        "(default: the demo's folder in your user data dir)",
    )
    server.add_argument(
        "--emulator-subprocess",
        action="store_true",
        help="run the embedded emulator in a child process",
    )
    tour = parser.add_argument_group("scripted tour")
    tour.add_argument("--headless", action="store_true", help="no window (SDL dummy video driver)")
    tour.add_argument("--tour", action="store_true", help="play the scripted tour of every screen")
    tour.add_argument(
        "--screenshots", type=Path, default=None, help="folder for the tour's screenshots"
    )
    tour.add_argument(
        "--faults",
        action="store_true",
        help="emulator answers 30%% of requests with a retryable 503 (seeded)",
    )
    tour.add_argument("--fault-seed", type=int, default=DEFAULT_FAULT_SEED, help=argparse.SUPPRESS)
    tour.add_argument(
        "--tour-timeout", type=float, default=240.0, help="give the tour up after N seconds"
    )
    window = parser.add_argument_group("window")
    window.add_argument("--size", type=_size, default=DEFAULT_WINDOW, help="e.g. 1280x800")
    window.add_argument("--fps", type=int, default=60, help="frame cap (default 60)")
    window.add_argument("--mute", action="store_true", help="no sound")
    window.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    window.add_argument(
        "--assets-report",
        type=Path,
        default=None,
        metavar="FILE",
        help="when the game ends, write which fonts, sounds and images it loaded (JSON)",
    )
    return parser


def parse_options(argv: list[str] | None) -> DemoOptions:
    """Parse the command line into :class:`DemoOptions`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.api_key and not args.base_url:
        parser.error("--api-key needs --base-url (or KRATY_BASE_URL)")
    if args.base_url and not args.api_key:
        parser.error("--base-url needs --api-key (or KRATY_API_KEY)")
    if args.base_url and (args.faults or args.emulator_subprocess or args.tour):
        parser.error(
            "--tour, --faults and --emulator-subprocess drive the embedded emulator "
            "(its clock and faults); they cannot be used with --base-url"
        )
    return DemoOptions(
        headless=args.headless,
        tour=args.tour,
        screenshots=args.screenshots,
        faults=args.faults,
        fault_seed=args.fault_seed,
        emulator_subprocess=args.emulator_subprocess,
        base_url=args.base_url,
        api_key=args.api_key,
        data_dir=args.data_dir,
        fps=max(1, args.fps),
        size=args.size,
        mute=args.mute,
        max_frames=args.max_frames,
        tour_timeout=args.tour_timeout,
        assets_report=args.assets_report,
    )
