"""asv suite: SqliteContextStore resolve + brief at 1M customers.

The database is built once per run by ``setup_cache`` with a bulk SQL load (the public API would
take ~20 minutes for 1M customers; the load writes the same rows the API would): per customer one
phone identity, one valid date-of-birth verification, one topic fact and two contacts.
``EXPERIENCEHUB_BENCH_CUSTOMERS`` overrides the size (default 1,000,000).

Run: ``asv run --bench context_store`` (or, without asv, ``python benchmarks/context_store.py``,
which prints the same measurements; see docs/performance.md, "Context store").
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
import timeit
from collections.abc import Iterator

from experiencehub.context import Identity, SqliteContextStore

CUSTOMERS = int(os.environ.get("EXPERIENCEHUB_BENCH_CUSTOMERS", "1000000"))
NOW = 10_000.0
DB_NAME = "context_bench.db"


def phone(n: int) -> str:
    return f"+4420{n:08d}"


def _rows(n: int) -> Iterator[tuple[int, float, float]]:
    for i in range(1, n + 1):
        yield (i, float(i % 5000), NOW - 100.0)


def bulk_load(path: str, customers: int) -> str:
    """Create the schema through the store, then fill it with ``customers`` customers in one go."""
    SqliteContextStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customers (id, created_at, last_seen) VALUES (?, ?, ?)", _rows(customers)
    )
    conn.executemany(
        "INSERT INTO identities VALUES ('phone', ?, ?)",
        ((phone(i), i) for i in range(1, customers + 1)),
    )
    conn.executemany(
        "INSERT INTO facts (customer_id, name, value, channel, observed_at, expires_at,"
        " sensitivity, verified, method, contact_id) VALUES (?, ?, ?, ?, ?, ?, 'normal', ?, ?, ?)",
        (
            row
            for i in range(1, customers + 1)
            for row in (
                (i, "date_of_birth", None, "ivr", NOW - 60, NOW + 900, 1, "knowledge", None),
                (i, "topic", "billing dispute", "chat", NOW - 50, NOW + 86400, 0, None, f"c{i}a"),
            )
        ),
    )
    conn.executemany(
        "INSERT INTO contacts (contact_id, customer_id, channel, at, agent_id, outcome, topic)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            row
            for i in range(1, customers + 1)
            for row in (
                (f"c{i}a", i, "chat", NOW - 300, f"a{i % 200}", "dropped", "billing dispute"),
                (f"c{i}b", i, "phone", NOW - 200, f"a{i % 199}", "handled", None),
            )
        ),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


class ContextStoreSuite:
    """resolve (existing and new identities), brief, and a whole arrival (resolve + brief)."""

    timeout = 1800.0  # building 1M customers takes a few minutes
    params = ("FULL", "NORMAL")  # FULL: an fsync per commit (the default); NORMAL: none in WAL
    param_names = ("synchronous",)

    def setup_cache(self) -> str:
        return bulk_load(os.path.abspath(DB_NAME), CUSTOMERS)

    def setup(self, path: str, synchronous: str = "FULL") -> None:
        self.store = SqliteContextStore(path, synchronous=synchronous)
        self.rng = random.Random(7)
        self.known = [Identity("phone", phone(self.rng.randint(1, CUSTOMERS))) for _ in range(1000)]
        self.customers = [f"cust-{self.rng.randint(1, CUSTOMERS)}" for _ in range(1000)]
        self.fresh = 0
        self.i = 0

    def teardown(self, _path: str, _synchronous: str = "FULL") -> None:
        self.store.close()

    def _next(self) -> int:
        self.i = (self.i + 1) % 1000
        return self.i

    def time_resolve_existing(self, _path: str, _synchronous: str = "FULL") -> None:
        self.store.resolve(self.known[self._next()], at=NOW)

    def time_resolve_new(self, _path: str, _synchronous: str = "FULL") -> None:
        self.fresh += 1
        self.store.resolve(Identity("chat_session", f"bench-{time.time_ns()}-{self.fresh}"), at=NOW)

    def time_brief(self, _path: str, _synchronous: str = "FULL") -> None:
        self.store.brief(self.customers[self._next()], at=NOW)

    def time_arrival_resolve_then_brief(self, _path: str, _synchronous: str = "FULL") -> None:
        cust = self.store.resolve(self.known[self._next()], at=NOW)
        self.store.brief(cust, at=NOW)

    def peakmem_brief(self, _path: str, _synchronous: str = "FULL") -> None:
        for cust in self.customers[:100]:
            self.store.brief(cust, at=NOW)


def main() -> None:  # pragma: no cover - manual measurement
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = bulk_load(os.path.join(tmp, DB_NAME), CUSTOMERS)
        print(f"{CUSTOMERS} customers loaded in {time.perf_counter() - started:.1f}s, "
              f"{os.path.getsize(path) / 1e6:.0f} MB")  # fmt: skip
        suite = ContextStoreSuite()
        names = ("time_resolve_existing", "time_resolve_new", "time_brief")
        for synchronous in ContextStoreSuite.params:
            for name in (*names, "time_arrival_resolve_then_brief"):
                suite.setup(path, synchronous)
                method = getattr(suite, name)
                runs = timeit.repeat(lambda m=method: m(path), number=1000, repeat=5)  # type: ignore[misc]
                best, median = min(runs) / 1000, sorted(runs)[2] / 1000
                print(
                    f"{synchronous:6s} {name:32s} best {best * 1e6:7.1f} µs  median {median * 1e6:7.1f} µs"
                )
                suite.teardown(path)


if __name__ == "__main__":
    main()
