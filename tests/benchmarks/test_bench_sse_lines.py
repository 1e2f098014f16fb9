"""SSE parsing cost of one event made of many short lines (printed, never asserted).

Run on demand: ``.venv/bin/python -m pytest tests/benchmarks/test_bench_sse_lines.py -s``.

One event of ``x\\n`` lines (2-byte lines, under both the 1 MiB line and 4 MiB event
limits) of 1, 2, 3 and 4 MiB goes through ``iter_sse_messages`` (the pre-pass in front
of sseclient-py that live streams use), in 64 KiB chunks (the most one socket read
returns) and in 1,400-byte chunks (about one TCP segment), sizes interleaved over
rounds. Printed: the best time per size, the time per MiB, and the ratio of the 4 MiB
time per MiB to the 1 MiB one (flat = linear). Targets: <= 1 s for 4 MiB and a ratio
<= 1.5. Side by side, sseclient-py fed the same bytes directly, at 64 to 256 KiB,
shows the quadratic growth the pre-pass removes, and an event of ``data:x`` lines (each
one a value sseclient-py must join) shows that path linear too (no target: its cost is
sseclient-py's own work per line).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pytest
import sseclient

from kraty_pygame.sdk.streams.sse import DEFAULT_MAX_EVENT_BYTES, iter_sse_messages

pytestmark = pytest.mark.benchmark

TARGET_4MIB_S = 1.0
TARGET_RATIO = 1.5
ROUNDS = 3
MIB = 1 << 20
TAIL = b'data: {"score":1}\n\n'


def _event(size: int, line: bytes = b"x\n") -> bytes:
    """One event of ``size`` bytes at most: ``event`` line, short lines, one data line."""
    head = b"event: score_update\n"
    room = min(size, DEFAULT_MAX_EVENT_BYTES - 64) - len(head) - len(TAIL)
    return head + line * (room // len(line)) + TAIL


def _chunks(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def _parse(chunks: Iterable[bytes], data_lines: bool = False) -> float:
    started = time.perf_counter()
    messages = list(iter_sse_messages(chunks))
    elapsed = time.perf_counter() - started
    assert len(messages) == 1
    if not data_lines:  # with data:x lines the joined data is not JSON: a parse-error
        assert messages[0].event == "score_update" and messages[0].data == {"score": 1}
    return elapsed


def _bare_sseclient(chunks: list[bytes]) -> float:
    started = time.perf_counter()
    events = list(sseclient.SSEClient(iter(chunks)).events())
    elapsed = time.perf_counter() - started
    assert len(events) == 1
    return elapsed


def test_bench_sse_event_of_short_lines_is_linear() -> None:
    sizes = [1 * MIB, 2 * MIB, 3 * MIB, 4 * MIB]
    chunkings = {"64 KiB chunks": 65536, "1400 B chunks": 1400}
    streams = {size: _event(size) for size in sizes}
    best: dict[tuple[str, int], float] = {}
    for _ in range(ROUNDS):
        for label, chunk in chunkings.items():
            for size in sizes:
                seconds = _parse(_chunks(streams[size], chunk))
                key = (label, size)
                best[key] = min(best.get(key, seconds), seconds)

    data_sizes = [1 * MIB, 4 * MIB]
    data_lines = {
        size: min(_parse(_chunks(_event(size, b"data:x\n"), 65536), True) for _ in range(2))
        for size in data_sizes
    }
    bare_sizes = [64 << 10, 128 << 10, 256 << 10]
    bare = {size: _bare_sseclient(_chunks(_event(size), 65536)) for size in bare_sizes}

    lines = ["", "[SSE] one event of 2-byte lines, best of 3 rounds (interleaved):"]
    for label in chunkings:
        per_mib = {size: best[(label, size)] / (len(streams[size]) / MIB) for size in sizes}
        cells = "  ".join(
            f"{size // MIB} MiB {best[(label, size)] * 1000:7.1f} ms ({per_mib[size] * 1000:5.1f}"
            " ms/MiB)"
            for size in sizes
        )
        ratio = per_mib[sizes[-1]] / per_mib[sizes[0]]
        four = best[(label, sizes[-1])]
        verdict = "within" if four <= TARGET_4MIB_S and ratio <= TARGET_RATIO else "OVER"
        lines.append(f"  {label:14s} {cells}")
        lines.append(
            f"  {'':14s} per-MiB ratio 4 MiB / 1 MiB = {ratio:4.2f}; {verdict} the targets "
            f"(<= {TARGET_4MIB_S:g} s for 4 MiB, ratio <= {TARGET_RATIO:g})"
        )
    data_cells = "  ".join(
        f"{size // MIB} MiB {seconds * 1000:7.1f} ms ({seconds / (size / MIB) * 1000:5.1f} ms/MiB)"
        for size, seconds in data_lines.items()
    )
    data_ratio = (data_lines[4 * MIB] / 4) / data_lines[MIB]
    lines.append(f"  data:x lines  {data_cells}; per-MiB ratio {data_ratio:4.2f}")
    bare_cells = "  ".join(
        f"{size >> 10} KiB {seconds * 1000:7.1f} ms ({seconds / (size / MIB):6.2f} s/MiB)"
        for size, seconds in bare.items()
    )
    bare_ratio = (bare[bare_sizes[-1]] / bare_sizes[-1]) / (bare[bare_sizes[0]] / bare_sizes[0])
    lines.append(f"  sseclient-py alone, 64 KiB chunks: {bare_cells}")
    lines.append(f"  {'':14s} per-MiB ratio 256 KiB / 64 KiB = {bare_ratio:4.1f} (quadratic: ~4)")
    print("\n".join(lines))
