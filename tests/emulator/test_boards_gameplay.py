"""Boards driven by real gameplay routes: start/progress, lobbies, the control plane.

Raw HTTP and SSE (httpx, never the SDK) against the demo config on an
EmbeddedEmulator with a manual clock.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from kraty_pygame.emulator.embedded import EmbeddedEmulator

pytestmark = pytest.mark.emulator


@pytest.fixture
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator() as server:
        yield server


class Client:
    def __init__(self, emu: EmbeddedEmulator) -> None:
        self.emu = emu
        self.headers = {"authorization": f"Bearer {emu.client_api_key}"}

    def url(self, path: str) -> str:
        return self.emu.base_url + path

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = httpx.get(self.url(path), params=params, headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def register(self) -> Player:
        ext = "kp_" + uuid.uuid4().hex
        response = httpx.post(
            self.url(f"/sdk/v1/players/{ext}/register"), json={}, headers=self.headers, timeout=10
        )
        data = response.json()["data"]
        return Player(self, ext, data["playerId"], data["secret"])


class Player:
    def __init__(self, client: Client, ext: str, pid: str, secret: str) -> None:
        self.client, self.ext, self.id = client, ext, pid
        self.headers = {**client.headers, "x-player-secret": secret}

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(
            self.client.url(f"/sdk/v1/players/{self.ext}{path}"),
            json=body or {},
            headers=self.headers,
            timeout=10,
        )

    def start(self, event_key: str) -> dict[str, Any]:
        response = self.post(f"/events/{event_key}/start")
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def progress(self, event_key: str, attempt_id: str, value: float) -> dict[str, Any]:
        response = self.post(
            f"/events/{event_key}/attempts/{attempt_id}/progress",
            {"mode": "increment", "metricValue": value},
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


async def _frames(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    buffer = b""
    async for chunk in response.aiter_raw():
        buffer += chunk
        while b"\n\n" in buffer:
            frame, buffer = buffer.split(b"\n\n", 1)
            kind, data = "message", None
            for line in frame.decode().split("\n"):
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
            if data is not None:
                yield kind, data


async def _watch(client: Client, board_id: str, ready: asyncio.Event) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream(
            "GET",
            client.url(f"/sdk/v1/event-leaderboards/{board_id}/stream"),
            headers=client.headers,
        ) as response,
    ):
        assert response.status_code == 200
        async for kind, data in _frames(response):
            events.append((kind, data))
            if kind == "ready":
                ready.set()
    return events


def _run_with_stream(client: Client, board_id: str, actions: Any) -> list[tuple[str, Any]]:
    """Subscribe, run blocking ``actions()`` once ready, return every event until the end."""

    async def scenario() -> list[tuple[str, Any]]:
        ready = asyncio.Event()
        task = asyncio.create_task(_watch(client, board_id, ready))
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.to_thread(actions)
        return await asyncio.wait_for(task, 20)

    return asyncio.run(scenario())


@pytest.mark.slow
def test_progress_reaches_the_stream_and_the_next_snapshot(emu: EmbeddedEmulator) -> None:
    client = Client(emu)
    player = client.register()
    started = player.start("tap_frenzy")
    board_id, attempt_id = started["leaderboardId"], started["attempt"]["id"]

    def actions() -> None:
        player.progress("tap_frenzy", attempt_id, 5)
        # Same score again (increment by 0 is refused, so read instead): nothing new.
        client.get(f"/sdk/v1/event-leaderboards/{board_id}")
        player.progress("tap_frenzy", attempt_id, 25)  # 30 taps: completes the attempt
        emu.finalize_event("tap_frenzy")

    events = _run_with_stream(client, board_id, actions)
    mine = [d for k, d in events if k == "score_update" and d["participantId"] == player.id]
    assert [(d["score"], d["rank"]) for d in mine] == [(5, 2), (30, 2)]
    assert [k for k, _ in events][-2:] == ["finalized", "closed"]
    finalized = events[-2][1]
    assert finalized["reason"] == "window_closed"
    assert finalized["eventId"] == started["attempt"]["eventId"]
    snap = client.get(
        f"/sdk/v1/event-leaderboards/{board_id}", includeSelf="true", externalId=player.ext
    )
    assert snap["self"] == {"rank": 2, "score": 30} and snap["finalized"] is True
    # fixed_bundle: one silver reward per completed attempt.
    grants = httpx.get(
        client.url(f"/sdk/v1/players/{player.ext}/pending-grants"),
        headers=player.headers,
        timeout=10,
    ).json()["data"]
    rewards = [g for g in grants if g["sourceKind"] == "event_reward"]
    assert [(g["sourceRefId"], g["contents"]["entries"]) for g in rewards] == [
        (attempt_id, [{"type": "currency", "currencyKey": "gold", "amount": 100}])
    ]
    # The keyed board that lists tap_frenzy in contributes_from took the best score.
    weekly = client.get(
        "/sdk/v1/leaderboards/weekly_global", includeSelf="true", externalId=player.ext
    )
    assert weekly["self"]["score"] == 30


def test_lobby_board_bots_race_and_the_session_end_finalizes(emu: EmbeddedEmulator) -> None:
    client = Client(emu)
    player = client.register()
    forming = player.post("/events/quick_brawl/start")
    assert forming.status_code == 202
    emu.advance_clock(16)  # past fill_timeout_s: promoted with bots in the empty seats
    started = player.start("quick_brawl")
    board_id, attempt_id = started["leaderboardId"], started["attempt"]["id"]
    board = client.get(f"/sdk/v1/event-leaderboards/{board_id}")
    assert board["mode"] == "lobby_matched"
    bots_at_start = [e for e in board["entries"] if e["kind"] == "bot"]
    assert len(bots_at_start) == 3 and all(e["score"] == 0 for e in bots_at_start)
    assert {e["name"] for e in bots_at_start} <= {
        "Rusty Fox",
        "Nimble Owl",
        "Quiet Bear",
        "Brave Lynx",
    }

    def actions() -> None:
        emu.advance_clock(60)
        client.get(f"/sdk/v1/event-leaderboards/{board_id}")  # lazy bot evaluation
        player.progress("quick_brawl", attempt_id, 7)
        response = player.post(f"/events/quick_brawl/attempts/{attempt_id}/finish")
        assert response.status_code == 200, response.text
        emu.advance_clock(120)  # the session ends

    events = _run_with_stream(client, board_id, actions)
    bot_moves = [d for k, d in events if k == "score_update" and d["kind"] == "bot"]
    first_moves: dict[str, Any] = {}
    for d in bot_moves:
        first_moves.setdefault(d["participantId"], d["score"])
    # One minute in, each bot made 20-60 points (its seeded rate); later moves come
    # from the finalization bringing bots to the session end.
    assert len(first_moves) == 3 and all(20 <= v <= 60 for v in first_moves.values())
    assert [k for k, _ in events][-2:] == ["finalized", "closed"]
    assert events[-2][1]["reason"] == "session_terminated"
    final = client.get(f"/sdk/v1/event-leaderboards/{board_id}")
    assert final["finalized"] is True and final["finalizedReason"] == "session_terminated"
    # Bots stopped at the session end (120 s at 20-60 points per minute).
    assert all(40 <= e["score"] <= 120 for e in final["entries"] if e["kind"] == "bot")
    conflict = player.post(f"/event-leaderboards/{board_id}/join")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"


def test_same_seed_same_bot_race(emu: EmbeddedEmulator) -> None:
    def race(server: EmbeddedEmulator) -> list[tuple[str, Any]]:
        client = Client(server)
        player = client.register()
        player.post("/events/quick_brawl/start")
        server.advance_clock(16)
        board_id = player.start("quick_brawl")["leaderboardId"]
        server.advance_clock(90)
        entries = client.get(f"/sdk/v1/event-leaderboards/{board_id}")["entries"]
        return sorted((e["name"], e["score"]) for e in entries if e["kind"] == "bot")

    first = race(emu)
    emu.reset()
    assert race(emu) == first


def test_events_list_board_is_readable_before_anyone_plays(emu: EmbeddedEmulator) -> None:
    client = Client(emu)
    player = client.register()
    listing = httpx.get(
        client.url(f"/sdk/v1/players/{player.ext}/events"), headers=client.headers, timeout=10
    ).json()["data"]
    bounty = next(e for e in listing if e["eventKey"] == "bounty_hunt")
    board = client.get(f"/sdk/v1/event-leaderboards/{bounty['leaderboardId']}")
    assert [(e["name"], e["score"]) for e in board["entries"]] == [
        ("Rusty Fox", 120),
        ("Quiet Bear", 40),
    ]
    seed = client.get(f"/sdk/v1/leaderboards/{bounty['leaderboardId']}")
    assert seed["leaderboardId"] == bounty["leaderboardId"]
