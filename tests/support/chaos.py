"""The chaos engine: mixed writes through the fault proxy, then the emulator's ledger as judge.

A run has three phases.

1. **Chaos.** Several players write at once (debit, consume, claim, open, progress,
   paid start) through a :class:`FaultProxy` that injects faults into ~30 % of the
   requests. Each write is recorded with what the SDK (or the component) reported:
   done, or failed with which error.
2. **Judgement.** The emulator's state (``/_emulator/state``: its wallet/inventory
   ledger, grants and attempts) says how many times each write was applied. Every
   write reported done must be applied exactly once; every write reported failed at
   most once, and when it was applied its error must say the outcome is unknown.
3. **Retry.** Every failed write is retried, still through the faulty proxy, with its
   ``idempotency_key`` until it is done; then every write is replayed once more with its
   key on a clean connection. At the end each write must be applied exactly once.

How a write is found in the ledger:

* ``debit`` / ``consume``: its ``reason`` is a unique tag; count ledger rows with it.
* ``claim``: a reward grant holding one entry; count ledger rows whose
  ``sourceRefId`` is the grant (one per deposit).
* ``open``: count grants whose ``parent_grant_id`` is the crate (one per roll).
* ``progress``: ``increment`` by one on the player's one ``tap_frenzy`` attempt (at
  most 25 per player, so the 30-tap target is never reached); the attempt's
  ``metrics_raw.taps`` is the number applied (judged per attempt).
* ``start``: ``bounty_hunt`` (50 gold); the number of the player's attempts on it is
  the number applied (judged per player); the previous attempt is finished first.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.errors import KratyApiError, KratyNetworkError, KratyProtocolError
from tests.support.chaos_records import (
    CRATE_ENTRY,
    MAX_PAID_STARTS,
    MAX_TAPS_PER_PLAYER,
    OPS,
    PAID_EVENT,
    PER_WRITE_OPS,
    REWARD_ENTRY,
    TAP_EVENT,
    ChaosConfig,
    ChaosReport,
    Emulator,
    Judgement,
    Player,
    Write,
)
from tests.support.chaos_server import KeyRecorder, ServerApi
from tests.support.fault_proxy import ALL_FAULTS, REQUEST_FAULTS, FaultProxy, FaultRates

__all__ = [
    "CRATE_ENTRY",
    "OPS",
    "PAID_EVENT",
    "REWARD_ENTRY",
    "TAP_EVENT",
    "ChaosConfig",
    "ChaosReport",
    "ChaosRun",
    "ServerApi",
    "Write",
    "assert_sound",
    "print_lines",
    "run_chaos",
]


# --------------------------------------------------------------------------- the run


class ChaosRun:
    """Players, their clients, the op schedule and the three phases."""

    def __init__(self, emulator: Emulator, config: ChaosConfig, proxy: FaultProxy) -> None:
        self.emulator = emulator
        self.config = config
        self.proxy = proxy
        self.server = ServerApi(emulator)
        self.rng = random.Random(config.seed)
        self.keys = KeyRecorder(f"chaos{config.seed}")
        self.players: list[Player] = []
        self.writes: list[Write] = []
        self.unretryable: list[Write] = []
        self._housekeeping = threading.Lock()

    # -- setup -------------------------------------------------------------------------
    def clean_kraty(self, player: Player | None = None, **options: Any) -> Kraty:
        """A client straight to the emulator (no faults)."""
        if player is None:
            return Kraty(
                self.emulator.client_api_key,
                base_url=self.emulator.base_url,
                secret_store=InMemorySecretStore(),
                **options,
            )
        return Kraty(
            self.emulator.client_api_key,
            base_url=self.emulator.base_url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=player.external_id,
            player_secret=player.secret,
            **options,
        )

    def faulty_kraty(self, player: Player) -> Kraty:
        """The player's client through the fault proxy, with its retry budget."""
        return Kraty(
            self.emulator.client_api_key,
            base_url=self.proxy.url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=player.external_id,
            player_secret=player.secret,
            timeout=self.config.timeout,
            retry=RetryConfig(attempts=player.attempts, initial_delay=0.005, max_delay=0.02),
            generate_idempotency_key=self.keys,
        )

    def plan(self) -> None:
        """Register players, plan every write, create what the writes need."""
        cfg = self.config
        for i in range(cfg.players):
            attempts = cfg.retry_attempts[i % len(cfg.retry_attempts)]
            self.players.append(Player(i, "", "", attempts))

        def register(player: Player) -> None:
            with self.clean_kraty() as kraty:
                identity = kraty.ensure_identity()
            player.external_id, player.secret = identity.external_player_id, identity.secret

        self.for_each_player(register)
        ops = [op for op, _ in cfg.weights]
        weights = [w for _, w in cfg.weights]
        caps = {"start": MAX_PAID_STARTS, "progress": MAX_TAPS_PER_PLAYER}
        used: Counter[tuple[int, str]] = Counter()
        for i in range(cfg.writes):
            player = self.rng.randrange(cfg.players)
            op = self.rng.choices(ops, weights)[0]
            if op in caps and used[(player, op)] >= caps[op]:
                op = "debit"
            used[(player, op)] += 1
            self.writes.append(Write(i, player, op, f"chaos{cfg.seed}-w{i}"))

        def provision(player: Player) -> None:
            mine = [w for w in self.writes if w.player == player.index]
            self.server.credit(player.external_id, "gold", 1_000_000)
            self.server.grant_item(player.external_id, "health_potion", 100_000)
            if any(w.op == "progress" for w in mine):
                with self.clean_kraty(player) as kraty:
                    player.tap_attempt = kraty.events.start(TAP_EVENT).attempt.id
            for w in mine:
                if w.op == "claim":
                    w.target = self.server.create_grant(player.external_id, "reward", REWARD_ENTRY)
                elif w.op == "open":
                    w.target = self.server.create_grant(player.external_id, "crate", CRATE_ENTRY)
                elif w.op == "progress":
                    w.target = player.tap_attempt

        self.for_each_player(provision)

    def for_each_player(self, fn: Callable[[Player], None]) -> None:
        """``fn(player)`` for every player, ``config.threads`` players at a time."""
        pending = list(self.players)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def loop() -> None:
            while True:
                with lock:
                    if not pending or errors:
                        return
                    player = pending.pop(0)
                try:
                    fn(player)
                except BaseException as exc:  # re-raised after the join
                    with lock:
                        errors.append(exc)

        threads = [
            threading.Thread(target=loop, name=f"chaos-setup-{i}")
            for i in range(min(self.config.threads, len(self.players)))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        assert not any(t.is_alive() for t in threads), "a chaos helper thread did not finish"
        if errors:
            raise errors[0]

    # -- housekeeping before a write (never through the proxy) ---------------------------
    def prepare(self, player: Player, write: Write) -> None:
        """Before a paid start: finish the player's open paid attempt (a new start would
        only return the open one)."""
        if write.op != "start":
            return
        with self._housekeeping:
            for attempt in self.server.state()["attempts"]:
                if (
                    attempt["external_id"] == player.external_id
                    and attempt["event_key"] == PAID_EVENT
                    and attempt["status"] == "in_progress"
                ):
                    self.server.finish_attempt(player.external_id, PAID_EVENT, attempt["id"])

    # -- the writes ----------------------------------------------------------------------
    @staticmethod
    def call(kraty: Kraty, write: Write, key: str | None = None, amount: int = 1) -> Any:
        """Issue one write on ``kraty`` (with ``key`` when retrying; ``amount``: the size
        of a merged progress request)."""
        if write.op == "debit":
            return kraty.wallet.debit("gold", amount=1, reason=write.tag, idempotency_key=key)
        if write.op == "consume":
            return kraty.inventory.consume(
                "health_potion", quantity=1, reason=write.tag, idempotency_key=key
            )
        if write.op == "claim":
            return kraty.grants.claim(write.target, idempotency_key=key)
        if write.op == "open":
            return kraty.grants.open(write.target, idempotency_key=key)
        if write.op == "progress":
            return kraty.events.progress(
                TAP_EVENT,
                write.target,
                mode="increment",
                metric_value=amount,
                idempotency_key=key,
            )
        if write.op == "start":
            return kraty.events.start(PAID_EVENT, idempotency_key=key)
        raise AssertionError(write.op)

    def run_sdk(self) -> None:
        """Phase 1 with the SDK called directly from several threads."""
        groups: list[list[Player]] = [[] for _ in range(self.config.threads)]
        for player in self.players:
            groups[player.index % self.config.threads].append(player)
        errors: list[BaseException] = []

        def worker(mine: list[Player]) -> None:
            owned = {p.index for p in mine}
            clients = {p.index: self.faulty_kraty(p) for p in mine}
            try:
                for write in self.writes:
                    if write.player not in owned:
                        continue
                    self.prepare(self.players[write.player], write)
                    with self.keys.writing(write):
                        try:
                            write.result = self.call(clients[write.player], write)
                            write.done = True
                        except (KratyApiError, KratyNetworkError) as exc:
                            write.error = exc
            except BaseException as exc:  # surfaced after join
                errors.append(exc)
            finally:
                for client in clients.values():
                    client.close()

        threads = [
            threading.Thread(target=worker, args=(g,), name=f"chaos-{i}")
            for i, g in enumerate(groups)
            if g
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        assert not any(t.is_alive() for t in threads), "a chaos thread did not finish"
        if errors:
            raise errors[0]

    # -- judgement -----------------------------------------------------------------------
    def applied_counts(self) -> tuple[dict[int, int], dict[tuple[str, str], int]]:
        """Per-write counts for per-write ops; per-group counts for progress / start."""
        ledger = self.server.ledger()
        state = self.server.state()
        by_reason: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        for row in ledger:
            if row.get("reason"):
                by_reason[str(row["reason"])] += 1
            if row.get("sourceRefId"):
                by_source[str(row["sourceRefId"])] += 1
        opened: Counter[str] = Counter(
            str(g["parent_grant_id"]) for g in state["grants"] if g.get("parent_grant_id")
        )
        per_write: dict[int, int] = {}
        for w in self.writes:
            if w.op in ("debit", "consume"):
                per_write[w.index] = by_reason[w.tag]
            elif w.op == "claim":
                per_write[w.index] = by_source[w.target]
            elif w.op == "open":
                per_write[w.index] = opened[w.target]
        groups: dict[tuple[str, str], int] = {}
        for attempt in state["attempts"]:
            if attempt["event_key"] == TAP_EVENT:
                raw = attempt.get("metrics_raw") or {}
                groups[("progress", str(attempt["id"]))] = int(raw.get("taps", 0))
            elif attempt["event_key"] == PAID_EVENT:
                key = ("start", str(attempt["external_id"]))
                groups[key] = groups.get(key, 0) + 1
        return per_write, groups

    def group_of(self, write: Write) -> tuple[str, str]:
        if write.op == "progress":
            return ("progress", write.target)
        return ("start", self.players[write.player].external_id)

    def judge(self) -> Judgement:
        per_write, groups = self.applied_counts()
        j = Judgement()
        for w in self.writes:
            if w.op not in PER_WRITE_OPS:
                continue
            n = per_write[w.index]
            if n == 1:
                j.applied_once += 1
            if n > 1:
                j.applied_twice += 1
                j.problems.append(f"twice: write {w.tag} ({w.op}) applied {n} times")
            if w.done and n == 0:
                j.lost_acknowledged += 1
                j.problems.append(f"lost: write {w.tag} ({w.op}) reported done, never applied")
            if not w.done:
                self._judge_failure(j, w, n)
        members: dict[tuple[str, str], list[Write]] = defaultdict(list)
        for w in self.writes:
            if w.op not in PER_WRITE_OPS:
                members[self.group_of(w)].append(w)
        for group, ws in members.items():
            applied = groups.get(group, 0)
            done = sum(w.done for w in ws)
            maybe = [w for w in ws if not w.done and w.may_be_applied]
            failed_applied = max(0, applied - done)
            j.applied_once += min(applied, len(ws))
            if applied > len(ws):
                j.applied_twice += applied - len(ws)
                j.problems.append(f"twice: {group}: {applied} applied for {len(ws)} writes")
            if applied < done:
                j.lost_acknowledged += done - applied
                j.problems.append(f"lost: {group}: {done} reported done, {applied} applied")
            failed = [w for w in ws if not w.done]
            unflagged = max(0, failed_applied - len(maybe))
            j.failed_applied_flagged += min(failed_applied, len(maybe))
            j.failed_applied_unflagged += unflagged
            j.failed_not_applied += len(failed) - min(failed_applied, len(failed))
            if unflagged:
                hidden = [w for w in failed if not w.may_be_applied and _status_error(w.error)]
                j.unflagged_after_status += min(unflagged, len(hidden))
                j.problems.append(
                    f"unflagged: {group}: {failed_applied} failed writes applied, only "
                    f"{len(maybe)} say outcome_unknown "
                    f"({[repr(w.error) for w in failed if not w.may_be_applied]})"
                )
        return j

    @staticmethod
    def _judge_failure(j: Judgement, w: Write, n: int) -> None:
        if n == 0:
            j.failed_not_applied += 1
        elif w.may_be_applied:
            j.failed_applied_flagged += 1
        else:
            j.failed_applied_unflagged += 1
            if _status_error(w.error):
                j.unflagged_after_status += 1
            j.problems.append(f"unflagged: write {w.tag} ({w.op}) applied, reported {w.error!r}")
        if isinstance(w.error, KratyNetworkError) and (
            w.error.idempotency_key is None or w.error.idempotency_key not in w.keys
        ):
            j.problems.append(
                f"key: write {w.tag}: error key {w.error.idempotency_key!r} is not the key "
                f"it was sent with {w.keys}"
            )
        if len(w.keys) > 1:
            j.problems.append(f"key: write {w.tag}: the key generator ran {len(w.keys)} times")

    # -- retries -------------------------------------------------------------------------
    @staticmethod
    def batches(writes: Sequence[Write], *, by_key: bool) -> list[list[Write]]:
        """Writes that went out as one request: a merged progress request (component)
        shares one error object and one key; every other write is its own batch."""
        groups: dict[object, list[Write]] = {}
        for w in writes:
            token: object = w.index
            if w.op == "progress":
                token = ("key", w.key) if by_key and w.key else ("error", id(w.error))
                if w.done and not by_key:
                    token = w.index
            groups.setdefault(token, []).append(w)
        return list(groups.values())

    def retry_failed(self, max_tries: int = 25) -> int:
        """Retry every failed write through the (still faulty) proxy with its key.

        A failed request without a key (a component progress request, which carries no
        caller key so that it can merge, when a status error ended it) is retried with a
        new key only when that is provably safe (a single attempt, answered by a status);
        otherwise it is left failed and listed in ``unretryable``. One whose 2xx body was
        unreadable was applied and is settled without a retry.
        """
        failed = self.batches([w for w in self.writes if not w.done], by_key=False)

        def retry(player: Player) -> None:
            with self.faulty_kraty(player) as kraty:
                for batch in failed:
                    if batch[0].player == player.index:
                        self._retry_batch(kraty, player, batch, max_tries)

        self.for_each_player(retry)
        return sum(len(b) for b in failed)

    def _retry_batch(
        self, kraty: Kraty, player: Player, batch: list[Write], max_tries: int
    ) -> None:
        first = batch[0]
        key = first.key
        if key is None:
            if first.server_said_2xx:
                for w in batch:
                    w.done = True
                return
            if not (player.attempts == 1 and _status_error(first.error)):
                with self._housekeeping:
                    self.unretryable.extend(batch)
                return
            # One attempt answered by a status: definitely not applied, so a new key is safe.
            key = f"{first.tag}-fresh"
        last: BaseException | None = None
        for _ in range(max_tries):
            self.prepare(player, first)
            try:
                result = self.call(kraty, first, key, amount=len(batch))
            except (KratyApiError, KratyNetworkError) as exc:
                last = exc
                continue
            for w in batch:
                w.result, w.done = result, True
                if not w.keys:
                    w.keys.append(key)
            return
        raise AssertionError(f"write {first.tag} still failing after {max_tries} tries: {last!r}")

    def replay_all(self) -> int:
        """Replay every write with its key on a clean connection; count new applications."""
        before_w, before_g = self.applied_counts()
        batches = self.batches([w for w in self.writes if w.key is not None], by_key=True)

        def replay(player: Player) -> None:
            with self.clean_kraty(player) as kraty:
                for batch in batches:
                    first = batch[0]
                    if first.player == player.index and first.key is not None:
                        self.call(kraty, first, first.key, amount=len(batch))

        self.for_each_player(replay)
        after_w, after_g = self.applied_counts()
        changed = sum(after_w[i] != before_w[i] for i in before_w)
        changed += sum(after_g.get(g, 0) != n for g, n in before_g.items())
        return changed


def _status_error(err: BaseException | None) -> bool:
    return isinstance(err, KratyApiError) and not isinstance(err, KratyProtocolError)


def chaos_rates(total: float) -> FaultRates:
    """``total`` of the requests faulted, evenly over the request kinds; a third of that
    for ``refuse``, which is drawn per new connection (keep-alive makes them rarer)."""
    spread = FaultRates.spread(total, REQUEST_FAULTS)
    return dataclasses.replace(spread, refuse=total / 3)


def run_chaos(
    emulator: Emulator,
    config: ChaosConfig,
    *,
    phase1: Callable[[ChaosRun], None] | None = None,
) -> ChaosReport:
    """Run the three phases; ``phase1`` replaces the direct-SDK chaos phase."""
    started = time.monotonic()
    marks: dict[str, float] = {}
    with FaultProxy(
        emulator.base_url,
        rates=chaos_rates(config.fault_rate),
        seed=config.seed,
        stall_seconds=config.stall_seconds,
        drip_seconds=0.1,
    ) as proxy:
        run = ChaosRun(emulator, config, proxy)
        try:
            run.plan()
            marks["setup"] = time.monotonic()
            (phase1 or ChaosRun.run_sdk)(run)
            marks["chaos"] = time.monotonic()
            first = run.judge()
            counts = proxy.counts
            faults = {kind.value: counts.get(kind, 0) for kind in ALL_FAULTS}
            failed = [w for w in run.writes if not w.done]
            marks["judge"] = time.monotonic()
            retried = run.retry_failed()
            marks["retry"] = time.monotonic()
            replays = run.replay_all()
            final = run.judge()
            marks["replay"] = time.monotonic()
        finally:
            run.server.close()
    phases, last = {}, started
    for name, at in marks.items():
        phases[name] = at - last
        last = at
    return ChaosReport(
        writes_issued=len(run.writes),
        faults=faults,
        reported_done=len(run.writes) - len(failed),
        reported_failed=len(failed),
        outcome_unknown=sum(w.flagged_unknown for w in failed),
        server_said_2xx=sum(w.server_said_2xx for w in failed),
        phase1=first,
        retried=retried,
        unretryable=len(run.unretryable),
        retry_replays=replays,
        final=final,
        duration_s=time.monotonic() - started,
        ops=dict(Counter(w.op for w in run.writes)),
        phases=phases,
    )


def assert_sound(report: ChaosReport, *, tolerate_status_gap: bool) -> None:
    """The acceptance: nothing applied twice, nothing acknowledged lost, failures honest."""
    first, final = report.phase1, report.final
    assert first.applied_twice == 0, first.problems
    assert first.lost_acknowledged == 0, first.problems
    unflagged = first.failed_applied_unflagged
    if tolerate_status_gap:
        unflagged -= first.unflagged_after_status
    assert unflagged == 0, first.problems
    assert report.retry_replays == 0
    assert final.applied_twice == 0, final.problems
    assert final.lost_acknowledged == 0, final.problems
    assert final.applied_once + report.unretryable >= report.writes_issued, final.problems
    if not tolerate_status_gap:
        assert report.unretryable == 0
    keys = [p for p in first.problems if p.startswith("key:")]
    assert not keys, keys


def print_lines(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)
