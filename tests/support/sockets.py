"""Which of this process's TCP sockets are open to a port (Linux ``/proc``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["client_sockets_to"]


def client_sockets_to(port: int) -> set[int]:
    """Inodes of this process's open TCP sockets whose remote end is ``port`` (an fd that
    is still open counts, whatever the connection's state)."""
    ours: set[int] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            ours.add(int(target[8:-1]))
    found: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            inode = int(fields[9])
            if remote_port == port and inode in ours:
                found.add(inode)
    return found
