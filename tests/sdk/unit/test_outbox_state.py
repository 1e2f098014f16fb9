"""The outbox's replay rules: records are idempotent, states only move forward, batches
only form from entries that were still waiting, and foreign entries are never queued."""

from __future__ import annotations

from typing import Any

from kraty_pygame.sdk.outbox._state import (
    APPLIED,
    FAILED,
    IN_FLIGHT,
    RECORDED,
    State,
    decode_record,
    encode_record,
)


def _rec(entry_id: str, player: str | None = "p1", **extra: Any) -> dict[str, Any]:
    return {"t": "rec", "id": entry_id, "op": "wallet.progress", "m": "POST",
            "p": f"/x/{entry_id}", "k": f"key-{entry_id}", "pl": player, "fp": "f",
            "u": "http://h", "at": 1, "o": "o", **extra}  # fmt: skip


def _replay(state: State, records: list[dict[str, Any]]) -> list[str]:
    ended: list[str] = []
    for header in records:
        ended += [e.id for e in state.apply(header, b'{"a":1}' if header["t"] == "rec" else None)]
    return ended


def test_a_record_round_trips_with_its_raw_body() -> None:
    payload = encode_record({"t": "rec", "id": "a", "p": "/é"}, b'{"x":"\\n"}')
    decoded = decode_record(payload)
    assert decoded == ({"t": "rec", "id": "a", "p": "/é"}, b'{"x":"\\n"}')
    assert decode_record(b"not json") is None
    assert decode_record(b'{"no_type":1}') is None


def test_replaying_every_record_twice_changes_nothing() -> None:
    records = [
        _rec("a"),
        _rec("b"),
        {"t": "fly", "id": "a", "at": 5, "srv": 7},
        {"t": "end", "id": "a", "s": APPLIED, "at": 9},
        {"t": "fly", "id": "b", "at": 6, "srv": 8},
    ]
    once = State()
    assert _replay(once, records) == ["a"]
    twice = State()
    _replay(twice, records)
    assert _replay(twice, records) == []  # nothing ends a second time
    for state in (once, twice):
        assert state.entries["a"].state == APPLIED
        assert state.entries["b"].state == IN_FLIGHT
        assert state.entries["b"].fly_server == 8
        assert (state.live_count, state.ended_count) == (1, 1)


def test_states_only_move_forward() -> None:
    state = State()
    _replay(state, [_rec("a"), {"t": "end", "id": "a", "s": FAILED, "at": 1}])
    _replay(state, [{"t": "fly", "id": "a", "at": 2, "srv": 2}])  # too late: ignored
    _replay(state, [{"t": "end", "id": "a", "s": APPLIED, "at": 3}])
    assert state.entries["a"].state == FAILED
    assert state.counts[FAILED] == 1 and state.counts[APPLIED] == 0


def test_a_batch_forms_only_from_waiting_entries_and_ends_them_together() -> None:
    state = State()
    _replay(state, [_rec("a"), _rec("b"), _rec("c"), {"t": "fly", "id": "c", "at": 1}])
    state.apply({"t": "bat", "id": "late", "mem": ["b", "c"], "k": "kb"}, b"{}")
    assert "late" not in state.batches  # c was already in flight: not a batch
    state.apply({"t": "bat", "id": "ab", "mem": ["a", "b"], "k": "kab"}, b"{}")
    assert state.entries["a"].batch == state.entries["b"].batch == "ab"
    _replay(state, [{"t": "fly", "id": "ab", "at": 2, "srv": 2}])
    assert state.entries["a"].state == state.entries["b"].state == IN_FLIGHT
    assert sorted(_replay(state, [{"t": "end", "id": "ab", "s": APPLIED, "at": 3}])) == [
        "a",
        "b",
    ]


def test_each_player_is_served_in_journal_order_and_bound_entries_keep_their_place() -> None:
    state = State()
    _replay(state, [_rec("u1", None), _rec("p", "p1"), _rec("u2", None)])
    assert state.head("p1") is not None and state.head("p1").id == "p"  # type: ignore[union-attr]
    _replay(state, [{"t": "pl", "id": "u1", "pl": "p1"}, {"t": "pl", "id": "u2", "pl": "p1"}])
    assert state.head(None) is None  # moved to the player's queue
    order = [state.head("p1")]
    for entry in state.following(order[0], 10):  # type: ignore[arg-type]
        order.append(entry)
    assert [e.id for e in order if e is not None] == ["u1", "p", "u2"]


def test_entries_of_another_key_or_server_are_kept_but_never_queued() -> None:
    state = State(accept=lambda entry: entry.fingerprint == "mine")
    _replay(state, [_rec("theirs"), _rec("ours", fp="mine")])
    assert state.foreign_count == 1
    assert state.entries["theirs"].foreign
    assert state.head("p1") is not None and state.head("p1").id == "ours"  # type: ignore[union-attr]
    assert [e.id for e in state.live_entries()] == ["ours"]
    assert state.entries["theirs"].state == RECORDED
