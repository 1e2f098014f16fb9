"""A ``kraty-emulator`` subprocess for tests: started, its URL read from its banner, stopped."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

_URL = re.compile(r"listening on (http://\S+)")


class Cli:
    """A ``kraty-emulator`` subprocess whose output is read by a thread into a queue."""

    def __init__(self, *args: str, script: bool = False) -> None:
        exe = Path(sys.executable).with_name("kraty-emulator")
        cmd = [str(exe)] if script else [sys.executable, "-m", "kraty_pygame.emulator"]
        self.proc = subprocess.Popen(
            [*cmd, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def url(self, timeout: float = 60.0) -> str:
        while True:
            line = self.lines.get(timeout=timeout)
            assert line is not None, "".join(self.output)
            found = _URL.search(line)
            if found:
                return found.group(1)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code
