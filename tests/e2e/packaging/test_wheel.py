"""The built distributions: what the wheel and the sdist hold, and the wheel installed
into a fresh virtual environment outside the repository running the demo with its
sounds and bundled font, plus the classic-pygame clash the component warns about."""

from __future__ import annotations

import json
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.support.packaging import clean_env, make_venv, run

pytestmark = pytest.mark.slow

SOUNDS = ["coin", "crate_open", "error", "milestone", "tap"]
FONTS = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"}


def test_the_wheel_installs_only_kraty_pygame_with_the_demo_and_its_assets(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(zf.read(info).decode())
        entry_points = zf.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")} == {
        "kraty_pygame"
    }
    demo = "kraty_pygame/demo/"
    assert f"{demo}__main__.py" in names and f"{demo}screens/quest.py" in names
    # the demo's Kraty code, and the emulator host its child process runs as a module
    assert {f"{demo}kraty/__init__.py", f"{demo}kraty/emulator_host.py"} <= set(names)
    assert {Path(n).name for n in names if n.startswith(f"{demo}assets/fonts/")} >= FONTS
    assert sorted(Path(n).stem for n in names if n.startswith(f"{demo}assets/sounds/")) == SOUNDS
    assert len([n for n in names if n.startswith(f"{demo}assets/images/")]) >= 20
    assert not [n for n in names if "assets_gen" in n]  # the generator is for developers
    assert "kraty_pygame/emulator/schema/0001_core.sql" in names
    assert "kraty_pygame/_pyinstaller/hook-kraty_pygame.emulator.py" in names
    assert "kraty-demo = kraty_pygame.demo.__main__:console_main" in entry_points
    assert "kraty-doctor = kraty_pygame.doctor:console_main" in entry_points
    assert "hook-dirs = kraty_pygame._pyinstaller:get_hook_dirs" in entry_points
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.13" in classifiers
    assert "Topic :: Software Development :: Libraries :: pygame" in classifiers


def test_the_sdist_carries_assets_docs_tests_and_examples(sdist: Path) -> None:
    with tarfile.open(sdist) as tf:
        names = {name.split("/", 1)[1] for name in tf.getnames() if "/" in name}
    for path in (
        "setup.py",
        "MANIFEST.in",
        "mkdocs.yml",
        "docs/index.md",
        "docs/troubleshooting.md",
        "docs/shipping.md",
        "tests/conftest.py",
        "tests/e2e/packaging/test_wheel.py",
        "examples/minimal_game.py",
        "demo_game/assets_gen.py",
        "demo_game/kraty/events.py",
        "demo_game/assets/fonts/DejaVuSans.ttf",
        "demo_game/assets/sounds/tap.wav",
        "demo_game/assets/images/coin.png",
        "scripts/demo.sh",
    ):
        assert path in names, path
    assert not [n for n in names if "__pycache__" in n]


def test_the_installed_wheel_plays_the_demo_with_its_sounds_and_bundled_font(
    wheel: Path, tmp_path: Path
) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[emulator]"],
        cwd=tmp_path,
    )
    report = tmp_path / "assets.json"
    run(
        [
            str(bin_dir / "kraty-demo"),
            "--headless",
            "--max-frames",
            "90",
            "--data-dir",
            str(tmp_path / "data"),
            "--assets-report",
            str(report),
        ],
        cwd=tmp_path,
        env=clean_env(),
        timeout=300,
    )
    loaded = json.loads(report.read_text())
    site_assets = Path(loaded["root"])
    assert site_assets.parts[-3:] == ("kraty_pygame", "demo", "assets")
    assert str(site_assets).startswith(str(tmp_path / "venv"))
    assert all(loaded["fonts"].values()), loaded["fonts"]  # none fell back to pygame's font
    assert {Path(p).name for p in loaded["fonts"].values()} == FONTS
    assert loaded["mixer"] is True and loaded["sounds"] == SOUNDS
    assert loaded["images_read"] and loaded["images_drawn"] == []

    python = str(bin_dir / "python")
    for module in ("demo_game", "kraty_pygame.demo.assets_gen"):
        out = run(
            [python, "-c", f"import importlib.util as u; print(u.find_spec({module!r}) is None)"],
            cwd=tmp_path,
            env=clean_env(),
        )
        assert out.stdout.strip() == "True", f"{module} must not be installed"


def test_classic_pygame_laid_over_pygame_ce_is_reported(wheel: Path, tmp_path: Path) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    python = str(bin_dir / "python")
    run([python, "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)
    run([python, "-m", "pip", "install", "--quiet", "pygame>=2.5,<3"], cwd=tmp_path)

    imported = run(
        [python, "-W", "always", "-c", "import kraty_pygame.component"],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert "KratyEnvironmentWarning" in imported.stderr
    assert "are both installed" in imported.stderr
    assert "pip uninstall -y pygame pygame-ce && pip install pygame-ce" in imported.stderr

    doctor = run(
        [
            python,
            "-m",
            "kraty_pygame.doctor",
            "--json",
            "--no-drivers",
            "--timeout",
            "1",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        cwd=tmp_path,
        env=clean_env(),
        check=False,
    )
    assert doctor.returncode == 1, doctor.stderr
    findings = {f["check"]: f for f in json.loads(doctor.stdout)}
    pygame_finding = findings["pygame"]
    assert pygame_finding["status"] == "problem"
    assert (
        "classic pygame" in pygame_finding["summary"] and "pygame-ce" in pygame_finding["summary"]
    )
    assert "imports: " in pygame_finding["summary"]  # which of the two really imports
    assert "are both installed" in pygame_finding["details"][0]
    assert findings["dependencies"]["status"] == "ok"  # the rest of the install is fine
