"""Live event-board streams over real HTTP: framing, heartbeat, fan-out, coalescing, finalize.

Raw SSE through httpx (never the SDK) against an EmbeddedEmulator on 127.0.0.1:0.
Board writes go through the same hooks the events routes call, inside the server's
own store transactions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kraty_pygame.emulator.config.loader import demo_config_text
from kraty_pygame.emulator.domain.leaderboards import boards, bots, finalization
from kraty_pygame.emulator.domain.leaderboards.services import board_services
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from kraty_pygame.emulator.streams.broadcast import Broadcaster

pytestmark = pytest.mark.emulator

HEARTBEAT_S = 0.25


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEmulator]:
    text = re.sub(
        r"(?m)^sse_heartbeat_s = .*$", f"sse_heartbeat_s = {HEARTBEAT_S}", demo_config_text()
    )
    path = Path(tmp_path_factory.mktemp("cfg")) / "boards.toml"
    path.write_text(text, encoding="utf-8")
    with EmbeddedEmulator(path) as server:
        yield server


def _headers(emu: EmbeddedEmulator) -> dict[str, str]:
    return {"authorization": f"Bearer {emu.client_api_key}", "accept": "text/event-stream"}


def new_board(emu: EmbeddedEmulator, *, minutes: float = 60, bot_rate: float = 0.0) -> str:
    """A fresh event board (with one bot when ``bot_rate`` > 0) in the server's store."""
    rt = emu.app.state.runtime
    board_id = "lb_" + uuid.uuid4().hex[:12]
    now = rt.now()
    specs = (
        [bots.BotSpec(participant_id="bot_t", name="Rusty Fox", rate_per_minute=bot_rate)]
        if bot_rate
        else []
    )
    with rt.store.write() as tx:
        boards.ensure_event_board(
            tx.conn,
            leaderboard_id=board_id,
            event_key="tap_frenzy",
            now=now,
            window_id="w_test",
            anchor=now,
            ends_at=now + timedelta(minutes=minutes),
            bots=specs,
        )
    return board_id


def score(emu: EmbeddedEmulator, board_id: str, pid: str, value: float) -> None:
    rt = emu.app.state.runtime
    with rt.store.write() as tx:
        boards.on_attempt_scored(
            tx,
            board_services(rt),
            leaderboard_id=board_id,
            player_id=pid,
            external_player_id=f"ext_{pid}",
            display_name=pid.upper(),
            event_key="tap_frenzy",
            score=value,
            now=rt.now(),
            attempt_id=f"att_{pid}",
        )


def finalize(emu: EmbeddedEmulator, board_id: str) -> None:
    rt = emu.app.state.runtime
    with rt.store.write() as tx:
        finalization.finalize_window(
            tx,
            board_services(rt),
            event_key="tap_frenzy",
            window_id="w_test",
            leaderboard_id=board_id,
            reason="window_closed",
            now=rt.now(),
        )


class SSE:
    """Tiny raw SSE reader: frames split on blank lines, comments kept."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.raw = b""
        self._buffer = b""
        self._chunks: AsyncIterator[bytes] = response.aiter_raw()

    async def frames(self) -> AsyncIterator[tuple[str, Any]]:
        while True:
            while b"\n\n" not in self._buffer:
                try:
                    chunk = await self._chunks.__anext__()
                except StopAsyncIteration:
                    return
                self.raw += chunk
                self._buffer += chunk
            frame, self._buffer = self._buffer.split(b"\n\n", 1)
            kind, data = "message", []
            for line in frame.decode().split("\n"):
                if line.startswith(":"):
                    yield ("comment", line[1:].strip())
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
            if data:
                yield (kind, json.loads("\n".join(data)))


async def _collect(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], ready: asyncio.Event | None = None
) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        async for kind, data in SSE(response).frames():
            if kind == "comment":
                continue
            out.append((kind, data))
            if kind == "ready" and ready is not None:
                ready.set()
    return out


def test_frames_use_lf_and_open_with_connected_and_ready(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)

    async def scenario() -> bytes:
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            url = f"/sdk/v1/event-leaderboards/{board_id}/stream"
            async with client.stream("GET", url, headers=_headers(emu)) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                reader = SSE(response)
                async for kind, data in reader.frames():
                    if kind == "ready":
                        assert data["leaderboardId"] == board_id
                        assert data["serverTime"].endswith("Z")
                        break
                return reader.raw

    raw = asyncio.run(scenario())
    assert raw.startswith(b": connected\n\nevent: ready\ndata: {")
    assert b"\r" not in raw


def test_score_write_reaches_subscriber_and_the_next_snapshot(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    score(emu, board_id, "p_a", 10)

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            task = asyncio.create_task(
                _collect(
                    client, f"/sdk/v1/event-leaderboards/{board_id}/stream", _headers(emu), ready
                )
            )
            await asyncio.wait_for(ready.wait(), 10)
            await asyncio.to_thread(score, emu, board_id, "p_b", 25)
            await asyncio.to_thread(finalize, emu, board_id)
            return await asyncio.wait_for(task, 10)

    events = asyncio.run(scenario())
    kinds = [k for k, _ in events]
    assert kinds[0] == "ready" and kinds[-2:] == ["finalized", "closed"]
    updates = [d for k, d in events if k == "score_update"]
    assert updates[0] == {
        "leaderboardId": board_id,
        "participantId": "p_b",
        "kind": "player",
        "name": "P_B",
        "score": 25,
        "rank": 1,
        "previousRank": None,
    }
    assert {"participantId": "p_a", "rank": 2, "previousRank": 1}.items() <= updates[1].items()
    snap = httpx.get(
        f"{emu.base_url}/sdk/v1/event-leaderboards/{board_id}", headers=_headers(emu), timeout=10
    ).json()["data"]
    assert [(e["participantId"], e["rank"]) for e in snap["entries"]] == [("p_b", 1), ("p_a", 2)]


@pytest.mark.slow
def test_heartbeat_comments_arrive_at_the_configured_interval(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)

    async def scenario() -> list[float]:
        stamps: list[float] = []
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            url = f"/sdk/v1/event-leaderboards/{board_id}/stream"
            async with client.stream("GET", url, headers=_headers(emu)) as response:
                reader = SSE(response)
                started = time.monotonic()
                async for kind, data in reader.frames():
                    if kind == "comment" and data == "hb":
                        stamps.append(time.monotonic() - started)
                        if len(stamps) == 4:
                            break
                assert b"\r" not in reader.raw
                assert b"ping" not in reader.raw
        return stamps

    stamps = asyncio.run(asyncio.wait_for(scenario(), 15))
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(HEARTBEAT_S * 0.5 < gap < HEARTBEAT_S * 8 for gap in gaps), gaps


def test_finalized_board_answers_ready_then_closed(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    score(emu, board_id, "p_a", 3)
    finalize(emu, board_id)

    async def scenario() -> list[tuple[str, Any]]:
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            return await asyncio.wait_for(
                _collect(client, f"/sdk/v1/event-leaderboards/{board_id}/stream", _headers(emu)), 10
            )

    events = asyncio.run(scenario())
    assert [k for k, _ in events] == ["ready", "closed"]
    assert events[1][1] == {"reason": "finalized"}


@pytest.mark.slow
def test_hundred_subscribers_all_end_on_the_final_state(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    subscribers = 100

    async def scenario() -> list[list[tuple[str, Any]]]:
        readies = [asyncio.Event() for _ in range(subscribers)]
        limits = httpx.Limits(max_connections=subscribers + 10)
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=30, limits=limits) as client:
            url = f"/sdk/v1/event-leaderboards/{board_id}/stream"
            tasks = [asyncio.create_task(_collect(client, url, _headers(emu), r)) for r in readies]
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)

            def writer() -> None:  # paced: 20 updates per second
                for i in range(30):
                    score(emu, board_id, ("p_a", "p_b", "p_c")[i % 3], float(i))
                    time.sleep(0.05)
                finalize(emu, board_id)

            await asyncio.to_thread(writer)
            return await asyncio.wait_for(asyncio.gather(*tasks), 30)

    results = asyncio.run(scenario())
    snap = httpx.get(
        f"{emu.base_url}/sdk/v1/event-leaderboards/{board_id}", headers=_headers(emu), timeout=10
    ).json()["data"]
    final = {e["participantId"]: (e["score"], e["rank"]) for e in snap["entries"]}
    assert final == {"p_c": (29, 1), "p_b": (28, 2), "p_a": (27, 3)}
    for events in results:
        seen: dict[str, tuple[Any, Any]] = {}
        for kind, data in events:
            if kind == "score_update":
                seen[data["participantId"]] = (data["score"], data["rank"])
        assert seen == final
        assert [k for k, _ in events[-2:]] == ["finalized", "closed"]
        standings = events[-2][1]["standings"]
        assert [(s["participantId"], s["rank"]) for s in standings] == [
            ("p_c", 1),
            ("p_b", 2),
            ("p_a", 3),
        ]


@pytest.mark.slow
def test_bursts_coalesce_per_subscriber(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    rt = emu.app.state.runtime
    hub: Broadcaster = rt.broadcaster

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            task = asyncio.create_task(
                _collect(
                    client, f"/sdk/v1/event-leaderboards/{board_id}/stream", _headers(emu), ready
                )
            )
            await asyncio.wait_for(ready.wait(), 10)
            subs = list(hub._channels[board_id])
            loop = subs[0]._loop

            async def burst() -> int:
                # 900 writes without yielding to the server's loop: the subscriber's
                # consumer cannot run in between, so its buffer must coalesce.
                for i in range(900):
                    score(emu, board_id, ("p_a", "p_b", "p_c")[i % 3], float(i))
                return max(s.pending_count() for s in subs)

            peak = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(burst(), loop))
            assert peak <= 3
            await asyncio.to_thread(finalize, emu, board_id)
            return await asyncio.wait_for(task, 10)

    events = asyncio.run(scenario())
    updates = [(d["participantId"], d["score"]) for k, d in events if k == "score_update"]
    assert len(updates) <= 3 + 3  # one per participant per wake-up, not 900
    last = {pid: value for pid, value in updates}
    assert last == {"p_a": 897, "p_b": 898, "p_c": 899}


def test_lazy_bot_moves_are_published_on_reads(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu, bot_rate=30)

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            task = asyncio.create_task(
                _collect(
                    client, f"/sdk/v1/event-leaderboards/{board_id}/stream", _headers(emu), ready
                )
            )
            await asyncio.wait_for(ready.wait(), 10)
            await asyncio.to_thread(emu.advance_clock, 120)
            read = await client.get(f"/sdk/v1/event-leaderboards/{board_id}", headers=_headers(emu))
            assert read.json()["data"]["entries"][0]["score"] == 60
            await asyncio.to_thread(finalize, emu, board_id)
            return await asyncio.wait_for(task, 10)

    events = asyncio.run(scenario())
    bot_updates = [d for k, d in events if k == "score_update" and d["kind"] == "bot"]
    assert bot_updates and bot_updates[-1]["score"] == 60


def test_window_end_on_the_clock_finalizes_and_ends_streams(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu, minutes=5)
    score(emu, board_id, "p_a", 4)

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            task = asyncio.create_task(
                _collect(
                    client, f"/sdk/v1/event-leaderboards/{board_id}/stream", _headers(emu), ready
                )
            )
            await asyncio.wait_for(ready.wait(), 10)
            await asyncio.to_thread(emu.advance_clock, 600)  # the sweep finalizes
            return await asyncio.wait_for(task, 10)

    events = asyncio.run(scenario())
    assert [k for k, _ in events][-2:] == ["finalized", "closed"]
    final = events[-2][1]
    assert final["reason"] == "window_closed"
    assert final["eventId"]
    assert final["standings"][0]["participantId"] == "p_a"
    snap = httpx.get(
        f"{emu.base_url}/sdk/v1/event-leaderboards/{board_id}", headers=_headers(emu), timeout=10
    ).json()["data"]
    assert snap["finalized"] is True and snap["finalizedReason"] == "window_closed"


def test_unknown_board_stream_is_a_404_envelope(emu: EmbeddedEmulator) -> None:
    for path in (
        "/sdk/v1/event-leaderboards/lb_0123456789ab/stream",
        "/sdk/v1/leaderboards/weekly_global/stream",
    ):
        response = httpx.get(emu.base_url + path, headers=_headers(emu), timeout=10)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert emu.app.state.runtime.broadcaster.subscriber_count("lb_0123456789ab") == 0


def test_streams_need_an_api_key(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    response = httpx.get(f"{emu.base_url}/sdk/v1/event-leaderboards/{board_id}/stream", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_reset_ends_open_streams(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=10) as client:
            url = f"/sdk/v1/event-leaderboards/{board_id}/stream"
            task = asyncio.create_task(_collect(client, url, _headers(emu), ready))
            await asyncio.wait_for(ready.wait(), 10)
            await asyncio.to_thread(emu.reset)
            return await asyncio.wait_for(task, 10)

    events = asyncio.run(scenario())
    assert events[-1] == ("closed", {"reason": "reset"})


def test_head_on_a_stream_leaves_no_subscription(emu: EmbeddedEmulator) -> None:
    board_id = new_board(emu)
    hub = emu.app.state.runtime.broadcaster
    response = httpx.head(
        f"{emu.base_url}/sdk/v1/event-leaderboards/{board_id}/stream",
        headers=_headers(emu),
        timeout=10,
    )
    assert response.status_code in (200, 405)  # FastAPI routes GET only
    assert response.content == b"" or response.json()["error"]["code"] == "method_not_allowed"
    assert hub.subscriber_count(board_id) == 0


def test_heartbeat_interval_sources(emu: EmbeddedEmulator) -> None:
    from kraty_pygame.emulator.app import create_app
    from kraty_pygame.emulator.settings import EmulatorSettings

    assert emu.app.state.runtime.heartbeat_s() == HEARTBEAT_S  # from the config file
    app = create_app(EmulatorSettings(clock="manual", extra={"sse_heartbeat_s": 0.5}))
    try:
        assert app.state.runtime.heartbeat_s() == 0.5
    finally:
        app.state.runtime.close()
    default = create_app(EmulatorSettings(clock="manual"))
    try:
        assert default.state.runtime.heartbeat_s() == 15.0  # the demo config
    finally:
        default.state.runtime.close()
