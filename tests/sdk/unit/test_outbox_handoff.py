"""The outbox's hand-off map on a real file system: a store survives kill -9, torn and
damaged records, segments rolling over, a full disk, and a second process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kraty_pygame.sdk.outbox._handoff import HEADER_SIZE, Handoff, adopt_orphans
from kraty_pygame.sdk.outbox._journal import Journal, frame, parse_frames

_CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _rec(i: int, pad: int = 200) -> bytes:
    return f'{{"t":"rec","id":"{i:024x}","op":"t"}}\n'.encode() + b"x" * pad


def _journal_ids(directory: Path) -> list[bytes]:
    """Entry ids of the ``rec`` records in the journal file, in order, repeats kept."""
    data = (directory / "journal").read_bytes()
    payloads, _end, stopped = parse_frames(data, 16)
    assert not stopped
    return [p.split(b'"id":"', 1)[1].split(b'"', 1)[0] for p in payloads if b'"t":"rec"' in p]


def _drop(handoff: Handoff) -> None:
    """What a kill -9 does to the map: the lock goes, the files stay as they are."""
    os.close(handoff._lockfd)


def _ids(*numbers: int) -> list[bytes]:
    return [f"{i:024x}".encode() for i in numbers]


def test_stored_records_move_into_the_journal_in_order_and_the_map_is_removed(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "aa01")
    for i in range(5):
        handoff.store(_rec(i))
    assert _journal_ids(tmp_path) == []  # stored, not yet moved
    assert handoff.move(journal) > 0
    assert _journal_ids(tmp_path) == _ids(*range(5))
    assert handoff.move(journal) == 0  # nothing twice
    assert handoff.close() is True
    assert not list(tmp_path.glob("handoff-*"))
    journal.close()


def test_a_stored_payload_is_framed_as_the_journal_frames_it(tmp_path: Path) -> None:
    # the header is packed into the map in place; the map holds exactly frame(payload)
    # after frame(payload), including across a roll to a new segment
    handoff = Handoff(tmp_path, "aa03", segment_size=HEADER_SIZE + 4096)
    payloads = [_rec(i, pad=i * 7) for i in range(40)]
    for payload in payloads:
        handoff.store(payload)
    assert len(handoff._segments) > 1
    framed = [frame(payload) for payload in payloads]
    for segment in handoff._segments:
        expected = b""
        while framed and HEADER_SIZE + len(expected) + len(framed[0]) <= segment.size:
            expected += framed.pop(0)
        assert segment.map[HEADER_SIZE : segment.end] == expected
    assert framed == []
    journal = Journal(tmp_path)
    handoff.move(journal)
    assert _journal_ids(tmp_path) == _ids(*range(40))
    handoff.close()
    journal.close()


def test_a_store_survives_a_kill_9_right_after_it(tmp_path: Path) -> None:
    # The child stores records (nothing moves them: no mover runs) and is killed.
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from kraty_pygame.sdk.outbox._handoff import Handoff
        from kraty_pygame.sdk.outbox._journal import Journal, frame
        root = Path({str(tmp_path)!r})
        journal = Journal(root)
        handoff = Handoff(root, "bb02")
        for i in range(50):
            handoff.store(b'{{"t":"rec","id":"%024x"}}' % i)
        print("stored", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=_CHILD_ENV
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "stored"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    journal = Journal(tmp_path)
    assert adopt_orphans(tmp_path, journal, None) == 50
    assert _journal_ids(tmp_path) == _ids(*range(50))
    assert adopt_orphans(tmp_path, journal, None) == 0  # never moved twice
    assert not list(tmp_path.glob("handoff-*"))
    journal.close()


def test_a_kill_between_the_append_and_the_moved_mark_applies_nothing_twice(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "cc03")
    for i in range(3):
        handoff.store(_rec(i))
    # the mover appended the first two records, then the process died before it
    # marked them moved in the map
    journal.append(frame(_rec(0)) + frame(_rec(1)))
    _drop(handoff)
    assert adopt_orphans(tmp_path, journal, None) == 1
    assert _journal_ids(tmp_path) == _ids(0, 1, 2)
    journal.close()


def test_a_torn_record_in_the_map_is_dropped_and_the_ones_before_it_kept(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "dd04")
    for i in range(2):
        handoff.store(_rec(i))
    segment = handoff._segments[-1]
    torn = frame(_rec(2))
    half = len(torn) // 2  # a kill in the middle of the copy
    segment.map[segment.end : segment.end + half] = torn[:half]
    _drop(handoff)
    assert adopt_orphans(tmp_path, journal, None) == 2
    assert _journal_ids(tmp_path) == _ids(0, 1)
    journal.close()


def test_a_damaged_record_in_the_middle_of_the_map_is_skipped_and_reported(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "ee05")
    for i in range(3):
        handoff.store(_rec(i))
    segment = handoff._segments[-1]
    data = segment.map[:]
    spot = data.index(b"x" * 50, data.index(_ids(1)[0]))
    segment.map[spot] ^= 0x01  # one flipped bit inside the second record
    _drop(handoff)
    reports: list[str] = []
    assert adopt_orphans(tmp_path, journal, None, report=reports.append) == 2
    assert _journal_ids(tmp_path) == _ids(0, 2)
    assert len(reports) == 1 and "damaged" in reports[0]
    journal.close()


def test_a_full_map_rolls_over_to_new_segments_and_nothing_is_lost(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "ff06", segment_size=8192)
    for i in range(40):  # ~10 kB of records: several segments
        handoff.store(_rec(i))
    handoff.prepare()
    handoff.store(_rec(40, pad=20_000))  # bigger than a segment: one made to fit
    assert len(list(tmp_path.glob("handoff-ff06-*.map"))) >= 3
    handoff.move(journal)
    assert _journal_ids(tmp_path) == _ids(*range(41))
    # moved segments are removed, the one being written is kept
    assert len(list(tmp_path.glob("handoff-ff06-*.map"))) <= 2
    for i in range(41, 80):
        handoff.store(_rec(i))
    _drop(handoff)  # killed with several segments not moved yet
    assert adopt_orphans(tmp_path, journal, None) == 39
    assert _journal_ids(tmp_path) == _ids(*range(80))
    journal.close()


def test_a_full_disk_when_the_map_must_grow_fails_the_store_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    # A real file-size limit (RLIMIT_FSIZE) makes allocating a new segment fail like a
    # full disk does; the records already stored stay, and the next process moves them.
    script = textwrap.dedent(
        f"""
        import resource, signal
        from pathlib import Path
        from kraty_pygame.sdk.outbox._handoff import Handoff
        from kraty_pygame.sdk.outbox._journal import Journal, frame
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        root = Path({str(tmp_path)!r})
        journal = Journal(root)
        handoff = Handoff(root, "ab07", segment_size=8192)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        stored = 0
        try:
            for i in range(100):
                payload = b'{{"t":"rec","id":"%024x"}}' % i + b"x" * 200
                handoff.store(payload)
                stored += 1
        except OSError as exc:
            print("refused", stored, exc.errno)
        handoff.close()
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
    word, stored, _errno = out.stdout.split()
    assert word == "refused", out.stdout + out.stderr
    assert 0 < int(stored) < 100
    journal = Journal(tmp_path)
    assert adopt_orphans(tmp_path, journal, None) == int(stored)
    assert _journal_ids(tmp_path) == _ids(*range(int(stored)))
    journal.close()


@pytest.mark.slow  # two child processes
def test_a_second_process_moves_what_a_killed_one_left(tmp_path: Path) -> None:
    # Two processes record into one outbox; one is killed -9 right after its calls
    # returned; the other (still running) moves the killed one's writes into the
    # journal by itself. Every acknowledged write is there exactly once.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from kraty_pygame.sdk import FileSecretStore, Kraty, RetryConfig
        from kraty_pygame.sdk.outbox import Outbox, Recorded
        root = Path({str(tmp_path)!r})
        name = sys.argv[1]
        kraty = Kraty("kr_test.client-demo", base_url="http://127.0.0.1:9",
                      secret_store=FileSecretStore(root / (name + ".json")),
                      retry=RetryConfig(attempts=1), active_external_player_id="p_" + name,
                      player_secret="s" * 32,
                      outbox=Outbox(root / "outbox", max_backoff_s=600))
        for i in range(200):
            try:
                with kraty.outbox.capture():
                    kraty.wallet.progress("xp", amount=1, reason=name + str(i))
            except Recorded as done:
                print(done.entry_id, flush=True)
        print("done", flush=True)
        time.sleep(60 if name == "a" else 30)
        """
    )
    children = {
        name: subprocess.Popen(
            [sys.executable, "-c", script, name], stdout=subprocess.PIPE, text=True, env=_CHILD_ENV
        )
        for name in ("a", "b")
    }
    acknowledged: dict[str, list[bytes]] = {}
    try:
        for name, child in children.items():
            assert child.stdout is not None
            lines = [child.stdout.readline().strip() for _ in range(201)]
            assert lines[-1] == "done"
            acknowledged[name] = [line.encode() for line in lines[:-1]]
        children["a"].send_signal(signal.SIGKILL)  # right after its last call returned
        children["a"].wait(10)
        deadline = time.monotonic() + 20
        wanted = set(acknowledged["a"]) | set(acknowledged["b"])
        while time.monotonic() < deadline:
            if wanted <= set(_journal_ids(tmp_path / "outbox")):
                break
            time.sleep(0.1)
        ids = _journal_ids(tmp_path / "outbox")
        assert wanted <= set(ids), f"{len(wanted - set(ids))} acknowledged writes missing"
        assert len(ids) == len(set(ids)) == 400  # none twice
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()


def test_a_map_header_survives_as_written(tmp_path: Path) -> None:
    handoff = Handoff(tmp_path, "cd08")
    [path] = tmp_path.glob("handoff-cd08-*.map")
    assert path.read_bytes()[:8] == b"KRATYHND"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert path.stat().st_size >= HEADER_SIZE
    handoff.close()


@pytest.mark.parametrize("count", [1, 300])
def test_store_then_move_round_trips_any_batch(tmp_path: Path, count: int) -> None:
    journal = Journal(tmp_path)
    handoff = Handoff(tmp_path, "ef09", segment_size=16384)
    for i in range(count):
        handoff.store(_rec(i))
        if i % 97 == 0:
            handoff.move(journal)
    handoff.move(journal)
    assert _journal_ids(tmp_path) == _ids(*range(count))
    assert handoff.close() is True
    journal.close()
