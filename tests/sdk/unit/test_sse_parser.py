"""The SSE parsing path of live streams: sseclient-py behind our linear pre-pass."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import sseclient
from hypothesis import given, settings
from hypothesis import strategies as st

from kraty_pygame.sdk.errors import KratyStreamError
from kraty_pygame.sdk.streams.sse import SseMessage, _decode_data, iter_sse_messages

# A stream as sse-starlette frames it (CRLF endings, ping comments), with the emulator's
# payloads; one event's data is split over two data lines.
RECORDED_CRLF = (
    b": connected\r\n\r\n"
    b"event: ready\r\n"
    b'data: {"leaderboardId":"lb_6f1d2c3b4a59","serverTime":"2026-06-16T09:00:00.000Z"}\r\n\r\n'
    b"event: score_update\r\n"
    b'data: {"leaderboardId":"lb_6f1d2c3b4a59","participantId":"p-1","kind":"player",'
    b'"name":"Crazy Panda","score":15,"rank":1,"previousRank":null}\r\n\r\n'
    b": ping - 2026-06-16 09:00:15.000000+00:00\r\n\r\n"
    b"id: 7\r\nretry: 1000\r\n"
    b"event: score_update\r\n"
    b'data: {"leaderboardId":"lb_6f1d2c3b4a59",\r\n'
    b'data: "participantId":"bot_7","kind":"bot",'
    b'"name":"Rusty F\xc3\xb6x","score":30,"rank":1}\r\n\r\n'
    b"event: finalized\r\n"
    b'data: {"leaderboardId":"lb_6f1d2c3b4a59","eventId":"e1","reason":"window_closed",'
    b'"standings":[{"participantId":"bot_7","rank":1,"score":30,"name":"Rusty","kind":"bot"}],'
    b'"occurredAt":"2026-06-16T10:00:00.000Z"}\r\n\r\n'
    b"event: closed\r\n"
    b'data: {"reason":"finalized"}\r\n\r\n'
)
RECORDED_LF = RECORDED_CRLF.replace(b"\r\n", b"\n")
RECORDED_CR = RECORDED_CRLF.replace(b"\r\n", b"\r")

EXPECTED = [
    SseMessage(
        "ready", {"leaderboardId": "lb_6f1d2c3b4a59", "serverTime": "2026-06-16T09:00:00.000Z"}
    ),
    SseMessage(
        "score_update",
        {
            "leaderboardId": "lb_6f1d2c3b4a59",
            "participantId": "p-1",
            "kind": "player",
            "name": "Crazy Panda",
            "score": 15,
            "rank": 1,
            "previousRank": None,
        },
    ),
    SseMessage(
        "score_update",
        {
            "leaderboardId": "lb_6f1d2c3b4a59",
            "participantId": "bot_7",
            "kind": "bot",
            "name": "Rusty Föx",
            "score": 30,
            "rank": 1,
        },
    ),
    SseMessage(
        "finalized",
        {
            "leaderboardId": "lb_6f1d2c3b4a59",
            "eventId": "e1",
            "reason": "window_closed",
            "standings": [
                {"participantId": "bot_7", "rank": 1, "score": 30, "name": "Rusty", "kind": "bot"}
            ],
            "occurredAt": "2026-06-16T10:00:00.000Z",
        },
    ),
    SseMessage("closed", {"reason": "finalized"}),
]


def parse(chunks: list[bytes], **limits: int) -> list[SseMessage]:
    return list(iter_sse_messages(iter(chunks), **limits))


@pytest.mark.parametrize(
    "stream", [RECORDED_CRLF, RECORDED_LF, RECORDED_CR], ids=["crlf", "lf", "cr"]
)
def test_whole_stream_parses(stream: bytes) -> None:
    assert parse([stream]) == EXPECTED


@pytest.mark.parametrize(
    "stream", [RECORDED_CRLF, RECORDED_LF, RECORDED_CR], ids=["crlf", "lf", "cr"]
)
def test_one_byte_per_chunk(stream: bytes) -> None:
    assert parse([stream[i : i + 1] for i in range(len(stream))]) == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("stream", [RECORDED_CRLF, RECORDED_LF], ids=["crlf", "lf"])
def test_every_two_chunk_split(stream: bytes) -> None:
    for i in range(len(stream) + 1):
        assert parse([stream[:i], stream[i:]]) == EXPECTED, f"split at byte {i}"


@pytest.mark.slow
def test_every_split_around_each_crlf_into_three_chunks() -> None:
    # Every pair of cut points within two bytes of each CRLF: CR ending one chunk, LF
    # opening the next, empty chunks between them.
    cuts = sorted({p + d for p in _crlf_positions(RECORDED_CRLF) for d in (-1, 0, 1, 2)})
    for i, j in itertools.combinations_with_replacement(cuts, 2):
        chunks = [RECORDED_CRLF[:i], RECORDED_CRLF[i:j], RECORDED_CRLF[j:]]
        assert parse(chunks) == EXPECTED, f"cuts {i}, {j}"


def _crlf_positions(data: bytes) -> list[int]:
    return [i for i in range(len(data) - 1) if data[i : i + 2] == b"\r\n"]


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.data())
def test_arbitrary_partitions(data: st.DataObject) -> None:
    stream = data.draw(st.sampled_from([RECORDED_CRLF, RECORDED_LF, RECORDED_CR]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=40)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    assert parse(chunks) == EXPECTED


def test_comments_id_and_retry_are_ignored() -> None:
    stream = b': hello\nid: 4\nretry: 10\n: hb\nevent: x\ndata: {"a": 1}\n\n:only a comment\n\n'
    assert parse([stream]) == [SseMessage("x", {"a": 1})]


def test_data_lines_join_with_newline_and_one_space_is_stripped() -> None:
    # Not JSON, so the parse-error event shows the joined text exactly: of two spaces
    # after the colon one is stripped; no space at all is fine too.
    assert parse([b"event: x\ndata:  x\ndata:y\n\n"]) == [
        SseMessage("parse-error", {"raw": " x\ny"})
    ]
    assert parse([b"data: [1,\ndata:2]\n\n"]) == [SseMessage("message", {"value": [1, 2]})]


def test_non_object_json_is_wrapped() -> None:
    stream = b'data: 42\n\ndata: [1, 2]\n\ndata: "s"\n\ndata: null\n\n'
    assert parse([stream]) == [
        SseMessage("message", {"value": 42}),
        SseMessage("message", {"value": [1, 2]}),
        SseMessage("message", {"value": "s"}),
        SseMessage("message", {"value": None}),
    ]


def test_events_without_data_are_dropped() -> None:
    stream = (
        b"event: ready\n\nevent: ping\nid: 3\n\nevent: empty\ndata:\n\nevent: real\ndata: {}\n\n"
    )
    assert parse([stream]) == [SseMessage("real", {})]


def test_buffered_event_is_flushed_at_end() -> None:
    assert parse([b'event: closed\r\ndata: {"reason":"x"}']) == [
        SseMessage("closed", {"reason": "x"})
    ]
    assert parse([b'event: closed\r\ndata: {"reason":"x"}\r\n']) == [
        SseMessage("closed", {"reason": "x"})
    ]


def test_invalid_json_becomes_parse_error() -> None:
    assert parse([b"event: score_update\ndata: {nope\n\n"]) == [
        SseMessage("parse-error", {"raw": "{nope"})
    ]


def test_multibyte_utf8_split_across_chunks() -> None:
    stream = 'data: {"name": "Zoë 🦊"}\n\n'.encode()
    for i in range(len(stream) + 1):
        assert parse([stream[:i], stream[i:]]) == [SseMessage("message", {"name": "Zoë 🦊"})]


def test_invalid_utf8_raises_stream_error() -> None:
    with pytest.raises(KratyStreamError, match="UTF-8"):
        parse([b'data: {"a": "\xff"}\n\n'])


def _endless(piece: bytes) -> Iterator[bytes]:
    produced = 0
    while True:
        produced += len(piece)
        assert produced < 64 << 20, "the parser kept reading an endless line"
        yield piece


def test_endless_line_raises_instead_of_buffering() -> None:
    with pytest.raises(KratyStreamError, match="line longer than 4096 bytes"):
        list(iter_sse_messages(_endless(b"x" * 1000), max_line_bytes=4096))


def test_endless_line_with_default_limit_raises() -> None:
    with pytest.raises(KratyStreamError, match="line longer"):
        list(iter_sse_messages(itertools.chain([b"data: "], _endless(b"y" * 65536))))


def test_oversized_event_of_short_lines_raises() -> None:
    lines = itertools.chain([b"event: x\n"], _endless(b"data: 0123456789\n"))
    with pytest.raises(KratyStreamError, match="event larger than 2048 bytes"):
        list(iter_sse_messages(lines, max_event_bytes=2048))


def test_limits_are_per_event_not_per_stream() -> None:
    one = b"data: " + b"1" * 200 + b"\r\n\r\n"
    assert len(parse([one] * 100, max_line_bytes=300, max_event_bytes=300)) == 100


def test_limit_counts_a_line_split_across_many_chunks() -> None:
    line = b"data: " + b"1" * 500
    with pytest.raises(KratyStreamError):
        parse([line[i : i + 7] for i in range(0, len(line), 7)], max_line_bytes=400)


# Fragments of SSE text, valid UTF-8, including an event of more data lines than one
# piece handed to sseclient-py holds.
FRAGMENTS = [
    b"data",
    b"data:",
    b"data: ",
    b"event",
    b"event: x",
    b"event:y",
    b"id: 1",
    b"retry: 5",
    b": comment",
    b"x",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b'{"a":1}',
    b"[1,",
    b"2]",
    b"\xc3\xa9",
    b"datax: 2",
    "\u2028".encode(),
    b"data: 1\n" * 70,
]


def _oracle(stream: bytes) -> list[SseMessage]:
    """sseclient-py alone, fed the whole stream with LF line endings at once."""
    text = stream.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    out = []
    for event in sseclient.SSEClient(iter([text])).events():
        if event.data:
            ok, data = _decode_data(event.data)
            out.append(SseMessage(event.event if ok else "parse-error", data))
    return out


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_pre_pass_changes_the_cost_not_the_result(data: st.DataObject) -> None:
    stream = b"".join(data.draw(st.lists(st.sampled_from(FRAGMENTS), max_size=40)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    assert parse(chunks) == _oracle(stream)
