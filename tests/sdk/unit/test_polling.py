"""Poll helpers (pending grants, lobbies) driven by an injected clock: no sleeping, no
sockets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import pytest

from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.errors import (
    KratyApiError,
    KratyCancelledError,
    KratyConfigError,
    KratyError,
    KratyPollTimeoutError,
)
from kraty_pygame.sdk.models.grants import Grant
from kraty_pygame.sdk.models.lobbies import Lobby
from kraty_pygame.sdk.polling import SystemClock, poll_lobby_until_active, poll_pending_grants
from tests.support.recording import ok, recording_session

if TYPE_CHECKING:
    from kraty_pygame.sdk.resources.grants import GrantsClient
    from kraty_pygame.sdk.resources.lobbies import LobbiesClient


class FakeClock:
    """Monotonic time that only moves when a helper waits; records every wait."""

    def __init__(self, on_wait: Callable[[FakeClock], None] | None = None) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self.on_wait = on_wait

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        if self.on_wait is not None:
            self.on_wait(self)
        return stop is not None and stop.is_set()


class ScriptedGrants:
    """Stands in for ``GrantsClient``: returns one scripted batch per ``list_pending``."""

    def __init__(self, batches: list[list[Grant] | BaseException]) -> None:
        self.batches = batches
        self.calls: list[dict[str, Any]] = []

    def list_pending(self, *, limit: int | None = None, as_: str | None = None) -> list[Grant]:
        self.calls.append({"limit": limit, "as_": as_})
        item = self.batches.pop(0) if self.batches else []
        if isinstance(item, BaseException):
            raise item
        return item


def _grant(grant_id: str) -> Grant:
    return Grant.from_wire({"id": grant_id, "kind": "reward", "status": "pending"}, "data")


def _poll(grants: ScriptedGrants, **kwargs: Any) -> None:
    poll_pending_grants(cast("GrantsClient", grants), **kwargs)


def test_grants_poller_backs_off_while_empty_and_snaps_back_when_a_grant_lands() -> None:
    """Empty batches grow the interval ×1.5 up to the cap; a non-empty batch resets it to start."""
    one = [_grant("gr_1")]
    batches: list[list[Grant] | BaseException] = [[], [], [], [], [], [], [], one, [], one]
    grants = ScriptedGrants(batches)
    stop = threading.Event()
    seen: list[int] = []

    def on_batch(batch: list[Grant]) -> None:
        seen.append(len(batch))
        if len(seen) == 10:
            stop.set()

    clock = FakeClock()
    _poll(grants, start=2.0, grow=1.5, max_interval=10.0, on_batch=on_batch, stop=stop, clock=clock)

    assert seen == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1]  # on_batch sees every batch, empty ones too
    # first wait after an empty first batch is start × grow; growth caps at max_interval;
    # the grant at batch 8 snaps the interval back to start, then it grows again.
    assert clock.waits[:9] == [3.0, 4.5, 6.75, 10.0, 10.0, 10.0, 10.0, 2.0, 3.0]
    assert len(grants.calls) == 10


def test_grants_poller_defaults_and_as_override() -> None:
    stop = threading.Event()
    grants = ScriptedGrants([[], []])
    clock = FakeClock(on_wait=lambda c: stop.set() if len(c.waits) == 2 else None)
    _poll(grants, stop=stop, as_="other_player", clock=clock)
    assert clock.waits == [3.0, 4.5]
    assert grants.calls == [{"limit": None, "as_": "other_player"}] * 2


def test_grants_poller_max_30_seconds_by_default() -> None:
    stop = threading.Event()
    grants = ScriptedGrants([[] for _ in range(20)])
    clock = FakeClock(on_wait=lambda c: stop.set() if len(c.waits) == 15 else None)
    _poll(grants, stop=stop, clock=clock)
    assert max(clock.waits) == 30.0
    assert clock.waits[-1] == 30.0


def test_stop_set_during_a_listing_still_delivers_that_batch() -> None:
    stop = threading.Event()
    delivered: list[list[Grant]] = []

    class StopWhileListing(ScriptedGrants):
        def list_pending(self, *, limit: int | None = None, as_: str | None = None) -> list[Grant]:
            stop.set()
            return [_grant("gr_late")]

    _poll(StopWhileListing([]), on_batch=delivered.append, stop=stop, clock=FakeClock())
    assert [g.id for b in delivered for g in b] == ["gr_late"]


def test_grants_poller_does_not_list_when_already_stopped() -> None:
    stop = threading.Event()
    stop.set()
    grants = ScriptedGrants([[_grant("gr_1")]])
    _poll(grants, stop=stop, clock=FakeClock())
    assert grants.calls == []


def test_grants_poller_propagates_listing_errors() -> None:
    err = KratyApiError(401, "player_secret_invalid", "bad secret")
    grants = ScriptedGrants([[], err])
    with pytest.raises(KratyApiError) as info:
        _poll(grants, stop=threading.Event(), clock=FakeClock())
    assert info.value.is_player_secret_invalid


@pytest.mark.parametrize(
    "kwargs", [{"start": 0.0}, {"grow": 0.5}, {"start": 5.0, "max_interval": 1.0}]
)
def test_grants_poller_rejects_bad_options(kwargs: dict[str, Any]) -> None:
    with pytest.raises(KratyConfigError):
        _poll(ScriptedGrants([]), clock=FakeClock(), **kwargs)


def test_grants_poller_stops_from_another_thread_with_the_system_clock() -> None:
    """The real clock wakes at once when ``stop`` is set (the wait is Event.wait)."""
    stop = threading.Event()
    first_batch = threading.Event()

    def on_batch(batch: list[Grant]) -> None:
        first_batch.set()

    worker = threading.Thread(
        target=_poll,
        args=(ScriptedGrants([]),),
        kwargs={"start": 60.0, "max_interval": 60.0, "on_batch": on_batch, "stop": stop},
    )
    worker.start()
    try:
        assert first_batch.wait(10)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()


def test_system_clock_wait_returns_stop_state() -> None:
    stop = threading.Event()
    stop.set()
    assert SystemClock().wait(5.0, stop) is True
    assert SystemClock().wait(0.0, None) is False


# --- lobbies --------------------------------------------------------------------------------------


class ScriptedLobbies:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.reads: list[str] = []

    def read(self, lobby_id: str) -> Lobby:
        self.reads.append(lobby_id)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return Lobby.from_wire(
            {
                "id": lobby_id,
                "status": status,
                "capacity": 4,
                "participantCount": 1,
                "botSlots": len(self.reads),
            },
            "data",
        )


def _lobby_poll(lobbies: ScriptedLobbies, **kwargs: Any) -> Lobby:
    return poll_lobby_until_active(cast("LobbiesClient", lobbies), "lob_1", **kwargs)


def test_lobby_poll_returns_when_active() -> None:
    clock = FakeClock()
    lobbies = ScriptedLobbies(["forming", "forming", "active"])
    lobby = _lobby_poll(lobbies, clock=clock)
    assert lobby.is_active
    assert lobbies.reads == ["lob_1"] * 3
    assert clock.waits == [1.0, 1.0]  # fixed interval, not adaptive


def test_lobby_poll_returns_on_any_status_other_than_forming() -> None:
    lobby = _lobby_poll(ScriptedLobbies(["forming", "closed"]), clock=FakeClock())
    assert lobby.status == "closed" and not lobby.is_active


def test_lobby_poll_times_out_with_poll_timeout_error() -> None:
    clock = FakeClock()
    lobbies = ScriptedLobbies(["forming"])
    with pytest.raises(KratyPollTimeoutError) as info:
        _lobby_poll(lobbies, interval=2.0, timeout=5.0, clock=clock)
    assert issubclass(KratyPollTimeoutError, TimeoutError)
    assert issubclass(KratyPollTimeoutError, KratyError)
    assert "lob_1" in str(info.value) and "forming" in str(info.value)
    assert sum(clock.waits) == pytest.approx(5.0)
    assert clock.waits == [2.0, 2.0, 1.0]  # the last wait is clipped to the deadline
    assert len(lobbies.reads) == 3


def test_lobby_poll_stop_raises_cancelled() -> None:
    stop = threading.Event()
    clock = FakeClock(on_wait=lambda c: stop.set())
    with pytest.raises(KratyCancelledError):
        _lobby_poll(ScriptedLobbies(["forming"]), stop=stop, clock=clock)


def test_lobby_poll_propagates_read_errors() -> None:
    class Failing(ScriptedLobbies):
        def read(self, lobby_id: str) -> Lobby:
            raise KratyApiError(404, "not_found", "no lobby")

    with pytest.raises(KratyApiError) as info:
        _lobby_poll(Failing(["forming"]), clock=FakeClock())
    assert info.value.is_not_found


def test_grants_poller_over_the_real_client_and_a_recording_transport() -> None:
    """The whole path: GrantsClient + transport + decoding, the clock injected (no sleeping)."""
    grant = {"id": "gr_9", "kind": "reward", "status": "pending"}
    session, http = recording_session([ok([]), ok([]), ok([grant]), ok([])])
    kraty = Kraty(
        "kr_test.unit",
        base_url="https://api.kraty.test",
        session=session,
        secret_store=InMemorySecretStore(),
        active_external_player_id="p0",
        player_secret="kps_unit_secret",
        retry=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )
    stop = threading.Event()
    sizes: list[int] = []
    clock = FakeClock(on_wait=lambda c: stop.set() if len(c.waits) == 4 else None)
    try:
        poll_pending_grants(
            kraty.grants, on_batch=lambda b: sizes.append(len(b)), stop=stop, as_="p1", clock=clock
        )
    finally:
        kraty.close()
    assert sizes == [0, 0, 1, 0]
    assert clock.waits == [3.0, 4.5, 2.0, 3.0]
    assert {c.path for c in http.calls} == {"/sdk/v1/players/p1/pending-grants"}
