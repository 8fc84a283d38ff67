"""SqliteContextStore: the embedded default context store (stdlib ``sqlite3``, one file).

Durability and safety choices, and why:

- **WAL** journal, **one transaction per public write** (``BEGIN IMMEDIATE`` … ``COMMIT``): a
  process killed mid-write leaves the last committed state; readers never block the writer.
- ``synchronous=FULL`` by default (configurable): NORMAL may lose the last commits on power loss.
- **Threads**: one connection per thread (``threading.local``); **processes**: SQLite file locks
  plus a busy timeout, so several routers can share one file.
- **Erasure on disk**: ``PRAGMA secure_delete=ON`` zeroes deleted rows in the page they lived in,
  and after ``forget``/``purge`` a ``wal_checkpoint(TRUNCATE)`` copies the scrubbed pages home and
  empties the WAL, whose older frames still held the erased bytes. A reader holding a long
  transaction on another connection stops that checkpoint: its snapshot still needs the old
  pages, so the erased bytes stay in the ``.db`` file (and the WAL) until it ends. The store then
  says so (``scrub_pending``) and checkpoints again after each later write, on :meth:`scrub` and
  on close, until the scrub completes.
- **Failures of the medium** (disk full, database locked past the busy timeout, connection lost,
  read-only file) raise :class:`StoreUnavailable` naming the operation and SQLite's message. The
  failed transaction is rolled back, so every call that returned stays stored and the failed one
  left nothing; a lost connection is replaced on the next call.
- **Schema versioned** with ``PRAGMA user_version``; :data:`MIGRATIONS` maps each version to the
  statements that reach it, applied in order in one transaction when a file is opened. A file from
  a newer library raises :class:`SchemaTooNew`.

Every lookup goes through an index (identities by (kind, value); facts and contacts by customer;
expiry and last-seen for purge), so operations are O(log n) in customers.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "context.db")
>>> with SqliteContextStore(path) as store:
...     cust = store.resolve(Identity("email", "Ann@Example.com"), at=0.0)
...     store.find(Identity("email", "ann@example.com")) == cust
True
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ..core.errors import ConfigError
from ._rows import CONTACT_COLUMNS
from ._sql_base import SqlStoreBase
from .errors import SchemaTooNew, StoreUnavailable
from .identity import Identity  # noqa: F401  (the module docstring's example uses it)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteContextStore"]

_V1 = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL,"
    " last_seen REAL NOT NULL, owner TEXT)",
    "CREATE INDEX customers_last_seen ON customers(last_seen)",
    "CREATE TABLE aliases (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL)",
    "CREATE INDEX aliases_new ON aliases(new_id)",
    "CREATE TABLE identities (kind TEXT NOT NULL, value TEXT NOT NULL,"
    " customer_id INTEGER NOT NULL, PRIMARY KEY (kind, value)) WITHOUT ROWID",
    "CREATE INDEX identities_customer ON identities(customer_id)",
    "CREATE TABLE links (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,"
    " a_kind TEXT NOT NULL, a_value TEXT NOT NULL, b_kind TEXT NOT NULL, b_value TEXT NOT NULL,"
    " evidence TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX links_customer ON links(customer_id)",
    "CREATE TABLE facts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, name TEXT NOT NULL,"
    " value TEXT, channel TEXT NOT NULL, observed_at REAL NOT NULL, expires_at REAL NOT NULL,"
    " sensitivity TEXT NOT NULL, verified INTEGER NOT NULL, method TEXT, contact_id TEXT)",
    "CREATE INDEX facts_customer ON facts(customer_id, expires_at)",
    "CREATE INDEX facts_expiry ON facts(expires_at)",
    "CREATE TABLE contacts (contact_id TEXT PRIMARY KEY, customer_id INTEGER NOT NULL,"
    " channel TEXT NOT NULL, at REAL NOT NULL, agent_id TEXT, outcome TEXT, topic TEXT,"
    " queue TEXT, ended_at REAL) WITHOUT ROWID",
    "CREATE INDEX contacts_customer ON contacts(customer_id, at)",
    "CREATE INDEX contacts_at ON contacts(at)",
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at REAL, action TEXT NOT NULL,"
    " detail TEXT NOT NULL)",
)

# Version 2: how many times an existing customer was resolved, so ``discard_new`` can tell a
# customer nobody else used from one another router resolved meanwhile.
_V2 = ("ALTER TABLE customers ADD COLUMN resolutions INTEGER NOT NULL DEFAULT 1",)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1, 2: _V2}
"""Version → the statements that bring a file from the version before it. Append, never edit."""
SCHEMA_VERSION = max(MIGRATIONS)

_SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


def migrate(conn: sqlite3.Connection, migrations: dict[int, tuple[str, ...]] | None = None) -> int:
    """Bring the file to the newest schema in one transaction; returns the version before.

    Cost: O(1) when current; the migrations' cost otherwise.
    """
    steps = MIGRATIONS if migrations is None else migrations
    newest = max(steps)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        raise StoreUnavailable(
            f"open: could not take the write lock to check the schema version ({err}); "
            "nothing was changed — retry when the database is available"
        ) from err
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > newest:
            raise SchemaTooNew(
                f"schema version {version}: this library reads up to version {newest}; upgrade it"
            )
        for target in range(version + 1, newest + 1):
            for statement in steps[target]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={newest}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version


class SqliteContextStore(SqlStoreBase):
    """Context store in one SQLite file (see the module docstring for the guarantees).

    ``synchronous``: ``"FULL"`` (default) or ``"NORMAL"``/``"EXTRA"``/``"OFF"``.
    ``busy_timeout_seconds``: how long a writer waits for another process's write lock.
    Other options as for :class:`~experiencehub.context.store.StoreBase`.
    """

    _PARAM = "?"
    _GREATEST = "max"
    _NO_LIMIT = -1
    _UPSERT_CONTACT = (
        f"INSERT OR REPLACE INTO contacts ({CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    _CLOSE_ERRORS = (sqlite3.Error,)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        busy_timeout_seconds: float = 10.0,
        migrations: dict[int, tuple[str, ...]] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if str(synchronous).upper() not in _SYNC_MODES:
            raise ConfigError(
                f"synchronous={synchronous!r}: must be one of {', '.join(_SYNC_MODES)}"
            )
        if (
            isinstance(busy_timeout_seconds, bool)
            or not isinstance(busy_timeout_seconds, (int, float))
            or busy_timeout_seconds < 0
        ):
            raise ConfigError(f"busy_timeout_seconds={busy_timeout_seconds!r}: must be >= 0")
        self.path = os.fspath(path)
        self.synchronous = str(synchronous).upper()
        self.busy_timeout_seconds = float(busy_timeout_seconds)
        self._scrub_pending = False
        with self._unavailable("open"):
            conn = self._conn()
        self.migrated_from = migrate(conn, migrations)

    # -- connections and transactions ---------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_seconds,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # each thread has its own; close() may run elsewhere
            )
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_seconds * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA secure_delete=ON")
            self._keep(conn)
        return conn

    @contextmanager
    def _transaction(self, write: bool, operation: str) -> Iterator[None]:
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        with self._unavailable(operation):
            conn = self._conn()
            if conn.in_transaction:  # nested call: the outer transaction decides
                yield
                return
            conn.execute(begin)
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                    with suppress(sqlite3.Error):  # a lost connection rolls back on its own
                        conn.execute("ROLLBACK")
                raise
        if self._scrub_pending and write:  # an erase still waits for a reader
            with self._unavailable(operation, after_commit=True):
                self._scrub_pending = not self._checkpoint_now()

    @contextmanager
    def _unavailable(self, operation: str, *, after_commit: bool = False) -> Iterator[None]:
        """Turn SQLite's own failures into :class:`StoreUnavailable` naming ``operation``."""
        try:
            yield
        except sqlite3.Error as err:
            if isinstance(err, sqlite3.ProgrammingError):  # closed connection: reconnect next time
                self._drop_connection()
            raise StoreUnavailable(self._failure(operation, err, after_commit)) from err

    def _failure(self, operation: str, err: sqlite3.Error, after_commit: bool) -> str:
        text = str(err) or type(err).__name__
        if "locked" in text or "busy" in text:
            text += f" (waited busy_timeout_seconds={self.busy_timeout_seconds:g})"
        if after_commit:
            return (
                f"{operation}: the erasure was committed, but scrubbing the WAL of "
                f"{self.path!r} failed: {text}; erased bytes may stay in the -wal file until "
                "the next erase or close()"
            )
        return (
            f"{operation}: the SQLite store {self.path!r} failed: {text}. Nothing acknowledged "
            f"was lost: this {operation} was rolled back and every earlier call that returned is "
            "still stored; retry when the database is available"
        )

    def close(self) -> None:
        """Checkpoint the WAL and close every thread's connection. Cost: O(connections)."""
        with self._unavailable("close", after_commit=True):
            self._checkpoint()
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def _checkpoint(self, attempts: int = 5) -> bool:
        """``wal_checkpoint(TRUNCATE)``; True when the WAL was emptied."""
        for attempt in range(attempts):
            busy = self._q("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.01 * (attempt + 1))
        return False

    def _after_erase(self, operation: str) -> None:
        with self._unavailable(operation, after_commit=True):
            # one wait of at most the busy timeout; a reader that outlasts it leaves the scrub
            # pending, retried after later writes (not 5 waits stalling forget)
            self._scrub_pending = not self._checkpoint(attempts=1)

    @property
    def scrub_pending(self) -> bool:
        """True while erased bytes may still be on disk because a reader on another connection
        blocked the checkpoint after ``forget``/``purge`` (retried after each write). Cost: O(1)."""
        return self._scrub_pending

    def scrub(self) -> bool:
        """Checkpoint now; True when no erased byte is left in the file or its WAL (the readers
        that blocked it have ended). Cost: one checkpoint."""
        with self._unavailable("scrub", after_commit=True):
            self._scrub_pending = not self._checkpoint_now()
        return not self._scrub_pending

    def _checkpoint_now(self) -> bool:
        """One ``wal_checkpoint(TRUNCATE)`` that does not wait for readers (a retry after each
        write must not stall the write by the busy timeout); True when the WAL was emptied."""
        conn = self._conn()
        conn.execute("PRAGMA busy_timeout=0")
        try:
            return not conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_seconds * 1000)}")

    # -- primitives only SQLite has ------------------------------------------------------------
    def _new_customer(self, at: float) -> int:
        cursor = self._conn().execute(
            "INSERT INTO customers (created_at, last_seen) VALUES (?, ?)", (at, at)
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def _canonical(self, number: int) -> int | None:
        if self._q("SELECT 1 FROM customers WHERE id=?", number).fetchone():
            return number
        row = self._q("SELECT new_id FROM aliases WHERE old_id=?", number).fetchone()
        return None if row is None else int(row[0])

    def _merge_customers(self, keep: int, gone: int) -> None:
        self._q("INSERT INTO aliases VALUES (?, ?)", gone, keep)
        self._q(
            "UPDATE customers SET owner=coalesce(owner, (SELECT owner FROM customers WHERE id=?)),"
            " last_seen=max(last_seen, (SELECT last_seen FROM customers WHERE id=?)),"
            " resolutions=resolutions+(SELECT resolutions FROM customers WHERE id=?) WHERE id=?",
            gone, gone, gone, keep,
        )  # fmt: skip
        self._q("DELETE FROM customers WHERE id=?", gone)

    def _idle(self, cutoff: float) -> list[int]:
        return [int(r[0]) for r in self._q("SELECT id FROM customers WHERE last_seen<?", cutoff)]

    def _check(self) -> None:
        """Assert file integrity and the store's invariants. Cost: O(all records) — tests only."""
        assert self._q("PRAGMA integrity_check").fetchone()[0] == "ok"
        self._check_references()
