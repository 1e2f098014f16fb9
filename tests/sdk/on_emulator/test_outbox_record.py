"""``Outbox.record``: a repeated durable call reuses the request the SDK built for the
first one, and is recorded (and delivered) exactly as the SDK would have recorded it."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.emulator import EmbeddedEmulator
from kraty_pygame.sdk import FileSecretStore, Kraty, KratyConfigError, RetryConfig
from kraty_pygame.sdk.outbox import Outbox, Recorded
from kraty_pygame.sdk.outbox._journal import parse_frames
from kraty_pygame.sdk.outbox._outbox import _ids, _memo_key
from tests.support.outbox_support import ledger_reasons, open_kraty

_OFFLINE = "http://127.0.0.1:9"


def _offline(tmp_path: Path, **options: Any) -> Kraty:
    return Kraty(
        "kr_test.client-demo",
        base_url=_OFFLINE,
        secret_store=FileSecretStore(tmp_path / "ids.json"),
        retry=RetryConfig(attempts=1),
        active_external_player_id="player_r",
        player_secret="s" * 32,
        outbox=Outbox(tmp_path / "outbox", max_backoff_s=600),
        **options,
    )


def _records(directory: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = (directory / "journal").read_bytes()
    payloads, _end, stopped = parse_frames(data, 16)
    assert not stopped
    out = []
    for payload in payloads:
        head, _sep, body = payload.partition(b"\n")
        header = json.loads(head)
        if header["t"] == "rec":
            out.append((header, json.loads(body) if body else {}))
    return out


def _without_unique_parts(record: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    header, body = record
    header = {k: v for k, v in header.items() if k not in ("id", "k", "at")}
    body = {k: v for k, v in body.items() if k != "idempotencyKey"}
    return header, body


CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("events.progress", ("tap_frenzy", "att_1"), {"mode": "increment", "metric_value": 2}),
    ("events.progress", ("tap_frenzy", "att_1"), {"mode": "set", "metric_value": 2.5}),
    ("events.finish", ("tap_frenzy", "att_1"), {}),
    ("wallet.progress", ("xp",), {"amount": 3, "reason": 'quest é "1"'}),
    ("wallet.debit", ("gold",), {"amount": 1, "reason": None}),
    ("leaderboards.submit_score", ("weekly", 12.0), {}),
]


def _bound(kraty: Kraty, name: str) -> Any:
    area, method = name.split(".")
    return getattr(getattr(kraty, area), method)


def test_repeated_calls_are_recorded_as_the_sdk_records_them(tmp_path: Path) -> None:
    kraty = _offline(tmp_path)
    outbox = kraty.outbox
    assert outbox is not None
    signals: list[Recorded] = []
    for name, args, kwargs in CALLS:
        try:  # the SDK's own capture: the reference
            with outbox.capture():
                _bound(kraty, name)(*args, **kwargs)
        except Recorded as signal:
            signals.append(signal)
        for _ in range(2):  # the first runs the SDK method, the second reuses it
            signals.append(outbox.record(_bound(kraty, name), *args, **kwargs))
    assert len(outbox._memo) == len(CALLS)
    assert outbox.pending_count == 3 * len(CALLS)
    kraty.close()
    records = _records(tmp_path / "outbox")
    assert len(records) == 3 * len(CALLS)
    for index, (name, _args, _kwargs) in enumerate(CALLS):
        group = records[3 * index : 3 * index + 3]
        assert {h["op"] for h, _b in group} == {name}
        reference = _without_unique_parts(group[0])
        assert _without_unique_parts(group[1]) == reference
        assert _without_unique_parts(group[2]) == reference
        keys = [h["k"] for h, _b in group]
        assert len(set(keys)) == 3
        assert all(b["idempotencyKey"] == h["k"] for h, b in group)
    # every signal names its own entry and key
    assert [s.entry_id for s in signals] == [h["id"] for h, _b in records]
    assert [s.idempotency_key for s in signals] == [h["k"] for h, _b in records]


def test_calls_that_differ_in_type_or_value_are_not_reused(tmp_path: Path) -> None:
    kraty = _offline(tmp_path)
    outbox = kraty.outbox
    assert outbox is not None
    for value in (1, 1.0, 1, 1.0, -0.0, 0.0):
        outbox.record(kraty.events.progress, "e", "a", mode="increment", metric_value=value)
    kraty.close()
    values = [json.dumps(b["metricValue"]) for _h, b in _records(tmp_path / "outbox")]
    assert values == ["1", "1.0", "1", "1.0", "-0.0", "0.0"]


def test_invalid_arguments_raise_every_time_and_are_never_reused(tmp_path: Path) -> None:
    kraty = _offline(tmp_path)
    outbox = kraty.outbox
    assert outbox is not None
    for _ in range(2):
        with pytest.raises(KratyConfigError):
            outbox.record(kraty.events.progress, "e", "a", mode="sideways", metric_value=1)
        with pytest.raises(TypeError):
            outbox.record(kraty.events.progress, "e", "a", "b", "c", "d")
    # a call that is not a durable write of the active player is refused, not recorded
    with pytest.raises(KratyConfigError, match="only durable writes"):
        outbox.record(kraty.wallet.progress, "xp", amount=1, as_="someone_else")
    assert outbox.pending_count == 0
    assert not outbox._memo
    kraty.close()


def test_arguments_that_are_not_plain_values_always_run_the_sdk_method(tmp_path: Path) -> None:
    kraty = _offline(tmp_path)
    outbox = kraty.outbox
    assert outbox is not None
    metrics = {"kills": 1}
    outbox.record(kraty.events.progress, "e", "a", mode="increment", metrics=metrics)
    metrics["kills"] = 5  # a dict may change between calls: never reused
    outbox.record(kraty.events.progress, "e", "a", mode="increment", metrics=metrics)
    assert not outbox._memo
    kraty.close()
    assert [b["metrics"] for _h, b in _records(tmp_path / "outbox")] == [
        {"kills": 1},
        {"kills": 5},
    ]


def test_the_reuse_key_tells_players_apart() -> None:
    def fn() -> None:
        pass

    assert _memo_key(fn, ("e",), {"x": 1}, "p1") != _memo_key(fn, ("e",), {"x": 1}, "p2")
    assert _memo_key(fn, ("e",), {"x": 1}, "p1") == _memo_key(fn, ("e",), {"x": 1}, "p1")
    assert _memo_key(fn, ({"a": 1},), {}, "p1") is None


def test_the_reuse_key_tells_equal_values_of_other_types_apart() -> None:
    def fn() -> None:
        pass

    # True == 1 == 1.0 and 0.0 == -0.0 == 0 == False in Python: never the same request
    values: list[object] = [1, True, 1.0, 0, False, 0.0, -0.0, "1", None]
    keys = [_memo_key(fn, (v,), {"x": v}, "p1") for v in values]
    assert all(key is not None for key in keys)
    for i, key in enumerate(keys):
        for j, other in enumerate(keys):
            assert (key == other) == (i == j), (values[i], values[j])


def test_an_entry_id_and_key_drawn_together_are_an_id_and_a_version_4_uuid() -> None:
    seen = set()
    for _ in range(200):
        entry_id, key = _ids.entry_id_and_key()
        assert re.fullmatch(r"[0-9a-f]{24}", entry_id)
        parsed = uuid.UUID(hex=key)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert parsed.hex == key
        seen.add(entry_id)
    assert len(seen) == 200


def test_ids_made_without_system_calls_differ_in_a_forked_child() -> None:
    before = _ids.hex(24)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, (_ids.hex(24) + _ids.uuid4_hex()).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    os.close(read)
    os.close(write)
    mine = _ids.hex(24) + _ids.uuid4_hex()
    assert child != mine and before not in (child[:24], mine[:24])
    assert mine[24 + 12] == "4"  # a version-4 UUID, as the SDK's own keys


@pytest.mark.emulator
def test_reused_requests_are_delivered_and_applied_once_each(
    kraty_emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    kraty = open_kraty(kraty_emulator.base_url, kraty_emulator.client_api_key, tmp_path)
    with kraty:
        kraty.ensure_identity()
        outbox = kraty.outbox
        assert outbox is not None
        keys = {
            outbox.record(kraty.wallet.progress, "xp", amount=1, reason="again").idempotency_key
            for _ in range(20)
        }
        assert len(keys) == 20
        assert outbox.flush(30) == 0
        assert outbox.stats().applied == 20
    assert ledger_reasons(kraty_emulator)["again"] == 20


def test_every_reusable_operation_is_a_declared_durable_write() -> None:
    from kraty_pygame.sdk._operation import declared_operations
    from kraty_pygame.sdk.outbox._outbox import _PURE_OPS

    durable = {op.name for op in declared_operations() if op.durable}
    assert durable >= _PURE_OPS
