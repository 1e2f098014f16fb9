"""What the fault proxy can do: fault kinds, their rates, and its view of a request."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields

from tests.support.http_wire import header_value


class FaultKind(enum.StrEnum):
    """What the proxy does with one request (``refuse``: with one new connection)."""

    NONE = "none"
    REFUSE = "refuse"
    RESET_BEFORE = "reset_before"
    RESET_AFTER = "reset_after"
    STALL = "stall"
    STATUS_503 = "status_503"
    STATUS_429 = "status_429"
    TRUNCATE = "truncate"
    CORRUPT = "corrupt"
    SLOW_DRIP = "slow_drip"


#: Faults chosen per request (``refuse`` is chosen per new connection).
REQUEST_FAULTS: tuple[FaultKind, ...] = (
    FaultKind.RESET_BEFORE,
    FaultKind.RESET_AFTER,
    FaultKind.STALL,
    FaultKind.STATUS_503,
    FaultKind.STATUS_429,
    FaultKind.TRUNCATE,
    FaultKind.CORRUPT,
    FaultKind.SLOW_DRIP,
)
ALL_FAULTS: tuple[FaultKind, ...] = (FaultKind.REFUSE, *REQUEST_FAULTS)
#: Faults after which the server has applied the request although the client saw no
#: usable answer (the request was forwarded and committed).
COMMITTED_FAULTS: frozenset[FaultKind] = frozenset(
    {FaultKind.RESET_AFTER, FaultKind.TRUNCATE, FaultKind.CORRUPT}
)


@dataclass(frozen=True)
class FaultRates:
    """Probability of each fault kind, in [0, 1].

    ``refuse`` is drawn once per new connection; the others once per request and must
    sum to at most 1 (the rest passes through untouched).
    """

    refuse: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0
    stall: float = 0.0
    status_503: float = 0.0
    status_429: float = 0.0
    truncate: float = 0.0
    corrupt: float = 0.0
    slow_drip: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"rate {f.name}={value} is outside [0, 1]")
        if sum(self.rate(kind) for kind in REQUEST_FAULTS) > 1.0 + 1e-9:
            raise ValueError("per-request fault rates sum to more than 1")

    def rate(self, kind: FaultKind) -> float:
        """The rate of one kind (0 for ``none``)."""
        if kind is FaultKind.NONE:
            return 0.0
        value: float = getattr(self, kind.value)
        return value

    @property
    def request_total(self) -> float:
        """Probability that a request gets some fault."""
        return sum(self.rate(kind) for kind in REQUEST_FAULTS)

    @classmethod
    def spread(cls, total: float, kinds: Iterable[FaultKind] = ALL_FAULTS) -> FaultRates:
        """``total`` split evenly over ``kinds`` (``refuse`` gets the same share per connection)."""
        chosen = [k for k in kinds if k is not FaultKind.NONE]
        if not chosen:
            return cls()
        share = total / len(chosen)
        return cls(**{k.value: share for k in chosen})


@dataclass(frozen=True)
class RequestHead:
    """The parsed head of one request as the proxy saw it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), or ``None``."""
        return header_value(self.headers, name)

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]


@dataclass(frozen=True)
class Decision:
    """One fault decision, in the order the proxy made them."""

    index: int
    kind: FaultKind
    method: str
    target: str


def default_should_fault(head: RequestHead) -> bool:
    """Fault everything except the emulator's control plane and event streams."""
    if head.path.startswith("/_emulator"):
        return False
    accept = head.header("accept") or ""
    return "text/event-stream" not in accept
