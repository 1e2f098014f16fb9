"""Debug: one button per SDK method, raw request/response, telemetry, emulator controls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pygame

from demo_game import rules
from demo_game.screens.base import Screen, split_columns
from demo_game.state import LogEntry
from demo_game.theme import GAP, PALETTE
from demo_game.ui import Button, Chips, ScrollList, TextInput, TextView, Ui, panel
from kraty_pygame.component.handles import RequestHandle

if TYPE_CHECKING:
    from demo_game.app import App
    from demo_game.session import Session
    from kraty_pygame.sdk import RequestInfo

INPUTS: list[tuple[str, str, str]] = [
    # name, label, default
    ("event", "event", "tap_frenzy"),
    ("attempt", "attempt", ""),
    ("board", "board id", ""),
    ("key", "keyed", "weekly_global"),
    ("period", "period", ""),
    ("segment", "segment", ""),
    ("lobby", "lobby", ""),
    ("grant", "grant", ""),
    ("item", "item", "health_potion"),
    ("economy", "economy", "gold"),
    ("amount", "amount", "10"),
    ("player", "player", "player_42"),
]


@dataclass(frozen=True)
class DebugOp:
    """One SDK method behind one button."""

    name: str
    label: str
    build: Callable[[DebugScreen], tuple[str, Callable[[], RequestHandle[Any]]] | None]
    then: Callable[[DebugScreen, Any], None] | None = None
    route: tuple[str, str] | None = None


def _opt(text: str) -> str | None:
    return text.strip() or None


def _amount(screen: DebugScreen) -> int:
    try:
        return max(1, int(float(screen.value("amount"))))
    except ValueError:
        return 1


def _remember_start(screen: DebugScreen, response: Any) -> None:
    screen.set_value("attempt", response.attempt.id)
    screen.set_value("board", response.leaderboard_id or response.attempt.leaderboard_id)


def _remember_events(screen: DebugScreen, events: Any) -> None:
    if events and not screen.value("event"):
        screen.set_value("event", events[0].event_key)
    if events:
        chosen = next((e for e in events if e.event_key == screen.value("event")), events[0])
        if chosen.leaderboard_id:
            screen.set_value("board", chosen.leaderboard_id)


def _remember_pending(screen: DebugScreen, grants: Any) -> None:
    if grants:
        screen.set_value("grant", grants[0].id)


def _ops(session: Session) -> list[DebugOp]:
    c = session.component

    def op(
        name: str,
        label: str,
        build: Callable[[DebugScreen], tuple[str, Callable[[], RequestHandle[Any]]] | None],
        then: Callable[[DebugScreen, Any], None] | None = None,
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


class DebugScreen(Screen):
    """Every SDK method with editable inputs; raw I/O; telemetry; emulator and stats."""

    name = "debug"
    title = "Debug"
    icon = "tab_debug"

    def __init__(self, app: App, session: Session) -> None:
        super().__init__(app)
        self.session = session
        self.inputs: dict[str, TextInput] = {}
        for key, label, default in INPUTS:
            self.inputs[key] = TextInput(default, name=f"debug.input.{key}", label=label)
            self.add(self.inputs[key])
        self.secret_input = TextInput(name="debug.input.secret", label="secret", masked=True)
        self.add(self.secret_input)
        self.ops = _ops(session)
        self.buttons: dict[str, Button] = {}
        for debug_op in self.ops:
            button = Button(
                debug_op.label,
                self._runner(debug_op),
                name=f"debug.op.{debug_op.name}",
                variant="secondary",
                font="small",
            )
            self.buttons[debug_op.name] = button
            self.add(button)
        self.run_all = Button("Run ALL", self.start_run_all, name="debug.run_all", font="small")
        self.add(self.run_all)
        self.calls: ScrollList[LogEntry] = ScrollList(
            self._draw_call,
            name="debug.calls",
            row_height=30,
            on_activate=self._select,
            empty_text="Press a button.",
        )
        self.add(self.calls)
        self.detail = TextView("debug.detail")
        self.add(self.detail)
        self.telemetry: ScrollList[RequestInfo] = ScrollList(
            self._draw_attempt,
            name="debug.telemetry",
            row_height=20,
            empty_text="No HTTP attempts yet.",
        )
        self.add(self.telemetry)
        self.clock_buttons = [
            Button(
                label,
                partial(session.emulator.advance_clock, seconds),
                name=f"debug.clock.{name}",
                variant="secondary",
                font="small",
            )
            for name, label, seconds in (
                ("10s", "+10 s", 10.0),
                ("1m", "+1 min", 60.0),
                ("1h", "+1 h", 3600.0),
                ("1d", "+1 day", 86400.0),
            )
        ]
        for button in self.clock_buttons:
            self.add(button)
        self.faults = Button(
            "503s: off",
            session.emulator.toggle_faults,
            name="debug.faults",
            variant="secondary",
            font="small",
        )
        self.add(self.faults)
        self.latency = Chips(
            name="debug.latency",
            on_select=lambda k: session.emulator.set_faults(latency_ms=int(k)),
            height=26,
        )
        self.add(self.latency)
        self.promote = Button(
            "Promote lobby",
            session.emulator.promote_lobby,
            name="debug.promote",
            variant="secondary",
            font="small",
        )
        self.finalize = Button(
            "Finalize event",
            lambda: session.emulator.finalize_event(self.value("event")),
            name="debug.finalize",
            variant="secondary",
            font="small",
        )
        self.add(self.promote)
        self.add(self.finalize)
        self.selected: LogEntry | None = None
        self._run_queue: list[str] = []
        self._cols: list[pygame.Rect] = []
        self._emu = pygame.Rect(0, 0, 0, 0)
        self._stats = pygame.Rect(0, 0, 0, 0)

    # ------------------------------------------------------------------ inputs

    def value(self, key: str) -> str:
        """Current text of input ``key`` (stripped)."""
        return self.inputs[key].value.strip()

    def set_value(self, key: str, value: str | None) -> None:
        """Fill input ``key`` (as the Unity smoke rig remembers ids between calls)."""
        if value:
            self.inputs[key].set(value)

    def secret(self) -> str:
        """The secret input (never drawn: the field is masked)."""
        return self.secret_input.value.strip()

    # ------------------------------------------------------------------ calls

    def _runner(self, debug_op: DebugOp) -> Callable[[], None]:
        def press() -> None:
            self.run(debug_op)

        return press

    def run(
        self, debug_op: DebugOp, after: Callable[[LogEntry], None] | None = None
    ) -> LogEntry | None:
        """Run one SDK method with the current inputs."""
        built = debug_op.build(self)
        if built is None:
            return None
        request, make = built
        if debug_op.name == "sign_in":
            self.app.text_renderer.register_secret(self.secret())

        def then(result: Any) -> None:
            if debug_op.then is not None:
                debug_op.then(self, result)

        entry = self.session.debug_call(
            debug_op.name, request, make, then=then, after=after, route=debug_op.route
        )
        self.selected = entry
        return entry

    def op(self, name: str) -> DebugOp:
        """The operation called ``name``."""
        return next(o for o in self.ops if o.name == name)

    def start_run_all(self) -> None:
        """The smoke rig's "Run ALL": every step in order, each after the previous one."""
        self._run_queue = list(RUN_ALL)
        self._next_step(None)

    def _next_step(self, _: LogEntry | None) -> None:
        if not self._run_queue:
            self.app.notify("Run ALL finished", "good")
            return
        name = self._run_queue.pop(0)
        self.run(self.op(name), after=self._next_step)

    def _select(self, entry: LogEntry) -> None:
        self.selected = entry

    # ------------------------------------------------------------------ layout

    def layout(self, rect: pygame.Rect) -> None:
        super().layout(rect)
        left, middle, right = split_columns(rect, [0.38, 0.34, 0.28], GAP * 2)
        self._cols = [left, middle, right]
        x, y = left.x, left.y + 26
        half = (left.width - GAP) // 2
        fields = [*INPUTS, ("secret", "secret", "")]
        for i, (key, _, _) in enumerate(fields):
            widget = self.secret_input if key == "secret" else self.inputs[key]
            widget.rect = pygame.Rect(x + (i % 2) * (half + GAP), y + (i // 2) * 32, half, 28)
        y += ((len(fields) + 1) // 2) * 32 + 8
        cols = 3
        width = (left.width - (cols - 1) * 6) // cols
        height = max(
            22, min(28, (left.bottom - y - 40) // ((len(self.ops) + cols - 1) // cols) - 5)
        )
        for i, debug_op in enumerate(self.ops):
            self.buttons[debug_op.name].rect = pygame.Rect(
                x + (i % cols) * (width + 6), y + (i // cols) * (height + 5), width, height
            )
        rows = (len(self.ops) + cols - 1) // cols
        self.run_all.rect = pygame.Rect(x, y + rows * (height + 5) + 2, left.width, 30)
        self.calls.rect = pygame.Rect(
            middle.x, middle.y + 26, middle.width, middle.height // 2 - 30
        )
        self.detail.rect = pygame.Rect(
            middle.x,
            self.calls.rect.bottom + 8,
            middle.width,
            middle.bottom - self.calls.rect.bottom - 8,
        )
        tele_h = max(120, right.height // 2 - 40)
        self.telemetry.rect = pygame.Rect(right.x, right.y + 44, right.width, tele_h)
        self._emu = pygame.Rect(right.x, self.telemetry.rect.bottom + 8, right.width, 128)
        ex, ey = self._emu.x + 8, self._emu.y + 26
        bw = (self._emu.width - 16 - 3 * 4) // 4
        for i, button in enumerate(self.clock_buttons):
            button.rect = pygame.Rect(ex + i * (bw + 4), ey, bw, 24)
        self.faults.rect = pygame.Rect(ex, ey + 30, (self._emu.width - 20) // 2, 24)
        self.latency.rect = pygame.Rect(
            self.faults.rect.right + 4, ey + 30, self._emu.width - 20 - self.faults.rect.width, 26
        )
        self.promote.rect = pygame.Rect(ex, ey + 60, (self._emu.width - 20) // 2, 24)
        self.finalize.rect = pygame.Rect(
            self.promote.rect.right + 4, ey + 60, self.promote.rect.width, 24
        )
        self._stats = pygame.Rect(
            right.x, self._emu.bottom + 8, right.width, right.bottom - self._emu.bottom - 8
        )

    # ------------------------------------------------------------------ frame

    def update(self, dt: float) -> None:
        state = self.session.state
        self.calls.set_items(list(reversed(state.log)))
        self.telemetry.set_items(list(reversed(state.telemetry)))
        self.faults.label = f"503s: {'30% ON' if state.faults_on else 'off'}"
        self.faults.variant = "danger" if state.faults_on else "secondary"
        self.latency.set_items(
            [("0", "0 ms"), ("250", "250"), ("1000", "1 s")], str(state.latency_ms)
        )
        has_emulator = self.session.has_emulator
        for widget in (*self.clock_buttons, self.faults, self.promote, self.finalize):
            widget.enabled = has_emulator
        self.latency.visible = has_emulator
        if self.selected is None and state.log:
            self.selected = state.log[-1]
        self.detail.set_text(self._detail_text(self.selected), "raw request / response")
        super().update(dt)

    def _detail_text(self, entry: LogEntry | None) -> str:
        if entry is None:
            return "Press a button on the left: each runs one SDK method through the component."
        lines = [f"request:  {entry.request}", f"status:   {entry.status}"]
        if entry.duration_ms is not None:
            lines.append(
                f"time:     {entry.duration_ms:.0f} ms (submit to result, as the game saw it)"
            )
        if entry.attempts:
            lines.append("http attempts:")
            for info in entry.attempts:
                status = info.status or "net"
                lines.append(
                    f"  #{info.attempt} {info.method} {status} {info.duration_ms:.0f} ms"
                    f"  {_path(info.url)}"
                )
        if entry.wire:
            lines.append("on the wire (the emulator's request log):")
            for record in entry.wire:
                query = f"?{record.get('query')}" if record.get("query") else ""
                fault = f" [fault: {record.get('fault')}]" if record.get("fault") else ""
                short = _path(f"http://emulator{record.get('path')}{query}")
                lines.append(f"  {record.get('method')} {record.get('status')}{fault} {short}")
                headers = record.get("headers") or {}
                for name in ("authorization", "x-player-secret", "x-kraty-sdk"):
                    if name in headers:
                        lines.append(f"    {name}: {headers[name]}")
                if record.get("body") is not None:
                    body = rules.pretty_json(record["body"], limit=1200)
                    lines.extend("    " + line for line in body.splitlines())
        elif entry.wire_state == "fetching":
            lines.append("on the wire: reading the emulator's request log\u2026")
        lines.append("response:")
        lines.append(
            rules.pretty_json(entry.response) if entry.response is not None else "  (waiting)"
        )
        return "\n".join(lines)

    # ------------------------------------------------------------------ drawing

    def _draw_call(
        self, surface: pygame.Surface, rect: pygame.Rect, entry: LogEntry, index: int, ui: Ui
    ) -> None:
        color = {"ok": PALETTE.good, "failed": PALETTE.bad}.get(entry.status, PALETTE.warn)
        pygame.draw.circle(surface, color, (rect.x + 10, rect.centery), 4)
        if entry is self.selected:
            pygame.draw.rect(surface, PALETTE.accent, rect, 1, border_radius=6)
        ui.text(
            surface,
            entry.operation,
            (rect.x + 20, rect.centery),
            font=ui.fonts.small,
            anchor="midleft",
            max_width=rect.width - 120,
        )
        retries = sum(1 for a in entry.attempts if a.attempt > 1)
        tail = f"{entry.duration_ms:.0f} ms" if entry.duration_ms is not None else entry.status
        if retries:
            tail = f"{retries} retry \u00b7 {tail}"
        ui.text(
            surface,
            tail,
            (rect.right - 8, rect.centery),
            font=ui.fonts.small,
            color=PALETTE.muted,
            anchor="midright",
        )

    def _draw_attempt(
        self, surface: pygame.Surface, rect: pygame.Rect, info: RequestInfo, index: int, ui: Ui
    ) -> None:
        status = info.status
        color = (
            PALETTE.good
            if info.ok
            else (PALETTE.bad if status is None or status >= 500 else PALETTE.warn)
        )
        ui.text(
            surface,
            f"{info.method[:4]}",
            (rect.x + 6, rect.centery),
            font=ui.fonts.mono,
            color=PALETTE.muted,
            anchor="midleft",
        )
        ui.text(
            surface,
            _path(info.url),
            (rect.x + 46, rect.centery),
            font=ui.fonts.mono,
            anchor="midleft",
            max_width=rect.width - 160,
        )
        retry_color = PALETTE.warn if info.attempt > 1 else PALETTE.faint
        ui.text(
            surface,
            f"#{info.attempt}",
            (rect.right - 104, rect.centery),
            font=ui.fonts.mono,
            color=retry_color,
            anchor="midleft",
        )
        ui.text(
            surface,
            str(status or "net"),
            (rect.right - 74, rect.centery),
            font=ui.fonts.mono,
            color=color,
            anchor="midleft",
        )
        ui.text(
            surface,
            f"{info.duration_ms:.0f}ms",
            (rect.right - 6, rect.centery),
            font=ui.fonts.mono,
            color=PALETTE.muted,
            anchor="midright",
        )

    def draw(self, surface: pygame.Surface) -> None:
        ui = self.ui
        state = self.session.state
        left, middle, right = self._cols
        ui.text(surface, "SDK methods", (left.x, left.y), font=ui.fonts.bold)
        ui.text(surface, "Calls", (middle.x, middle.y), font=ui.fonts.bold)
        ui.text(surface, "HTTP attempts (on_request)", (right.x, right.y), font=ui.fonts.bold)
        ui.text(
            surface,
            f"{len(state.telemetry)} shown \u00b7 {state.retries_seen} retries \u00b7 "
            f"{state.failed_attempts_seen} failed attempts",
            (right.x, right.y + 22),
            font=ui.fonts.small,
            color=PALETTE.warn if state.retries_seen else PALETTE.muted,
            max_width=right.width,
        )
        panel(surface, self._emu, shadow=False)
        emu_title = "Emulator" + (
            f" \u00b7 clock {state.emulator_now[11:19]}" if state.emulator_now else ""
        )
        if not self.session.has_emulator:
            emu_title = "Emulator controls (not running: remote server)"
        ui.text(
            surface,
            emu_title,
            (self._emu.x + 8, self._emu.y + 6),
            font=ui.fonts.small,
            color=PALETTE.muted,
            max_width=self._emu.width - 16,
        )
        panel(surface, self._stats, shadow=False)
        self._draw_stats(surface, ui)
        super().draw(surface)

    def _draw_stats(self, surface: pygame.Surface, ui: Ui) -> None:
        stats = self.session.component.stats
        cost = self.app.meter.summary()
        rows = [
            ("queue", f"{stats.queue_depth} queued, {stats.in_flight} in flight"),
            (
                "results",
                f"{stats.results_waiting} waiting, {stats.handled_last_update} last update",
            ),
            ("merged", f"{stats.coalesced} coalesced, {stats.dropped} dropped"),
            (
                "update()",
                f"{stats.update_ms_last:.3f} ms (avg {stats.update_ms_avg:.3f}, "
                f"max {stats.update_ms_max:.2f})",
            ),
            ("threads", f"{stats.threads} ({stats.watchers} watchers)"),
            ("frame cost", f"p50 {cost.p50_ms:.3f} / p99 {cost.p99_ms:.3f} ms"),
        ]
        x, y = self._stats.x + 8, self._stats.y + 6
        ui.text(surface, "Component stats", (x, y), font=ui.fonts.small, color=PALETTE.muted)
        y += 20
        for label, value in rows:
            if y > self._stats.bottom - 16:
                break
            ui.text(surface, label, (x, y), font=ui.fonts.small, color=PALETTE.faint)
            ui.text(
                surface, value, (x + 74, y), font=ui.fonts.small, max_width=self._stats.width - 84
            )
            y += 18

    def snapshot(self) -> dict[str, Any]:
        state = self.session.state
        stats = self.session.component.stats
        return {
            "screen": self.name,
            "methods": [o.name for o in self.ops],
            "calls": [
                {
                    "operation": e.operation,
                    "status": e.status,
                    "attempts": [a.attempt for a in e.attempts],
                    "wire": len(e.wire),
                }
                for e in state.log
            ],
            "telemetry_rows": len(state.telemetry),
            "retries_seen": state.retries_seen,
            "failed_attempts_seen": state.failed_attempts_seen,
            "retried_requests": [
                {"method": a.method, "path": _path(a.url), "attempt": a.attempt, "status": a.status}
                for a in state.telemetry
                if a.attempt > 1
            ][-20:],
            "faults_on": state.faults_on,
            "stats": {
                "queue_depth": stats.queue_depth,
                "coalesced": stats.coalesced,
                "dropped": stats.dropped,
                "threads": stats.threads,
                "updates": stats.updates,
            },
        }


def _path(url: str) -> str:
    """The informative tail of a request URL: ``~/events/tap_frenzy/start`` for
    ``/sdk/v1/players/<id>/events/tap_frenzy/start``, ``/catalog`` for ``/sdk/v1/catalog``."""
    parts = urlsplit(url)
    path = parts.path
    if path.startswith("/sdk/v1/players/"):
        rest = path[len("/sdk/v1/players/") :]
        path = "~/" + rest.split("/", 1)[1] if "/" in rest else path
    elif path.startswith("/sdk/v1/"):
        path = path[len("/sdk/v1") :]
    return path + (f"?{parts.query}" if parts.query else "")
