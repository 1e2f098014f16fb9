"""The outbox journal on a real file system: framing, torn tail, damaged middle, versions,
permissions, a full disk, and a rewrite that another appender survives."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kraty_pygame.sdk.errors import OutboxError
from kraty_pygame.sdk.outbox._journal import HEADER_SIZE, Journal, frame, parse_frames


def _records(journal: Journal) -> list[bytes]:
    journal.rewind()
    payloads, _reset, stuck = journal.read_new()
    assert not stuck
    return payloads


def test_records_round_trip_and_files_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "box"
    journal = Journal(directory)
    journal.append(frame(b"one"))
    journal.append(frame(b"two") + frame(b"three"))
    assert _records(journal) == [b"one", b"two", b"three"]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in ("journal", "journal.lock"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    assert (directory / "journal").read_bytes()[:8] == b"KRATYOBX"
    journal.close()


def test_a_torn_last_record_is_cut_and_nothing_is_set_aside(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for i in range(5):
        journal.append(frame(f"record {i}".encode()))
    journal.close()
    whole = (tmp_path / "journal").read_bytes()
    torn = frame(b"the record a crash interrupted")[:9]
    (tmp_path / "journal").write_bytes(whole + torn)

    reopened = Journal(tmp_path)
    assert _records(reopened) == [f"record {i}".encode() for i in range(5)]
    assert reopened.truncated_tail == len(torn)
    assert reopened.set_aside == []
    assert (tmp_path / "journal").read_bytes() == whole
    assert not list(tmp_path.glob("journal.corrupt-*"))
    reopened.close()


def test_a_bad_checksum_on_the_last_record_is_a_torn_tail_too(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append(frame(b"kept"))
    journal.append(frame(b"last"))
    journal.close()
    data = bytearray((tmp_path / "journal").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "journal").write_bytes(bytes(data))
    reopened = Journal(tmp_path)
    assert _records(reopened) == [b"kept"]
    assert reopened.set_aside == []
    reopened.close()


def test_damage_in_the_middle_sets_the_file_aside_and_keeps_every_intact_record(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    for i in range(6):
        journal.append(frame(f"record {i}".encode()))
    journal.close()
    original = (tmp_path / "journal").read_bytes()
    payloads, _end, _stuck = parse_frames(original, HEADER_SIZE)
    assert len(payloads) == 6
    # flip one byte inside the payload of the third record
    offset = original.index(b"record 2")
    damaged = bytearray(original)
    damaged[offset] ^= 0x55
    (tmp_path / "journal").write_bytes(bytes(damaged))

    reopened = Journal(tmp_path)
    assert _records(reopened) == [f"record {i}".encode() for i in (0, 1, 3, 4, 5)]
    assert len(reopened.set_aside) == 1
    aside = reopened.set_aside[0]
    assert aside.name.startswith("journal.corrupt-")
    assert aside.read_bytes() == bytes(damaged)  # kept as it was, for inspection
    assert stat.S_IMODE((tmp_path / "journal").stat().st_mode) == 0o600
    reopened.close()


def test_a_journal_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append(frame(b"x"))
    journal.close()
    data = bytearray((tmp_path / "journal").read_bytes())
    data[8] = 99  # format version 99
    (tmp_path / "journal").write_bytes(bytes(data))
    with pytest.raises(OutboxError, match="newer version"):
        Journal(tmp_path)
    assert (tmp_path / "journal").read_bytes() == bytes(data)


def test_a_file_that_is_not_a_journal_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "journal").write_bytes(b"hello, this is not an outbox journal at all")
    journal = Journal(tmp_path)
    assert _records(journal) == []
    assert len(journal.set_aside) == 1
    journal.close()


def test_a_full_disk_fails_the_append_at_once(tmp_path: Path) -> None:
    # A real file-size limit (RLIMIT_FSIZE) makes write(2) fail like a full disk does.
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from kraty_pygame.sdk.outbox._journal import Journal, frame
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        journal = Journal(Path({str(tmp_path)!r}))
        journal.append(frame(b"fits"))
        size = (Path({str(tmp_path)!r}) / "journal").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 64, size + 64))
        try:
            journal.append(frame(b"x" * 4096))
        except OSError as exc:
            print("refused", exc.errno)
        else:
            print("accepted")
        """
    )
    out = subprocess.run(
        # -B: under the size limit a bytecode file would be written cut short
        [sys.executable, "-B", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.startswith("refused"), out.stdout + out.stderr
    journal = Journal(tmp_path)
    assert _records(journal) == [b"fits"]
    journal.close()


def test_the_journal_is_rewritten_only_while_no_other_process_has_it_open(
    tmp_path: Path,
) -> None:
    first = Journal(tmp_path)
    other = Journal(tmp_path)  # another open of the same journal
    first.append(frame(b"a"))
    with first.alone() as alone:
        assert not alone  # refused at once: an appender elsewhere could lose a record
    other.append(frame(b"b"))
    other.close()
    with first.alone() as alone:
        assert alone
        first.rewrite([b"a", b"b", b"compacted"])
    first.append(frame(b"after"))
    assert _records(first) == [b"a", b"b", b"compacted", b"after"]
    first.close()


def test_a_process_that_opens_a_journal_in_use_does_not_repair_it(tmp_path: Path) -> None:
    first = Journal(tmp_path)
    first.append(frame(b"kept"))
    with (tmp_path / "journal").open("ab") as handle:
        handle.write(frame(b"being written")[:7])  # as if a write were in progress
    second = Journal(tmp_path)
    assert second.truncated_tail == 0  # not cut from under the other process
    second.close()
    first.close()
    third = Journal(tmp_path)  # alone now: the torn tail is cut
    assert third.truncated_tail == 7
    assert _records(third) == [b"kept"]
    third.close()


def test_the_journal_lock_file_is_reused_not_recreated(tmp_path: Path) -> None:
    Journal(tmp_path).close()
    inode = os.stat(tmp_path / "journal.lock").st_ino
    Journal(tmp_path).close()
    assert os.stat(tmp_path / "journal.lock").st_ino == inode


def test_a_full_disk_fails_durable_calls_at_once_and_keeps_what_was_recorded(
    tmp_path: Path,
) -> None:
    # The journal cannot grow (a real file-size limit); the hand-off map was allocated
    # when the outbox opened, so a write stored before the mover met the full disk is
    # kept there (it was acknowledged); from then on each call fails at once.
    script = textwrap.dedent(
        f"""
        import resource, signal, time
        from pathlib import Path
        from kraty_pygame.sdk import FileSecretStore, Kraty, OutboxWriteError
        from kraty_pygame.sdk.outbox import Outbox, Recorded
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        root = Path({str(tmp_path)!r})
        kraty = Kraty("kr_test.client-demo", base_url="http://127.0.0.1:9",
                      secret_store=FileSecretStore(root / "ids.json"),
                      outbox=Outbox(root / "outbox", max_backoff_s=600))
        size = (root / "outbox" / "journal").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 64, size + 64))
        recorded = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                with kraty.outbox.capture():
                    kraty.wallet.progress("xp", amount=1, reason=f"r{{recorded}}")
            except OutboxWriteError as exc:
                print("refused", round(time.perf_counter() - started, 3), exc.errno, exc)
                break
            except Recorded:
                recorded += 1
            time.sleep(0.01)
        print("recorded", recorded, "pending", kraty.outbox.pending_count)
        kraty.close()
        """
    )
    out = subprocess.run(
        # -B: under the size limit a bytecode file would be written cut short
        [sys.executable, "-B", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first, second = out.stdout.splitlines()[:2]
    assert first.startswith("refused"), out.stdout + out.stderr
    assert float(first.split()[1]) < 0.5  # at once, not after a timeout
    assert "nothing was queued" in first
    _word, recorded, _pending, pending = second.split()
    assert int(recorded) >= 1 and int(pending) == int(recorded)
    # Nothing acknowledged was lost: the next start finds every recorded write.
    from kraty_pygame.sdk.outbox import Outbox

    again = Outbox(tmp_path / "outbox")
    try:
        assert again.pending_count == int(recorded)
        assert again.stats().pending == int(recorded)
    finally:
        again.close()
