"""What tests that build ``Kraty`` clients share: the factory type, its target, fast retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from kraty_pygame.sdk import Kraty, RetryConfig

#: Retries without waiting between attempts, so failure paths run at full speed.
ZERO_BACKOFF = RetryConfig(initial_delay=0.0, max_delay=0.0, jitter=0.0)

#: ``make_kraty(**options)``: builds a client; keyword options override the defaults.
KratyFactory = Callable[..., Kraty]


class Endpoint(NamedTuple):
    """Where ``make_kraty`` points its clients: an API key and a base URL."""

    api_key: str
    base_url: str
