"""The chaos suite's records: its configuration, each write and the verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kraty_pygame.sdk.errors import KratyProtocolError

OPS: tuple[str, ...] = ("debit", "consume", "claim", "open", "progress", "start")
#: Ops judged per write; the others per group (attempt / player).
PER_WRITE_OPS = frozenset({"debit", "consume", "claim", "open"})
TAP_EVENT = "tap_frenzy"
PAID_EVENT = "bounty_hunt"
MAX_TAPS_PER_PLAYER = 25  # one attempt per player, below the 30-tap target
MAX_PAID_STARTS = 3  # bounty_hunt allows 3 attempts per window
REWARD_ENTRY: dict[str, Any] = {"type": "currency", "currencyKey": "gold", "amount": 1}
CRATE_ENTRY: dict[str, Any] = {"type": "crate", "crateItemKey": "crate_gold", "quantity": 1}


class Emulator(Protocol):
    """What the engine needs from ``EmbeddedEmulator``."""

    base_url: str
    client_api_key: str
    server_api_key: str

    def state(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ChaosConfig:
    """One chaos run.

    Attributes:
        writes: writes issued in the chaos phase.
        players: players writing (each has its own ``Kraty``).
        threads: client threads (players are split between them).
        fault_rate: share of requests that get a fault (spread over every kind).
        seed: seeds the op schedule and the proxy.
        timeout: SDK per-attempt timeout (a stalled request ends here).
        stall_seconds: how long the proxy holds a stalled request at most.
        weights: relative frequency of each op.
        retry_attempts: per player (cycled): the SDK's retry budget (1 = no retries).
    """

    writes: int = 300
    players: int = 8
    threads: int = 4
    fault_rate: float = 0.30
    seed: int = 20_260_615
    timeout: float = 1.5
    stall_seconds: float = 2.0
    weights: tuple[tuple[str, float], ...] = (
        ("debit", 0.22),
        ("consume", 0.18),
        ("claim", 0.14),
        ("open", 0.10),
        ("progress", 0.30),
        ("start", 0.06),
    )
    retry_attempts: tuple[int, ...] = (4, 1)


@dataclass
class Write:
    """One write of the run and what the client reported for it."""

    index: int
    player: int
    op: str
    tag: str
    target: str = ""
    keys: list[str] = field(default_factory=list)  # keys the SDK generated for it
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    @property
    def key(self) -> str | None:
        """The key to retry with: the error's, else the one the SDK generated."""
        from_error = getattr(self.error, "idempotency_key", None)
        if isinstance(from_error, str) and from_error:
            return from_error
        return self.keys[0] if self.keys else None

    @property
    def flagged_unknown(self) -> bool:
        """The error says the write may have been applied."""
        return bool(getattr(self.error, "outcome_unknown", False))

    @property
    def server_said_2xx(self) -> bool:
        """A 2xx arrived but its body was unreadable (the server applied the write)."""
        err = self.error
        return isinstance(err, KratyProtocolError) and 200 <= int(err.status or 0) < 300

    @property
    def may_be_applied(self) -> bool:
        return self.flagged_unknown or self.server_said_2xx


@dataclass
class Player:
    index: int
    external_id: str
    secret: str
    attempts: int
    rewards: list[str] = field(default_factory=list)
    crates: list[str] = field(default_factory=list)
    tap_attempt: str = ""


@dataclass
class Judgement:
    """How the ledger compares with what the client reported."""

    applied_once: int = 0
    applied_twice: int = 0
    lost_acknowledged: int = 0
    failed_not_applied: int = 0
    failed_applied_flagged: int = 0
    failed_applied_unflagged: int = 0
    unflagged_after_status: int = 0  # of the above: a final 429/5xx hid an earlier commit
    problems: list[str] = field(default_factory=list)


@dataclass
class ChaosReport:
    """What a run measured; :meth:`lines` is what the suites print."""

    writes_issued: int
    faults: dict[str, int]
    reported_done: int
    reported_failed: int
    outcome_unknown: int
    server_said_2xx: int
    phase1: Judgement
    retried: int
    unretryable: int
    retry_replays: int
    final: Judgement
    duration_s: float
    ops: dict[str, int]
    phases: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"writes issued: {self.writes_issued}"]
        out += [f"faults {kind}: {n}" for kind, n in self.faults.items()]
        out += [
            f"applied once: {self.phase1.applied_once}",
            f"applied twice: {self.phase1.applied_twice + self.final.applied_twice}",
            f"lost acknowledged: {self.phase1.lost_acknowledged + self.final.lost_acknowledged}",
            f"outcome unknown: {self.outcome_unknown}",
            f"reported done: {self.reported_done}",
            f"reported failed: {self.reported_failed}",
            f"failed, not applied: {self.phase1.failed_not_applied}",
            f"failed, server said 2xx (body unreadable): {self.server_said_2xx}",
            "failed, applied, said so (outcome_unknown or 2xx): "
            f"{self.phase1.failed_applied_flagged}",
            f"failed, applied, not flagged: {self.phase1.failed_applied_unflagged}",
            f"retried with idempotency_key: {self.retried}",
            f"left failed (no key to retry with): {self.unretryable}",
            f"replays that applied again: {self.retry_replays}",
            f"applied exactly once after retries: {self.final.applied_once}/{self.writes_issued}",
            "ops: " + ", ".join(f"{op}={n}" for op, n in sorted(self.ops.items())),
            f"duration: {self.duration_s:.1f} s ("
            + ", ".join(f"{name} {sec:.1f} s" for name, sec in self.phases.items())
            + ")",
        ]
        out += [f"note: {p}" for p in self.phase1.problems[:10]]
        return out
