"""The Debug screen's calls: every SDK method behind a button, recorded with its attempts.

Each :class:`DebugOp` builds a call from the screen's text inputs and returns the
Python request as text plus a function that submits it to the component. ``ROUTES``
name the HTTP request behind each method, so the ``on_request`` telemetry rows and
the emulator's request log can be tied to the call that made them.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kraty_pygame.component import HandleStatus, KratyComponent, RequestHandle
from kraty_pygame.sdk import RequestInfo

from ..rules import describe_error, jsonable
from ..state import LogEntry

if TYPE_CHECKING:
    from ..actions import DebugInputs as Inputs
    from ..state import DemoState
    from .calls import Calls
    from .emulator import EmulatorControls


@dataclass(frozen=True)
class DebugOp:
    """One SDK method behind one button."""

    name: str
    label: str
    build: Callable[[Inputs], tuple[str, Callable[[], RequestHandle[Any]]] | None]
    then: Callable[[Inputs, Any], None] | None = None
    route: tuple[str, str] | None = None


def _opt(text: str) -> str | None:
    return text.strip() or None


def _amount(screen: Inputs) -> int:
    try:
        return max(1, int(float(screen.value("amount"))))
    except ValueError:
        return 1


def _remember_start(screen: Inputs, response: Any) -> None:
    screen.set_value("attempt", response.attempt.id)
    screen.set_value("board", response.leaderboard_id or response.attempt.leaderboard_id)


def _remember_events(screen: Inputs, events: Any) -> None:
    if events and not screen.value("event"):
        screen.set_value("event", events[0].event_key)
    if events:
        chosen = next((e for e in events if e.event_key == screen.value("event")), events[0])
        if chosen.leaderboard_id:
            screen.set_value("board", chosen.leaderboard_id)


def _remember_pending(screen: Inputs, grants: Any) -> None:
    if grants:
        screen.set_value("grant", grants[0].id)


def build_ops(c: KratyComponent) -> list[DebugOp]:
    """Every operation, in the order of the buttons."""

    def op(
        name: str,
        label: str,
        build: Callable[[Inputs], tuple[str, Callable[[], RequestHandle[Any]]] | None],
        then: Callable[[Inputs, Any], None] | None = None,
    ) -> DebugOp:
        return DebugOp(name, label, build, then, ROUTES.get(name))

    return [
        op(
            "ensure_identity", "ensure_identity", lambda s: ("ensure_identity()", c.ensure_identity)
        ),
        op("logout", "logout", lambda s: ("logout()", c.logout)),
        op(
            "sign_in",
            "sign_in",
            lambda s: (
                f"sign_in(external_player_id={s.value('player')!r}, secret=\u2022\u2022\u2022)",
                lambda: c.sign_in(external_player_id=s.value("player"), secret=s.secret()),
            ),
        ),
        op(
            "players.register",
            "players.register",
            lambda s: (
                f"players.register({s.value('player')!r})",
                lambda: c.players.register(s.value("player")),
            ),
        ),
        op(
            "events.list_for_player",
            "events.list",
            lambda s: ("events.list_for_player()", c.events.list_for_player),
            _remember_events,
        ),
        op(
            "events.start",
            "events.start",
            lambda s: (
                f"events.start({s.value('event')!r})",
                lambda: c.events.start(s.value("event")),
            ),
            _remember_start,
        ),
        op(
            "events.progress",
            "progress +N",
            lambda s: (
                f"events.progress({s.value('event')!r}, {s.value('attempt')!r}, "
                f"mode='increment', metric_value={_amount(s)})",
                lambda: c.events.progress(
                    s.value("event"), s.value("attempt"), mode="increment", metric_value=_amount(s)
                ),
            ),
        ),
        op(
            "events.finish",
            "events.finish",
            lambda s: (
                f"events.finish({s.value('event')!r}, {s.value('attempt')!r})",
                lambda: c.events.finish(s.value("event"), s.value("attempt")),
            ),
        ),
        op(
            "event_leaderboards.read",
            "event board read",
            lambda s: (
                f"event_leaderboards.read({s.value('board')!r}, limit=10, include_self=True)",
                lambda: c.event_leaderboards.read(s.value("board"), limit=10, include_self=True),
            ),
        ),
        op(
            "event_leaderboards.join",
            "event board join",
            lambda s: (
                f"event_leaderboards.join({s.value('board')!r})",
                lambda: c.event_leaderboards.join(s.value("board")),
            ),
        ),
        op(
            "leaderboards.read",
            "keyed read",
            lambda s: (
                f"leaderboards.read({s.value('key')!r}, segment={_opt(s.value('segment'))!r}, "
                f"period={_opt(s.value('period'))!r}, include_self=True)",
                lambda: c.leaderboards.read(
                    s.value("key"),
                    segment=_opt(s.value("segment")),
                    period=_opt(s.value("period")),
                    include_self=True,
                    limit=10,
                ),
            ),
        ),
        op(
            "leaderboards.list_periods",
            "list_periods",
            lambda s: (
                f"leaderboards.list_periods({s.value('key')!r})",
                lambda: c.leaderboards.list_periods(s.value("key")),
            ),
        ),
        op(
            "leaderboards.submit_score",
            "submit_score",
            lambda s: (
                f"leaderboards.submit_score({s.value('key')!r}, {_amount(s)})",
                lambda: c.leaderboards.submit_score(s.value("key"), float(_amount(s))),
            ),
        ),
        op(
            "leaderboards.join",
            "keyed join",
            lambda s: (
                f"leaderboards.join({s.value('key')!r})",
                lambda: c.leaderboards.join(s.value("key"), segment=_opt(s.value("segment"))),
            ),
        ),
        op(
            "leaderboards.standings",
            "standings",
            lambda s: (
                f"leaderboards.standings({s.value('key')!r})",
                lambda: c.leaderboards.standings(s.value("key")),
            ),
        ),
        op(
            "grants.list_pending",
            "list_pending",
            lambda s: ("grants.list_pending()", c.grants.list_pending),
            _remember_pending,
        ),
        op(
            "grants.claim",
            "grants.claim",
            lambda s: (
                f"grants.claim({s.value('grant')!r})",
                lambda: c.grants.claim(s.value("grant")),
            ),
        ),
        op(
            "grants.open",
            "grants.open",
            lambda s: (
                f"grants.open({s.value('grant')!r})",
                lambda: c.grants.open(s.value("grant")),
            ),
        ),
        op(
            "grants.collect_all",
            "collect_all",
            lambda s: ("grants.collect_all()", c.grants.collect_all),
        ),
        op(
            "lobbies.read",
            "lobbies.read",
            lambda s: (
                f"lobbies.read({s.value('lobby')!r})",
                lambda: c.lobbies.read(s.value("lobby")),
            ),
        ),
        op("inventory.list", "inventory.list", lambda s: ("inventory.list()", c.inventory.list)),
        op(
            "inventory.consume",
            "consume",
            lambda s: (
                f"inventory.consume({s.value('item')!r}, quantity={_amount(s)})",
                lambda: c.inventory.consume(s.value("item"), quantity=_amount(s)),
            ),
        ),
        op("wallet.list", "wallet.list", lambda s: ("wallet.list()", c.wallet.list)),
        op(
            "wallet.debit",
            "wallet.debit",
            lambda s: (
                f"wallet.debit({s.value('economy')!r}, amount={_amount(s)})",
                lambda: c.wallet.debit(s.value("economy"), amount=_amount(s)),
            ),
        ),
        op("catalog.read", "catalog.read", lambda s: ("catalog.read()", c.catalog.read)),
        op(
            "players.rotate",
            "players.rotate",
            lambda s: (
                f"players.rotate({s.value('player')!r})",
                lambda: c.players.rotate(s.value("player")),
            ),
        ),
        op(
            "players.get_identity",
            "get_identity",
            lambda s: ("players.get_identity()", lambda: c.call(c.kraty.players.get_identity)),
        ),
        op(
            "get_server_time",
            "get_server_time",
            lambda s: ("get_server_time()", lambda: c.call(c.kraty.get_server_time)),
        ),
        op(
            "check_finalizations",
            "check_finalizations",
            lambda s: ("check_finalizations()", lambda: c.call(c.kraty.check_finalizations)),
        ),
    ]


# The HTTP request behind each method (method, path regex): ties telemetry rows to calls.
ROUTES: dict[str, tuple[str, str]] = {
    "ensure_identity": ("POST", r"/players/[^/]+/register$"),
    "players.register": ("POST", r"/players/[^/]+/register$"),
    "events.list_for_player": ("GET", r"/players/[^/]+/events$"),
    "events.start": ("POST", r"/events/[^/]+/start$"),
    "events.progress": ("POST", r"/attempts/[^/]+/progress$"),
    "events.finish": ("POST", r"/attempts/[^/]+/finish$"),
    "event_leaderboards.read": ("GET", r"/event-leaderboards/[^/]+$"),
    "event_leaderboards.join": ("POST", r"/event-leaderboards/[^/]+/join$"),
    "leaderboards.read": ("GET", r"/sdk/v1/leaderboards/[^/]+$"),
    "leaderboards.list_periods": ("GET", r"/leaderboards/[^/]+/periods$"),
    "leaderboards.submit_score": ("POST", r"/leaderboards/[^/]+/score$"),
    "leaderboards.join": ("POST", r"/players/[^/]+/leaderboards/[^/]+/join$"),
    "leaderboards.standings": ("GET", r"/leaderboards/[^/]+/standings$"),
    "grants.list_pending": ("GET", r"/pending-grants$"),
    "grants.claim": ("POST", r"/grants/[^/]+/claim$"),
    "grants.open": ("POST", r"/crates/[^/]+/open$"),
    "grants.collect_all": ("", r"/(pending-grants|claim|open)$"),
    "lobbies.read": ("GET", r"/lobbies/[^/]+$"),
    "inventory.list": ("GET", r"/inventory$"),
    "inventory.consume": ("POST", r"/inventory/[^/]+/consume$"),
    "wallet.list": ("GET", r"/wallet$"),
    "wallet.debit": ("POST", r"/wallet/[^/]+/debit$"),
    "catalog.read": ("GET", r"/catalog$"),
    "players.rotate": ("POST", r"/players/[^/]+/register$"),
    "players.get_identity": ("GET", r"/players/[^/]+/identity$"),
    "get_server_time": ("GET", r"/sdk/v1/time$"),
    "check_finalizations": ("GET", r"/event-leaderboards/[^/]+$"),
}

RUN_ALL = [
    "ensure_identity",
    "events.list_for_player",
    "events.start",
    "events.progress",
    "event_leaderboards.read",
    "leaderboards.read",
    "leaderboards.list_periods",
    "grants.list_pending",
    "grants.collect_all",
    "inventory.list",
    "wallet.list",
]


class Debug:
    """Runs the Debug screen's calls and records what each one sent and got back."""

    def __init__(
        self,
        calls: Calls,
        state: DemoState,
        telemetry: deque[RequestInfo],
        emulator: EmulatorControls,
    ) -> None:
        """``telemetry`` is filled by the ``on_request`` callback on worker threads."""
        self.calls = calls
        self.state = state
        self.telemetry = telemetry
        self.emulator = emulator
        self.ops = build_ops(calls.component)

    def operations(self) -> list[tuple[str, str]]:
        """(name, button label) of every operation, in button order."""
        return [(op.name, op.label) for op in self.ops]

    def run_all_order(self) -> list[str]:
        """The smoke rig's "Run ALL" steps."""
        return list(RUN_ALL)

    def run(
        self, name: str, inputs: Inputs, after: Callable[[LogEntry], None] | None = None
    ) -> LogEntry | None:
        """Run operation ``name`` with the screen's current inputs; None when it cannot
        be built from them."""
        op = next(o for o in self.ops if o.name == name)
        built = op.build(inputs)
        if built is None:
            return None
        request, make = built

        def then(result: Any) -> None:
            if op.then is not None:
                op.then(inputs, result)

        return self.record(op.name, request, make, then=then, after=after, route=op.route)

    def record(
        self,
        operation: str,
        request: str,
        make: Callable[[], RequestHandle[Any]],
        *,
        then: Callable[[Any], None] | None = None,
        after: Callable[[LogEntry], None] | None = None,
        route: tuple[str, str] | None = None,
    ) -> LogEntry:
        """Submit one call and record request, response and attempts in the call log.

        ``route`` (HTTP method, path regex) ties the ``on_request`` telemetry rows of
        this call to it; other calls and watchers run at the same time.
        """
        entry = LogEntry(operation=operation, request=request, route=route)
        self.state.log.append(entry)
        wire = "wanted" if self.emulator.available else "none"

        def ok(result: Any) -> None:
            entry.status = "ok"
            entry.response = jsonable(result)
            entry.finished = time.monotonic()
            entry.wire_state = wire
            if then is not None:
                then(result)
            if after is not None:
                after(entry)

        def failed(error: BaseException) -> None:
            entry.status = "failed"
            entry.error = describe_error(error)
            details = getattr(error, "details", None)
            entry.response = {"error": describe_error(error), "details": jsonable(details)}
            entry.finished = time.monotonic()
            entry.wire_state = wire
            if after is not None:
                after(entry)

        handle = self.calls.submit(make, ok, failed)
        if handle is None:
            entry.status = "failed"
            entry.error = "the game is closing"
        else:
            entry.handle = handle
            entry.status = "running" if handle.status is HandleStatus.RUNNING else "queued"
        return entry

    def update(self) -> None:
        """Once per frame: file new telemetry rows under their calls, fetch raw requests."""
        self._drain_telemetry()
        self.emulator.fetch_wire_logs()

    def _drain_telemetry(self) -> None:
        telemetry = self.telemetry
        if not telemetry:
            return
        state = self.state
        now = time.monotonic()
        open_entries = [
            e
            for e in state.log
            if e.route is not None
            and e.handle is not None
            and e.handle.status is not HandleStatus.QUEUED  # running, or just finished
            and (e.finished is None or now - e.finished < 0.5)
        ]
        while telemetry:
            info = telemetry.popleft()
            state.telemetry.append(info)
            if info.attempt > 1:
                state.retries_seen += 1
            if not info.ok:
                state.failed_attempts_seen += 1
            path = urlsplit(info.url).path
            for entry in open_entries:
                assert entry.route is not None
                method, pattern = entry.route
                if method in ("", info.method.upper()) and re.search(pattern, path):
                    entry.attempts.append(info)
                    break
