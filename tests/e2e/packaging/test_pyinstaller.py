"""The documented PyInstaller command freezes examples/minimal_game.py with the hooks
kraty_pygame ships (no extra flags), and the frozen game runs headless against the
emulator it embeds."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.support.packaging import clean_env, make_venv, run
from tests.support.paths import REPO_ROOT as ROOT

# Freezing is slow on a busy machine, hence its own timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

_BASH = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def _documented(prefix: str) -> list[str]:
    """The first command of docs/shipping.md's bash blocks that starts with ``prefix``."""
    text = (ROOT / "docs" / "shipping.md").read_text(encoding="utf-8")
    for block in _BASH.findall(text):
        for line in block.splitlines():
            if line.startswith(prefix):
                return shlex.split(line.split("#", 1)[0])
    pytest.fail(f"docs/shipping.md documents no '{prefix}' command")


def test_the_documented_command_freezes_the_minimal_game(wheel: Path, tmp_path: Path) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    pip_install = _documented("pip install 'pyinstaller")
    run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"{wheel}[emulator]",
            *pip_install[2:],
        ],
        cwd=tmp_path,
    )
    work = tmp_path / "game"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "minimal_game.py", work / "minimal_game.py")
    freeze = _documented("pyinstaller ")
    assert freeze == ["pyinstaller", "--noconfirm", "minimal_game.py"]
    run([str(bin_dir / freeze[0]), *freeze[1:]], cwd=work, env=clean_env(), timeout=1200)

    launch = _documented("./dist/")
    frozen = work / launch[0]
    assert frozen.is_file()
    out = run(
        [str(frozen), *launch[1:], "--frames", "240"],
        cwd=tmp_path,  # not next to the sources: the bundle must carry everything
        env=clean_env(),
        timeout=300,
    )
    # the start call came back from the embedded emulator (status left "connecting…")
    assert re.search(r"^minimal game: (tap SPACE!|live board: \w+);", out.stdout, re.M), (
        out.stdout + out.stderr
    )
