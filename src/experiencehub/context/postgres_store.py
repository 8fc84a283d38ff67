"""PostgresContextStore: the scale-out context store, one PostgreSQL database shared by many hosts.

Same behaviour as :class:`~experiencehub.context.sqlite_store.SqliteContextStore` (the shared
store test-suite runs on both); only the medium differs. Needs psycopg 3, the ``postgres`` extra
(``pip install 'experiencehub[postgres]'``), imported when a store is built, so importing
``experiencehub.context`` never needs it.

Concurrency: serial outcomes, and why
-------------------------------------
Every public write runs in one ``READ COMMITTED`` transaction that first takes the store's
transaction-scoped advisory lock (:data:`WRITE_LOCK`), held until ``COMMIT``/``ROLLBACK``:

- the writes that change who is who — ``link`` (and the merge in it), ``forget``, ``discard_new``,
  ``purge``, and migrations — hold it **exclusively**: they run alone, after every write before
  them has committed, exactly like SQLite's ``BEGIN IMMEDIATE``. So a merge is all-or-nothing and
  never interleaves with another merge, and a ``forget`` cannot miss a fact a concurrent writer was
  adding (that writer either committed before, and its fact is erased, or starts after, and finds
  no customer).
- the everyday writes — ``resolve``, ``record_fact``/``record_verification``, ``record_contact``,
  ``set_owner`` — hold it **shared**, so they run side by side (and their commits share WAL
  flushes), and each also locks what it reads before writing: ``resolve`` the identity (two hosts
  resolving the same new number: the second waits, then finds the first's customer — one customer,
  and ``resolve_created`` is True for one of them), ``record_contact`` the contact id (an update
  merges into the latest stored entry; a contact id is never claimed by two customers). They touch
  one customer's row, whose row lock orders them. The shared lock keeps the customers they read
  from being merged or erased under them.

Every statement after a lock sees everything committed before it was granted, so each write sees
the state a serial order would give it: the outcome is that of one writer at a time. Each shared
write takes at most one identity or contact lock and then one customer row, and exclusive writes
take only the one lock, so there is no lock cycle and no deadlock. Unique and foreign-key
constraints back this up: a bug that slipped past the locks would fail a transaction, never store a
second customer for an identity.

The alternatives were weighed. ``INSERT … ON CONFLICT`` alone settles the race of two resolves,
but not a link racing a merge or a forget of the same customers; row locks for merges need a lock
order across identities, aliases and customers, and a wrong guess is a deadlock that PostgreSQL
finds only after ``deadlock_timeout`` (1 s by default). ``SERIALIZABLE`` is correct but turns
contention into aborts, and a call would have to be re-run from the top (with a bound, after which
it fails although the server is healthy). Merges, erasures and purges are rare next to resolves
and records, so running them alone costs little (docs/performance.md has the measured rates); no
lock is held across a network wait of the caller, because a transaction never spans two public
calls.

Reads (``find``, ``brief``…) take no lock: one ``REPEATABLE READ READ ONLY`` snapshot per call,
so a brief never mixes the states before and after a merge.

Failures
--------
Driver failures (connection lost, server shut down, a lock wait past ``lock_timeout_seconds``,
a serialization failure or deadlock caused by someone else's transaction) raise
:class:`StoreUnavailable` naming the operation and the server's message. The transaction was
rolled back, so every call that returned is still stored and the failed one left nothing. The one
exception is a connection lost *while committing*: the message then says the outcome of that one
call is unknown (nothing acknowledged was lost either way). A broken connection is replaced on the
next call, and a call that finds its idle connection dead before it sent anything reconnects and
carries on. ``idle_in_transaction_session_timeout`` ends a session that stalls inside a
transaction, so a hung client cannot hold the write lock.

Schema
------
Versioned in the table ``experiencehub_schema``; :data:`MIGRATIONS` maps each version to the
statements that reach it. Each migration runs in its own transaction under the write lock (two
hosts starting at once migrate once); a database from a newer library raises
:class:`SchemaTooNew`. Text columns use the ``"C"`` collation, so ordering is by code point, as in
the other stores, whatever the database's locale.

Erasure: ``forget`` and ``purge`` delete the rows in the same transaction as the audit entry.
PostgreSQL keeps deleted row versions in its files and write-ahead log until ``VACUUM`` and WAL
recycling reuse the space, and in any backups: run autovacuum (the default) and give backups the
same retention rule as the store.

docs/deployment.md sets one up step by step (its code runs in the test-suite).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError
from ._rows import CONTACT_COLUMNS
from ._sql_base import SqlStoreBase
from .errors import SchemaTooNew, StoreUnavailable
from .facts import ContactEntry
from .identity import Identity

if TYPE_CHECKING:
    import psycopg

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "WRITE_LOCK", "PostgresContextStore"]

WRITE_LOCK = 0x6578_6875_6263_7478
"""The advisory-lock key every write transaction holds (bytes of ``exhubctx``)."""

_TEXT = 'TEXT COLLATE "C"'
_V1 = (
    "CREATE TABLE customer_ids (last BIGINT NOT NULL)",
    "INSERT INTO customer_ids VALUES (0)",
    "CREATE TABLE customers (id BIGINT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL,"
    f" last_seen DOUBLE PRECISION NOT NULL, owner {_TEXT},"
    " resolutions INTEGER NOT NULL DEFAULT 1)",
    "CREATE INDEX customers_last_seen ON customers(last_seen)",
    "CREATE TABLE aliases (old_id BIGINT PRIMARY KEY,"
    " new_id BIGINT NOT NULL REFERENCES customers(id))",
    "CREATE INDEX aliases_new ON aliases(new_id)",
    f"CREATE TABLE identities (kind {_TEXT} NOT NULL, value {_TEXT} NOT NULL,"
    " customer_id BIGINT NOT NULL REFERENCES customers(id), PRIMARY KEY (kind, value))",
    "CREATE INDEX identities_customer ON identities(customer_id)",
    "CREATE TABLE links (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " customer_id BIGINT NOT NULL REFERENCES customers(id),"
    f" a_kind {_TEXT} NOT NULL, a_value {_TEXT} NOT NULL, b_kind {_TEXT} NOT NULL,"
    f" b_value {_TEXT} NOT NULL, evidence {_TEXT} NOT NULL, at DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX links_customer ON links(customer_id)",
    "CREATE TABLE facts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    f" customer_id BIGINT NOT NULL REFERENCES customers(id), name {_TEXT} NOT NULL,"
    f" value {_TEXT}, channel {_TEXT} NOT NULL, observed_at DOUBLE PRECISION NOT NULL,"
    f" expires_at DOUBLE PRECISION NOT NULL, sensitivity {_TEXT} NOT NULL,"
    f" verified BOOLEAN NOT NULL, method {_TEXT}, contact_id {_TEXT})",
    "CREATE INDEX facts_customer ON facts(customer_id, expires_at)",
    "CREATE INDEX facts_expiry ON facts(expires_at)",
    f"CREATE TABLE contacts (contact_id {_TEXT} PRIMARY KEY,"
    " customer_id BIGINT NOT NULL REFERENCES customers(id),"
    f" channel {_TEXT} NOT NULL, at DOUBLE PRECISION NOT NULL, agent_id {_TEXT},"
    f" outcome {_TEXT}, topic {_TEXT}, queue {_TEXT}, ended_at DOUBLE PRECISION)",
    "CREATE INDEX contacts_customer ON contacts(customer_id, at)",
    "CREATE INDEX contacts_at ON contacts(at)",
    "CREATE TABLE audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    f" at DOUBLE PRECISION, action {_TEXT} NOT NULL, detail {_TEXT} NOT NULL)",
)

# Version 2: customer numbers from a sequence, so hosts creating customers at once do not queue on
# one counter row until commit (a rolled-back creation leaves a gap; numbers are never reused).
_V2 = (
    "CREATE SEQUENCE customer_numbers OWNED BY customers.id",
    "SELECT setval('customer_numbers', greatest(last, 1), last > 0) FROM customer_ids",
    "DROP TABLE customer_ids",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1, 2: _V2}
"""Version → the statements that bring a database from the version before it. Append, never edit."""
SCHEMA_VERSION = max(MIGRATIONS)

_VERSION_TABLE = "experiencehub_schema"
_WRITE_BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
_SHARED_WRITES = frozenset({"resolve", "record_fact", "record_contact", "set_owner"})
"""The writes that touch one identity or contact and one customer: they share :data:`WRITE_LOCK`
and lock that identity or contact id. Every other write (link, forget, discard_new, purge, and any
new one) holds the lock alone."""
_IDENTITY_KEYS, _CONTACT_KEYS = 1, 2  # namespaces of the two-key advisory locks
_READ_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


def _psycopg() -> ModuleType:
    """psycopg 3, or an ImportError that names the extra to install."""
    try:
        import psycopg  # noqa: PLC0415 - optional dependency, imported only when a store is built
    except ImportError as err:
        raise ImportError(
            "PostgresContextStore needs psycopg 3, which is not installed: "
            "pip install 'experiencehub[postgres]'"
        ) from err
    return psycopg


def migrate(
    conn: psycopg.Connection[Any], migrations: dict[int, tuple[str, ...]] | None = None
) -> int:
    """Bring the database to the newest schema, one transaction per migration, under the write
    lock. Returns the version before this call's first migration, or the version found when other
    hosts (whose migrations it waited for) left nothing to do. Cost: O(1) when current; the
    migrations' cost otherwise.
    """
    steps = MIGRATIONS if migrations is None else migrations
    newest = max(steps)
    with _locked(conn):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_VERSION_TABLE} (version INTEGER NOT NULL)")
        row = conn.execute(f"SELECT version FROM {_VERSION_TABLE}").fetchone()
        if row is None:
            conn.execute(f"INSERT INTO {_VERSION_TABLE} VALUES (0)")
        found = 0 if row is None else int(row[0])
    if found > newest:
        raise SchemaTooNew(
            f"schema version {found}: this library reads up to version {newest}; upgrade it"
        )
    applied_from: int | None = None
    for target in range(found + 1, newest + 1):
        with _locked(conn):
            found = int(conn.execute(f"SELECT version FROM {_VERSION_TABLE}").fetchone()[0])  # type: ignore[index]
            if found >= target:  # another host migrated meanwhile
                continue
            for statement in steps[target]:
                conn.execute(statement)
            conn.execute(f"UPDATE {_VERSION_TABLE} SET version=%s", (target,))
            applied_from = found if applied_from is None else applied_from
            found = target
    return found if applied_from is None else applied_from


@contextmanager
def _locked(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """One write transaction holding :data:`WRITE_LOCK`; rolled back on any error."""
    conn.execute(_WRITE_BEGIN)
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        yield
    except BaseException:
        with suppress(Exception):  # a lost connection rolls back on its own
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class PostgresContextStore(SqlStoreBase):
    """Context store in one PostgreSQL database (see the module docstring for the guarantees).

    ``conninfo``: a libpq connection string or URI (``"host=db1 dbname=context user=router"``,
    ``"postgresql://router@db1/context"``). ``lock_timeout_seconds``: how long a writer waits for
    another host's write (then :class:`StoreUnavailable`). ``connect_timeout_seconds``: how long
    to wait for the server. ``idle_in_transaction_seconds``: a session stalled inside a
    transaction this long is ended by the server. Other options as for
    :class:`~experiencehub.context.store.StoreBase`. Connections: one per thread, opened on first
    use in that thread and process.
    """

    _PARAM = "%s"
    _GREATEST = "GREATEST"
    _NO_LIMIT = None
    _UPSERT_CONTACT = (
        f"INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (contact_id) DO UPDATE SET customer_id=EXCLUDED.customer_id,"
        " channel=EXCLUDED.channel, at=EXCLUDED.at, agent_id=EXCLUDED.agent_id,"
        " outcome=EXCLUDED.outcome, topic=EXCLUDED.topic, queue=EXCLUDED.queue,"
        " ended_at=EXCLUDED.ended_at"
    )
    _CLOSE_ERRORS = (Exception,)

    def __init__(
        self,
        conninfo: str,
        *,
        lock_timeout_seconds: float = 10.0,
        connect_timeout_seconds: float = 10.0,
        idle_in_transaction_seconds: float = 60.0,
        migrations: dict[int, tuple[str, ...]] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        if not isinstance(conninfo, str):
            raise ConfigError(f"conninfo={conninfo!r}: must be a libpq connection string or URI")
        for name, value in (
            ("lock_timeout_seconds", lock_timeout_seconds),
            ("connect_timeout_seconds", connect_timeout_seconds),
            ("idle_in_transaction_seconds", idle_in_transaction_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{name}={value!r}: must be a number of seconds > 0")
        self._pg = _psycopg()
        self.conninfo = conninfo
        self.lock_timeout_seconds = float(lock_timeout_seconds)
        self.connect_timeout_seconds = float(connect_timeout_seconds)
        self.idle_in_transaction_seconds = float(idle_in_transaction_seconds)
        self._pid = os.getpid()
        try:
            with self._unavailable("open"):
                self.migrated_from = migrate(self._conn(), migrations)
        except BaseException:
            self.close()  # a refused schema or a failed migration leaves no connection open
            raise

    # -- connections and transactions ---------------------------------------------------------
    def _conn(self) -> psycopg.Connection[Any]:
        if os.getpid() != self._pid:  # a forked child must not talk on its parent's sockets
            self._pid, self._local, self._all = os.getpid(), threading.local(), []
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._pg.connect(
                self.conninfo,
                autocommit=True,  # we issue BEGIN/COMMIT ourselves
                connect_timeout=max(1, round(self.connect_timeout_seconds)),
            )
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false),"
                " set_config('idle_in_transaction_session_timeout', %s, false)",
                (  # at least 1 ms: PostgreSQL reads 0 as "wait forever"
                    f"{max(1, round(self.lock_timeout_seconds * 1000))}ms",
                    f"{max(1, round(self.idle_in_transaction_seconds * 1000))}ms",
                ),
            )
            self._keep(conn)
        return conn

    @contextmanager
    def _transaction(self, write: bool, operation: str) -> Iterator[None]:
        with self._unavailable(operation):
            conn = self._begun(_WRITE_BEGIN if write else _READ_BEGIN)
            if conn is None:  # nested call: the outer transaction decides
                yield
                return
            shared = write and operation in _SHARED_WRITES
            try:
                if write:
                    lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
                    conn.execute(f"SELECT {lock}(%s)", (WRITE_LOCK,))
                self._local.shared = shared
                yield
            except BaseException:
                with suppress(self._pg.Error):  # a lost connection rolls back on its own
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._local.shared = False
            try:
                conn.execute("COMMIT")
            except self._pg.OperationalError as err:
                if conn.broken:
                    raise _CommitUnknown(err) from err
                raise

    def _begun(self, begin: str) -> psycopg.Connection[Any] | None:
        """BEGIN on this thread's connection (None if a transaction is already open there). An
        idle connection found dead (server restarted, network cut) is replaced once: nothing was
        sent on it yet."""
        conn = self._conn()
        status, kinds = conn.info.transaction_status, self._pg.pq.TransactionStatus
        if status in (kinds.INTRANS, kinds.INERROR):
            return None
        if conn.broken or status != kinds.IDLE:
            self._drop_connection()
            conn = self._conn()
        try:
            conn.execute(begin)
        except self._pg.OperationalError:
            if not conn.broken:
                raise
            self._drop_connection()
            conn = self._conn()
            conn.execute(begin)
        return conn

    @contextmanager
    def _unavailable(self, operation: str) -> Iterator[None]:
        """Turn psycopg's failures into :class:`StoreUnavailable` naming ``operation``."""
        try:
            yield
        except _CommitUnknown as err:
            self._drop_connection()
            raise StoreUnavailable(
                f"{operation}: the connection to the PostgreSQL store was lost while committing "
                f"({_message(err.cause)}): whether this {operation} was stored is unknown — "
                "look it up before repeating it. Nothing acknowledged was lost: every earlier "
                "call that returned is still stored"
            ) from err.cause
        except self._pg.Error as err:
            conn = getattr(self._local, "conn", None)
            if conn is not None and conn.broken:
                self._drop_connection()
            raise StoreUnavailable(self._failure(operation, err)) from err

    def _failure(self, operation: str, err: Exception) -> str:
        text = _message(err)
        if isinstance(err, self._pg.errors.LockNotAvailable):
            text += f" (waited lock_timeout_seconds={self.lock_timeout_seconds:g})"
        return (
            f"{operation}: the PostgreSQL store failed: {text}. Nothing acknowledged was lost: "
            f"this {operation} was rolled back and every earlier call that returned is still "
            "stored; retry when the database is available"
        )

    def close(self) -> None:
        """Close every thread's connection. Cost: O(connections)."""
        with self._all_lock:
            for conn in self._all:
                with suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- primitives --------------------------------------------------------------------------
    def _lock_key(self, namespace: int, text: str) -> None:
        """In a shared write, hold ``text``'s own lock until commit (a hash collision only makes
        two writes wait for each other)."""
        if getattr(self._local, "shared", False):
            self._q("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", namespace, text)

    def _lookup(self, identity: Identity) -> int | None:
        self._lock_key(_IDENTITY_KEYS, f"{identity.kind}:{identity.value}")
        return super()._lookup(identity)

    def _get_contact(self, contact_id: str) -> tuple[int, ContactEntry] | None:
        self._lock_key(_CONTACT_KEYS, contact_id)
        return super()._get_contact(contact_id)

    def _new_customer(self, at: float) -> int:
        number = int(self._q("SELECT nextval('customer_numbers')").fetchone()[0])
        self._q(
            "INSERT INTO customers (id, created_at, last_seen) VALUES (%s, %s, %s)", number, at, at
        )
        return number

    def _canonical(self, number: int) -> int | None:
        row = self._q(
            "SELECT id FROM customers WHERE id=%s UNION ALL SELECT new_id FROM aliases WHERE old_id=%s",
            number, number,
        ).fetchone()  # fmt: skip
        return None if row is None else int(row[0])

    def _merge_customers(self, keep: int, gone: int) -> None:
        self._q(
            "UPDATE customers AS k SET owner=coalesce(k.owner, g.owner),"
            " last_seen=GREATEST(k.last_seen, g.last_seen), resolutions=k.resolutions+g.resolutions"
            " FROM customers AS g WHERE k.id=%s AND g.id=%s",
            keep, gone,
        )  # fmt: skip
        self._q("DELETE FROM customers WHERE id=%s", gone)
        self._q("INSERT INTO aliases VALUES (%s, %s)", gone, keep)

    def _idle(self, cutoff: float) -> list[int]:
        rows = self._q("SELECT id FROM customers WHERE last_seen<%s ORDER BY id", cutoff)
        return [int(r[0]) for r in rows]

    def _check(self) -> None:
        """Assert the store's invariants in one snapshot. Cost: O(all records) — tests only."""
        with self._read("_check"):
            self._check_references()
            last = self._q("SELECT last_value FROM customer_numbers").fetchone()[0]
            highest = self._q(
                "SELECT greatest(max(id), (SELECT max(old_id) FROM aliases)) FROM customers"
            ).fetchone()[0]
            assert last >= (highest or 0), (last, highest)


class _CommitUnknown(Exception):
    """COMMIT failed because the connection broke: the server may or may not have committed."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _message(err: Exception) -> str:
    """The server's primary message only: its DETAIL may quote a row's values (a phone number)."""
    diag = getattr(err, "diag", None)
    text = (diag.message_primary if diag is not None else None) or str(err)
    return " ".join(text.split()).rstrip(".") or type(err).__name__
