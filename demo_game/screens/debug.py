"""Debug: one button per SDK method, raw request/response, telemetry, emulator controls."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pygame

from .. import rules
from ..screens.base import Screen, split_columns
from ..state import LogEntry
from ..theme import GAP, PALETTE
from ..ui import Button, Chips, ScrollList, TextInput, TextView, Ui, panel

if TYPE_CHECKING:
    from kraty_pygame.sdk import RequestInfo

    from ..actions import GameActions
    from ..app import App
    from ..state import DemoState


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


class DebugScreen(Screen):
    """Every SDK method with editable inputs; raw I/O; telemetry; emulator and stats."""

    name = "debug"
    title = "Debug"
    icon = "tab_debug"

    def __init__(self, app: App, state: DemoState, actions: GameActions) -> None:
        super().__init__(app)
        self.state = state
        self.actions = actions
        self.inputs: dict[str, TextInput] = {}
        for key, label, default in INPUTS:
            self.inputs[key] = TextInput(default, name=f"debug.input.{key}", label=label)
            self.add(self.inputs[key])
        self.secret_input = TextInput(name="debug.input.secret", label="secret", masked=True)
        self.add(self.secret_input)
        self.ops = actions.debug.operations()  # (name, label), one button each
        self.buttons: dict[str, Button] = {}
        for op_name, label in self.ops:
            button = Button(
                label,
                self._runner(op_name),
                name=f"debug.op.{op_name}",
                variant="secondary",
                font="small",
            )
            self.buttons[op_name] = button
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
                partial(actions.emulator.advance_clock, seconds),
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
            actions.emulator.toggle_faults,
            name="debug.faults",
            variant="secondary",
            font="small",
        )
        self.add(self.faults)
        self.latency = Chips(
            name="debug.latency",
            on_select=lambda k: actions.emulator.set_faults(latency_ms=int(k)),
            height=26,
        )
        self.add(self.latency)
        self.promote = Button(
            "Promote lobby",
            actions.emulator.promote_lobby,
            name="debug.promote",
            variant="secondary",
            font="small",
        )
        self.finalize = Button(
            "Finalize event",
            lambda: actions.emulator.finalize_event(self.value("event")),
            name="debug.finalize",
            variant="secondary",
            font="small",
        )
        self.server_grant = Button(
            "/server/v1 grant: +2 potions",
            actions.emulator.server_grant,
            name="debug.server_grant",
            variant="secondary",
            font="small",
        )
        self.link = Button(
            "Link: online",
            actions.emulator.toggle_link,
            name="debug.link",
            variant="secondary",
            font="small",
        )
        self.add(self.promote)
        self.add(self.finalize)
        self.add(self.server_grant)
        self.add(self.link)
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

    def _runner(self, name: str) -> Callable[[], None]:
        def press() -> None:
            self.run(name)

        return press

    def run(self, name: str, after: Callable[[LogEntry], None] | None = None) -> LogEntry | None:
        """Run SDK method ``name`` with the current inputs."""
        if name == "sign_in":
            self.app.text_renderer.register_secret(self.secret())
        entry = self.actions.debug.run(name, self, after)
        if entry is not None:
            self.selected = entry
        return entry

    def start_run_all(self) -> None:
        """The smoke rig's "Run ALL": every step in order, each after the previous one."""
        self._run_queue = self.actions.debug.run_all_order()
        self._next_step(None)

    def _next_step(self, _: LogEntry | None) -> None:
        if not self._run_queue:
            self.app.notify("Run ALL finished", "good")
            return
        self.run(self._run_queue.pop(0), after=self._next_step)

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
        for i, (op_name, _) in enumerate(self.ops):
            self.buttons[op_name].rect = pygame.Rect(
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
        self._emu = pygame.Rect(right.x, self.telemetry.rect.bottom + 8, right.width, 156)
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
        grant_w = (self._emu.width - 20) * 3 // 5
        self.server_grant.rect = pygame.Rect(ex, ey + 90, grant_w, 24)
        self.link.rect = pygame.Rect(
            self.server_grant.rect.right + 4, ey + 90, self._emu.width - 20 - grant_w, 24
        )
        self._stats = pygame.Rect(
            right.x, self._emu.bottom + 8, right.width, right.bottom - self._emu.bottom - 8
        )

    # ------------------------------------------------------------------ frame

    def update(self, dt: float) -> None:
        state = self.state
        self.calls.set_items(list(reversed(state.log)))
        self.telemetry.set_items(list(reversed(state.telemetry)))
        self.faults.label = f"503s: {'30% ON' if state.faults_on else 'off'}"
        self.faults.variant = "danger" if state.faults_on else "secondary"
        self.latency.set_items(
            [("0", "0 ms"), ("250", "250"), ("1000", "1 s")], str(state.latency_ms)
        )
        cut = self.state.link_cut
        self.link.label = "Link: CUT (offline)" if cut else "Link: online"
        self.link.variant = "danger" if cut else "secondary"
        has_emulator = self.state.has_emulator
        for widget in (
            *self.clock_buttons,
            self.faults,
            self.promote,
            self.finalize,
            self.server_grant,
            self.link,
        ):
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
        state = self.state
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
        if not self.state.has_emulator:
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
        stats = self.state.stats
        if stats is None:
            return
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
            ("outbox", f"{stats.pending_writes} waiting to sync, calls {_online(stats.online)}"),
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
        state = self.state
        stats = self.state.stats
        return {
            "screen": self.name,
            "methods": [name for name, _ in self.ops],
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
            "link_cut": self.state.link_cut,
            "stats": {}
            if stats is None
            else {
                "pending_writes": stats.pending_writes,
                "online": stats.online,
                "queue_depth": stats.queue_depth,
                "coalesced": stats.coalesced,
                "dropped": stats.dropped,
                "threads": stats.threads,
                "updates": stats.updates,
            },
        }


def _online(online: bool | None) -> str:
    return "online" if online else "offline" if online is False else "not tried yet"


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
