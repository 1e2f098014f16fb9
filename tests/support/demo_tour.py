"""One play of the demo's scripted tour, shared by every test that looks at it.

The tour is the slowest thing the suite does, so it is played once per session (the
``demo_tour`` fixture in ``tests/conftest.py``), the way the README tells a newcomer to
run it: ``bash scripts/demo.sh --emulator-subprocess`` on a machine without a display.
The run also carries what the other tour tests need:

* ``--faults``: the emulator answers 30 % of requests with a seeded, retryable 503, so
  the debug screen has retries to show;
* a font that records every string the demo renders, so a test can check that no
  player secret is ever drawn;
* ``--data-dir``: a folder that outlives the run, so a test can read the stored secrets.

The script's venv is a stand-in whose ``python`` skips ``pip`` and runs this
interpreter (``-m demo_game`` runs the font-recording launcher), so no environment is
created; everything after that is the script's own no-display branch. The emulator runs
in a child process, so the reported main-thread Kraty time per frame is measured
without the server's threads on the game's GIL.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from demo_game.tour import REPORT_NAME
from tests.support.paths import REPO_ROOT

#: Seconds the whole run may take before the test fails.
TOUR_TIMEOUT = 300


@dataclass
class TourRun:
    """One finished tour: exit code, output and what it wrote."""

    returncode: int
    stdout: str
    stderr: str
    shots: Path
    report: dict[str, Any]
    data_dir: Path
    rendered: str | None
    """Every string the demo drew with a font, one per line (None: the file is missing)."""


_FONT_RECORDER = """
import atexit, sys
import pygame
seen = []
original = pygame.font.Font
class RecordingFont(original):
    def render(self, text, *args, **kwargs):
        seen.append(str(text))
        return super().render(text, *args, **kwargs)
pygame.font.Font = RecordingFont
def dump():
    with open({texts!r}, "w", encoding="utf-8") as fh:
        fh.write("\\n".join(seen))
atexit.register(dump)
from demo_game.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def child_env(base: Path) -> dict[str, str]:
    """This process's environment without a display or a Kraty server, homes under ``base``."""
    env = dict(os.environ)
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "KRATY_BASE_URL", "KRATY_API_KEY", "SDL_VIDEODRIVER"):
        env.pop(var, None)
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (base / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(base / sub)
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    return env


def play_tour(base: Path) -> TourRun:
    """Run ``scripts/demo.sh --emulator-subprocess --faults`` headless in ``base``."""
    texts = base / "rendered.txt"
    launcher = base / "record_fonts.py"
    launcher.write_text(textwrap.dedent(_FONT_RECORDER.format(texts=str(texts))), "utf-8")
    bin_dir = base / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "python"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# stand-in for the demo venv's python: pip is a no-op, the game runs under the\n"
        "# font recorder, the rest runs the test's python\n"
        'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then exit 0; fi\n'
        'if [ "$1" = "-m" ] && [ "$2" = "demo_game" ]; then shift 2; '
        f'exec "{sys.executable}" "{launcher}" "$@"; fi\n'
        f'exec "{sys.executable}" "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    shots = base / "shots"
    data_dir = base / "demo-data"
    env = child_env(base)
    env["KRATY_DEMO_VENV"] = str(base / "venv")
    env["KRATY_DEMO_SCREENSHOTS"] = str(shots)
    env["PYTHONPATH"] = str(REPO_ROOT)  # the launcher is not started from the repository
    proc = subprocess.run(
        [
            "bash",
            str(REPO_ROOT / "scripts" / "demo.sh"),
            "--emulator-subprocess",
            "--faults",
            "--data-dir",
            str(data_dir),
        ],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOUR_TIMEOUT,
        check=False,
    )
    report_path = shots / REPORT_NAME
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else {}
    rendered = texts.read_text(encoding="utf-8") if texts.is_file() else None
    return TourRun(proc.returncode, proc.stdout, proc.stderr, shots, report, data_dir, rendered)


def shared_tour(tmp_path_factory: pytest.TempPathFactory) -> TourRun:
    """The run's one play of the tour. Without xdist it is played here; under xdist the
    first worker that needs it plays it into the run's shared temporary folder (under a
    file lock) and every other worker reads the recorded result."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return play_tour(tmp_path_factory.mktemp("demo-tour"))
    shared = tmp_path_factory.getbasetemp().parent / "demo-tour"
    result = shared / "tour.pickle"
    with FileLock(f"{shared}.lock"):
        if not result.is_file():
            shared.mkdir(exist_ok=True)
            run = play_tour(shared)
            result.write_bytes(pickle.dumps(run))
            return run
    loaded = pickle.loads(result.read_bytes())  # written by this run
    assert isinstance(loaded, TourRun)
    return loaded
