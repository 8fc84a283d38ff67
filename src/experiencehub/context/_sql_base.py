"""SqlStoreBase: what the SQLite and PostgreSQL stores share, written once.

Both keep the same tables with the same columns (each back-end's schema says so), so most of the
primitives of :class:`~experiencehub.context._store_protocol.StorePrimitives` are the same
statements. They are written here once, in a portable form: ``?`` for each parameter and
``{greatest}`` for the larger of two values. A back-end names its dialect in three class
attributes (placeholder, the greatest function, the ``LIMIT`` that means no limit) and its
statement that inserts or replaces a contact; each statement is translated once per back-end and
kept.

A back-end keeps what really differs: its connections, transactions and failures, its schema
and migrations, how it numbers new customers, finds a merged customer, merges two customers' rows,
lists idle customers, and checks its own invariants. This module never opens a connection
itself; its bookkeeping of one connection per thread (:meth:`SqlStoreBase._keep`,
:meth:`SqlStoreBase._drop_connection`) works on the connections a back-end opens.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from typing import Any, ClassVar, Protocol, TypeVar

from ._rows import CONTACT_COLUMNS, FACT_COLUMNS, contact_of, fact_of
from ._store_base import StoreBase
from ._store_protocol import AuditEntry
from .facts import ContactEntry, Fact
from .identity import Identity

__all__ = ["SqlStoreBase"]

_TABLES = ("identities", "facts", "contacts", "links")
"""The tables whose rows belong to one customer (``customer_id``): moved by a merge, erased by
``forget``, checked for orphans."""
_UNUSED = (  # StoreBase.discard_new: nobody but its creator has resolved or used the customer
    "SELECT resolutions = 1 AND owner IS NULL"
    " AND (SELECT count(*) FROM identities WHERE customer_id=c.id) = 1"
    " AND NOT EXISTS (SELECT 1 FROM facts WHERE customer_id=c.id)"
    " AND NOT EXISTS (SELECT 1 FROM contacts WHERE customer_id=c.id)"
    " AND NOT EXISTS (SELECT 1 FROM links WHERE customer_id=c.id)"
    " AND NOT EXISTS (SELECT 1 FROM aliases WHERE new_id=c.id)"
    " FROM customers AS c WHERE c.id=?"
)


class _Cursor(Protocol):
    """What the shared primitives read from a statement's result (sqlite3 and psycopg alike)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...


class _Connection(Protocol):
    """What the shared code does with a back-end's connection: run a statement, close it."""

    def execute(self, sql: str, parameters: Any = ..., /) -> _Cursor: ...
    def close(self) -> None: ...


_Store = TypeVar("_Store", bound="SqlStoreBase")


class SqlStoreBase(StoreBase):
    """The primitives both SQL back-ends share (see the module docstring); one connection per
    thread, opened by the back-end's :meth:`_conn`.
    """

    _PARAM: ClassVar[str]
    """The driver's placeholder: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    _GREATEST: ClassVar[str]
    """The larger of two values: ``max`` (SQLite's scalar form) or ``GREATEST``."""
    _NO_LIMIT: ClassVar[int | None]
    """The ``LIMIT`` value that means every row: -1 (SQLite) or NULL (PostgreSQL)."""
    _UPSERT_CONTACT: ClassVar[str]
    """Insert a contact row, or replace the one with its contact id (portable placeholders)."""
    _CLOSE_ERRORS: ClassVar[tuple[type[BaseException], ...]]
    """What closing a broken connection may raise, and is ignored."""
    _TRANSLATED: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._TRANSLATED = {}  # each back-end keeps its own translations

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = threading.local()
        self._all: list[_Connection] = []
        self._all_lock = threading.Lock()

    # -- connections and transactions ---------------------------------------------------------
    @abstractmethod
    def _conn(self) -> _Connection:
        """This thread's connection, opened (and passed to :meth:`_keep`) on first use."""

    @abstractmethod
    def _transaction(self, write: bool, operation: str) -> AbstractContextManager[None]: ...

    def _write(self, operation: str) -> AbstractContextManager[None]:
        return self._transaction(True, operation)

    def _read(self, operation: str) -> AbstractContextManager[None]:
        return self._transaction(False, operation)

    def _keep(self, conn: _Connection) -> None:
        """Make ``conn`` this thread's connection, and one that ``close`` closes."""
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)

    def _drop_connection(self) -> None:
        """Forget and close this thread's connection (the next call opens a new one)."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._all_lock:
                if conn in self._all:
                    self._all.remove(conn)
            with suppress(*self._CLOSE_ERRORS):
                conn.close()

    def _q(self, sql: str, *args: Any) -> _Cursor:
        """Run ``sql``, written in this back-end's own dialect, on this thread's connection."""
        return self._conn().execute(sql, args)

    def _run(self, sql: str, *args: Any) -> _Cursor:
        """Run a shared statement (``?`` placeholders, ``{greatest}``) in this back-end's dialect."""
        text = self._TRANSLATED.get(sql)
        if text is None:
            text = sql.replace("?", self._PARAM).replace("{greatest}", self._GREATEST)
            self._TRANSLATED[sql] = text
        return self._q(text, *args)

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Close every thread's connection. Cost: O(connections)."""

    # -- what the back-ends do differently ----------------------------------------------------
    @abstractmethod
    def _merge_customers(self, keep: int, gone: int) -> None:
        """The customers rows of :meth:`_merge`: ``keep`` takes ``gone``'s owner (if it has
        none), the later last-seen and both counts of resolutions; ``gone`` becomes an alias."""

    # -- primitives --------------------------------------------------------------------------
    def _lookup(self, identity: Identity) -> int | None:
        row = self._run(
            "SELECT customer_id FROM identities WHERE kind=? AND value=?",
            identity.kind,
            identity.value,
        ).fetchone()
        return None if row is None else int(row[0])

    def _attach(self, identity: Identity, number: int) -> None:
        self._run("INSERT INTO identities VALUES (?, ?, ?)", identity.kind, identity.value, number)

    def _touch(self, number: int, at: float) -> None:
        self._run("UPDATE customers SET last_seen={greatest}(last_seen, ?) WHERE id=?", at, number)

    def _reuse(self, number: int, at: float) -> None:
        self._run(
            "UPDATE customers SET last_seen={greatest}(last_seen, ?), resolutions=resolutions+1"
            " WHERE id=?",
            at, number,
        )  # fmt: skip

    def _unused(self, number: int) -> bool:
        row = self._run(_UNUSED, number).fetchone()
        return bool(row and row[0])

    def _identities(self, number: int) -> list[Identity]:
        rows = self._run("SELECT kind, value FROM identities WHERE customer_id=?", number)
        return [Identity(kind, value) for kind, value in rows]

    def _merge(self, keep: int, gone: int) -> None:
        for table in _TABLES:
            self._run(f"UPDATE {table} SET customer_id=? WHERE customer_id=?", keep, gone)
        self._run("UPDATE aliases SET new_id=? WHERE new_id=?", keep, gone)
        self._merge_customers(keep, gone)

    def _add_link(self, number: int, a: Identity, b: Identity, evidence: str, at: float) -> None:
        self._run(
            "INSERT INTO links (customer_id, a_kind, a_value, b_kind, b_value, evidence, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            number, a.kind, a.value, b.kind, b.value, evidence, at,
        )  # fmt: skip

    def _add_fact(self, number: int, fact: Fact) -> None:
        self._run(
            f"INSERT INTO facts ({FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            number, fact.name, fact.value, fact.channel, fact.observed_at, fact.expires_at,
            fact.sensitivity, fact.verified, fact.method, fact.contact_id,
        )  # fmt: skip

    def _facts(self, number: int, at: float) -> list[Fact]:
        rows = self._run(
            # brief.fact_valid_at, in SQL: observed at or before ``at``, not yet expired.
            f"SELECT {FACT_COLUMNS} FROM facts WHERE customer_id=? AND expires_at>?"
            " AND observed_at<=? ORDER BY observed_at, id",
            number, at, at,
        )  # fmt: skip
        return [fact_of(row) for row in rows]

    def _get_contact(self, contact_id: str) -> tuple[int, ContactEntry] | None:
        row = self._run(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE contact_id=?", contact_id
        ).fetchone()
        return None if row is None else (int(row[0]), contact_of(row))

    def _put_contact(self, number: int, record: ContactEntry) -> None:
        self._run(
            self._UPSERT_CONTACT,
            number, record.contact_id, record.channel, record.at, record.agent_id,
            record.outcome, record.topic, record.queue, record.ended_at,
        )  # fmt: skip

    def _contacts(self, number: int, limit: int | None) -> list[ContactEntry]:
        rows = self._run(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE customer_id=?"
            " ORDER BY at DESC, contact_id LIMIT ?",
            number, self._NO_LIMIT if limit is None else limit,
        )  # fmt: skip
        return [contact_of(row) for row in rows]

    def _last_agent(self, number: int, since: float) -> str | None:
        row = self._run(
            "SELECT agent_id FROM contacts WHERE customer_id=? AND at>=? AND agent_id IS NOT NULL"
            " ORDER BY at DESC, contact_id LIMIT 1",
            number, since,
        ).fetchone()  # fmt: skip
        return None if row is None else str(row[0])

    def _set_owner(self, number: int, agent_id: str | None) -> None:
        self._run("UPDATE customers SET owner=? WHERE id=?", agent_id, number)

    def _owner(self, number: int) -> str | None:
        row = self._run("SELECT owner FROM customers WHERE id=?", number).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def _erase(self, number: int) -> dict[str, int]:
        counts = {}
        for table in _TABLES:
            counts[table] = self._run(f"DELETE FROM {table} WHERE customer_id=?", number).rowcount
        self._run("DELETE FROM aliases WHERE new_id=?", number)
        self._run("DELETE FROM customers WHERE id=?", number)
        return counts

    def _purge_facts(self, at: float) -> int:
        return int(self._run("DELETE FROM facts WHERE expires_at<=?", at).rowcount)

    def _purge_contacts(self, cutoff: float) -> int:
        return int(self._run("DELETE FROM contacts WHERE at<?", cutoff).rowcount)

    def _audit_add(self, at: float | None, action: str, detail: str) -> None:
        self._run("INSERT INTO audit (at, action, detail) VALUES (?, ?, ?)", at, action, detail)

    def _audit_entries(self) -> list[AuditEntry]:
        rows = self._run("SELECT at, action, detail FROM audit ORDER BY id")
        return [AuditEntry(at=at, action=action, detail=detail) for at, action, detail in rows]

    def _check_references(self) -> None:
        """Assert that every row belongs to a live customer and every alias points at one (and
        shadows none). Cost: O(all records) — tests only."""
        orphans = {
            table: self._run(
                f"SELECT count(*) FROM {table} WHERE customer_id NOT IN (SELECT id FROM customers)"
            ).fetchone()[0]
            for table in _TABLES
        }
        assert not any(orphans.values()), orphans
        dangling = self._run(
            "SELECT count(*) FROM aliases WHERE new_id NOT IN (SELECT id FROM customers)"
            " OR old_id IN (SELECT id FROM customers)"
        ).fetchone()[0]
        assert dangling == 0, f"{dangling} aliases point nowhere or shadow a live customer"
