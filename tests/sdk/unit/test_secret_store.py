"""Secret stores: semantics, file safety, crash safety, keyring."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from kraty_pygame.sdk import (
    FileSecretStore,
    InMemorySecretStore,
    KeyringSecretStore,
    KratyConfigError,
    SecretStore,
    SecretStoreError,
)
from kraty_pygame.sdk._secret_store import default_store_path, store_namespace
from tests.support.paths import REPO_ROOT

REPO = REPO_ROOT


def _exercise(store: SecretStore) -> None:
    assert store.read("a") is None
    assert store.read_active_external_player_id() is None
    store.write("a", "kps_a")
    store.write("b", "kps_b")
    store.write_active_external_player_id("a")
    assert store.read("a") == "kps_a"
    assert store.read_active_external_player_id() == "a"
    store.write("a", "kps_a2")  # rotation overwrites
    assert store.read("a") == "kps_a2"
    store.remove("b")  # not the active one: marker kept
    assert store.read("b") is None
    assert store.read_active_external_player_id() == "a"
    store.remove("a")  # the active one: marker cleared
    assert store.read_active_external_player_id() is None
    store.write("c", "")
    assert store.read("c") is None  # empty string = none
    store.write_active_external_player_id("c")
    store.clear_active_external_player_id()
    assert store.read_active_external_player_id() is None


def test_in_memory_store_contract() -> None:
    _exercise(InMemorySecretStore())


def test_file_store_contract(tmp_path: Path) -> None:
    _exercise(FileSecretStore(tmp_path / "s.json"))


def test_file_store_uses_the_seed_key_names(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store = FileSecretStore(path)
    store.write("kp_1", "kps_1")
    store.write_active_external_player_id("kp_1")
    assert json.loads(path.read_text()) == {
        "kraty.playerSecret.kp_1": "kps_1",
        "kraty.activeExternalPlayerId": "kp_1",
    }


def test_two_store_objects_share_one_file(tmp_path: Path) -> None:
    first, second = FileSecretStore(tmp_path / "s.json"), FileSecretStore(tmp_path / "s.json")
    first.write("a", "kps_a")
    assert second.read("a") == "kps_a"


def test_default_location_and_permissions() -> None:
    store = FileSecretStore.for_namespace("http://127.0.0.1:8787", "kr_test")
    store.write("a", "kps_a")
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert store.path.is_relative_to(data_home)  # isolated by tests/conftest.py
    assert store.path == default_store_path("http://127.0.0.1:8787", "kr_test")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(str(store.path) + ".lock").stat().st_mode) == 0o600
    assert list(store.path.parent.glob("*.tmp")) == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o277], ids=oct)
def test_every_created_directory_is_0700_and_existing_ones_keep_their_mode(
    tmp_path: Path, umask: int
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o751)  # the user's own directory: its mode is theirs
    path = home / "data" / "kraty" / "identities" / "s.json"
    old = os.umask(umask)
    try:
        store = FileSecretStore(path)
        store.write("a", "kps_a")
    finally:
        os.umask(old)
    assert store.read("a") == "kps_a"
    for created in (home / "data", home / "data" / "kraty", path.parent):
        assert _mode(created) == 0o700, (created, oct(_mode(created)))
    assert _mode(home) == 0o751
    assert _mode(path) == 0o600


def test_an_existing_store_directory_is_left_as_the_user_made_it(tmp_path: Path) -> None:
    saves = tmp_path / "saves"  # e.g. the game's own save folder, shared with other files
    saves.mkdir()
    saves.chmod(0o755)
    store = FileSecretStore(saves / "identity.json")
    store.write("a", "kps_a")
    assert _mode(saves) == 0o755
    assert _mode(store.path) == 0o600


def test_a_file_in_the_way_of_the_directory_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("not a directory", encoding="utf-8")
    store = FileSecretStore(tmp_path / "blocker" / "sub" / "s.json")
    with pytest.raises(SecretStoreError, match="cannot create secret store directory"):
        store.write("a", "kps_a")


def test_namespace_depends_on_base_url_and_key_prefix() -> None:
    a = store_namespace("http://127.0.0.1:8787", "kr_test")
    assert a.startswith("127.0.0.1_8787-kr_test-")
    assert a != store_namespace("http://127.0.0.1:8788", "kr_test")
    assert a != store_namespace("http://127.0.0.1:8787", "kr_live")
    assert "/" not in store_namespace("https://h/x y", "a/b")


def test_unbound_store_binds_to_namespace(tmp_path: Path) -> None:
    store = FileSecretStore()
    store.bind_namespace("https://api.kraty.io", "kr_live")
    assert store.path == default_store_path("https://api.kraty.io", "kr_live")
    explicit = FileSecretStore(tmp_path / "mine.json")
    explicit.bind_namespace("https://api.kraty.io", "kr_live")
    assert explicit.path == tmp_path / "mine.json"


def test_repr_shows_no_secret(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "s.json")
    store.write("a", "kps_canary_value")
    memory = InMemorySecretStore()
    memory.write("a", "kps_canary_value")
    assert "kps_canary_value" not in repr(store) + repr(memory)


# --------------------------------------------------------------------------- corrupt files


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[1, 2]", b'{"kraty.playerSecret.a": 5}', b"\xff\xfe\x00"],
    ids=["broken-json", "empty", "array", "non-string-value", "binary"],
)
def test_corrupt_file_is_moved_aside_and_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content)
    store = FileSecretStore(path)
    with pytest.raises(SecretStoreError) as info:
        store.read_active_external_player_id()
    copies = list(tmp_path.glob("s.json.corrupt-*"))
    assert len(copies) == 1
    assert copies[0].read_bytes() == content  # kept as it was
    assert str(path) in str(info.value) and str(copies[0]) in str(info.value)
    # Still refused afterwards (and from another object): never silently empty.
    with pytest.raises(SecretStoreError):
        FileSecretStore(path).read("a")
    # Clearing the active marker (what logout does) is the explicit way out.
    store.clear_active_external_player_id()
    assert store.read("a") is None
    assert copies[0].exists()


def test_unreadable_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "dir-not-file.json"
    path.mkdir()
    with pytest.raises(SecretStoreError):
        FileSecretStore(path).read("a")


# --------------------------------------------------------------------------- crash safety

_SAFE_WRITER = """
import os, signal, sys
from kraty_pygame.sdk import FileSecretStore
store = FileSecretStore(sys.argv[1])
def crash(point):
    if point == sys.argv[2]:
        if sys.argv[3] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(9)
store._crash_hook = crash
store.write("kp_new", "kps_new_secret")
"""

_NAIVE_WRITER = """
import json, os, sys
path = sys.argv[1]
data = json.load(open(path))
data["kraty.playerSecret.kp_new"] = "kps_new_secret"
payload = json.dumps(data, indent=1)
with open(path, "w") as f:          # truncates in place
    if sys.argv[2] == "after_truncate":
        f.flush(); os._exit(9)
    f.write(payload[: len(payload) // 2])
    f.flush()
    os._exit(9)                      # killed mid-write
"""


def _seed(path: Path) -> None:
    store = FileSecretStore(path)
    store.write("kp_old", "kps_old_secret")
    store.write_active_external_player_id("kp_old")


def _run(script: str, *args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode


@pytest.mark.slow
@pytest.mark.parametrize("how", ["exit", "kill"])
@pytest.mark.parametrize("point", ["temp_written", "temp_synced", "before_rename", "after_rename"])
def test_killed_writer_leaves_old_or_new_value(tmp_path: Path, point: str, how: str) -> None:
    path = tmp_path / "s.json"
    _seed(path)
    code = _run(_SAFE_WRITER, str(path), point, how)
    assert code != 0  # the writer really died at that point
    store = FileSecretStore(path)
    assert store.read("kp_old") == "kps_old_secret"
    assert store.read_active_external_player_id() == "kp_old"
    new = store.read("kp_new")
    if point == "after_rename":
        assert new == "kps_new_secret"
    else:
        assert new is None
    assert list(tmp_path.glob("*.corrupt-*")) == []
    store.write("kp_other", "kps_x")  # the next writer cleans stale temp files
    assert list(tmp_path.glob(".*.tmp")) == []


@pytest.mark.parametrize("point", ["after_truncate", "mid_write"])
def test_control_naive_in_place_writer_corrupts_the_store(tmp_path: Path, point: str) -> None:
    path = tmp_path / "s.json"
    _seed(path)
    assert _run(_NAIVE_WRITER, str(path), point) != 0
    with pytest.raises(SecretStoreError):  # the old player is lost: the same kill, no old value
        FileSecretStore(path).read("kp_old")


# --------------------------------------------------------------------------- keyring


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}
        self.fail = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise keyring.errors.KeyringError("locked")
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail:
            raise keyring.errors.PasswordSetError("locked")
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("missing")
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_keyring_store_contract(memory_keyring: MemoryKeyring) -> None:
    store = KeyringSecretStore()
    store.bind_namespace("https://api.kraty.io", "kr_live")
    assert store.service.startswith("kraty_pygame:api.kraty.io-kr_live-")
    _exercise(store)
    store.write("z", "kps_canary_value")
    assert (store.service, "kraty.playerSecret.z") in memory_keyring.items
    assert "kps_canary_value" not in repr(store)


def test_keyring_failures_become_store_errors(memory_keyring: MemoryKeyring) -> None:
    store = KeyringSecretStore("svc")
    memory_keyring.fail = True
    with pytest.raises(SecretStoreError):
        store.read("a")
    with pytest.raises(SecretStoreError):
        store.write("a", "kps_a")


def test_keyring_store_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    with pytest.raises(KratyConfigError) as info:
        KeyringSecretStore()
    assert "kraty-pygame[keyring]" in str(info.value)
