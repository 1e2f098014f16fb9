"""The outbox across restarts against the real emulator: the idempotency window on the
server's clock, a torn tail versus a damaged middle, and two processes on one outbox."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk.outbox import DEFAULT_WINDOW_S
from kraty_pygame.sdk.outbox._handoff import stored_bytes
from kraty_pygame.sdk.outbox._journal import frame
from tests.support.outbox_support import (
    Notices,
    capture,
    ledger_reasons,
    open_kraty,
    requests_with_key,
    wait_until,
    xp,
)

pytestmark = pytest.mark.emulator

XP_ROUTE = "/sdk/v1/players/*/wallet/xp/progress"


def _lose_the_answer(emulator: EmbeddedEmulator, root: Path, reason: str) -> str:
    """Record a write whose send commits on the server but whose answer is lost, then
    stop the client (as a crash would); returns the write's idempotency key."""
    kraty = open_kraty(emulator.base_url, emulator.client_api_key, root)
    with kraty:
        kraty.ensure_identity()
        emulator.set_faults(break_after_commit_rate=1.0, routes=[XP_ROUTE])
        signal = capture(kraty, xp(reason))
        key = signal.idempotency_key
        assert key is not None
        wait_until(lambda: len(requests_with_key(emulator, key)) >= 1, what="the first send")
        assert kraty.outbox is not None
        assert kraty.outbox.stats().in_flight == 1
    emulator.set_faults()
    return key


@pytest.mark.parametrize(
    ("advance_s", "window_s", "expected"),
    [
        (25 * 3600, DEFAULT_WINDOW_S, "unknown"),  # past the server's 24 h
        (120, 60, "unknown"),  # an option may shorten the window
        (0, DEFAULT_WINDOW_S, "applied"),  # within it: resent with its key, applied once
    ],
)
def test_a_write_whose_answer_was_lost_is_resent_only_within_the_window(
    kraty_emulator: EmbeddedEmulator,
    tmp_path: Path,
    advance_s: float,
    window_s: float,
    expected: str,
) -> None:
    key = _lose_the_answer(kraty_emulator, tmp_path, "lost-answer")
    sends_before = len(requests_with_key(kraty_emulator, key))
    if advance_s:
        kraty_emulator.advance_clock(advance_s)
    listening: list[Notices] = []
    kraty = open_kraty(
        kraty_emulator.base_url,
        kraty_emulator.client_api_key,
        tmp_path,
        outbox_options={"window_s": window_s},
        notices=listening,
    )
    with kraty:
        assert kraty.outbox is not None
        [notices] = listening
        assert kraty.outbox.flush(20) == 0
        [ended] = notices.wait_for(expected)  # the notice may trail flush() by a moment
        assert ended.idempotency_key == key
        assert ended.replayed
    sends_after = len(requests_with_key(kraty_emulator, key))
    if expected == "unknown":
        assert sends_after == sends_before  # never blindly resent
        assert "idempotency window" in str(ended.error)
    else:
        assert sends_after == sends_before + 1
        assert ended.data is not None and ended.data["applied"] is False  # a replay
    assert ledger_reasons(kraty_emulator)["lost-answer"] == 1


def _record_offline(emulator: EmbeddedEmulator, root: Path, reasons: list[str]) -> None:
    """Record writes the server turns away for now (503), then stop the client."""
    kraty = open_kraty(emulator.base_url, emulator.client_api_key, root)
    with kraty:
        kraty.ensure_identity()
        emulator.set_faults(fail_rate=1.0, routes=[XP_ROUTE])
        for reason in reasons:
            capture(kraty, xp(reason))
        assert kraty.outbox is not None
        assert kraty.outbox.pending_count == len(reasons)
    emulator.set_faults()


def test_a_torn_last_record_is_normal_and_everything_before_it_is_delivered(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    reasons = [f"t{i}" for i in range(5)]
    _record_offline(kraty_emulator, tmp_path, reasons)
    journal = tmp_path / "outbox" / "journal"
    with journal.open("ab") as handle:  # what a power cut in the middle of a write leaves
        handle.write(frame(b'{"t":"rec","id":"half"}')[:12])
    kraty = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    with kraty:
        assert kraty.outbox is not None
        notices = Notices(kraty.outbox)
        assert kraty.outbox.flush(20) == 0
        assert not notices.of("corrupt")
        assert kraty.outbox.stats().set_aside == 0
    assert not list((tmp_path / "outbox").glob("journal.corrupt-*"))
    counts = ledger_reasons(kraty_emulator)
    assert [counts[r] for r in reasons] == [1] * 5


def test_a_damaged_middle_is_set_aside_reported_once_and_the_rest_delivered(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    reasons = [f"m{i}" for i in range(5)]
    _record_offline(kraty_emulator, tmp_path, reasons)
    journal = tmp_path / "outbox" / "journal"
    data = bytearray(journal.read_bytes())
    data[data.index(b'"reason":"m2"') + 3] ^= 0x20  # one flipped bit inside record m2
    journal.write_bytes(bytes(data))
    kraty = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    with kraty:
        assert kraty.outbox is not None
        notices = Notices(kraty.outbox)
        assert kraty.outbox.flush(20) == 0
        [corrupt] = notices.of("corrupt")
        assert "moved to" in str(corrupt.error)
        assert kraty.outbox.stats().set_aside == 1
    [aside] = (tmp_path / "outbox").glob("journal.corrupt-*")
    assert aside.read_bytes() == bytes(data)  # kept as found, for inspection
    counts = ledger_reasons(kraty_emulator)
    assert [counts[r] for r in reasons] == [1, 1, 0, 1, 1]
    # the next start finds a clean journal: nothing more is reported
    again = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    with again:
        assert again.outbox is not None
        later = Notices(again.outbox)
        assert not later.of("corrupt")


_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from tests.support.outbox_support import capture, open_kraty, xp

    base_url, api_key, root, name, count, release = sys.argv[1:7]
    kraty = open_kraty(base_url, api_key, Path(root))
    keys = []
    for i in range(int(count)):
        keys.append(capture(kraty, xp(f"{name}-{i}")).idempotency_key)
        time.sleep(0.005)
    left = kraty.outbox.flush(60)
    print(json.dumps({"left": left, "sending": kraty.outbox.sending, "keys": keys}), flush=True)
    while not Path(release).exists():
        time.sleep(0.02)
    kraty.close()
    """
)


@pytest.mark.slow
def test_two_processes_record_into_one_outbox_and_only_one_sends(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    root = Path.cwd()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CHILD,
                kraty_emulator.base_url,
                kraty_emulator.client_api_key,
                str(tmp_path),
                name,
                "40",
                str(release),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        for name in ("a", "b")
    ]
    try:
        reports = []
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else ""
            reports.append(json.loads(line))
    finally:
        release.touch()
        errors = [child.communicate(timeout=60)[1] for child in children]
    assert [r["left"] for r in reports] == [0, 0]  # the other one learned every outcome
    assert sorted(r["sending"] for r in reports) == [False, True]
    counts = ledger_reasons(kraty_emulator)
    for name in ("a", "b"):
        assert [counts[f"{name}-{i}"] for i in range(40)] == [1] * 40
    sent = [r.get("idempotencyKey") for r in kraty_emulator.recent_requests(10_000)]
    for report in reports:
        for key in report["keys"]:
            assert sent.count(key) == 1  # never both sent the same entry
    assert [child.returncode for child in children] == [0, 0], errors


@pytest.mark.slow
def test_settled_writes_are_compacted_away_and_pending_ones_kept(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kraty_pygame.sdk.outbox import _outbox

    monkeypatch.setattr(_outbox, "_COMPACT_BYTES", 16 * 1024)  # compact small journals too
    kraty = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    journal = tmp_path / "outbox" / "journal"
    with kraty:
        kraty.ensure_identity()
        assert kraty.outbox is not None
        for i in range(300):
            capture(kraty, xp(f"c{i}"))
        # The 300 records, wherever they are yet: a burst may still sit in the hand-off map
        # (measuring the journal alone could catch it nearly empty and then never shrink).
        grown = stored_bytes(journal.parent)
        assert kraty.outbox.flush(60) == 0
        wait_until(lambda: journal.stat().st_size < grown // 4, what="a compaction")
        # still a working journal: new writes go into the compacted file
        kraty.wallet.progress("xp", amount=1, reason="after-compaction")
        assert kraty.outbox.stats().pending == 0
    again = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    with again:
        assert again.outbox is not None
        assert again.outbox.flush(10) == 0
    counts = ledger_reasons(kraty_emulator)
    assert [counts[f"c{i}"] for i in range(300)] == [1] * 300
    assert counts["after-compaction"] == 1


def test_a_resent_delete_the_server_no_longer_finds_ends_applied(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    """A delete whose first send removed the friendship but lost its answer is resent
    after a restart; the 404 it then gets means "already gone": applied, not failed."""
    emulator = kraty_emulator
    other = open_kraty(emulator.base_url, emulator.client_api_key, tmp_path / "other")
    with other:
        friend = other.ensure_identity().external_player_id
        kraty = open_kraty(emulator.base_url, emulator.client_api_key, tmp_path / "me")
        with kraty:
            me = kraty.ensure_identity().external_player_id
            kraty.friends.add(external_player_id=friend)
            other.friends.add(external_player_id=me)
            assert [f.external_player_id for f in kraty.friends.list()] == [friend]
            emulator.set_faults(break_after_commit_rate=1.0, routes=["/sdk/v1/players/*/friends/*"])
            capture(kraty, lambda k: k.friends.remove(friend))
            wait_until(lambda: not other.friends.list(), what="the first send")
            assert kraty.outbox is not None and kraty.outbox.stats().in_flight == 1
        emulator.set_faults()
        listening: list[Notices] = []
        again = open_kraty(
            emulator.base_url, emulator.client_api_key, tmp_path / "me", notices=listening
        )
        with again:
            assert again.outbox is not None
            [notices] = listening
            assert again.outbox.flush(20) == 0
            assert not notices.of("failed")
            [applied] = notices.wait_for("applied")
            assert applied.operation == "friends.remove" and applied.replayed
            assert applied.data == {"removed": True, "alreadyGone": True}
