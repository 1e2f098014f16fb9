"""Just enough HTTP/1.1 framing for the fault proxy: heads, bodies, resets.

Reads wake up every ``POLL`` seconds to check a stop flag, so a proxy thread blocked on a
quiet socket still ends promptly when the proxy stops.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

POLL = 0.1  # seconds between checks of the stop flag while a socket call waits
MAX_HEAD = 64 * 1024


class Stopped(Exception):
    """The proxy is stopping."""


class PeerClosed(Exception):
    """The peer closed or reset the connection, or it went idle too long."""


class SocketReader:
    """Buffered reads from a socket that wake up regularly to check the stop flag."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.buf = bytearray()
        sock.settimeout(POLL)
        with contextlib.suppress(OSError):  # small writes go out at once (no Nagle delay)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _fill(self, idle: float) -> bool:
        """Read more bytes into the buffer; ``False`` on a clean end of stream."""
        deadline = time.monotonic() + idle
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise PeerClosed("idle timeout") from None
                continue
            except OSError as exc:
                raise PeerClosed(str(exc)) from exc
            if not data:
                return False
            self.buf += data
            return True

    def read_head(self, idle: float) -> bytes | None:
        """Bytes up to and including the blank line; ``None`` on EOF before any byte."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > MAX_HEAD:
                raise PeerClosed("head too large")
            if not self._fill(idle):
                if not self.buf:
                    return None
                raise PeerClosed("EOF inside a head")

    def read_line(self, idle: float) -> bytes:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[: end + 2])
                del self.buf[: end + 2]
                return line
            if len(self.buf) > MAX_HEAD:
                raise PeerClosed("line too long")
            if not self._fill(idle):
                raise PeerClosed("EOF inside a line")

    def read_some(self, limit: int, idle: float) -> bytes:
        """Up to ``limit`` bytes (at least one); ``b""`` on EOF."""
        if not self.buf and not self._fill(idle):
            return b""
        piece = bytes(self.buf[:limit])
        del self.buf[:limit]
        return piece

    def read_exact(self, size: int, idle: float) -> Iterator[bytes]:
        remaining = size
        while remaining > 0:
            piece = self.read_some(min(remaining, 65536), idle)
            if not piece:
                raise PeerClosed("EOF inside a body")
            remaining -= len(piece)
            yield piece


def parse_head(raw: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise PeerClosed(f"malformed header line {line!r}")
        headers.append((name.strip(), value.strip()))
    return lines[0], tuple(headers)


def header_value(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The last value of a header (case-insensitive), or ``None``."""
    lowered = name.lower()
    found: str | None = None
    for key, value in headers:
        if key.lower() == lowered:
            found = value
    return found


def is_chunked(headers: tuple[tuple[str, str], ...]) -> bool:
    return "chunked" in (header_value(headers, "transfer-encoding") or "").lower()


def content_length(headers: tuple[tuple[str, str], ...]) -> int | None:
    value = header_value(headers, "content-length")
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        raise PeerClosed(f"bad content-length {value!r}") from None
    if length < 0:
        raise PeerClosed("negative content-length")
    return length


def chunked_raw(reader: SocketReader, idle: float) -> Iterator[bytes]:
    """The raw bytes of a chunked body (size lines, data, trailers), piece by piece."""
    while True:
        line = reader.read_line(idle)
        yield line
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise PeerClosed(f"bad chunk size {size_text!r}") from None
        if size == 0:
            while True:
                trailer = reader.read_line(idle)
                yield trailer
                if trailer == b"\r\n":
                    return
        yield from reader.read_exact(size, idle)
        crlf = b"".join(reader.read_exact(2, idle))
        yield crlf


def dechunk(raw: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        end = raw.index(b"\r\n", pos)
        size = int(raw[pos:end].split(b";", 1)[0].strip(), 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        out += raw[pos : pos + size]
        pos += size + 2


def connection_close(headers: tuple[tuple[str, str], ...], version: str) -> bool:
    value = (header_value(headers, "connection") or "").lower()
    if "close" in value:
        return True
    return version.upper() == "HTTP/1.0" and "keep-alive" not in value


@dataclass
class BufferedResponse:
    """A complete upstream response, body de-chunked, ready to be re-framed."""

    status_line: str
    headers: list[tuple[str, str]]
    body: bytes
    close: bool

    def head_bytes(self) -> bytes:
        lines = [self.status_line]
        lines += [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def canned(status: int, reason: str, content_type: str, body: bytes, retry_after: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"content-type: {content_type}\r\n"
        f"retry-after: {retry_after}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + body
