"""SQLite storage: one connection owner, migrations from package data, write transactions.

One :class:`Store` owns one ``sqlite3.Connection`` (so ``:memory:`` is one database)
guarded by a re-entrant lock; every write runs in a :class:`Transaction`
(``BEGIN IMMEDIATE`` … ``COMMIT``) whose ``after_commit`` callbacks run only once the
commit succeeded (used to publish SSE events).

Schema files live in ``kraty_pygame/emulator/schema/NNNN_<name>.sql`` and are applied
once each, in name order, and recorded in ``schema_migrations``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Final

from kraty_pygame.emulator.http.bounds import MAX_FLOAT, finite_json

_log = logging.getLogger(__name__)


class Transaction:
    """A write transaction: ``conn`` for SQL, ``after_commit(cb)`` for side effects."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._callbacks: list[Callable[[], None]] = []
        self._savepoints = 0

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the transaction commits (never if it rolls back)."""
        self._callbacks.append(callback)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Nested scope: an exception rolls back only the work done inside it.

        ``after_commit`` callbacks registered inside a rolled-back savepoint are dropped.
        """
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        mark = len(self._callbacks)
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            del self._callbacks[mark:]
            raise
        else:
            self.conn.execute(f"RELEASE {name}")

    def _run_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                _log.exception("after_commit callback failed")


class _WriteScope:
    """The context manager of :meth:`Store.write` (a plain class: it runs on every
    write, and a generator-based one costs noticeably more)."""

    __slots__ = ("_outer", "_store", "_tx")
    _tx: Transaction

    def __init__(self, store: Store) -> None:
        self._store = store
        self._outer = False

    def __enter__(self) -> Transaction:
        store = self._store
        store._lock.acquire()
        try:
            if store._tx is not None:
                self._tx = store._tx
                return self._tx
            tx = Transaction(store._conn)
            store._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            store._lock.release()
            raise
        store._tx = self._tx = tx
        self._outer = True
        return tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        try:
            if not self._outer:
                return
            tx = self._tx
            try:
                if exc_type is None:
                    for hook in store.before_commit:
                        hook(tx)
            except BaseException:
                store._tx = None
                store._conn.execute("ROLLBACK")
                raise
            if exc_type is not None:
                store._tx = None
                store._conn.execute("ROLLBACK")
                return
            try:
                store._conn.execute("COMMIT")
            finally:
                store._tx = None
            store._commits += 1
            if store._commits >= _COMMITS_PER_CHECKPOINT and store._checkpointer is not None:
                store._commits = 0
                store._checkpointer.nudge()
            tx._run_callbacks()
        finally:
            store._lock.release()


#: Commits between two nudges of the background checkpointer (a credit adds about
#: four pages to the write-ahead log).
_COMMITS_PER_CHECKPOINT: Final = 100
#: Write-ahead log pages after which the writing connection checkpoints by itself:
#: the backstop that lets the log start over under sustained writes (see
#: :class:`_Checkpointer`).
_WAL_BACKSTOP_PAGES: Final = 4_000
#: Seconds without a nudge after which the checkpointer thread ends (a new one
#: starts with the next nudge).
_CHECKPOINTER_IDLE_S: Final = 5.0


class _Checkpointer:
    """Copies committed pages from the write-ahead log into the database file, on a
    thread and a connection of its own.

    A checkpoint waits for the disk twice (the log, then the database file are
    flushed); run by the writing connection, as SQLite does by default every 1,000
    pages, it stalls every request behind it. Here the writer only nudges this thread
    every :data:`_COMMITS_PER_CHECKPOINT` commits. The log can start over only once a
    checkpoint has caught up with the last commit; under sustained writes the
    background one rarely does, so the writer still checkpoints by itself when the
    log reaches :data:`_WAL_BACKSTOP_PAGES` pages, by then a short tail. Durability is
    unchanged: a commit is in the log before it returns, and the checkpoint flushes
    the log before it copies and the database file before the log is reused.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._cond = threading.Condition()
        self._due = False
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    def nudge(self) -> None:
        """Ask for a checkpoint (starts the thread when it is not running)."""
        with self._cond:
            if self._closed:
                return
            self._due = True
            if self._running:
                self._cond.notify()
                return
            self._running = True
            self._thread = threading.Thread(
                target=self._run, name="kraty-emulator-checkpoint", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while self._next():
                try:
                    if conn is None:
                        conn = sqlite3.connect(
                            self._path, isolation_level=None, check_same_thread=False, timeout=5.0
                        )
                        conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except Exception as exc:  # the writer's backstop checkpoint still runs
                    _log.warning("background checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def _next(self) -> bool:
        """Wait for a nudge; False when the thread should end (closed, or idle)."""
        with self._cond:
            if not self._due and not self._closed:
                self._cond.wait(_CHECKPOINTER_IDLE_S)
            if self._closed or not self._due:
                self._running = False
                return False
            self._due = False
            return True


def _schema_files() -> list[tuple[str, str]]:
    folder = resources.files("kraty_pygame.emulator").joinpath("schema")
    files = [
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(files)


class Store:
    """The emulator database.

    Args:
        path: a file path, or ``":memory:"`` for a throwaway database.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._tx: Transaction | None = None
        #: ``fn(tx)`` run inside every write transaction just before COMMIT (readers of
        #: what changed, which publish with ``tx.after_commit``; e.g. inventory streams).
        self.before_commit: list[Callable[[Transaction], None]] = []
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # A statement cache larger than the number of distinct statements the emulator
        # runs: none is prepared again on a hot path.
        self._conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=5.0,
            cached_statements=1024,
        )
        self._conn.row_factory = sqlite3.Row
        self._commits = 0
        self._checkpointer: _Checkpointer | None = None
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_BACKSTOP_PAGES}")
            self._checkpointer = _Checkpointer(self.path)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self.migrate()
        self.repair_non_finite()

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    def migrate(self) -> list[str]:
        """Apply every schema file not applied yet; returns the names applied."""
        with self._lock:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
            )
            done = {row[0] for row in self._conn.execute("SELECT name FROM schema_migrations")}
            applied: list[str] = []
            for name, sql in _schema_files():
                if name in done:
                    continue
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(sql):
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                applied.append(name)
            return applied

    def repair_non_finite(self) -> int:
        """Replace non-finite numbers that older emulators stored; returns how many
        values changed.

        ``±Infinity`` in a number column becomes the largest finite float of that sign
        (rankings keep their order); JSON text holding ``NaN`` / ``Infinity`` is
        rewritten with :func:`~kraty_pygame.emulator.http.bounds.finite_json`.
        """
        changed = 0
        with self._lock:
            tables = [
                str(row[0])
                for row in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for table in tables:
                    columns = [
                        str(row[1]) for row in self._conn.execute(f'PRAGMA table_info("{table}")')
                    ]
                    for column in columns:
                        changed += _repair_column(self._conn, table, column)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        if changed:
            _log.warning("replaced %d non-finite stored numbers with finite ones", changed)
        return changed

    def wipe(self) -> None:
        """Drop every table and re-create the schema (``--reset`` / ``/_emulator/reset``)."""
        with self._lock:
            tables = [
                row[0]
                for row in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for table in tables:
                    self._conn.execute(f'DROP TABLE IF EXISTS "{table}"')
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self.migrate()

    def write(self) -> _WriteScope:
        """A write transaction (``with store.write() as tx``); nested calls join the
        outer transaction."""
        return _WriteScope(self)

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (under the store lock)."""
        with self._lock:
            yield self._conn

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` result (``"ok"`` when healthy)."""
        with self._lock:
            row = self._conn.execute("PRAGMA integrity_check").fetchone()
            return str(row[0])

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self._lock:
            self._conn.close()


def _repair_column(conn: sqlite3.Connection, table: str, column: str) -> int:
    quoted = f'"{table}"."{column}"'
    cur = conn.execute(
        f'UPDATE "{table}" SET "{column}" = CASE WHEN {quoted} > 0 THEN ? ELSE ? END '
        f"WHERE typeof({quoted}) = 'real' AND abs({quoted}) > ?",
        (MAX_FLOAT, -MAX_FLOAT, MAX_FLOAT),
    )
    changed = max(cur.rowcount, 0)
    rows = conn.execute(
        f'SELECT DISTINCT "{column}" FROM "{table}" WHERE typeof("{column}") = \'text\' '
        f"AND (\"{column}\" LIKE '%Infinity%' OR \"{column}\" LIKE '%NaN%')"
    ).fetchall()
    for (text,) in rows:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        fixed = json.dumps(finite_json(value), allow_nan=False)
        if fixed != json.dumps(value):
            cur = conn.execute(
                f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (fixed, text)
            )
            changed += max(cur.rowcount, 0)
    return changed


def _split_sql(sql: str) -> list[str]:
    """Split a schema file into statements (``sqlite3.complete_statement`` boundaries)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            text = buffer.strip()
            if text.strip(";").strip():
                statements.append(text)
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
