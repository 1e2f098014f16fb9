"""The outbox journal: an append-only file of checksummed records, safe across processes.

Layout: a 16-byte header (magic, format version) then records, each
``marker (2) | length (u32) | crc32 (u32) | payload``. Every record is added with one
``write(2)`` on an ``O_APPEND`` descriptor, so a record is in the kernel once the call
returns and a crash can only tear the last one. Every process holds a shared lock on
``journal.lock`` while it has the journal open; the file is only rewritten (compaction,
cutting a torn tail, setting a damaged file aside) by a process that gets the lock
exclusively, that is while no other process has the journal open, so an appender
elsewhere never writes into a file that is being replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import struct
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final

from kraty_pygame.sdk.errors import OutboxError

__all__ = [
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "Journal",
    "frame",
    "parse_frames",
]

_log = logging.getLogger("kraty_pygame.sdk")

MAGIC: Final = b"KRATYOBX"
FORMAT_VERSION: Final = 1
"""Version of the journal format this library writes; it reads every older version."""
HEADER_SIZE: Final = 16
_HEADER: Final = MAGIC + struct.pack("<II", FORMAT_VERSION, 0)
_MARK: Final = b"\xa7\x5e"
_HEAD: Final = struct.Struct("<2sII")
_HEAD_SIZE: Final = _HEAD.size
MAX_RECORD: Final = 16 * 1024 * 1024
_LEN: Final = struct.Struct("<I")
_REC_PREFIX: Final = b'{"t":"rec","id":"'

SHARED_LOCKS: Final = sys.platform != "win32"
"""POSIX ``flock`` has shared locks; Windows' ``msvcrt.locking`` has not, so there the
journal is only repaired or compacted by a process that finds it unlocked."""

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int, *, shared: bool, blocking: bool = True) -> bool:
        del shared
        os.lseek(fd, 0, os.SEEK_SET)
        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
        try:
            msvcrt.locking(fd, mode, 1)
        except OSError:
            if blocking:
                raise
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int, *, shared: bool, blocking: bool = True) -> bool:
        flags = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not blocking:
            flags |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another holds it."""
    return _lock(fd, shared=False, blocking=False)


def frame(payload: bytes) -> bytes:
    """One record: marker, length, checksum (of length and payload), payload."""
    size = _LEN.pack(len(payload))
    return _MARK + size + _LEN.pack(zlib.crc32(payload, zlib.crc32(size))) + payload


def _frame_at(data: bytes | memoryview, pos: int) -> int:
    """End offset of a valid record starting at ``pos``; -1 incomplete; -2 invalid."""
    end = len(data)
    if end - pos < _HEAD_SIZE:
        return -1
    mark: bytes
    size: int
    crc: int
    mark, size, crc = _HEAD.unpack_from(data, pos)
    if mark != _MARK or size > MAX_RECORD:
        return -2
    stop = pos + _HEAD_SIZE + size
    if stop > end:
        return -1
    payload = data[pos + _HEAD_SIZE : stop]
    if zlib.crc32(payload, zlib.crc32(_LEN.pack(size))) != crc:
        return -2
    return stop


def _next_valid(data: bytes, pos: int) -> int:
    """Offset of the next valid record after ``pos``, or -1."""
    while True:
        pos = data.find(_MARK, pos + 1)
        if pos < 0:
            return -1
        if _frame_at(data, pos) > 0:
            return pos


def parse_frames(data: bytes, pos: int) -> tuple[list[bytes], int, bool]:
    """Valid records from ``pos``: (payloads, offset after the last one, stopped at a bad
    or incomplete record)."""
    out: list[bytes] = []
    end = len(data)
    while pos < end:
        stop = _frame_at(data, pos)
        if stop < 0:
            return out, pos, True
        out.append(data[pos + _HEAD_SIZE : stop])
        pos = stop
    return out, pos, False


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _fsync_dir(directory: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse it; the rename itself still happened
        pass
    finally:
        os.close(fd)


def _open_private(path: Path, flags: int) -> int:
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
    return fd


class Journal:
    """One outbox directory's journal file, shared by every process that opens it.

    Args:
        directory: created with mode 0700 when missing; files are 0600.

    Raises:
        OutboxError: the directory cannot be used, or the journal was written by a
            newer version of this library.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "journal"
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    os.chmod(directory, 0o700)
            self._lockfd = _open_private(directory / "journal.lock", os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise OutboxError(f"cannot use the outbox directory {directory}: {exc}") from None
        self._tlock = threading.Lock()  # appends versus a rewrite in this process
        self._rlock = threading.Lock()  # the tail reader
        self.dirty = False
        self.set_aside: list[Path] = []
        self.truncated_tail = 0
        self._fd = -1
        self._rfd = -1
        self._rino = -1
        self._roff = HEADER_SIZE
        self._closed = False
        try:
            if _lock(self._lockfd, shared=False, blocking=False):
                try:  # alone: check the file and repair what a crash left
                    self._recover_locked()
                finally:
                    self._share()
            else:  # another process has it open (and checked it when it opened it)
                self._share()
                self._check_header()
            self._fd = self._open_append()
        except BaseException:
            os.close(self._lockfd)
            raise

    # ------------------------------------------------------------------ locking

    def _share(self) -> None:
        """Hold the lock shared for as long as this journal is open."""
        if SHARED_LOCKS:
            _lock(self._lockfd, shared=True)
        else:  # pragma: no cover - Windows
            _unlock(self._lockfd)

    @contextlib.contextmanager
    def alone(self) -> Iterator[bool]:
        """Yield True, with appends in this process paused, when no other process has
        the journal open (it may then be rewritten); else yield False at once."""
        with self._tlock:
            if not _lock(self._lockfd, shared=False, blocking=False):
                # A failed upgrade may drop the shared lock for a moment, in which
                # another process alone could have rewritten the file: follow it.
                self._share()
                self._follow_rewrite()
                yield False
                return
            try:
                yield True
            finally:
                self._share()

    # ------------------------------------------------------------------ appending

    def _open_append(self) -> int:
        return _open_private(self.path, os.O_WRONLY | os.O_APPEND)

    def _follow_rewrite(self) -> None:
        """Reopen the append descriptor if the journal file was replaced."""
        try:
            replaced = os.stat(self.path).st_ino != os.fstat(self._fd).st_ino
        except OSError:
            replaced = True
        if replaced:
            self._reopen_append()

    def _reopen_append(self) -> None:
        old = self._fd
        self._fd = self._open_append()
        if old >= 0:
            with contextlib.suppress(OSError):
                os.close(old)

    def append(self, data: bytes, then: Callable[[int], None] | None = None) -> None:
        """Add framed records with one ``write(2)``; ``then(bytes written)`` is called
        right after it, before any rewrite of the file can happen.

        Raises:
            OSError: the write failed or was short (full disk, I/O error); the caller
                must treat the records as not written.
        """
        with self._tlock:
            written = os.write(self._fd, data)
            if then is not None:
                then(written)
        self.dirty = True
        if written != len(data):
            raise OSError(errno.ENOSPC, "the record was only partly written")

    def fsync(self) -> None:
        """Flush appended records to the disk (called by a background thread)."""
        if not self.dirty or self._closed:
            return
        self.dirty = False
        fd = self._fd
        try:
            os.fsync(fd)
        except OSError as exc:
            self.dirty = True
            _log.warning("kraty outbox: fsync of %s failed: %s", self.path, exc)

    # ------------------------------------------------------------------ reading

    def read_new(self) -> tuple[list[bytes], bool, bool]:
        """Records appended since the last read: (payloads, the file was replaced and
        these are all its records, stuck at a bad record)."""
        with self._rlock:
            reset = False
            try:
                ino = os.stat(self.path).st_ino
            except FileNotFoundError:
                return [], False, False
            if ino != self._rino:
                if self._rfd >= 0:
                    os.close(self._rfd)
                self._rfd = _open_private(self.path, os.O_RDONLY)
                self._rino = os.fstat(self._rfd).st_ino
                self._roff = HEADER_SIZE
                reset = True
            size = os.fstat(self._rfd).st_size
            if size <= self._roff:
                return [], reset, False
            data = os.pread(self._rfd, size - self._roff, self._roff)
            payloads, used, stuck = parse_frames(data, 0)
            self._roff += used
            return payloads, reset, stuck

    def rewind(self) -> None:
        """Read the whole file again at the next :meth:`read_new`."""
        with self._rlock:
            self._rino = -1

    # ------------------------------------------------------------------ recovery

    def _write_fresh(self, payloads: Iterable[bytes]) -> Path:
        tmp = self.directory / f"journal.tmp-{os.getpid()}"
        fd = _open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            chunk = [_HEADER]
            size = len(_HEADER)
            for payload in payloads:
                record = frame(payload)
                chunk.append(record)
                size += len(record)
                if size > 1 << 20:
                    os.write(fd, b"".join(chunk))
                    chunk, size = [], 0
            if chunk:
                os.write(fd, b"".join(chunk))
            os.fsync(fd)
        finally:
            os.close(fd)
        return tmp

    def _check_header(self) -> None:
        """Refuse a journal of a newer format (when another process has it open)."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(HEADER_SIZE)
        except OSError as exc:
            raise OutboxError(f"cannot read the outbox journal {self.path}: {exc}") from None
        if len(head) == HEADER_SIZE and head[:8] == MAGIC:
            (version,) = _LEN.unpack_from(head, 8)
            if version > FORMAT_VERSION:
                raise OutboxError(
                    f"the outbox journal {self.path} was written by a newer version of "
                    f"kraty_pygame (format {version}, this one reads up to "
                    f"{FORMAT_VERSION}); it was left untouched"
                )

    def _recover_locked(self) -> None:
        """Check the header, cut a torn last record, set a damaged file aside."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            raise OutboxError(f"cannot read the outbox journal {self.path}: {exc}") from None
        if len(data) < HEADER_SIZE:
            if data and not _HEADER.startswith(data[: len(_HEADER)]):
                self._set_aside([])
                return
            os.replace(self._write_fresh([]), self.path)
            _fsync_dir(self.directory)
            return
        if data[:8] != MAGIC:
            self._set_aside([])
            return
        (version,) = _LEN.unpack_from(data, 8)
        if version > FORMAT_VERSION:
            raise OutboxError(
                f"the outbox journal {self.path} was written by a newer version of "
                f"kraty_pygame (format {version}, this one reads up to {FORMAT_VERSION}); "
                "it was left untouched"
            )
        payloads, pos, stopped = parse_frames(data, HEADER_SIZE)
        if not stopped:
            return
        following = _next_valid(data, pos)
        if following < 0:  # a torn last record, as a crash leaves it: cut it off
            self.truncated_tail = len(data) - pos
            with open(self.path, "r+b") as handle:
                handle.truncate(pos)
                os.fsync(handle.fileno())
            _log.info("kraty outbox: cut a torn last record (%d bytes)", self.truncated_tail)
            return
        # Damage in the middle: keep every intact record (before and after it) in a
        # fresh journal and move the damaged file aside for inspection.
        rest, _end, _stopped = parse_frames(data, following)
        while _stopped:
            nxt = _next_valid(data, _end)
            if nxt < 0:
                break
            more, _end, _stopped = parse_frames(data, nxt)
            rest.extend(more)
        self._set_aside(payloads + rest)

    def _set_aside(self, keep: list[bytes]) -> None:
        aside = self.directory / f"journal.corrupt-{_utc_stamp()}"
        tmp = self._write_fresh(keep)
        os.replace(self.path, aside)
        os.replace(tmp, self.path)
        _fsync_dir(self.directory)
        self.set_aside.append(aside)
        _log.warning(
            "kraty outbox: the journal was damaged; it was moved to %s for inspection and "
            "%d intact records were kept",
            aside,
            len(keep),
        )

    def rewrite(self, payloads: Iterable[bytes]) -> None:
        """Replace the journal with ``payloads`` (only inside :meth:`alone`)."""
        tmp = self._write_fresh(payloads)
        os.replace(tmp, self.path)
        _fsync_dir(self.directory)
        self._reopen_append()

    def check_damage(self) -> bool:
        """Re-run recovery after a record that stays bad; True when a damaged file was
        set aside. Only done while no other process has the journal open."""
        with self.alone() as alone:
            if not alone:
                return False
            before = len(self.set_aside)
            self._recover_locked()
            if len(self.set_aside) > before:
                self._reopen_append()
                return True
            return False

    def recorded_ids(self) -> set[bytes]:
        """Entry ids of every intact ``rec`` record in the journal file (damaged parts
        are skipped)."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return set()
        ids: set[bytes] = set()
        pos = HEADER_SIZE
        while pos < len(data):
            payloads, pos, stopped = parse_frames(data, pos)
            for payload in payloads:
                if payload.startswith(_REC_PREFIX):
                    stop = payload.find(b'"', len(_REC_PREFIX))
                    if stop > 0:
                        ids.add(payload[len(_REC_PREFIX) : stop])
            if not stopped:
                break
            pos = _next_valid(data, pos)
            if pos < 0:
                break
        return ids

    def size(self) -> int:
        """Current size of the journal file (0 when missing)."""
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Flush and close the descriptors. Idempotent."""
        with self._tlock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            for fd in (self._fd, self._rfd, self._lockfd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._fd = self._rfd = self._lockfd = -1
