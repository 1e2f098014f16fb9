"""Server time and the client's clock synchronisation record."""

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Optional

from kraty_pygame.sdk.models._base import KratyModel, parse_iso

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["ServerTime", "TimeSync"]


@dataclass(frozen=True)
class ServerTime(KratyModel):
    """The server clock when it answered (``get_server_time``).

    ``local`` is the wall time in ``timezone`` without an offset
    (``YYYY-MM-DDTHH:MM:SS``); ``offset_minutes`` is that zone's UTC offset then.
    """

    epoch_ms: int = 0
    iso: str = ""
    timezone: str = "UTC"
    offset_minutes: int = 0
    local: str = ""

    @property
    def as_datetime(self) -> datetime:
        """``epoch_ms`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.epoch_ms / 1000.0, tz=timezone.utc)

    @property
    def iso_dt(self) -> Optional[datetime]:
        """``iso`` parsed (None when absent)."""
        return parse_iso(self.iso)


@dataclass(frozen=True)
class TimeSync:
    """One ``sync_time()`` measurement.

    The server time is assumed to be read half-way through the request, so the
    anchor is the midpoint of the round trip on ``time.monotonic()``; the error of
    ``server_now_ms()`` right after the sync is at most half the round trip (plus the
    server's own millisecond rounding).

    Attributes:
        server_epoch_ms: the server clock at the anchor (ms since the Unix epoch).
        monotonic_anchor: ``time.monotonic()`` at the anchor (seconds).
        round_trip_ms: how long the sync request took (ms).
        offset_ms: server clock minus this machine's wall clock (ms); positive when
            the server is ahead.
        server_time: the raw answer.
    """

    server_epoch_ms: int
    monotonic_anchor: float
    round_trip_ms: float
    offset_ms: float
    server_time: ServerTime
