"""One fault at a time: what the SDK reports, what the emulator applied, and safe retries.

The chaos suite mixes every fault at random; these tests pin each case deterministically
(the proxy's ``schedule``) so a regression names its cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import InMemorySecretStore, Kraty, RetryConfig
from kraty_pygame.sdk.errors import KratyApiError, KratyNetworkError, KratyProtocolError
from tests.support.chaos import ServerApi
from tests.support.fault_proxy import FaultKind, FaultProxy

pytestmark = pytest.mark.emulator


@dataclass
class Rig:
    emulator: EmbeddedEmulator
    proxy: FaultProxy
    server: ServerApi
    external_id: str
    secret: str

    def faulty(self, attempts: int) -> Kraty:
        return Kraty(
            self.emulator.client_api_key,
            base_url=self.proxy.url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=self.external_id,
            player_secret=self.secret,
            timeout=1.0,
            retry=RetryConfig(attempts=attempts, initial_delay=0.001, max_delay=0.002),
        )

    def clean(self) -> Kraty:
        return Kraty(
            self.emulator.client_api_key,
            base_url=self.emulator.base_url,
            secret_store=InMemorySecretStore(),
            active_external_player_id=self.external_id,
            player_secret=self.secret,
        )

    def debits(self, reason: str) -> int:
        return sum(1 for row in self.server.ledger() if row.get("reason") == reason)


@pytest.fixture
def rig(kraty_emulator: EmbeddedEmulator) -> Iterator[Rig]:
    server = ServerApi(kraty_emulator)
    with (
        FaultProxy(kraty_emulator.base_url, stall_seconds=3.0) as proxy,
        Kraty(
            kraty_emulator.client_api_key,
            base_url=kraty_emulator.base_url,
            secret_store=InMemorySecretStore(),
        ) as kraty,
    ):
        identity = kraty.ensure_identity()
        try:
            yield Rig(kraty_emulator, proxy, server, identity.external_player_id, identity.secret)
        finally:
            server.close()


def _debit_failure(rig: Rig, kinds: tuple[FaultKind, ...], reason: str) -> BaseException:
    rig.proxy.schedule(*kinds)
    with rig.faulty(len(kinds)) as kraty, pytest.raises((KratyApiError, KratyNetworkError)) as info:
        kraty.wallet.debit("gold", amount=1, reason=reason)
    return info.value


@pytest.mark.parametrize(
    "kind", [FaultKind.RESET_AFTER, FaultKind.TRUNCATE], ids=["reset_after", "truncate"]
)
def test_lost_response_after_commit_is_outcome_unknown_and_retry_is_safe(
    rig: Rig, kind: FaultKind
) -> None:
    err = _debit_failure(rig, (kind,), f"committed-{kind.value}")
    assert isinstance(err, KratyNetworkError)
    assert err.outcome_unknown is True
    assert err.idempotency_key
    assert rig.debits(f"committed-{kind.value}") == 1  # the server did apply it
    with rig.clean() as kraty:
        again = kraty.wallet.debit(
            "gold", amount=1, reason=f"committed-{kind.value}", idempotency_key=err.idempotency_key
        )
        twice = kraty.wallet.debit(
            "gold", amount=1, reason=f"committed-{kind.value}", idempotency_key=err.idempotency_key
        )
    assert again.applied is False and twice.applied is False
    assert rig.debits(f"committed-{kind.value}") == 1


@pytest.mark.parametrize(
    "kind", [FaultKind.RESET_BEFORE, FaultKind.STALL], ids=["reset_before", "stall"]
)
def test_lost_request_is_conservatively_unknown_and_retry_applies_once(
    rig: Rig, kind: FaultKind
) -> None:
    err = _debit_failure(rig, (kind,), f"lost-{kind.value}")
    assert isinstance(err, KratyNetworkError)
    assert err.outcome_unknown is True  # the client cannot know the server never saw it
    assert rig.debits(f"lost-{kind.value}") == 0
    with rig.clean() as kraty:
        first = kraty.wallet.debit(
            "gold", amount=1, reason=f"lost-{kind.value}", idempotency_key=err.idempotency_key
        )
        second = kraty.wallet.debit(
            "gold", amount=1, reason=f"lost-{kind.value}", idempotency_key=err.idempotency_key
        )
    assert first.applied is True and second.applied is False
    assert rig.debits(f"lost-{kind.value}") == 1


def test_refused_connection_is_known_not_applied(rig: Rig) -> None:
    with rig.faulty(2) as kraty, rig.proxy.refusing(), pytest.raises(KratyNetworkError) as info:
        kraty.wallet.debit("gold", amount=1, reason="refused")
    assert info.value.outcome_unknown is False
    assert info.value.idempotency_key
    assert rig.debits("refused") == 0


def test_proxy_statuses_alone_are_definite_failures(rig: Rig) -> None:
    err = _debit_failure(rig, (FaultKind.STATUS_503, FaultKind.STATUS_429), "statuses")
    assert isinstance(err, KratyApiError)
    assert err.status == 429
    assert not getattr(err, "outcome_unknown", False)
    assert rig.debits("statuses") == 0


def test_corrupt_2xx_is_a_protocol_error_with_the_status(rig: Rig) -> None:
    rig.proxy.schedule(FaultKind.CORRUPT)
    with rig.faulty(4) as kraty, pytest.raises(KratyProtocolError) as info:
        kraty.wallet.debit("gold", amount=1, reason="corrupt", idempotency_key="corrupt-key-1")
    assert info.value.status == 200  # the server applied it: the status says so
    assert rig.proxy.counts[FaultKind.CORRUPT] == 1  # never retried
    assert rig.debits("corrupt") == 1
    with rig.clean() as kraty:
        replay = kraty.wallet.debit(
            "gold", amount=1, reason="corrupt", idempotency_key="corrupt-key-1"
        )
    assert replay.applied is False
    assert rig.debits("corrupt") == 1


def test_corrupt_2xx_without_a_caller_key_can_still_be_replayed(rig: Rig) -> None:
    rig.proxy.schedule(FaultKind.CORRUPT)
    with rig.faulty(4) as kraty, pytest.raises(KratyProtocolError) as info:
        kraty.wallet.debit("gold", amount=1, reason="corrupt-generated")
    err = info.value
    assert err.outcome_unknown is True  # a 2xx: applied, answer unreadable
    assert err.idempotency_key  # the key the SDK generated for the call
    assert rig.debits("corrupt-generated") == 1
    with rig.clean() as kraty:
        replay = kraty.wallet.debit(
            "gold", amount=1, reason="corrupt-generated", idempotency_key=err.idempotency_key
        )
    assert replay.applied is False
    assert rig.debits("corrupt-generated") == 1


def test_slow_drip_within_the_timeout_succeeds_once(rig: Rig) -> None:
    rig.proxy.drip_seconds = 0.3
    rig.proxy.schedule(FaultKind.SLOW_DRIP)
    with rig.faulty(1) as kraty:
        result = kraty.wallet.debit("gold", amount=1, reason="drip")
    assert result.applied is True
    assert rig.debits("drip") == 1


def test_retries_through_faults_apply_once(rig: Rig) -> None:
    rig.proxy.schedule(
        FaultKind.RESET_AFTER, FaultKind.TRUNCATE, FaultKind.STATUS_503, FaultKind.NONE
    )
    with rig.faulty(4) as kraty:
        result = kraty.wallet.debit("gold", amount=1, reason="retried")
    assert result.applied is False  # the first attempt applied it; the last one replayed
    assert rig.debits("retried") == 1


def test_status_after_a_committed_attempt_still_says_outcome_unknown(rig: Rig) -> None:
    err = _debit_failure(rig, (FaultKind.RESET_AFTER, FaultKind.STATUS_503), "hidden")
    assert rig.debits("hidden") == 1
    assert getattr(err, "outcome_unknown", False) is True
    assert getattr(err, "idempotency_key", None)
