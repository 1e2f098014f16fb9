"""The emulator's SQLite store on a real file: background checkpoints, schema upgrades."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kraty_pygame.emulator import store as store_module
from kraty_pygame.emulator.domain import economy
from kraty_pygame.emulator.store import Store

_CHECKPOINT_THREAD = "kraty-emulator-checkpoint"


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == _CHECKPOINT_THREAD and t.is_alive()]


def _commit_rows(store: Store, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        with store.write() as tx:
            tx.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (f"row-{i}", "x" * 200))


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_file_store_checkpoints_on_a_thread_of_its_own_and_stops_it_on_close(
    tmp_path: Path,
) -> None:
    before = len(_checkpoint_threads())
    store = Store(tmp_path / "emu.sqlite3")
    checkpointer = store._checkpointer
    assert checkpointer is not None
    _commit_rows(store, 350)
    assert _wait_for(lambda: checkpointer.checkpoints >= 1)
    store.close()
    assert len(_checkpoint_threads()) == before
    reopened = Store(tmp_path / "emu.sqlite3")
    try:
        with reopened.read() as conn:
            assert (
                conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'row-%'").fetchone()[0]
                == 350
            )
        assert reopened.integrity_check() == "ok"
    finally:
        reopened.close()


def test_an_idle_checkpointer_thread_ends_and_the_next_commits_start_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_CHECKPOINTER_IDLE_S", 0.2)
    store = Store(tmp_path / "emu.sqlite3")
    checkpointer = store._checkpointer
    assert checkpointer is not None
    try:
        _commit_rows(store, 100)
        assert _wait_for(lambda: checkpointer.checkpoints == 1)
        first = checkpointer._thread
        assert first is not None
        first.join(timeout=20)
        assert not first.is_alive()  # idle: the thread ended by itself
        _commit_rows(store, 100, start=100)
        assert _wait_for(lambda: checkpointer.checkpoints == 2)
        assert checkpointer._thread is not first
    finally:
        store.close()


def test_the_log_starts_over_under_sustained_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's own checkpoint at the backstop size bounds the log even when no
    background checkpoint catches up with the last commit (here: none runs at all).
    With the background thread running, the log can outgrow the backstop only by what
    is committed while one background checkpoint holds the checkpoint lock."""
    monkeypatch.setattr(store_module, "_WAL_BACKSTOP_PAGES", 100)
    monkeypatch.setattr(store_module, "_COMMITS_PER_CHECKPOINT", 10**9)
    db = tmp_path / "emu.sqlite3"
    store = Store(db)
    commits = 2_000  # each one writes at least one page to the log
    try:
        _commit_rows(store, commits)
        pages = (Path(f"{db}-wal").stat().st_size - 32) // (4096 + 24)
        assert pages <= 100 + 10, pages
        with store.read() as conn:
            count = conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'row-%'").fetchone()[0]
        assert count == commits
        assert store._checkpointer is not None and store._checkpointer.checkpoints == 0
    finally:
        store.close()


def test_memory_stores_have_no_checkpointer() -> None:
    store = Store(":memory:")
    try:
        assert store._checkpointer is None
        _commit_rows(store, 120)
    finally:
        store.close()


def test_another_connection_sees_every_commit_while_checkpoints_run(tmp_path: Path) -> None:
    """Commits are all there for another opener, whether a background checkpoint
    already copied them into the database file or they are still in the log."""
    db = tmp_path / "emu.sqlite3"
    store = Store(db)
    _commit_rows(store, 750)
    # A second connection sees exactly what was committed, as a new process would.
    other = sqlite3.connect(db)
    try:
        assert (
            other.execute("SELECT count(*) FROM meta WHERE key LIKE 'row-%'").fetchone()[0] == 750
        )
        assert other.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        other.close()
        store.close()


# ------------------------------------------------------------ schema upgrades


def _older_database(path: Path, before: str) -> sqlite3.Connection:
    """A database as an emulator that knew only the schema files before ``before`` left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE schema_migrations "
        "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    for name, sql in store_module._schema_files():
        if name >= before:
            break
        for statement in store_module._split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
    return conn


def test_a_state_file_from_before_the_plain_ledger_ids_keeps_its_ledger(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    now = "2026-01-01T09:00:00.000Z"
    conn = _older_database(db, "0300")
    assert (
        "AUTOINCREMENT"
        in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ledger'").fetchone()[0]
    )
    conn.execute(
        "INSERT INTO players(id, external_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
        ("p-old", "kp_old", now, now),
    )
    conn.execute(
        "INSERT INTO wallet(player_id, economy_key, balance, created_at, updated_at) "
        "VALUES ('p-old', 'gold', 30, ?, ?)",
        (now, now),
    )
    for after in (10, 20, 30):
        conn.execute(
            "INSERT INTO ledger(player_id, kind, key, delta, after, reason, origin, occurred_at)"
            " VALUES ('p-old', 'wallet', 'gold', 10, ?, 'server_credit', 'server', ?)",
            (after, now),
        )
    conn.close()

    store = Store(db)
    try:
        with store.read() as conn:
            ledger_sql = conn.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'ledger'"
            ).fetchone()[0]
            indexes = [r[0] for r in conn.execute("PRAGMA index_list(ledger)")]
            rows = conn.execute("SELECT id, after FROM ledger ORDER BY id").fetchall()
        assert "AUTOINCREMENT" not in ledger_sql
        assert indexes == []
        assert [tuple(r) for r in rows] == [(1, 10), (2, 20), (3, 30)]
        with store.write() as tx:
            change = economy.change_balance(
                tx.conn, player_id="p-old", economy_key="gold", delta=5, now=now
            )
        assert (change.ledger_id, change.after) == (4, 35)
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_a_holding_change_replaces_metadata_only_where_given_and_allowed() -> None:
    """An inventory change with metadata replaces the row's; without, it keeps it; a
    wallet change never touches its metadata."""
    store = Store(":memory:")

    def change(kind: Any, delta: int, metadata: dict[str, Any] | None = None) -> Any:
        with store.write() as tx:
            economy.change_holding(
                tx.conn, kind, player_id="p1", key="k", delta=delta, now="t", metadata=metadata
            )
            table = kind.ledger_kind
            row = tx.conn.execute(f"SELECT metadata FROM {table} WHERE player_id = 'p1'")
            return json.loads(row.fetchone()[0])

    assert change(economy.INVENTORY, 2, {"roll": 1}) == {"roll": 1}
    assert change(economy.INVENTORY, 1) == {"roll": 1}
    assert change(economy.INVENTORY, 1, {"roll": 7}) == {"roll": 7}
    assert change(economy.WALLET, 5, {"w": 1}) == {"w": 1}  # a new row takes it
    assert change(economy.WALLET, 5, {"w": 2}) == {"w": 1}
    store.close()
