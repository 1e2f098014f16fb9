"""With every route stalled 2 s, a 60 fps loop using the component does no socket I/O on
the main thread and keeps its frame time, while the same loop calling the SDK directly
stalls (side by side). ``update()`` never handles more than its per-call bound."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pygame
import pytest

from kraty_pygame.component import KRATY_REQUEST_DONE
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.emulator.embedded import EmbeddedEmulator
from tests.support.clients import KratyFactory
from tests.support.component import ComponentFactory, Pump

pytestmark = [pytest.mark.headless, pytest.mark.emulator, pytest.mark.slow]

_SOCKET_METHODS = ("connect", "connect_ex", "send", "sendall", "sendto", "recv", "recv_into")
_AUDIT_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})


class SocketSpy:
    """Records socket operations made on the main thread (wrapped methods + audit hook)."""

    active: SocketSpy | None = None

    def __init__(self) -> None:
        self.main_thread_ops: list[str] = []
        self.recording = False

    def note(self, op: str) -> None:
        if self.recording and threading.current_thread() is threading.main_thread():
            self.main_thread_ops.append(op)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    spy = SocketSpy.active
    if spy is not None and event in _AUDIT_EVENTS:
        spy.note(event)


_hook_installed: list[bool] = []


@pytest.fixture
def socket_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketSpy]:
    spy = SocketSpy()
    for name in _SOCKET_METHODS:
        original: Callable[..., Any] = getattr(socket.socket, name)

        def wrapper(
            self: socket.socket, *args: Any, _orig: Callable[..., Any] = original,
            _name: str = name, **kwargs: Any,
        ) -> Any:
            spy.note(f"socket.{_name}")
            return _orig(self, *args, **kwargs)

        monkeypatch.setattr(socket.socket, name, wrapper)
    if not _hook_installed:  # audit hooks cannot be removed: install one, switch it by spy
        sys.addaudithook(_audit)
        _hook_installed.append(True)
    SocketSpy.active = spy
    try:
        yield spy
    finally:
        SocketSpy.active = None


def run_frames(frames: int, body: Callable[[], None]) -> list[float]:
    """Run ``frames`` frames of a 60 fps loop; returns each frame's busy time (seconds)."""
    clock = pygame.time.Clock()
    busy: list[float] = []
    for _ in range(frames):
        started = time.perf_counter()
        body()
        pygame.event.get()
        busy.append(time.perf_counter() - started)
        clock.tick(60)
    return busy


def test_stalled_server_never_stalls_the_frame_but_direct_calls_do(
    kraty_emulator: EmbeddedEmulator,
    make_kraty: KratyFactory,
    make_component: ComponentFactory,
    socket_spy: SocketSpy,
) -> None:
    kraty = make_kraty()
    kraty.catalog.read()  # warm the connection pool outside the measurement
    bound = 4
    component = make_component(kraty, max_results_per_update=bound)
    kraty_emulator.set_faults(latency_ms=2000)
    handled: list[int] = []
    handles: list[RequestHandle[Any]] = []

    def component_frame() -> None:
        handles.append(component.catalog.read())
        handles.append(component.wallet.list())
        handled.append(component.update())

    socket_spy.recording = True
    component_busy = run_frames(150, component_frame)  # 2.5 s at 60 fps
    socket_spy.recording = False
    component_ops = list(socket_spy.main_thread_ops)

    socket_spy.main_thread_ops.clear()
    socket_spy.recording = True
    def direct_frame() -> None:
        kraty.catalog.read()

    direct_busy = run_frames(2, direct_frame)
    socket_spy.recording = False
    direct_ops = list(socket_spy.main_thread_ops)
    kraty_emulator.set_faults()

    print(
        f"\ncomponent loop: max frame busy {max(component_busy) * 1000:.2f} ms over "
        f"{len(component_busy)} frames; direct SDK loop: max {max(direct_busy) * 1000:.0f} ms"
    )
    assert component_ops == []
    assert max(component_busy) < 0.25  # generous: 2 shared cores; a stall would be 2 s
    assert all(n <= bound for n in handled)
    assert any(h.done for h in handles)  # the stalled calls did complete in the background
    assert direct_ops, "the direct SDK loop should have done socket I/O on the main thread"
    assert min(direct_busy) >= 1.5  # each direct frame waited for the stalled server


def test_update_never_handles_more_than_its_bound(
    make_kraty: KratyFactory, make_component: ComponentFactory
) -> None:
    bound = 5
    component = make_component(make_kraty(), max_results_per_update=bound)
    pump = Pump(component)
    handles = [component.catalog.read() for _ in range(120)]
    assert all(h.wait(30) for h in handles)
    counts: list[int] = []
    while len(pump.of(KRATY_REQUEST_DONE)) < len(handles):
        pump.frame()
        counts.append(component.stats.handled_last_update)
    assert max(counts) == bound
    assert len(counts) >= len(handles) // bound
    assert component.stats.outstanding == 0
