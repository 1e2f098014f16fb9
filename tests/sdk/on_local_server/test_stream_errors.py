"""A live stream that drops mid-read reports a ``KratyNetworkError``, never a raw
``urllib3``/``requests`` exception (real sockets: a server that cuts the body short)."""

from __future__ import annotations

import threading

import urllib3.exceptions

from kraty_pygame.sdk import InMemorySecretStore, Kraty, KratyNetworkError, RetryConfig
from kraty_pygame.sdk.streams.leaderboard import ReconnectPolicy, StreamState, StreamStateChange
from tests.support.http_server import ScriptedServer
from tests.support.stream_replies import cut_stream


def test_a_dropped_stream_reports_a_kraty_network_error_wrapping_the_cause() -> None:
    states: list[StreamStateChange] = []
    dropped = threading.Event()

    def on_state(change: StreamStateChange) -> None:
        states.append(change)
        if change.state == StreamState.DROPPED:
            dropped.set()

    with ScriptedServer(handler=cut_stream) as server:
        kraty = Kraty(
            "kr_test.client-demo",
            base_url=server.base_url,
            secret_store=InMemorySecretStore(),
            retry=RetryConfig(attempts=1),
        )
        try:
            stream = kraty.event_leaderboards.live(
                "lb_1",
                reconnect=ReconnectPolicy(max_attempts=1, initial_delay=0.01, max_delay=0.01),
                on_state=on_state,
            )
            kinds: list[str] = []
            try:
                for event in stream:
                    kinds.append(event.kind)
                    if dropped.is_set() and len(kinds) >= 3:
                        break
            except Exception as exc:  # the policy may give up: that is a KratyStreamError
                assert type(exc).__module__.startswith("kraty_pygame")
            finally:
                stream.cancel()
        finally:
            kraty.close()
    drops = [s for s in states if s.state == StreamState.DROPPED]
    assert drops, [s.state for s in states]
    for change in states:
        assert change.error is None or type(change.error).__module__.startswith("kraty_pygame")
    error = drops[0].error
    assert isinstance(error, KratyNetworkError)
    assert isinstance(error.original_cause, urllib3.exceptions.HTTPError | OSError)
    assert error.__cause__ is error.original_cause
    assert "dropped" in str(error)
