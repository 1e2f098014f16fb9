"""Scripted server replies for live-stream tests: a board whose stream breaks off mid-body."""

from __future__ import annotations

from tests.support.http_server import Recorded, Reply, json_reply

READY = b'event: ready\ndata: {"leaderboardId":"lb_1","serverTime":"2026-06-16T09:00:00.000Z"}\n\n'
BOARD: dict[str, object] = {"data": {"leaderboardId": "lb_1", "entries": [], "self": None}}


def cut_stream(request: Recorded) -> Reply:
    """The board reads fine; its stream sends ``ready`` and breaks off mid-body."""
    if request.path.endswith("/stream"):
        return Reply(
            200,
            READY,
            {"content-type": "text/event-stream"},
            action="truncate",
            content_length=len(READY) + 500,
        )
    return json_reply(200, BOARD)
