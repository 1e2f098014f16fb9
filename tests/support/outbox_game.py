"""A small pygame "game" run as a child process by the outbox acceptance tests.

``python -m tests.support.outbox_game MODE --config FILE`` where the JSON config
holds ``base_url``, ``api_key``, ``store`` (the profile's secret store file) and the
mode's own fields. Modes:

``quit``
    Makes every write of ``plan`` through the component, then ends the way most
    pygame games do: ``pygame.quit(); sys.exit(0)``, no ``close()``.
``close``
    Makes every write of ``plan``, then calls ``close(close_timeout)`` and prints the
    close report's ``pending_writes`` as JSON.
``drain``
    Runs the frame loop (``update()`` + ``pygame.event.get()``) for ``seconds``, or
    until nothing is pending once ``until_synced`` is set; prints a JSON summary.
``chaos``
    Makes the writes of ``plan`` from the first one not yet in the ``log`` file, one
    per frame; after each call returned it appends the write's index to ``log`` (one
    unbuffered ``write(2)``). Runs until killed.
``offline``
    Plays a run of ``event`` while the link is cut: start, ``steps`` progress
    increments of ``step``, finish; prints ``PENDING <n>`` and the badge text, waits
    for a line on stdin (the link is back), then runs frames until everything synced
    and prints a JSON summary (events seen, milestones, handles).

pygame runs on SDL's dummy drivers. The emulator is reached over HTTP only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from kraty_pygame.component import (
    KRATY_CONNECTION,
    KRATY_MILESTONE,
    KRATY_REQUEST_DONE,
    KRATY_REQUEST_FAILED,
    KRATY_SYNC,
    KratyComponent,
    SyncBadge,
)
from kraty_pygame.component.handles import RequestHandle
from kraty_pygame.sdk import FileSecretStore, Kraty, RetryConfig

TAP_EVENT = "tap_frenzy"


def _component(config: dict[str, Any]) -> KratyComponent:
    kraty = Kraty(
        config["api_key"],
        base_url=config["base_url"],
        secret_store=FileSecretStore(Path(config["store"])),
        retry=RetryConfig(attempts=3, initial_delay=0.01, max_delay=0.1),
        timeout=float(config.get("timeout", 3.0)),
    )
    outbox = config.get("outbox")
    return KratyComponent(
        kraty,
        owns_kraty=True,
        sync_time_at_start=False,
        outbox=Path(outbox) if outbox else True,
    )


def _write(component: KratyComponent, write: dict[str, Any]) -> RequestHandle[Any]:
    op, tag, target = write["op"], write.get("tag", ""), write.get("target", "")
    if op == "debit":
        return component.wallet.debit("gold", amount=1, reason=tag)
    if op == "consume":
        return component.inventory.consume("health_potion", quantity=1, reason=tag)
    if op == "claim":
        return component.grants.claim(target)
    if op == "progress":
        return component.events.progress(TAP_EVENT, target, mode="increment", metric_value=1)
    raise ValueError(f"unknown op {op!r}")


def _frame(component: KratyComponent, seen: dict[str, int]) -> list[pygame.event.Event]:
    component.update()
    events = pygame.event.get()
    for event in events:
        name = {
            KRATY_SYNC: "sync",
            KRATY_MILESTONE: "milestone",
            KRATY_REQUEST_DONE: "done",
            KRATY_REQUEST_FAILED: "failed",
            KRATY_CONNECTION: "connection",
        }.get(event.type)
        if name is not None:
            seen[name] = seen.get(name, 0) + 1
    return events


def _start_pygame() -> None:
    pygame.init()
    pygame.display.set_mode((64, 64))


def run_quit(config: dict[str, Any]) -> None:
    _start_pygame()
    component = _component(config)
    for write in config["plan"]:
        _write(component, write)
        component.update()
    print("WROTE", len(config["plan"]), flush=True)
    pygame.quit()
    sys.exit(0)


def run_close(config: dict[str, Any]) -> None:
    _start_pygame()
    component = _component(config)
    handles = [_write(component, write) for write in config["plan"]]
    component.update()
    report = component.close(timeout=float(config.get("close_timeout", 0.5)))
    queued = sum(1 for h in handles if h.queued)
    print(json.dumps({"close_pending": report.pending_writes, "queued": queued}), flush=True)
    pygame.quit()


def run_drain(config: dict[str, Any]) -> None:
    _start_pygame()
    component = _component(config)
    seen: dict[str, int] = {}
    deadline = time.monotonic() + float(config.get("seconds", 5.0))
    synced_since: float | None = None
    while time.monotonic() < deadline:
        _frame(component, seen)
        if config.get("until_synced"):
            if component.stats.pending_writes == 0:
                synced_since = synced_since or time.monotonic()
                if time.monotonic() - synced_since > 0.5:
                    break
            else:
                synced_since = None
        component.wait_for_results(0.02)
    pending = component.stats.pending_writes
    report = component.close(timeout=5.0)
    print(json.dumps({"pending": pending, "close_pending": report.pending_writes, **seen}))
    pygame.quit()


def run_chaos(config: dict[str, Any]) -> None:
    _start_pygame()
    component = _component(config)
    log = Path(config["log"])
    done = {int(line) for line in log.read_text().split()} if log.exists() else set()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    print("READY", flush=True)
    seen: dict[str, int] = {}
    for index, write in enumerate(config["plan"]):
        if index in done:
            continue
        _write(component, write)
        os.write(fd, f"{index}\n".encode())  # logged only once the call returned
        _frame(component, seen)
    print("ALL WRITTEN", flush=True)
    while True:  # keep syncing until killed
        _frame(component, seen)
        component.wait_for_results(0.05)


def run_offline(config: dict[str, Any]) -> None:
    _start_pygame()
    component = _component(config)
    badge = SyncBadge()
    seen: dict[str, int] = {}
    milestones: list[str] = []
    event = config.get("event", TAP_EVENT)

    def frame() -> None:
        for e in _frame(component, seen):
            badge.handle_event(e)
            if e.type == KRATY_MILESTONE:
                milestones.append(str(getattr(e.milestone, "key", "")))

    started = time.monotonic()
    start = component.events.start(event)
    attempt = start.provisional_attempt_id
    if attempt is None:  # not recorded offline: the start must have failed
        frame()
        print(json.dumps({"error": repr(start.error)}), flush=True)
        sys.exit(3)
    handles: list[RequestHandle[Any]] = [start]
    for _ in range(int(config.get("steps", 50))):
        handles.append(
            component.events.progress(
                event, attempt, mode="increment", metric_value=float(config.get("step", 0.5))
            )
        )
        frame()
    handles.append(component.events.finish(event, attempt))
    call_ms = (time.monotonic() - started) * 1000.0
    # Reads fail fast while offline.
    read = component.wallet.list()
    read_started = time.monotonic()
    while not read.done and time.monotonic() - read_started < 10:
        frame()
        read.wait(0.02)
    read_s = time.monotonic() - read_started
    for _ in range(20):
        frame()
        time.sleep(0.01)
    pending = component.stats.pending_writes
    print(f"PENDING {pending}", flush=True)
    print(
        json.dumps(
            {
                "badge": badge.label(),
                "online": component.stats.online,
                "queued": sum(1 for h in handles if h.queued),
                "failed_offline": sum(1 for h in handles if h.done and not h.succeeded),
                "read_error": type(read.error).__name__ if read.error else None,
                "read_seconds": read_s,
                "calls_ms": call_ms,
            }
        ),
        flush=True,
    )
    sys.stdin.readline()  # the parent restored the link
    deadline = time.monotonic() + float(config.get("sync_timeout", 60.0))
    while time.monotonic() < deadline and not all(h.done for h in handles):
        frame()
        component.wait_for_results(0.05)
    for _ in range(10):
        frame()
        time.sleep(0.02)
    result = start.result
    summary = {
        "all_done": all(h.done for h in handles),
        "succeeded": sum(1 for h in handles if h.succeeded),
        "errors": [repr(h.error) for h in handles if h.error is not None][:5],
        "attempt_id": getattr(getattr(result, "attempt", None), "id", None),
        "provisional": attempt,
        "milestones": milestones,
        "pending": component.stats.pending_writes,
        "online": component.stats.online,
        "badge": badge.label(),
        **seen,
    }
    report = component.close(timeout=5.0)
    summary["close_pending"] = report.pending_writes
    print(json.dumps(summary), flush=True)
    pygame.quit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["quit", "close", "drain", "chaos", "offline"])
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    config = json.loads(Path(args.config).read_text())
    modes = {
        "quit": run_quit,
        "close": run_close,
        "drain": run_drain,
        "chaos": run_chaos,
        "offline": run_offline,
    }
    modes[args.mode](config)


if __name__ == "__main__":
    main()
