"""SSE parsing for the live streams: bounded, and linear in the bytes received.

Our pre-pass (``_Feed``) cuts the stream into whole events, normalises line ends, bounds
each line and event and checks UTF-8; sseclient-py (imported here only) then reads the
fields, and we decode the JSON (a non-object becomes ``{"value": v}``, bad JSON a
``parse-error`` event).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

import sseclient

from kraty_pygame.sdk.errors import KratyStreamError
from kraty_pygame.sdk.models.leaderboards import LeaderboardStreamKind

if TYPE_CHECKING:  # type checkers see the standard decorator
    from dataclasses import dataclass
else:  # the same, done on first use (see kraty_pygame._deferred)
    from kraty_pygame._deferred import dataclass

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "DEFAULT_MAX_LINE_BYTES", "SseMessage", "iter_sse_messages"]

DEFAULT_MAX_LINE_BYTES: Final = 1 << 20
"""Longest SSE line accepted (1 MiB)."""
DEFAULT_MAX_EVENT_BYTES: Final = 4 << 20
"""Largest SSE event accepted, all its lines together (4 MiB)."""
_PIECE_LINES: Final = 32
"""Most lines of one piece handed to sseclient-py (its cost per piece grows with lines x bytes)."""
_DATA_LINE: Final = re.compile(rb"^data(?::[^\n]*)?$", re.MULTILINE)
_EVENT_LINE: Final = re.compile(rb"^event(?::[^\n]*)?$", re.MULTILINE)


@dataclass(frozen=True)
class SseMessage:
    """One dispatched SSE event: its ``event:`` name and its decoded JSON object."""

    event: str
    data: dict[str, Any]


def _lf_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` with CRLF and lone CR rewritten to LF (a CR ending one chunk and the LF
    opening the next count as one line ending)."""
    carry_cr = False
    for received in chunks:
        chunk = received[1:] if carry_cr and received[:1] == b"\n" else received
        if not chunk:
            continue
        carry_cr = chunk.endswith(b"\r")
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        yield chunk


class _Feed:
    """The linear pre-pass in front of sseclient-py.

    sseclient-py joins the bytes of an event line by line (and the values of its data
    lines the same way), so one event of many short lines costs time quadratic in its
    size, and a line trickled in tiny chunks does too. This pass cuts the stream into
    whole events with bytes methods, enforces the size limits and UTF-8, keeps only the
    lines whose fields we use (``data`` and the last ``event``), and hands sseclient-py
    each event as complete pieces of at most ``_PIECE_LINES`` lines. Every piece carries
    data, so sseclient-py dispatches exactly one event per piece; ``sizes`` says how many
    pieces make up each event, in order, and their data is joined back with ``\\n``.
    """

    def __init__(self, chunks: Iterable[bytes], max_line: int, max_event: int) -> None:
        self._chunks = chunks
        self._max_line = max_line
        self._max_event = max_event
        self.sizes: deque[int] = deque()
        self._data: list[bytes] = []  # data lines of the event being read, in LF-joined blocks
        self._name: bytes | None = None  # its last ``event`` line
        self._event_len = 0

    def pieces(self) -> Iterator[bytes]:
        """The complete pieces, as soon as the blank line ending each event arrives."""
        partial: list[bytes] = []  # the unfinished last line, as received
        line_len = 0
        for chunk in _lf_chunks(self._chunks):
            end = chunk.rfind(b"\n")
            if end < 0:
                partial.append(chunk)
                line_len += len(chunk)
                self._check_open_line(line_len)
                continue
            partial.append(chunk[: end + 1])
            region = b"".join(partial)  # whole lines only
            tail = chunk[end + 1 :]
            partial = [tail] if tail else []
            line_len = len(tail)
            yield from self._region(region)
            self._check_open_line(line_len)
        if partial:  # the stream ended inside a line: that line still counts
            self._event_len -= 1  # (without the line ending added here)
            yield from self._region(b"".join(partial) + b"\n")
        yield from self._dispatch()  # and so does an event without its blank line

    def _check_open_line(self, line_len: int) -> None:
        if line_len > self._max_line:
            raise KratyStreamError(f"SSE line longer than {self._max_line} bytes")
        if self._event_len + line_len > self._max_event:
            raise KratyStreamError(f"SSE event larger than {self._max_event} bytes")

    def _region(self, region: bytes) -> Iterator[bytes]:
        # A blank line ends an event. The leading LF makes a blank first line show as
        # "\n\n" too; every segment but the last is followed by a blank line, which
        # took the line ending of its last line with it.
        segments = (b"\n" + region).split(b"\n\n")
        last = len(segments) - 1
        for index, segment in enumerate(segments):
            # drop that leading LF, or (after a blank line) blank lines ending empty events
            lines = segment.lstrip(b"\n") if index else segment[1:]
            ended = index < last
            self._add(lines, len(lines) + 1 if ended and lines else len(lines))
            if ended:
                yield from self._dispatch()

    def _add(self, segment: bytes, size: int) -> None:
        self._event_len += size
        if self._event_len > self._max_event:
            raise KratyStreamError(f"SSE event larger than {self._max_event} bytes")
        if len(segment) > self._max_line and max(map(len, segment.split(b"\n"))) > self._max_line:
            raise KratyStreamError(f"SSE line longer than {self._max_line} bytes")
        try:
            segment.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KratyStreamError("SSE stream is not valid UTF-8") from exc
        if b"data" in segment:
            found = _DATA_LINE.findall(segment)
            if found:  # one block per segment: a few objects, not one per line
                self._data.append(b"\n".join(found))
        if b"event" in segment:
            names = _EVENT_LINE.findall(segment)
            if names:
                self._name = names[-1]

    def _dispatch(self) -> Iterator[bytes]:
        blocks, name = self._data, self._name
        self._data, self._name, self._event_len = [], None, 0
        if not blocks:
            return  # sseclient-py drops an event without data too
        step = _PIECE_LINES
        self.sizes.append(sum((block.count(b"\n") + step) // step for block in blocks))
        for block in blocks:
            lines = block.split(b"\n")
            for start in range(0, len(lines), step):
                piece = lines[start : start + step]
                if name is not None:
                    piece.insert(0, name)
                    name = None
                yield b"\n".join(piece) + b"\n\n"


def _decode_data(text: str) -> tuple[bool, dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError:
        return False, {"raw": text}
    if isinstance(value, dict):
        return True, value
    return True, {"value": value}


def iter_sse_messages(
    chunks: Iterable[bytes],
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> Iterator[SseMessage]:
    """Parse an SSE byte stream, arriving in arbitrary chunks, into messages.

    Pure: no I/O of its own; ``live()`` feeds it the socket's chunks. Invalid JSON
    yields ``SseMessage("parse-error", {"raw": text})``.

    Raises:
        KratyStreamError: a line or event exceeds its limit, or the bytes are not UTF-8.
    """
    feed = _Feed(chunks, max_line_bytes, max_event_bytes)
    events = sseclient.SSEClient(feed.pieces(), char_enc="utf-8").events()
    while True:
        try:
            first = next(events)
            parts = [str(first.data)]
            for _ in range(feed.sizes.popleft() - 1):
                parts.append(str(next(events).data))
        except StopIteration:
            return
        except UnicodeDecodeError as exc:  # pragma: no cover - the feed checks UTF-8 first
            raise KratyStreamError("SSE stream is not valid UTF-8") from exc
        text = parts[0] if len(parts) == 1 else "\n".join(parts)
        if not text:
            continue
        ok, data = _decode_data(text)
        yield SseMessage(str(first.event) if ok else LeaderboardStreamKind.PARSE_ERROR.value, data)
