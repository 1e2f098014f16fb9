"""Secret store implementations; public names live in ``identity`` (docs/identity.md).

``FileSecretStore`` keeps one JSON file per namespace (base URL + API-key prefix) in
the platformdirs user data directory, mode 0600 in a 0700 directory (every directory
the store creates is 0700 whatever the umask; existing ones keep their mode). Every
change is written to a temporary file, fsynced, renamed over the old file and the
directory is fsynced, all under a cross-process file lock, so a crash at any point
leaves the old or the new content. A corrupt file is moved aside and reported, never
replaced by a fresh player.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import urlsplit

import filelock
import platformdirs

from kraty_pygame.sdk.errors import KratyConfigError, SecretStoreError

__all__ = [
    "ACTIVE_KEY",
    "SECRET_KEY_PREFIX",
    "FileSecretStore",
    "InMemorySecretStore",
    "KeyringSecretStore",
    "LockingSecretStore",
    "SecretStore",
    "default_store_path",
    "store_namespace",
]

SECRET_KEY_PREFIX: Final = "kraty.playerSecret."  # noqa: S105 - a key name
ACTIVE_KEY: Final = "kraty.activeExternalPlayerId"
_APP_NAME: Final = "kraty_pygame"
_LOCK_TIMEOUT: Final = 120.0


@runtime_checkable
class SecretStore(Protocol):
    """Where player secrets and the active player id persist."""

    def read(self, external_player_id: str) -> str | None:
        """The stored secret for that id (``None`` when absent or empty)."""
        ...

    def write(self, external_player_id: str, secret: str) -> None:
        """Store (or overwrite) the secret for that id."""
        ...

    def remove(self, external_player_id: str) -> None:
        """Delete that id's secret; clear the active marker if it points to that id."""
        ...

    def read_active_external_player_id(self) -> str | None:
        """The last active id, if any."""
        ...

    def write_active_external_player_id(self, external_player_id: str) -> None:
        """Persist the active marker."""
        ...

    def clear_active_external_player_id(self) -> None:
        """Forget the active marker, keep secrets."""
        ...


@runtime_checkable
class LockingSecretStore(SecretStore, Protocol):
    """A store that can hold a cross-process lock across read-check-register-write."""

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the store's lock (re-entrant on the same thread)."""
        ...


class InMemorySecretStore:
    """A thread-safe store that forgets everything when the process ends (tests, tools)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._secrets: dict[str, str] = {}
        self._active: str | None = None

    def __repr__(self) -> str:
        return f"InMemorySecretStore(players={len(self._secrets)})"

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the in-process lock."""
        return _rlock_context(self._lock)

    def read(self, external_player_id: str) -> str | None:
        """The stored secret for that id."""
        with self._lock:
            return self._secrets.get(external_player_id) or None

    def write(self, external_player_id: str, secret: str) -> None:
        """Store the secret for that id."""
        with self._lock:
            self._secrets[external_player_id] = secret

    def remove(self, external_player_id: str) -> None:
        """Delete that id's secret (and the active marker if it points to it)."""
        with self._lock:
            self._secrets.pop(external_player_id, None)
            if self._active == external_player_id:
                self._active = None

    def read_active_external_player_id(self) -> str | None:
        """The active id."""
        with self._lock:
            return self._active

    def write_active_external_player_id(self, external_player_id: str) -> None:
        """Set the active id."""
        with self._lock:
            self._active = external_player_id

    def clear_active_external_player_id(self) -> None:
        """Forget the active id."""
        with self._lock:
            self._active = None


@contextlib.contextmanager
def _rlock_context(lock: threading.RLock) -> Iterator[None]:
    with lock:
        yield


def store_namespace(base_url: str, api_key_prefix: str) -> str:
    """A file-name-safe namespace for a backend + key prefix (``127.0.0.1_8787-kr_test-1a2b…``)."""
    parts = urlsplit(base_url)
    host = parts.hostname or "unknown"
    if parts.port:
        host = f"{host}_{parts.port}"
    digest = hashlib.sha256(f"{base_url}|{api_key_prefix}".encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{host}-{api_key_prefix or 'key'}")
    return f"{safe}-{digest}"


def default_store_path(base_url: str, api_key_prefix: str) -> Path:
    """The default store file for a namespace in the platformdirs user data dir."""
    root = platformdirs.user_data_path(_APP_NAME, appauthor=False)
    return root / "identities" / f"{store_namespace(base_url, api_key_prefix)}.json"


class FileSecretStore:
    """The default, durable store: one JSON file per namespace, safe across processes.

    Args:
        path: the store file. ``None`` = the default file in the platformdirs user data
            dir for the client's base URL + API-key prefix (bound by ``Kraty``). A game may
            pass its own path, which makes the namespace independent of the port.
        lock_timeout: seconds to wait for another process holding the lock.

    The file holds ``{"kraty.playerSecret.<id>": secret, "kraty.activeExternalPlayerId": id}``.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, lock_timeout: float = _LOCK_TIMEOUT
    ) -> None:
        self._path: Path | None = Path(path) if path is not None else None
        self._explicit = path is not None
        self._lock_timeout = lock_timeout
        self._thread_lock = threading.RLock()
        self._file_lock: filelock.BaseFileLock | None = None
        self._crash_hook: Callable[[str], None] | None = None  # tests: crash at a write step

    @classmethod
    def for_namespace(cls, base_url: str, api_key_prefix: str) -> FileSecretStore:
        """The default store of this base URL + key prefix."""
        return cls(default_store_path(base_url, api_key_prefix))

    def bind_namespace(self, base_url: str, api_key_prefix: str) -> None:
        """Give a path-less store its default file (no-op when a path was passed)."""
        if self._path is None:
            self._path = default_store_path(base_url, api_key_prefix)

    @property
    def path(self) -> Path:
        """The store file."""
        if self._path is None:
            self._path = default_store_path("default", "")
        return self._path

    def __repr__(self) -> str:
        return f"FileSecretStore(path={str(self.path)!r})"

    # ------------------------------------------------------------------ locking

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the cross-process lock (re-entrant within a thread)."""
        with self._thread_lock:
            self._ensure_dir()
            if self._file_lock is None:
                self._file_lock = filelock.FileLock(
                    str(self.path) + ".lock", timeout=self._lock_timeout, mode=0o600
                )
            try:
                with self._file_lock:
                    yield
            except filelock.Timeout as exc:
                raise SecretStoreError(
                    f"secret store {self.path} is locked by another process "
                    f"(waited {self._lock_timeout:g} s)"
                ) from exc

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        if directory.is_dir():
            return
        try:
            _make_private_dirs(directory)
        except OSError as exc:
            raise SecretStoreError(
                f"cannot create secret store directory {directory}: {exc.strerror}"
            ) from exc

    # ------------------------------------------------------------------ protocol

    def read(self, external_player_id: str) -> str | None:
        """The stored secret for that id."""
        with self.lock():
            value = self._load().get(SECRET_KEY_PREFIX + external_player_id)
        return value or None

    def write(self, external_player_id: str, secret: str) -> None:
        """Store the secret for that id (atomic)."""
        with self.lock():
            data = self._load(reset_if_corrupt=True)
            data[SECRET_KEY_PREFIX + external_player_id] = secret
            self._save(data)

    def remove(self, external_player_id: str) -> None:
        """Delete that id's secret (and the active marker if it points to it)."""
        with self.lock():
            data = self._load()
            data.pop(SECRET_KEY_PREFIX + external_player_id, None)
            if data.get(ACTIVE_KEY) == external_player_id:
                data.pop(ACTIVE_KEY, None)
            self._save(data)

    def read_active_external_player_id(self) -> str | None:
        """The active id."""
        with self.lock():
            return self._load().get(ACTIVE_KEY) or None

    def write_active_external_player_id(self, external_player_id: str) -> None:
        """Persist the active id (atomic)."""
        with self.lock():
            data = self._load(reset_if_corrupt=True)
            data[ACTIVE_KEY] = external_player_id
            self._save(data)

    def clear_active_external_player_id(self) -> None:
        """Forget the active id; also the explicit way out of a corrupt store."""
        with self.lock():
            data = self._load(reset_if_corrupt=True)
            data.pop(ACTIVE_KEY, None)
            self._save(data)

    # ------------------------------------------------------------------ file I/O

    def _corrupt_copies(self) -> list[Path]:
        pattern = f"{self.path.name}.corrupt-*"
        return sorted(self.path.parent.glob(pattern))

    def _load(self, *, reset_if_corrupt: bool = False) -> dict[str, str]:
        path = self.path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            copies = self._corrupt_copies()
            if copies and not reset_if_corrupt:
                raise SecretStoreError(
                    f"secret store {path} was corrupt and moved aside to {copies[-1]}; "
                    "call logout() (or sign_in) to start over, or restore the file"
                ) from None
            return {}
        except OSError as exc:
            raise SecretStoreError(f"cannot read secret store {path}: {exc.strerror}") from exc
        data = _parse_store(raw)
        if data is not None:
            return data
        moved = path.with_name(
            f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        )
        try:
            os.replace(path, moved)
        except OSError as exc:
            raise SecretStoreError(
                f"secret store {path} is corrupt and could not be moved aside: {exc.strerror}"
            ) from exc
        if reset_if_corrupt:
            return {}
        raise SecretStoreError(
            f"secret store {path} is corrupt; moved aside to {moved}. "
            "Call logout() (or sign_in) to start over, or restore the file"
        )

    def _hook(self, point: str) -> None:
        if self._crash_hook is not None:
            self._crash_hook(point)

    def _save(self, data: dict[str, str]) -> None:
        path = self.path
        directory = path.parent
        for stale in directory.glob(
            f".{path.name}.*.tmp"
        ):  # left by a killed writer; we hold the lock
            with contextlib.suppress(OSError):
                stale.unlink()
        tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        payload = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
            )
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o600)
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                self._hook("temp_written")
                os.fsync(fd)
                self._hook("temp_synced")
            finally:
                os.close(fd)
            self._hook("before_rename")
            os.replace(tmp, path)
            self._hook("after_rename")
            _fsync_dir(directory)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise SecretStoreError(f"cannot write secret store {path}: {exc.strerror}") from exc


def _make_private_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and every missing parent with mode 0700, whatever the umask.

    Each level is made with ``mkdir(0o700)`` (the umask can only take bits away, so a
    new level is never open to others, not even for a moment), then set to exactly 0700
    (a umask such as 0o277 would leave the owner without access). Directories that
    already exist keep their mode: they may be the user's or the game's own (a home,
    ``~/.local/share``, a save folder) and other software may rely on it. One that
    another process creates at the same time is left to that process. Returns the
    levels created here, top first.
    """
    missing: list[Path] = []
    current = directory
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            if level.is_dir():
                continue  # made concurrently by someone else: not ours to change
            raise
        _set_private(level)
        created.append(level)
    return created


def _set_private(directory: Path) -> None:
    """chmod 0700 through a descriptor opened without following a symlink (POSIX), so a
    directory swapped for a link in between cannot redirect the chmod."""
    flags = getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    if not (flags and hasattr(os, "fchmod")):
        os.chmod(directory, 0o700)
        return
    fd = os.open(directory, os.O_RDONLY | flags)
    try:
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _parse_store(raw: bytes) -> dict[str, str] | None:
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return None
    return data


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyringSecretStore:
    """Secrets in the OS keyring (needs the ``keyring`` extra: ``kraty-pygame[keyring]``).

    Args:
        service: keyring service name; ``None`` = ``kraty_pygame:<namespace>`` bound by ``Kraty``.
    """

    def __init__(self, service: str | None = None) -> None:
        try:
            import keyring  # noqa: PLC0415 - optional dependency, imported on use
            import keyring.errors  # noqa: PLC0415
        except ImportError as exc:
            raise KratyConfigError(
                "KeyringSecretStore needs the keyring package: pip install 'kraty-pygame[keyring]'"
            ) from exc
        self._keyring: Any = keyring
        self._error: type[Exception] = keyring.errors.KeyringError
        self._service = service
        self._lock = threading.RLock()

    def bind_namespace(self, base_url: str, api_key_prefix: str) -> None:
        """Give a service-less store its default service name."""
        if self._service is None:
            self._service = f"{_APP_NAME}:{store_namespace(base_url, api_key_prefix)}"

    @property
    def service(self) -> str:
        """The keyring service name."""
        return self._service or f"{_APP_NAME}:default"

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self.service!r})"

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the in-process lock (keyrings offer no cross-process lock)."""
        return _rlock_context(self._lock)

    def _get(self, name: str) -> str | None:
        try:
            value: str | None = self._keyring.get_password(self.service, name)
        except self._error as exc:
            raise SecretStoreError(
                f"keyring read failed for service {self.service!r}: {type(exc).__name__}"
            ) from exc
        return value or None

    def _set(self, name: str, value: str) -> None:
        try:
            self._keyring.set_password(self.service, name, value)
        except self._error as exc:
            raise SecretStoreError(
                f"keyring write failed for service {self.service!r}: {type(exc).__name__}"
            ) from exc

    def _delete(self, name: str) -> None:
        try:
            self._keyring.delete_password(self.service, name)
        except self._keyring.errors.PasswordDeleteError:
            pass  # nothing stored under that name
        except self._error as exc:
            raise SecretStoreError(
                f"keyring delete failed for service {self.service!r}: {type(exc).__name__}"
            ) from exc

    def read(self, external_player_id: str) -> str | None:
        """The stored secret for that id."""
        return self._get(SECRET_KEY_PREFIX + external_player_id)

    def write(self, external_player_id: str, secret: str) -> None:
        """Store the secret for that id."""
        with self._lock:
            self._set(SECRET_KEY_PREFIX + external_player_id, secret)

    def remove(self, external_player_id: str) -> None:
        """Delete that id's secret (and the active marker if it points to it)."""
        with self._lock:
            self._delete(SECRET_KEY_PREFIX + external_player_id)
            if self._get(ACTIVE_KEY) == external_player_id:
                self._delete(ACTIVE_KEY)

    def read_active_external_player_id(self) -> str | None:
        """The active id."""
        return self._get(ACTIVE_KEY)

    def write_active_external_player_id(self, external_player_id: str) -> None:
        """Persist the active id."""
        with self._lock:
            self._set(ACTIVE_KEY, external_player_id)

    def clear_active_external_player_id(self) -> None:
        """Forget the active id."""
        with self._lock:
            self._delete(ACTIVE_KEY)
