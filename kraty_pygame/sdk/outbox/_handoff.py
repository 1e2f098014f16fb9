"""The hand-off map: where a durable write is stored before its call returns.

A store is a copy into a shared memory map of a file: in the kernel's page cache once
the copy ends (it survives kill -9) and, unlike ``write(2)``, never lets another thread
take the interpreter mid-call. A mover thread appends the records to the journal; the
next process moves what a killed one left. Layout and guarantees: docs/offline.md,
"The hand-off map".
"""

from __future__ import annotations

import contextlib
import errno
import logging
import mmap
import os
import re
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

from kraty_pygame.sdk.outbox._journal import (
    _HEAD,
    _HEAD_SIZE,
    _LEN,
    _MARK,
    Journal,
    _next_valid,
    _open_private,
    frame,
    parse_frames,
    try_lock,
)

__all__ = ["SEGMENT_SIZE", "Handoff", "adopt_orphans", "stored_bytes"]

_log = logging.getLogger("kraty_pygame.sdk")

MAGIC: Final = b"KRATYHND"
FORMAT_VERSION: Final = 1
HEADER_SIZE: Final = 64
_MAP_HEAD: Final = struct.Struct("<8sII")
_MOVED: Final = struct.Struct("<Q")
_MOVED_AT: Final = 16
SEGMENT_SIZE: Final = 4 << 20
"""Bytes of one map segment (about 10,000 typical writes)."""
_PAGE: Final = mmap.PAGESIZE
_NAME: Final = re.compile(r"^handoff-([0-9a-f]+)-(\d+)\.map$")
_LOCK_NAME: Final = re.compile(r"^handoff-([0-9a-f]+)\.lock$")
_REC_PREFIX: Final = b'{"t":"rec","id":"'
_PEEK: Final = 64


def _allocate(fd: int, size: int) -> None:
    """Give the file ``size`` bytes of real disk blocks (zeros), so later stores into a
    map of it never need space; raises OSError (ENOSPC, EFBIG) when there is none."""
    fallocate = getattr(os, "posix_fallocate", None)
    if fallocate is not None:
        try:
            fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    chunk = bytes(1 << 20)  # no fallocate here: write the zeros
    done = os.fstat(fd).st_size
    while done < size:
        part = min(len(chunk), size - done)
        written = os.pwrite(fd, chunk[:part], done)
        if written <= 0:
            raise OSError(errno.ENOSPC, "no space left for the outbox hand-off map")
        done += written


class _Segment:
    """One map file of this process."""

    __slots__ = ("end", "fd", "map", "moved", "path", "size")

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        fd = _open_private(path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
        try:
            head = _MAP_HEAD.pack(MAGIC, FORMAT_VERSION, HEADER_SIZE)
            os.write(fd, head.ljust(HEADER_SIZE, b"\0"))
            _allocate(fd, size)
            self.map = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        self.fd = fd
        self.end = HEADER_SIZE
        self.moved = HEADER_SIZE
        _MOVED.pack_into(self.map, _MOVED_AT, HEADER_SIZE)
        # Touch every page now (this runs off the game's thread) so that a store does
        # not pay for the first fault of a page.
        view = self.map
        for offset in range(HEADER_SIZE, size, _PAGE):
            view[offset] = 0

    def set_moved(self, offset: int) -> None:
        self.moved = offset
        _MOVED.pack_into(self.map, _MOVED_AT, offset)

    def close(self, *, remove: bool) -> None:
        with contextlib.suppress(BufferError, ValueError):
            self.map.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)
        if remove:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


class _Acknowledge:
    """Marks records moved once the journal append returned (inside its lock)."""

    __slots__ = ("data", "segment", "start")

    def __init__(self, segment: _Segment, start: int, data: bytes) -> None:
        self.segment, self.start, self.data = segment, start, data

    def __call__(self, written: int) -> None:
        if written != len(self.data):  # a short write: only whole records count
            _payloads, written, _bad = parse_frames(self.data[:written], 0)
        self.segment.set_moved(self.start + written)


class Handoff:
    """This process's hand-off map.

    Files: ``handoff-<origin>.lock`` (held exclusively while the process lives) and
    segments ``handoff-<origin>-<n>.map``: a 64-byte header (magic, format version,
    the offset up to which records were moved into the journal), then records framed
    as in the journal, then zeros (space is allocated when a segment is made, so a
    store never meets a full disk).

    :meth:`store` runs on the recording thread; :meth:`move` on the mover thread (or a
    caller that waits for its write anyway); :meth:`prepare` makes the next segment
    ahead of time.

    Raises:
        OSError: the lock file or the first segment cannot be created.
    """

    def __init__(self, directory: Path, origin: str, segment_size: int | None = None) -> None:
        self.directory = directory
        self.origin = origin
        size = SEGMENT_SIZE if segment_size is None else segment_size
        self.segment_size = max(size, HEADER_SIZE + _PAGE)
        self._lock = threading.Lock()  # stores versus rolling to the next segment
        self._move_lock = threading.Lock()  # one mover at a time
        self._number = 0
        self._spare: _Segment | None = None
        # The lock file gets its name only once locked, so another process never
        # mistakes it for the file of a process that ended.
        lock_path = directory / f"handoff-{origin}.lock"
        draft = directory / f"handoff-{origin}.lock-new"
        self._lockfd = _open_private(draft, os.O_RDWR | os.O_CREAT)
        try:
            if not try_lock(self._lockfd):
                raise OSError(errno.EAGAIN, f"cannot lock {draft}")
            os.replace(draft, lock_path)
            self._segments = [self._new_segment(self.segment_size)]
        except BaseException:
            for path in (draft, lock_path):
                with contextlib.suppress(OSError):
                    os.unlink(path)
            os.close(self._lockfd)
            raise
        self._closed = False

    def _new_segment(self, size: int) -> _Segment:
        self._number += 1
        name = f"handoff-{self.origin}-{self._number:06d}.map"
        return _Segment(self.directory / name, size)

    # ------------------------------------------------------------------ the recording thread

    def store(self, payload: bytes) -> None:
        """Copy one record into the map, framed as the journal frames it (the header is
        packed in place; no system call unless a new segment must be made).

        Raises:
            OSError: a new segment was needed and could not be made (full disk).
        """
        size = len(payload)
        crc = zlib.crc32(payload, zlib.crc32(_LEN.pack(size)))  # over the length, then the payload
        total = _HEAD_SIZE + size
        with self._lock:
            segment = self._segments[-1]
            start = segment.end
            stop = start + total
            if stop > segment.size:
                segment = self._roll(total)
                start = segment.end
                stop = start + total
            view = segment.map
            _HEAD.pack_into(view, start, _MARK, size, crc)
            view[start + _HEAD_SIZE : stop] = payload
            segment.end = stop

    def _roll(self, size: int) -> _Segment:
        """The next segment, for a record of ``size`` bytes (lock held)."""
        spare, self._spare = self._spare, None
        if spare is None or spare.size - HEADER_SIZE < size:
            if spare is not None:
                spare.close(remove=True)
            spare = self._new_segment(max(self.segment_size, HEADER_SIZE + size))
        self._segments.append(spare)
        return spare

    @property
    def unmoved(self) -> bool:
        """Whether records wait to be moved into the journal (no lock; a hint)."""
        segments = self._segments
        return len(segments) > 1 or segments[-1].end > segments[-1].moved

    # ------------------------------------------------------------------ the mover

    def move(self, journal: Journal) -> int:
        """Append every stored record to ``journal`` in store order; returns how many
        bytes were moved.

        Raises:
            OSError: the journal append failed; whatever was not appended stays in the
                map (and is moved by a later call or the next process).
        """
        moved = 0
        with self._move_lock:
            while True:
                with self._lock:
                    if self._closed:
                        return moved
                    segment = self._segments[0]
                    end = segment.end
                    sealed = len(self._segments) > 1
                start = segment.moved
                if end > start:
                    data = segment.map[start:end]

                    journal.append(data, _Acknowledge(segment, start, data))
                    moved += end - start
                if not sealed:
                    return moved
                with self._lock:  # moved whole and no longer written to: drop it
                    self._segments.pop(0)
                segment.close(remove=True)

    def prepare(self) -> None:
        """Make the next segment ahead of time once the current one is half used (mover
        thread), so a store rarely has to."""
        if self._spare is not None:
            return
        current = self._segments[-1]
        if current.end - HEADER_SIZE < (current.size - HEADER_SIZE) // 2:
            return
        try:
            spare = self._new_segment(self.segment_size)
        except OSError as exc:
            _log.warning("kraty outbox: cannot prepare the next hand-off segment: %s", exc)
            return
        with self._lock:  # only this thread makes spares; a store may take it
            if not self._closed:
                self._spare = spare
                return
        spare.close(remove=True)

    def sync(self) -> None:
        """Write the maps' moved offsets to the disk (before the journal is rewritten)."""
        for segment in list(self._segments):
            with contextlib.suppress(OSError, ValueError):
                segment.map.flush()

    def close(self) -> bool:
        """Release the maps: removed when everything was moved, else kept for the next
        process to move. Returns True when they were removed. Idempotent."""
        with self._move_lock, self._lock:
            if self._closed:
                return True
            self._closed = True
            clean = all(s.end == s.moved for s in self._segments)
            for segment in self._segments:
                if clean:
                    segment.close(remove=True)
                else:
                    with contextlib.suppress(OSError, ValueError):
                        segment.map.flush()
                    segment.close(remove=False)
            if self._spare is not None:
                self._spare.close(remove=True)
                self._spare = None
            if clean:
                with contextlib.suppress(OSError):
                    os.unlink(self.directory / f"handoff-{self.origin}.lock")
            with contextlib.suppress(OSError):
                os.close(self._lockfd)
            return clean


# ---------------------------------------------------------------------- recovery


def _segments_of(directory: Path, origin: str) -> list[Path]:
    found = []
    for name in os.listdir(directory):
        match = _NAME.match(name)
        if match and match.group(1) == origin:
            found.append((int(match.group(2)), directory / name))
    return [path for _number, path in sorted(found)]


def _unmoved_records(data: bytes) -> tuple[list[bytes], int]:
    """Payloads past a segment's moved offset: (valid records, bytes of damage skipped)."""
    if len(data) < HEADER_SIZE or data[:8] != MAGIC:
        return [], 0
    (moved,) = _MOVED.unpack_from(data, _MOVED_AT)
    if moved < HEADER_SIZE or moved > len(data):
        moved = HEADER_SIZE  # a damaged header: read it all (the journal check dedupes)
    out: list[bytes] = []
    damaged = 0
    pos = moved
    while True:
        payloads, pos, stopped = parse_frames(data, pos)
        out.extend(payloads)
        if not stopped or not any(data[pos : pos + _PEEK]):
            return out, damaged  # the end: zeros, as the segment was allocated
        following = _next_valid(data, pos)
        if following < 0:  # a torn last record: its store never finished
            return out, damaged
        damaged += 1
        pos = following


def _entry_id(payload: bytes) -> bytes | None:
    if payload.startswith(_REC_PREFIX):
        stop = payload.find(b'"', len(_REC_PREFIX))
        if stop > 0:
            return payload[len(_REC_PREFIX) : stop]
    return None


def orphans(directory: Path, origin: str | None) -> list[str]:
    """Origins (other than ``origin``) whose hand-off lock file is present."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        match = _LOCK_NAME.match(name)
        if match and match.group(1) != origin:
            found.append(match.group(1))
    return found


def adopt_orphans(
    directory: Path,
    journal: Journal,
    origin: str | None,
    *,
    report: Callable[[str], None] | None = None,
) -> int:
    """Move the records that processes which ended (or were killed) left in their maps
    into ``journal``; returns how many records were appended.

    A process that is still running holds its lock file, and is skipped. Of the
    records past a segment's moved offset, a torn last one (a kill in the middle of a
    store: its call never returned) is dropped, a damaged one in the middle is skipped
    and reported, and one whose entry the journal already holds (a kill between the
    append and the offset update) is skipped, so nothing is appended twice.
    """
    appended = 0
    known: set[bytes] | None = None
    for other in orphans(directory, origin):
        lock_path = directory / f"handoff-{other}.lock"
        try:
            fd = _open_private(lock_path, os.O_RDWR)
        except OSError:
            continue
        try:
            if not try_lock(fd):
                continue  # its process is alive and moves its own records
            for path in _segments_of(directory, other):
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    _log.warning("kraty outbox: cannot read %s: %s", path, exc)
                    continue
                payloads, damaged = _unmoved_records(data)
                if damaged and report is not None:
                    report(f"{damaged} damaged record(s) in {path.name} were skipped")
                if payloads:
                    if known is None:
                        known = journal.recorded_ids()
                    fresh = [p for p in payloads if _entry_id(p) not in known]
                    if fresh:
                        journal.append(b"".join(frame(p) for p in fresh))
                        appended += len(fresh)
                        known.update(i for i in map(_entry_id, fresh) if i is not None)
                path.unlink()
            with contextlib.suppress(OSError):
                lock_path.unlink()
        except OSError as exc:
            _log.warning("kraty outbox: moving the writes another run left failed: %s", exc)
        finally:
            os.close(fd)
    if appended:
        _log.info("kraty outbox: moved %d write(s) an earlier run left in its map", appended)
    return appended


def stored_bytes(directory: Path) -> int:
    """Bytes of records in the journal and in every hand-off map of ``directory``."""
    total = 0
    with contextlib.suppress(OSError):
        total += os.stat(directory / "journal").st_size
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if _NAME.match(name):
                data = (directory / name).read_bytes()
                payloads, _pos, _stopped = parse_frames(data, HEADER_SIZE)
                total += sum(len(frame(p)) for p in payloads)
    return total
