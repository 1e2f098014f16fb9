"""The emulator clock and the one timestamp format the emulator emits.

Two modes:

* ``real``: wall clock plus an offset; ``advance()`` / ``set()`` move the offset.
* ``manual``: frozen between explicit ``advance()`` / ``set()`` calls, so tests are
  deterministic.

Timestamps on the wire are always ``YYYY-MM-DDTHH:MM:SS.mmmZ``.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

ClockMode = Literal["real", "manual"]

CLOCK_MODES: Final = ("real", "manual")


def iso(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds)."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # What ``isoformat(timespec="milliseconds")`` gives, in about half its time.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - the fastest form
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond // 1000,
    )


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive value is taken as UTC.

    Raises:
        ValueError: the text is not an ISO-8601 timestamp.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00 has no UTC reading
        raise ValueError(f"{text[:40]!r} is outside the representable time range") from None


_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

#: The range the emulator clock may be moved within. The upper end leaves centuries of
#: headroom below ``datetime.max`` for every duration added to "now" (windows, expiries).
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9000, 1, 1, tzinfo=UTC)


def check_reachable(moment: datetime) -> datetime:
    """``moment`` when it lies in ``EARLIEST..LATEST``.

    Raises:
        ValueError: the clock cannot be moved there.
    """
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"the emulator clock stays between {iso(EARLIEST)} and {iso(LATEST)}")
    return moment


def truncate_ms(moment: datetime) -> datetime:
    """Drop sub-millisecond precision so stored and emitted times compare equal."""
    extra = moment.microsecond % 1000
    return moment - timedelta(microseconds=extra) if extra else moment


class EmulatorClock:
    """Thread-safe emulator time source.

    Args:
        mode: ``"real"`` (wall clock + offset) or ``"manual"`` (frozen between moves).
        start: the initial reading in manual mode (default: the wall clock now); in
            real mode a ``start`` sets the offset so that ``now()`` starts there.
    """

    def __init__(self, mode: ClockMode = "real", start: datetime | None = None) -> None:
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock mode must be 'real' or 'manual', not {mode!r}")
        self._mode: ClockMode = mode
        self._lock = threading.Lock()
        wall = datetime.now(UTC)
        #: The last real-mode reading: (its millisecond, offset, offset in µs, reading).
        self._last: tuple[int, timedelta, int, datetime] = (-1, timedelta(0), 0, wall)
        self._offset = timedelta(0)
        self._frozen = truncate_ms(start or wall)
        if mode == "real" and start is not None:
            self._offset = start - wall

    @property
    def mode(self) -> ClockMode:
        return self._mode

    def now(self) -> datetime:
        """The current emulator time (UTC, millisecond precision)."""
        # No lock: each reading is one attribute, replaced whole by the writers.
        if self._mode == "manual":
            return self._frozen
        wall_us = time.time_ns() // 1000
        offset = self._offset
        last = self._last
        offset_us = last[2] if last[1] is offset else offset // _MICROSECOND
        ms = (wall_us + offset_us) // 1000
        if ms == last[0] and last[1] is offset:  # the same millisecond: the same reading
            return last[3]
        reading = _UNIX_EPOCH + timedelta(milliseconds=ms)
        self._last = (ms, offset, offset_us, reading)
        return reading

    def monotonic(self) -> float:
        """Seconds on a monotonic scale that also moves with the emulator clock."""
        return time.monotonic() + self.now().timestamp() - time.time()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (or backward for a negative value); returns the new time.

        Raises:
            ValueError: ``seconds`` is not finite or the result leaves ``EARLIEST..LATEST``.
        """
        span = (LATEST - EARLIEST).total_seconds()
        if not math.isfinite(seconds) or abs(seconds) > span:
            raise ValueError(f"advance must be a finite number of seconds within ±{span:.0f}")
        delta = timedelta(seconds=seconds)
        with self._lock:
            base = self._frozen if self._mode == "manual" else datetime.now(UTC) + self._offset
            try:
                target = base + delta
            except OverflowError:
                raise ValueError(f"advancing by {seconds:g} s leaves the clock's range") from None
            check_reachable(target)
            if self._mode == "manual":
                self._frozen = truncate_ms(target)
            else:
                self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment``; returns the new time.

        Raises:
            ValueError: ``moment`` lies outside ``EARLIEST..LATEST``.
        """
        check_reachable(moment.astimezone(UTC))
        with self._lock:
            if self._mode == "manual":
                self._frozen = truncate_ms(moment.astimezone(UTC))
            else:
                self._offset = moment.astimezone(UTC) - datetime.now(UTC)
        return self.now()
