"""Server clock (v0.18.0+): read it, sync to it, and read it locally.

``sync_time()`` reads ``GET /sdk/v1/time`` and anchors the answer to
``time.monotonic()`` at the midpoint of the request, so ``server_now_ms()`` is
``server_ms + (monotonic_now - anchor) * 1000`` without any further I/O, immune to
changes of the machine's wall clock. Right after a sync the error is at most half
the measured round trip; it then drifts by the two clocks' rate difference (sync
again now and then, e.g. when a game resumes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from kraty_pygame.sdk.errors import KratyError
from kraty_pygame.sdk.models.time import ServerTime, TimeSync
from kraty_pygame.sdk.transport import KratyClient

__all__ = ["ServerClock"]

_NOT_SYNCED = "call sync_time() before server_now() / server_now_ms()"


class ServerClock:
    """Time reads and the local server clock of one ``Kraty`` client (thread-safe).

    Args:
        client: the transport.
        monotonic: the monotonic clock (seconds); injectable for tests.
        wall: the wall clock (seconds since the epoch), only used for ``offset_ms``.
    """

    def __init__(
        self,
        client: KratyClient,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._wall = wall
        self._sync: TimeSync | None = None

    def get_server_time(self, *, timezone: str | None = None) -> ServerTime:
        """``GET /sdk/v1/time``: the server clock, also as wall time in ``timezone``.

        Args:
            timezone: an IANA zone name (``"Europe/Lisbon"``); default the game's zone.

        Raises:
            KratyApiError: ``is_validation_failed`` for an unknown zone.
        """
        return self._client.request_decoded(
            "GET", "/sdk/v1/time", ServerTime.from_wire, query={"timezone": timezone}
        )

    def sync_time(self) -> TimeSync:
        """Measure the server clock once and anchor ``server_now()`` to it."""
        started = self._monotonic()
        answer = self.get_server_time()
        finished = self._monotonic()
        wall_ms = self._wall() * 1000.0
        anchor = (started + finished) / 2.0
        sync = TimeSync(
            server_epoch_ms=answer.epoch_ms,
            monotonic_anchor=anchor,
            round_trip_ms=(finished - started) * 1000.0,
            offset_ms=answer.epoch_ms + (finished - anchor) * 1000.0 - wall_ms,
            server_time=answer,
        )
        self._sync = sync
        return sync

    @property
    def is_time_synced(self) -> bool:
        """True once a ``sync_time()`` succeeded."""
        return self._sync is not None

    @property
    def last_sync(self) -> TimeSync | None:
        """The latest sync (round trip, offset), or None."""
        return self._sync

    def server_now_ms(self) -> int:
        """The server clock now, in ms since the Unix epoch (no I/O).

        Raises:
            KratyError: no ``sync_time()`` yet.
        """
        sync = self._sync
        if sync is None:
            raise KratyError(_NOT_SYNCED)
        elapsed = self._monotonic() - sync.monotonic_anchor
        return round(sync.server_epoch_ms + elapsed * 1000.0)

    def server_now(self) -> datetime:
        """The server clock now, as an aware UTC datetime (no I/O).

        Raises:
            KratyError: no ``sync_time()`` yet.
        """
        return datetime.fromtimestamp(self.server_now_ms() / 1000.0, tz=UTC)
