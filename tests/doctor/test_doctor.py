"""kraty-doctor's checks that need no server: pygame, dependencies, store files, outbox,
drivers, and which server it picks. The server-facing checks are in
tests/doctor/test_doctor_server.py; both pygames in one real venv in
tests/e2e/packaging/test_wheel.py."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from kraty_pygame import _environment
from kraty_pygame.doctor import (
    DEFAULT_API_KEY,
    DEFAULT_BASE_URL,
    OutboxSummary,
    ServerConfig,
    check_dependencies,
    check_drivers,
    check_identity,
    check_outbox,
    check_pygame,
    resolve_server,
    version_satisfies,
)

SECRET = "kps_unit_secret_value_0123456789"
CONFIG = ServerConfig("http://127.0.0.1:9", "kr_test.abcdef123456", "--base-url")


def _site(tmp_path: Path, *dists: str) -> list[str]:
    """A site-packages folder with a ``pygame`` package and the given metadata folders."""
    site = tmp_path / "site"
    (site / "pygame").mkdir(parents=True)
    (site / "pygame" / "__init__.py").write_text("")
    for dist in dists:
        (site / dist).mkdir()
        (site / dist / "METADATA").write_text(f"Name: {dist}\n")
    return [str(site)]


# ---------------------------------------------------------------- pygame


def test_this_environment_has_pygame_ce_only_and_imports_it() -> None:
    finding = check_pygame()
    assert finding.status == "ok", finding
    assert "installed: pygame-ce" in finding.summary
    assert "imports: pygame-ce" in finding.summary
    assert "classic" not in finding.summary


def test_classic_pygame_and_pygame_ce_in_one_folder_is_a_problem(tmp_path: Path) -> None:
    path = _site(
        tmp_path, "pygame-2.6.1.dist-info", "pygame_ce-2.5.8.dist-info", "other-1.dist-info"
    )
    install = _environment.find_pygame_install(path)
    assert (install.classic, install.ce, install.both) == ("2.6.1", "2.5.8", True)
    finding = check_pygame(path, import_it=False)
    assert finding.status == "problem"
    text = " ".join(finding.details)
    assert "classic pygame 2.6.1 and pygame-ce 2.5.8 are both installed" in text
    assert _environment.FIX_COMMAND in text


def test_the_component_import_check_warns_about_both(tmp_path: Path) -> None:
    path = _site(tmp_path, "pygame-2.6.1.dist-info", "pygame_ce-2.5.8.dist-info")
    with pytest.warns(_environment.KratyEnvironmentWarning, match="both installed"):
        assert _environment.warn_about_pygame(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not _environment.warn_about_pygame(
            _site(tmp_path / "ce", "pygame_ce-2.5.8.dist-info")
        )


def test_classic_pygame_alone_is_a_problem(tmp_path: Path) -> None:
    finding = check_pygame(_site(tmp_path, "pygame-2.6.1.dist-info"), import_it=False)
    assert finding.status == "problem"
    assert "classic pygame 2.6.1" in finding.details[0]


def test_no_pygame_at_all_is_a_problem(tmp_path: Path) -> None:
    finding = check_pygame([str(tmp_path)], import_it=False)
    assert finding.status == "problem"
    assert "pip install pygame-ce" in finding.details[0]


def test_importing_the_component_does_not_warn_in_a_clean_environment() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import kraty_pygame.component"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


# ---------------------------------------------------------------- dependencies


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("2.32.3", ">=2.32,<3", True),
        ("3.0", ">=2.32,<3", False),
        ("2.31.9", ">=2.32,<3", False),
        ("0.6.7", ">=0.6.4,<0.7", True),
        ("0.7.0", ">=0.6.4,<0.7", False),
        ("1.4.2", "~=1.4", True),
        ("2.0", "~=1.4", False),
        ("2.5.0", "==2.5.*", True),
        ("2.6.0", "==2.5.*", False),
        ("4.2.0rc1", ">=4.2", True),
        ("1.0", "", True),
        ("banana", ">=1", None),
        ("1.0", "=>1", None),
    ],
)
def test_version_ranges(version: str, spec: str, expected: bool | None) -> None:
    assert version_satisfies(version, spec) is expected


def test_installed_dependencies_are_within_the_project_ranges() -> None:
    finding = check_dependencies()
    assert finding.status == "ok", finding
    assert finding.summary.startswith(tuple("123456789"))


def test_out_of_range_and_missing_dependencies_are_named() -> None:
    versions = {"requests": "2.10.0", "fastapi": None, "platformdirs": "4.3.0"}
    finding = check_dependencies(
        requirements=[
            "requests<3,>=2.32",
            "platformdirs<5,>=4.2",
            "filelock<5,>=3.13",
            'fastapi<1,>=0.115; extra == "emulator"',
            'mkdocs<2,>=1.6; extra == "docs"',
        ],
        installed=versions.get,
    )
    assert finding.status == "problem"
    text = "\n".join(finding.details)
    assert "requests 2.10.0 is outside the supported range <3,>=2.32" in text
    assert "filelock is missing" in text
    assert "fastapi is not installed (only the 'emulator' extra needs it" in text
    assert "mkdocs" not in text  # the docs extra is not the game's business


def test_a_source_tree_without_install_is_a_note() -> None:
    finding = check_dependencies("kraty-pygame-not-a-real-distribution")
    assert finding.status == "note"
    assert "not installed as a package" in finding.summary


# ---------------------------------------------------------------- server choice


def test_server_choice_flags_then_environment_then_the_local_emulator() -> None:
    env = {"KRATY_BASE_URL": "https://env.example", "KRATY_API_KEY": "kr_live.envkey"}
    flag = resolve_server("https://flag.example", "kr_live.flagkey", env)
    assert (flag.base_url, flag.api_key, flag.source) == (
        "https://flag.example",
        "kr_live.flagkey",
        "--base-url",
    )
    from_env = resolve_server(None, None, env)
    assert (from_env.base_url, from_env.api_key, from_env.source) == (
        "https://env.example",
        "kr_live.envkey",
        "KRATY_BASE_URL",
    )
    default = resolve_server(None, None, {})
    assert (default.base_url, default.api_key) == (DEFAULT_BASE_URL, DEFAULT_API_KEY)
    assert "envkey" not in repr(from_env) and from_env.key_label == "kr_live.***"


# ---------------------------------------------------------------- secret store files


def _store(path: Path, data: dict[str, str], mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return path


def test_no_store_yet_is_a_note_naming_the_default_file() -> None:
    finding = check_identity(CONFIG, server_ok=False)
    assert finding.status == "note"
    assert "no player saved yet" in finding.summary
    # the default file lives in the (test-isolated) user data dir
    assert os.environ["XDG_DATA_HOME"] in finding.details[0]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_store_readable_by_others_is_a_problem(tmp_path: Path) -> None:
    store = _store(
        tmp_path / "ids" / "store.json",
        {"kraty.activeExternalPlayerId": "p1", "kraty.playerSecret.p1": SECRET},
        mode=0o644,
    )
    finding = check_identity(CONFIG, store, server_ok=False)
    assert finding.status == "problem"
    assert f"chmod 600 {store}" in finding.details[-1]
    assert SECRET not in repr(finding)


def test_a_damaged_store_and_one_moved_aside_are_problems(tmp_path: Path) -> None:
    store = tmp_path / "ids" / "store.json"
    store.parent.mkdir(mode=0o700)
    store.write_text("{not json")
    store.chmod(0o600)
    damaged = check_identity(CONFIG, store, server_ok=False)
    assert damaged.status == "problem" and "cannot be read" in damaged.summary
    assert store.read_text() == "{not json"  # the doctor changes nothing
    store.rename(store.with_name("store.json.corrupt-20260101T000000-1"))
    aside = check_identity(CONFIG, store, server_ok=False)
    assert aside.status == "problem" and "moved aside" in aside.summary
    assert "logout()" in " ".join(aside.details)


def test_a_saved_player_is_named_but_its_secret_never_shown(tmp_path: Path) -> None:
    store = _store(
        tmp_path / "ids" / "store.json",
        {"kraty.activeExternalPlayerId": "p1", "kraty.playerSecret.p1": SECRET},
    )
    finding = check_identity(CONFIG, store, server_ok=False)
    assert finding.status == "note" and "active player p1" in finding.summary
    assert "players saved: 1" in finding.details
    assert SECRET not in repr(finding)


# ---------------------------------------------------------------- outbox


def test_the_outbox_package_counts_pending_writes_without_changing_the_folder(
    tmp_path: Path,
) -> None:
    from kraty_pygame.sdk.outbox._journal import Journal, frame
    from kraty_pygame.sdk.outbox._state import encode_record

    box = tmp_path / "outbox"
    journal = Journal(box)
    for entry_id in ("a", "b", "c"):
        journal.append(frame(encode_record({"t": "rec", "id": entry_id, "pl": "p1"}, b"{}")))
    journal.append(frame(encode_record({"t": "end", "id": "a", "s": "applied", "at": 1})))
    journal.close()
    before = sorted((p.name, p.stat().st_size) for p in box.iterdir())
    finding = check_outbox(CONFIG, box)
    assert (finding.status, finding.summary) == ("note", "2 write(s) waiting to be sent")
    assert sorted((p.name, p.stat().st_size) for p in box.iterdir()) == before


def _count_journals(directory: Path) -> OutboxSummary:
    """Stand-in for the outbox package's reader: one pending write per journal line."""
    pending = sum(len(p.read_text().splitlines()) for p in sorted(directory.glob("*.journal")))
    return OutboxSummary(directory, pending, tuple(sorted(directory.glob("*.corrupt-*"))))


def test_outbox_pending_writes_and_set_aside_journals(tmp_path: Path) -> None:
    box = tmp_path / "outbox"
    assert check_outbox(CONFIG, box, inspector=_count_journals).status == "ok"  # no folder yet
    box.mkdir(mode=0o700)
    box.chmod(0o700)
    assert check_outbox(CONFIG, box, inspector=_count_journals).summary.startswith("0 write")
    (box / "p1.journal").write_text("a\nb\nc\n")
    pending = check_outbox(CONFIG, box, inspector=_count_journals)
    assert (pending.status, pending.summary) == ("note", "3 write(s) waiting to be sent")
    (box / "p2.journal.corrupt-1").write_text("x")
    aside = check_outbox(CONFIG, box, inspector=_count_journals)
    assert aside.status == "problem"
    assert f"set aside: {box / 'p2.journal.corrupt-1'}" in aside.details


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_outbox_open_to_others_is_a_problem(tmp_path: Path) -> None:
    box = tmp_path / "outbox"
    box.mkdir()
    box.chmod(0o755)
    finding = check_outbox(CONFIG, box, inspector=_count_journals)
    assert finding.status == "problem" and "open to other users" in finding.summary


# ---------------------------------------------------------------- drivers


def test_drivers_report_the_dummy_drivers_of_a_headless_run() -> None:
    assert os.environ["SDL_VIDEODRIVER"] == "dummy"
    finding = check_drivers()
    assert finding.status == "ok", finding
    assert finding.summary == "video: dummy, audio: dummy"
    assert "SDL_VIDEODRIVER=dummy" in finding.details[-1]


def test_drivers_explain_a_missing_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-such-driver")
    finding = check_drivers()
    assert finding.status == "note"
    assert finding.summary.startswith("video: none")
    assert "SDL_VIDEODRIVER=dummy" in finding.details[0]
