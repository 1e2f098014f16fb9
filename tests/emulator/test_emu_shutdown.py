"""Stopping an embedded emulator ends its open streams instead of waiting on them."""

from __future__ import annotations

import http.client
import json
import threading
import time

from kraty_pygame.emulator import EmbeddedEmulator


def _request(
    emu: EmbeddedEmulator, method: str, path: str, body: dict[str, str] | None = None
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    host, port = emu.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"authorization": f"Bearer {emu.client_api_key}"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["content-type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    return conn, conn.getresponse()


def test_stop_ends_open_streams_and_joins_the_server_thread() -> None:
    before = {t.ident for t in threading.enumerate()}  # e.g. a session-wide emulator
    emu = EmbeddedEmulator().start()
    try:
        register = "/sdk/v1/players/p_shutdown/register"
        conn, resp = _request(emu, "POST", register, {"idempotencyKey": "k1"})
        assert resp.status == 201
        resp.read()
        conn.close()
        conn, resp = _request(emu, "GET", "/sdk/v1/players/p_shutdown/events")
        events = json.loads(resp.read())["data"]
        conn.close()
        board = next(e["leaderboardId"] for e in events if e["eventKey"] == "tap_frenzy")
        stream_conn, stream = _request(emu, "GET", f"/sdk/v1/event-leaderboards/{board}/stream")
        assert stream.status == 200
        received: list[bytes] = []
        ready = threading.Event()

        def read() -> None:
            while True:
                line = stream.readline()
                if not line:
                    return
                received.append(line)
                if line.startswith(b"event: ready"):
                    ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert ready.wait(10)
    finally:
        started = time.monotonic()
        emu.stop()
        took = time.monotonic() - started
    reader.join(5)
    stream_conn.close()
    assert not reader.is_alive(), "the stream did not end when the server stopped"
    assert b"event: closed\n" in received
    assert any(b'"reason":"shutdown"' in line.replace(b" ", b"") for line in received)
    assert not [
        t for t in threading.enumerate() if t.name == "kraty-emulator" and t.ident not in before
    ], "the server thread outlived stop()"
    assert took < 5.0, f"stop() took {took:.1f} s with a stream open"
