"""Server time through the SDK against the embedded emulator (the server-time route).

Acceptance: after a sync, ``server_now()`` differs from the emulator's clock by no more
than that sync's measured round trip; again after the emulator clock is advanced and
the client re-syncs. The acceptance test runs the emulator on its *real* clock (wall
clock plus the offset that ``advance_clock`` moves), so both clocks run while the test
reads them; the emulator's reading is bracketed by two local readings, which keeps the
check exact however the busy machine schedules the test's thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import Kraty, KratyApiError, KratyError
from tests.support.platform_backend import client_for

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def real_clock_emulator() -> Iterator[EmbeddedEmulator]:
    """The demo config on the emulator's real clock."""
    with EmbeddedEmulator(clock="real") as emulator:
        yield emulator


def _check_real(kraty: Kraty, emulator: EmbeddedEmulator) -> float:
    """Sync, then check ``server_now_ms()`` against the emulator clock within the round trip.

    ``server_now_ms() = true_server_ms + e`` with a constant error ``e`` (both clocks
    run at the same rate). The emulator reads its clock at some instant between the
    two local readings ``before`` and ``after``, so ``e`` lies in
    ``[before - emu, after - emu]``; that interval must reach ``[-rtt, +rtt]`` (1 ms of
    slack: the emulator truncates its clock to milliseconds).
    """
    sync = kraty.sync_time()
    assert kraty.last_time_sync is sync
    rtt = sync.round_trip_ms
    before = kraty.server_now_ms()
    emulator_ms = emulator.now().timestamp() * 1000.0
    after = kraty.server_now_ms()
    assert before - emulator_ms <= rtt + 1.0, (before, emulator_ms, rtt)
    assert after - emulator_ms >= -(rtt + 1.0), (after, emulator_ms, rtt)
    local_dt_ms = kraty.server_now().timestamp() * 1000.0
    assert local_dt_ms - emulator_ms >= -(rtt + 2.0)
    return rtt


def test_server_now_is_within_the_round_trip_of_the_emulator_clock(
    real_clock_emulator: EmbeddedEmulator,
) -> None:
    with client_for(real_clock_emulator) as kraty:
        synced: bool = kraty.is_time_synced
        assert not synced
        with pytest.raises(KratyError, match="sync_time"):
            kraty.server_now_ms()
        _check_real(kraty, real_clock_emulator)

        real_clock_emulator.advance_clock(3600)  # the server jumps an hour ahead
        stale = kraty.server_now_ms() - real_clock_emulator.now().timestamp() * 1000.0
        assert stale < -3_000_000  # not re-synced yet: an hour behind
        _check_real(kraty, real_clock_emulator)  # after the re-sync: within the round trip

        real_clock_emulator.advance_clock(-7200)  # and back
        _check_real(kraty, real_clock_emulator)
        real_clock_emulator.advance_clock(3600)
        started = time.monotonic()
        first = kraty.server_now_ms()
        second = kraty.server_now_ms()
        assert 0 <= second - first <= (time.monotonic() - started) * 1000.0 + 1.0


def _check_sync(kraty: Kraty, emulator: EmbeddedEmulator) -> None:
    """On a frozen clock the sync reads it exactly; afterwards ``server_now`` runs on from
    it at the local rate, so it is ahead of the frozen clock by at most the time elapsed
    since the sync started (and never behind it, but for ms rounding)."""
    started = time.monotonic()
    sync = kraty.sync_time()
    local_ms = kraty.server_now_ms()
    elapsed_ms = (time.monotonic() - started) * 1000.0
    emulator_ms = emulator.now().timestamp() * 1000.0
    assert kraty.is_time_synced and kraty.last_time_sync is sync
    assert sync.server_epoch_ms == round(emulator_ms)
    assert sync.round_trip_ms <= elapsed_ms
    assert -1.0 <= local_ms - emulator_ms <= elapsed_ms + 1.0


def test_sync_on_a_frozen_clock_reads_it_exactly(
    kraty_emulator: EmbeddedEmulator, kraty: Kraty
) -> None:
    _check_sync(kraty, kraty_emulator)
    before = kraty.server_now()

    kraty_emulator.advance_clock(3600)  # the server's clock jumps; ours does not know yet
    assert kraty.server_now() - before < timedelta(seconds=60)
    _check_sync(kraty, kraty_emulator)
    assert kraty.server_now() - before > timedelta(seconds=3540)

    kraty_emulator.advance_clock(-7200)  # and backwards
    _check_sync(kraty, kraty_emulator)


def test_get_server_time_in_a_timezone(kraty_emulator: EmbeddedEmulator, kraty: Kraty) -> None:
    utc = kraty.get_server_time()
    assert utc.timezone == "UTC" and utc.offset_minutes == 0
    assert utc.as_datetime == kraty_emulator.now() and utc.iso_dt == kraty_emulator.now()
    tokyo = kraty.get_server_time(timezone="Asia/Tokyo")
    assert tokyo.timezone == "Asia/Tokyo" and tokyo.offset_minutes == 540
    assert tokyo.epoch_ms == utc.epoch_ms
    local = (kraty_emulator.now() + timedelta(hours=9)).replace(tzinfo=None, microsecond=0)
    assert tokyo.local == local.isoformat()
    with pytest.raises(KratyApiError) as bad:
        kraty.get_server_time(timezone="Mars/Olympus_Mons")
    assert bad.value.is_validation_failed
    assert not kraty.is_time_synced  # a read is not a sync
