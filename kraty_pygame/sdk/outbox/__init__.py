"""The durable outbox: writes recorded on disk first, then delivered exactly once.

See docs/offline.md for the guarantees and their limits.
"""

from kraty_pygame.sdk.errors import OutboxError, OutboxWriteError
from kraty_pygame.sdk.outbox._decoders import decoder_for
from kraty_pygame.sdk.outbox._doctor import doctor_directory, doctor_summary
from kraty_pygame.sdk.outbox._journal import FORMAT_VERSION
from kraty_pygame.sdk.outbox._outbox import (
    DEFAULT_WINDOW_S,
    Capture,
    Outbox,
    OutboxNotice,
    OutboxStats,
    Recorded,
    api_key_fingerprint,
    default_outbox_dir,
)

__all__ = [
    "DEFAULT_WINDOW_S",
    "FORMAT_VERSION",
    "Capture",
    "Outbox",
    "OutboxError",
    "OutboxNotice",
    "OutboxStats",
    "OutboxWriteError",
    "Recorded",
    "api_key_fingerprint",
    "decoder_for",
    "default_outbox_dir",
    "doctor_directory",
    "doctor_summary",
]
