"""asv suite: PostgresContextStore against SqliteContextStore, same operations, same run.

Each benchmark process starts its own throw-away PostgreSQL server (the test-suite's
``tests/pg_server.py``, here with the server's default durability: fsync on, synchronous commit on,
so a write costs what it costs in production on this disk) over a unix socket, and fills both
stores with ``EXPERIENCEHUB_BENCH_CUSTOMERS`` customers (default 2,000) through the public API.
Skipped (``NotImplementedError``) when no PostgreSQL binaries or no psycopg are found.

Run: ``asv run --bench postgres_store``, or ``python benchmarks/postgres_store.py``, which prints
µs per call for each store and the write rate of 4 processes resolving at once
(docs/performance.md, "PostgreSQL store").
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' pg_server

from experiencehub.context import Identity, PostgresContextStore, SqliteContextStore
from experiencehub.context.store import StoreBase

CUSTOMERS = int(os.environ.get("EXPERIENCEHUB_BENCH_CUSTOMERS", "2000"))
NOW = 10_000.0
STORES = ("sqlite-FULL", "sqlite-NORMAL", "postgres")


def phone(n: int) -> Identity:
    return Identity("phone", f"+4420{n:08d}")


def start_server() -> Any:
    """A durable throw-away server, or NotImplementedError (asv: skip) when there is none."""
    try:
        import psycopg  # noqa: F401, PLC0415

        from pg_server import PostgresServer, find_bindir  # noqa: PLC0415
    except ImportError as err:
        raise NotImplementedError(f"no psycopg or tests/pg_server.py: {err}") from err
    bindir = find_bindir()
    if bindir is None:
        raise NotImplementedError("no PostgreSQL server binaries")
    server = PostgresServer(bindir, durable=True)
    server.start()
    return server


def fill(store: StoreBase, customers: int) -> None:
    for n in range(1, customers + 1):
        cust = store.resolve(phone(n), at=NOW - 100)
        store.record_verification(cust, "date_of_birth", channel="ivr", at=NOW - 60, valid_for=900)
        store.record_contact(cust, contact_id=f"c{n}", channel="chat", at=NOW - 50, agent_id="a1")


class PostgresStoreSuite:
    """resolve (existing, new), observe (record a fact), brief: per store, in one run."""

    timeout = 600.0
    params = STORES
    param_names = ("store",)

    def setup(self, kind: str) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.server = None
        if kind == "postgres":
            self.server = start_server()
            self.store: StoreBase = PostgresContextStore(self.server.create_database())
        else:
            sync = kind.split("-")[1]
            self.store = SqliteContextStore(Path(self.tmp.name) / "c.db", synchronous=sync)
        fill(self.store, CUSTOMERS)
        self.rng = random.Random(7)
        self.known = [phone(self.rng.randint(1, CUSTOMERS)) for _ in range(1000)]
        self.customers = [f"cust-{self.rng.randint(1, CUSTOMERS)}" for _ in range(1000)]
        self.i = self.fresh = 0

    def teardown(self, _kind: str) -> None:
        self.store.close()  # type: ignore[attr-defined]
        if self.server is not None:
            self.server.stop()
        self.tmp.cleanup()

    def _next(self) -> int:
        self.i = (self.i + 1) % 1000
        return self.i

    def time_resolve_existing(self, _kind: str) -> None:
        self.store.resolve(self.known[self._next()], at=NOW)

    def time_resolve_new(self, _kind: str) -> None:
        self.fresh += 1
        self.store.resolve(Identity("chat_session", f"bench-{time.time_ns()}-{self.fresh}"), at=NOW)

    def time_observe_fact(self, _kind: str) -> None:
        cust = self.customers[self._next()]
        self.store.record_fact(cust, "topic", "billing dispute", channel="chat", at=NOW)

    def time_brief(self, _kind: str) -> None:
        self.store.brief(self.customers[self._next()], at=NOW)


def _open(kind: str, where: str) -> PostgresContextStore | SqliteContextStore:
    if kind == "postgres":
        return PostgresContextStore(where)
    return SqliteContextStore(where, synchronous=kind.split("-")[1])


def _resolver(kind: str, where: str, worker: int, calls: int) -> None:
    store = _open(kind, where)
    for i in range(calls):  # half new identities, half shared ones: the lock is contended
        store.resolve(Identity("chat_session", f"w{worker}-{i}" if i % 2 else f"s{i}"), at=NOW)
    store.close()


def concurrent_rate(kind: str, where: str, processes: int = 4, calls: int = 500) -> float:
    """Resolves per second of ``processes`` processes writing to one store at once."""
    ctx = multiprocessing.get_context("fork")
    workers = [
        ctx.Process(target=_resolver, args=(kind, where, w, calls)) for w in range(processes)
    ]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        assert w.exitcode == 0
    return processes * calls / (time.perf_counter() - started)


def main() -> None:  # pragma: no cover - manual measurement
    suite = PostgresStoreSuite()
    names = ("time_resolve_existing", "time_resolve_new", "time_observe_fact", "time_brief")
    for kind in STORES:
        suite.setup(kind)
        for name in names:
            method = getattr(suite, name)
            runs = timeit.repeat(lambda m=method, k=kind: m(k), number=300, repeat=5)  # type: ignore[misc]
            best, median = min(runs) / 300, sorted(runs)[2] / 300
            print(f"{kind:14s} {name:24s} best {best * 1e6:7.0f} µs  median {median * 1e6:7.0f} µs")
        if suite.server is not None:
            where = suite.server.create_database()
        else:
            where = str(Path(suite.tmp.name) / "rate.db")
        _open(kind, where).close()  # the schema, before the processes race
        print(f"{kind:14s} 4 processes resolving at once: {concurrent_rate(kind, where):.0f}/s")
        suite.teardown(kind)


if __name__ == "__main__":
    main()
