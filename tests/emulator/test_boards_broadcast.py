"""The SSE fan-out: ordering, per-participant coalescing, bounds and thread-safe publish."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from kraty_pygame.emulator.streams.broadcast import (
    Broadcaster,
    StreamEvent,
    Subscription,
    encode_event,
)


def _update(pid: str, score: int) -> dict[str, object]:
    return {"leaderboardId": "lb_1", "participantId": pid, "score": score}


async def _drain(sub: Subscription, timeout: float = 5.0) -> list[StreamEvent]:
    out: list[StreamEvent] = []

    async def run() -> None:
        async for batch in sub.batches():
            out.extend(batch)

    await asyncio.wait_for(run(), timeout)
    return out


def test_frame_is_lf_framed_compact_json() -> None:
    frame = encode_event("score_update", {"a": 1, "name": "Ünï"})
    assert frame == 'event: score_update\ndata: {"a":1,"name":"Ünï"}\n\n'.encode()
    assert b"\r" not in frame


def test_burst_coalesces_per_participant_and_keeps_barriers_in_order() -> None:
    async def scenario() -> list[StreamEvent]:
        hub = Broadcaster()
        sub = hub.subscribe("lb_1")
        for score in range(1000):
            hub.publish("lb_1", "score_update", _update("p1", score), coalesce_key="p1")
            hub.publish("lb_1", "score_update", _update("p2", -score), coalesce_key="p2")
        assert sub.pending_count() == 2  # 2000 publishes, two pending entries
        hub.publish("lb_1", "finalized", {"leaderboardId": "lb_1"})
        hub.publish("lb_1", "score_update", _update("p1", 5000), coalesce_key="p1")
        hub.publish("lb_1", "closed", {"reason": "finalized"})
        hub.publish("lb_1", "score_update", _update("p1", 9999), coalesce_key="p1")
        events = await _drain(sub)
        assert sub.coalesced == 1998
        return events

    events = asyncio.run(scenario())
    assert [(e.kind, e.data.get("participantId"), e.data.get("score")) for e in events] == [
        ("score_update", "p1", 999),
        ("score_update", "p2", -999),
        ("finalized", None, None),
        ("score_update", "p1", 5000),  # after the barrier: not merged into the earlier one
        ("closed", None, None),
    ]


def test_overflowing_subscriber_is_closed_not_grown() -> None:
    async def scenario() -> list[StreamEvent]:
        hub = Broadcaster(max_pending=8)
        slow = hub.subscribe("lb_1")
        for i in range(100):
            hub.publish("lb_1", "score_update", _update(f"p{i}", i), coalesce_key=f"p{i}")
        assert slow.pending_count() == 1
        return await _drain(slow)

    events = asyncio.run(scenario())
    assert [(e.kind, dict(e.data)) for e in events] == [("closed", {"reason": "overflow"})]


def test_publish_from_other_threads_reaches_every_subscriber() -> None:
    async def scenario() -> list[list[StreamEvent]]:
        hub = Broadcaster()
        subs = [hub.subscribe("lb_1") for _ in range(50)]

        def writer() -> None:
            for score in range(200):
                hub.publish("lb_1", "score_update", _update("p1", score), coalesce_key="p1")
            hub.publish("lb_1", "closed", {"reason": "finalized"})

        thread = threading.Thread(target=writer)
        results = asyncio.gather(*(_drain(s) for s in subs))
        thread.start()
        try:
            return await results
        finally:
            await asyncio.to_thread(thread.join, 10)

    all_events = asyncio.run(scenario())
    for events in all_events:
        scores = [e.data["score"] for e in events if e.kind == "score_update"]
        assert scores == sorted(scores)  # in order, possibly coalesced
        assert scores[-1] == 199  # every subscriber ends on the final state
        assert events[-1].kind == "closed"


def test_unsubscribe_and_close_all() -> None:
    async def scenario() -> None:
        hub = Broadcaster()
        a = hub.subscribe("lb_1")
        b = hub.subscribe("lb_2")
        assert hub.subscriber_count() == 2
        a.close()
        a.close()
        assert hub.subscriber_count("lb_1") == 0
        assert hub.publish("lb_1", "score_update", _update("p", 1), coalesce_key="p") == 0
        assert hub.close_all("shutdown") == 1
        events = await _drain(b)
        assert [json.loads(e.frame.split(b"data: ")[1]) for e in events] == [{"reason": "shutdown"}]
        assert hub.subscriber_count() == 0

    asyncio.run(scenario())


def test_max_pending_must_leave_room() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        Broadcaster(max_pending=1)
