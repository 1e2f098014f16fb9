"""What ``kraty_pygame.doctor`` reads from an outbox folder (without changing it)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kraty_pygame.sdk.errors import OutboxError
from kraty_pygame.sdk.outbox._journal import FORMAT_VERSION, HEADER_SIZE, MAGIC, parse_frames
from kraty_pygame.sdk.outbox._state import State, decode_record

__all__ = ["doctor_directory", "doctor_summary"]


def doctor_summary(directory: Path) -> Any:
    """Pending writes and set-aside journals of an outbox folder (the doctor's
    ``OutboxSummary``); reads only.

    Raises:
        OutboxError: the journal was written by a newer version of this library.
        OSError: the folder cannot be read.
    """
    # the doctor's own type, looked up at run time (the doctor imports this package)
    summary_type = importlib.import_module("kraty_pygame.doctor").OutboxSummary

    journal = Path(directory) / "journal"
    state = State()
    if journal.exists():
        data = journal.read_bytes()
        if len(data) >= HEADER_SIZE and data[:8] == MAGIC:
            version = int.from_bytes(data[8:12], "little")
            if version > FORMAT_VERSION:
                raise OutboxError(
                    f"{journal} was written by a newer version of kraty_pygame (format {version})"
                )
            payloads, _end, _stopped = parse_frames(data, HEADER_SIZE)
            for payload in payloads:
                decoded = decode_record(payload)
                if decoded is not None:
                    state.apply(*decoded)
    aside = tuple(sorted(Path(directory).glob("journal.corrupt-*")))
    return summary_type(Path(directory), state.live_count, aside)


def doctor_directory(config: Any) -> Path:
    """The outbox folder a component uses by default for ``config``'s server and key
    (beside the default secret store)."""
    from kraty_pygame.sdk._secret_store import default_store_path  # noqa: PLC0415

    prefix, dot, _rest = str(config.api_key).partition(".")
    store = default_store_path(str(config.base_url), prefix if dot else "")
    return store.with_name(store.stem + ".outbox")
