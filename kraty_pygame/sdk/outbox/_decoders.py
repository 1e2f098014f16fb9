"""Result decoders by operation name, for writes recorded by an earlier run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["decoder_for"]


def decoder_for(operation: str) -> Callable[[Any], Any] | None:
    """The function that turns an ``applied`` notice's ``data`` into what the SDK
    method returns (``"events.progress"`` -> ``ProgressResponse``), or None when the
    operation has no model (its ``data`` is then the raw JSON)."""
    from kraty_pygame.sdk.models.events import (  # noqa: PLC0415 - only when used
        FinishAttemptResponse,
        ProgressResponse,
        StartAttemptResponse,
    )
    from kraty_pygame.sdk.models.grants import Grant, OpenCrateResponse  # noqa: PLC0415
    from kraty_pygame.sdk.models.inventory import ConsumeItemResult  # noqa: PLC0415
    from kraty_pygame.sdk.models.leaderboards import LeaderboardScoreResult  # noqa: PLC0415
    from kraty_pygame.sdk.models.wallet import (  # noqa: PLC0415
        DebitWalletResult,
        ProgressWalletResult,
    )

    table: dict[str, Callable[[Any], Any]] = {
        "events.start": StartAttemptResponse.from_wire,
        "events.progress": ProgressResponse.from_wire,
        "events.finish": FinishAttemptResponse.from_wire,
        "wallet.debit": DebitWalletResult.from_wire,
        "wallet.progress": ProgressWalletResult.from_wire,
        "inventory.consume": ConsumeItemResult.from_wire,
        "grants.claim": Grant.from_wire,
        "grants.open": OpenCrateResponse.from_wire,
        "grants.grant": Grant.from_wire,
        "leaderboards.submit_score": LeaderboardScoreResult.from_wire,
    }
    return table.get(operation)
