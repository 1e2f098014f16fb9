"""Server time through the SDK against the embedded emulator (issue 10, E37).

Acceptance: after a sync, ``server_now()`` differs from the emulator's clock by no more
than that sync's measured round trip; again after the emulator clock is advanced and
the client re-syncs. The emulator clock is manual (frozen between moves), so its reading
after the sync is exactly the reading the sync saw.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import Kraty, KratyApiError, KratyError

pytestmark = pytest.mark.emulator


def _check_sync(kraty: Kraty, emulator: EmbeddedEmulator) -> float:
    sync = kraty.sync_time()
    local_ms = kraty.server_now_ms()  # no I/O: read it right away
    local_dt = kraty.server_now()
    emulator_ms = emulator.now().timestamp() * 1000.0
    assert kraty.is_time_synced and kraty.last_time_sync is sync
    assert sync.server_epoch_ms == round(emulator_ms)
    assert abs(local_ms - emulator_ms) <= sync.round_trip_ms + 1.0  # +1: ms rounding
    assert abs(local_dt.timestamp() * 1000.0 - emulator_ms) <= sync.round_trip_ms + 2.0
    return sync.round_trip_ms


def test_server_now_tracks_the_emulator_clock_within_the_round_trip(
    kraty_emulator: EmbeddedEmulator, kraty: Kraty
) -> None:
    assert not kraty.is_time_synced and kraty.last_time_sync is None
    with pytest.raises(KratyError, match="sync_time"):
        kraty.server_now_ms()

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
