"""Where the demo's emulator runs: in this process, or in a child process.

Both expose the few ``EmbeddedEmulator`` controls the demo uses (clock, faults, lobby
promotion, window finalization). The child process is this module run as a script:
it starts an ``EmbeddedEmulator``, prints one JSON line with its URL, then answers
JSON-line commands on stdin until told to stop (or stdin closes). Running it apart
keeps the emulator's threads off the game's GIL while the tour measures the
main thread's cost per frame.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

STARTUP_TIMEOUT = 60.0
#: The ``EmbeddedEmulator`` methods the child process runs on request.
CHILD_OPS = frozenset(
    {"advance_clock", "now", "set_faults", "promote_lobby", "finalize_event", "recent_requests"}
)


class EmulatorHost(Protocol):
    """The emulator controls the demo needs (``EmbeddedEmulator`` has them all)."""

    base_url: str
    client_api_key: str
    server_api_key: str  # the demo config's public test key for /server/v1

    def advance_clock(self, seconds: float) -> datetime: ...

    def now(self) -> datetime: ...

    def set_faults(
        self,
        latency_ms: float = 0,
        fail_rate: float = 0.0,
        break_after_commit_rate: float = 0.0,
        routes: list[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]: ...

    def promote_lobby(self, lobby_id: str) -> dict[str, Any]: ...

    def finalize_event(self, event_key: str) -> dict[str, Any]: ...

    def recent_requests(self, limit: int = 50) -> list[dict[str, Any]]: ...

    def stop(self, timeout: float = 10.0) -> None: ...


def _parse_time(text: str) -> datetime:
    value = text[:-1] + "+00:00" if text.endswith("Z") else text
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_in_process(db: Path | str, *, clock: str = "real") -> EmulatorHost:
    """Start an ``EmbeddedEmulator`` (bundled demo config) in this process."""
    from kraty_pygame.emulator import EmbeddedEmulator  # noqa: PLC0415 - the extra is optional

    emulator = EmbeddedEmulator(db=str(db), clock="real" if clock == "real" else "manual")
    emulator.start()
    return emulator


class SubprocessEmulator:
    """An ``EmbeddedEmulator`` in a child Python process, driven over its stdin/stdout."""

    def __init__(self, db: Path | str, *, clock: str = "real") -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            # this module under the name it was imported by (demo_game in a clone,
            # kraty_pygame.demo once installed)
            [sys.executable, "-m", __name__, "--db", str(db), "--clock", clock],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        hello = self._read_line(STARTUP_TIMEOUT)
        if "base_url" not in hello:
            self.stop()
            raise RuntimeError(f"the emulator process did not start: {hello.get('error', hello)}")
        self.base_url: str = hello["base_url"]
        self.client_api_key: str = hello["client_api_key"]
        self.server_api_key: str = hello["server_api_key"]
        self.pid = self._process.pid

    def _read_line(self, timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        box: list[str] = []
        reader = threading.Thread(
            target=lambda: box.append(self._process.stdout.readline()),  # type: ignore[union-attr]
            name="emulator-host-read",
        )
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self._process.kill()
            reader.join(5)
            raise RuntimeError("the emulator process did not answer in time")
        line = box[0] if box else ""
        if not line:
            return {"error": f"exited with {self._process.poll()}"}
        result: dict[str, Any] = json.loads(line)
        return result

    def _call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._process.poll() is not None or self._process.stdin is None:
                raise RuntimeError("the emulator process has exited")
            self._process.stdin.write(json.dumps({"op": op, "args": args, "kwargs": kwargs}) + "\n")
            self._process.stdin.flush()
            reply = self._read_line(60.0)
        if not reply.get("ok"):
            raise RuntimeError(f"emulator {op} failed: {reply.get('error')}")
        return reply.get("result")

    def advance_clock(self, seconds: float) -> datetime:
        return _parse_time(self._call("advance_clock", seconds))

    def now(self) -> datetime:
        return _parse_time(self._call("now"))

    def set_faults(
        self,
        latency_ms: float = 0,
        fail_rate: float = 0.0,
        break_after_commit_rate: float = 0.0,
        routes: list[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "set_faults",
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            break_after_commit_rate=break_after_commit_rate,
            routes=routes,
            seed=seed,
        )
        return result

    def promote_lobby(self, lobby_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("promote_lobby", lobby_id)
        return result

    def finalize_event(self, event_key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("finalize_event", event_key)
        return result

    def recent_requests(self, limit: int = 50) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("recent_requests", limit)
        return result

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the child to stop, then wait for it (killing it after ``timeout``)."""
        process = self._process
        if process.poll() is None:
            try:
                with self._lock:
                    if process.stdin is not None:
                        process.stdin.write(json.dumps({"op": "stop"}) + "\n")
                        process.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def start(db: Path | str, *, subprocess_mode: bool, clock: str = "real") -> EmulatorHost:
    """Start the demo's emulator in this process or in a child process."""
    if subprocess_mode:
        return SubprocessEmulator(db, clock=clock)
    return start_in_process(db, clock=clock)


# --------------------------------------------------------------------------- child side


def _serve(db: str, clock: str, out: IO[str]) -> int:
    from kraty_pygame.emulator import EmbeddedEmulator  # noqa: PLC0415

    emulator = EmbeddedEmulator(db=db, clock="real" if clock == "real" else "manual")
    try:
        emulator.start()
    except Exception as exc:  # report, then exit non-zero
        out.write(json.dumps({"error": repr(exc)}) + "\n")
        out.flush()
        return 1
    out.write(
        json.dumps(
            {
                "base_url": emulator.base_url,
                "client_api_key": emulator.client_api_key,
                "server_api_key": emulator.server_api_key,
            }
        )
        + "\n"
    )
    out.flush()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            op = request.get("op")
            if op == "stop":
                break
            try:
                if op not in CHILD_OPS:
                    raise ValueError(f"unknown op {op!r}")
                result = getattr(emulator, op)(
                    *request.get("args", []), **request.get("kwargs", {})
                )
                if isinstance(result, datetime):
                    result = result.isoformat()
                reply: dict[str, Any] = {"ok": True, "result": result}
            except Exception as exc:
                reply = {"ok": False, "error": repr(exc)}
            out.write(json.dumps(reply, default=str) + "\n")
            out.flush()
    finally:
        emulator.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Child-process entry point (``python -m demo_game.kraty.emulator_host``)."""
    parser = argparse.ArgumentParser(prog="python -m demo_game.kraty.emulator_host")
    parser.add_argument("--db", required=True)
    parser.add_argument("--clock", choices=("real", "manual"), default="real")
    args = parser.parse_args(argv)
    return _serve(args.db, args.clock, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
