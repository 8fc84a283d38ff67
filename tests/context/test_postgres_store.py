"""PostgreSQL-only guarantees: migrations, the server's failures, and several processes writing at
once against one real server (the shared behaviour is in test_store.py and friends, which run on
this store too)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from experiencehub import ConfigError, QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.context import (
    BriefedOffer,
    ExperienceHub,
    Identity,
    InvalidFact,
    PostgresContextStore,
    SchemaTooNew,
    UnknownCustomer,
)
from experiencehub.context.errors import ContextNotRecorded, StoreUnavailable
from experiencehub.context.postgres_store import MIGRATIONS, SCHEMA_VERSION, WRITE_LOCK
from pg_server import PostgresServer

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the 'postgres' extra)")

PHONE = Identity("phone", "+44 20 7946 0000")
EMAIL = Identity("email", "ann@example.com")


@pytest.fixture
def fresh(postgres_server: PostgresServer) -> str:
    """A new database with no schema at all (migration tests)."""
    return postgres_server.create_database()


@pytest.fixture
def store(postgres_conninfo: str) -> Iterator[PostgresContextStore]:
    with PostgresContextStore(postgres_conninfo, lock_timeout_seconds=0.05) as opened:
        yield opened
        opened._check()


@pytest.fixture
def locker(postgres_conninfo: str) -> Iterator[psycopg.Connection[Any]]:
    """Another session that can take the stores' write lock, as a writer on another host would."""
    with psycopg.connect(postgres_conninfo, autocommit=True) as conn:
        yield conn


def version(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        return int(conn.execute("SELECT version FROM experiencehub_schema").fetchone()[0])  # type: ignore[index]


def has_table(conninfo: str, name: str) -> bool:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0] is not None  # type: ignore[index]


# -- set-up and migrations -----------------------------------------------------------------------
def test_a_new_database_is_migrated_and_data_survives_reopening(fresh: str) -> None:
    with PostgresContextStore(fresh) as store:
        assert store.migrated_from == 0
        cust = store.resolve(PHONE, at=0.0)
        store.record_verification(cust, "date_of_birth", channel="ivr", at=1.0, valid_for=900)
    assert version(fresh) == SCHEMA_VERSION
    with PostgresContextStore(fresh) as store:
        assert store.migrated_from == SCHEMA_VERSION
        assert store.find(Identity("phone", "+442079460000")) == cust
        assert store.brief(cust, at=2.0).do_not_ask == ("date_of_birth",)


def test_each_migration_is_its_own_transaction_and_a_newer_schema_is_refused(fresh: str) -> None:
    with PostgresContextStore(fresh) as store:
        cust = store.resolve(Identity("account", "AC-1"), at=0.0)
    good = "ALTER TABLE customers ADD COLUMN segment TEXT"
    broken = {**MIGRATIONS, SCHEMA_VERSION + 1: (good,), SCHEMA_VERSION + 2: ("NOT SQL",)}
    with pytest.raises(StoreUnavailable, match=r"^open: .*syntax error"):
        PostgresContextStore(fresh, migrations=broken)
    assert version(fresh) == SCHEMA_VERSION + 1  # the good step stayed, the broken one left nothing
    newer = {**broken, SCHEMA_VERSION + 2: ("CREATE TABLE extra (x INTEGER)",)}
    with PostgresContextStore(fresh, migrations=newer) as store:
        assert store.migrated_from == SCHEMA_VERSION + 1
        assert store.find(Identity("account", "AC-1")) == cust
    assert has_table(fresh, "extra")
    with pytest.raises(
        SchemaTooNew, match=rf"schema version {SCHEMA_VERSION + 2}: .*upgrade"
    ) as refused:
        PostgresContextStore(fresh)
    assert refused.tb is not None  # its frames keep the half-built store alive while we look
    assert _other_sessions(fresh) == 0  # the refused store closed its connection


def _other_sessions(dsn: str, settle: float = 5.0) -> int:
    """Sessions on the database besides this one. A backend whose client closed lingers in
    ``pg_stat_activity`` until its process has exited, so a count above 0 is read again for up
    to ``settle`` seconds (a connection left open stays counted: the caller's assert fails)."""
    deadline = time.monotonic() + settle
    # autocommit: each read is its own transaction, with a fresh snapshot of the statistics
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            others: int = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid != pg_backend_pid()"
            ).fetchone()[0]  # type: ignore[index]
            if others == 0 or time.monotonic() > deadline:
                return others
            time.sleep(0.05)


def test_version_2_numbers_customers_from_a_sequence_and_never_reuses_a_number(
    fresh: str,
) -> None:
    PostgresContextStore(fresh, migrations={1: MIGRATIONS[1]}).close()
    with psycopg.connect(
        fresh
    ) as conn:  # a version-1 database: 3 customers made, the 3rd forgotten
        conn.execute(
            "INSERT INTO customers (id, created_at, last_seen) VALUES (1, 0, 0), (2, 0, 0)"
        )
        conn.execute("INSERT INTO identities VALUES ('account', 'AC-1', 1), ('account', 'AC-2', 2)")
        conn.execute("UPDATE customer_ids SET last = 3")
    with PostgresContextStore(fresh) as store:
        assert store.migrated_from == 1
        assert store.find(Identity("account", "AC-2")) == "cust-2"
        assert store.resolve(Identity("account", "AC-4"), at=1.0) == "cust-4"
    assert not has_table(fresh, "customer_ids")


def test_a_failed_first_migration_leaves_no_table(fresh: str) -> None:
    broken = {1: (*MIGRATIONS[1], "NOT SQL")}
    with pytest.raises(StoreUnavailable):
        PostgresContextStore(fresh, migrations=broken)
    assert not has_table(fresh, "customers") and version(fresh) == 0


def _open_and_close(conninfo: str) -> int:
    with PostgresContextStore(conninfo) as store:
        return store.migrated_from


def test_hosts_starting_at_once_migrate_exactly_once(fresh: str) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        before = pool.map(_open_and_close, [fresh] * 4)
    # each migration ran once (a second run of its DDL would have failed that host): one host
    # started from 0, the others found the work done or went on from where another stopped
    assert before.count(0) == 1 and all(0 <= b <= SCHEMA_VERSION for b in before), before
    assert version(fresh) == SCHEMA_VERSION


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="lock_timeout_seconds"):
        PostgresContextStore("dbname=x", lock_timeout_seconds=0)
    with pytest.raises(ConfigError, match="conninfo"):
        PostgresContextStore(None)  # type: ignore[arg-type]


def test_importing_the_context_layer_needs_no_psycopg() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"  # what a missing package looks like
        "import experiencehub.context as c\n"
        "try:\n    c.PostgresContextStore('dbname=x')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'experiencehub[postgres]'" in done.stdout


# -- the server's failures -------------------------------------------------------------------------
def test_a_write_past_the_lock_timeout_raises_store_unavailable_and_loses_nothing(
    store: PostgresContextStore, locker: psycopg.Connection[Any]
) -> None:
    cust = store.resolve(PHONE, at=1.0)
    store.record_contact(cust, contact_id="c1", channel="phone", at=2.0)
    locker.execute("BEGIN")
    locker.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))  # another host is writing
    with pytest.raises(StoreUnavailable) as caught:
        store.record_contact(cust, contact_id="c2", channel="chat", at=3.0)
    message = str(caught.value)
    assert message.startswith("record_contact: the PostgreSQL store failed: ")
    assert "lock timeout" in message and "lock_timeout_seconds=0.05" in message
    assert "rolled back" in message and "Nothing acknowledged was lost" in message
    assert isinstance(caught.value.__cause__, psycopg.errors.LockNotAvailable)
    assert store.find(EMAIL) is None and store.identities(cust) == (PHONE,)  # reads never wait
    locker.execute("ROLLBACK")
    assert [c.contact_id for c in store.contacts(cust)] == ["c1"]  # earlier write kept
    store.record_contact(cust, contact_id="c2", channel="chat", at=3.0)  # retry works


def terminate(conninfo: str, pid: int) -> None:
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(
    store: PostgresContextStore,
) -> None:
    cust = store.resolve(PHONE, at=1.0)
    terminate(store.conninfo, store._conn().info.backend_pid)  # e.g. a server restart
    assert store.identities(cust) == (PHONE,)
    assert store.resolve(PHONE, at=2.0) == cust


class _DropsMidWrite(PostgresContextStore):
    """The server goes away halfway through a write (after ``_attach``, before ``COMMIT``)."""

    drop_after_attach = False

    def _attach(self, identity: Identity, number: int) -> None:
        super()._attach(identity, number)
        if self.drop_after_attach:
            self.drop_after_attach = False
            terminate(self.conninfo, self._conn().info.backend_pid)


def test_a_connection_lost_mid_write_rolls_it_back_and_the_next_call_reconnects(
    postgres_conninfo: str,
) -> None:
    with _DropsMidWrite(postgres_conninfo) as store:
        cust = store.resolve(PHONE, at=1.0)
        store.drop_after_attach = True
        with pytest.raises(StoreUnavailable) as caught:
            store.link(PHONE, EMAIL, at=2.0, evidence="read out the email")
        message = str(caught.value)
        assert message.startswith("link: ")
        assert "Nothing acknowledged was lost" in message
        assert isinstance(caught.value.__cause__, psycopg.OperationalError)
        assert store.find(EMAIL) is None and store.find(PHONE) == cust  # reconnected; none of it
        store._check()


class _DropsBeforeCommit(PostgresContextStore):
    """The connection breaks after the last statement of ``resolve``, so ``COMMIT`` fails."""

    drop_after_reuse = False

    def _reuse(self, number: int, at: float) -> None:
        super()._reuse(number, at)
        if self.drop_after_reuse:
            self.drop_after_reuse = False
            terminate(self.conninfo, self._conn().info.backend_pid)


def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(
    postgres_conninfo: str,
) -> None:
    with _DropsBeforeCommit(postgres_conninfo) as store:
        cust = store.resolve(PHONE, at=1.0)
        store.drop_after_reuse = True
        with pytest.raises(StoreUnavailable) as caught:
            store.resolve(PHONE, at=2.0)
        message = str(caught.value)
        assert message.startswith(
            "resolve: the connection to the PostgreSQL store was lost while committing"
        )
        assert "whether this resolve was stored is unknown" in message
        assert "Nothing acknowledged was lost" in message
        assert store.find(PHONE) == cust


def test_a_server_that_is_not_there_raises_store_unavailable(
    postgres_server: PostgresServer,
) -> None:
    absent = postgres_server.conninfo().replace("host=", "host=/nonexistent")
    with pytest.raises(StoreUnavailable, match=r"^open: the PostgreSQL store failed: .*connect"):
        PostgresContextStore(absent, connect_timeout_seconds=1)


def test_the_hub_never_loses_decisions_when_another_host_holds_the_write_lock(
    store: PostgresContextStore, locker: psycopg.Connection[Any]
) -> None:
    class LockAfterResolve:
        """Affinity runs between the hub's resolve and its routing: another host starts writing."""

        def preferred_agents(self, customer_id: str, at: float) -> tuple[str, ...]:
            locker.execute("BEGIN")
            locker.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return ()

    router = Router(SkillGraph(), [QueueSpec("calls", channel="phone", requires={"support": 1})])
    hub = ExperienceHub(router, store, affinity=LockAfterResolve())
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1}))
    arrival = ev.ContactArrived(at=1.0, contact_id="c1", queue="calls",
                                attributes={"identity": PHONE})  # fmt: skip
    with pytest.raises(ContextNotRecorded) as caught:
        hub.handle(arrival)
    assert isinstance(caught.value.__cause__, StoreUnavailable)
    (offer,) = [d for d in caught.value.decisions if isinstance(d, BriefedOffer)]
    assert offer.agent_id == "a1" and offer.brief is not None  # reads take no lock
    locker.execute("ROLLBACK")
    cust = store.find(PHONE)
    assert cust is not None and store.contacts(cust) == ()
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    (record,) = store.contacts(cust)
    assert (record.contact_id, record.agent_id) == ("c1", "a1")


# -- several hosts at once -----------------------------------------------------------------------
PROCESSES = 4
ROUNDS = 80
PAIRS = 12  # phone/email pairs every process resolves and links, in a different order each
SESSIONS = 30  # chat sessions every process only resolves
DOOMED = 8  # customers process 0 forgets while the others write to them


_START: Any = None  # a Barrier the forked hosts inherit, so they start their rounds together


def _set_start(barrier: Any) -> None:
    global _START  # noqa: PLW0603 - set once per worker process by the pool's initializer
    _START = barrier


def _host(conninfo: str, host: int, doomed: list[str]) -> dict[str, Any]:
    """One router host: resolves, links, records, and (host 0) forgets; returns what it was told."""
    store = PostgresContextStore(conninfo)
    resolved: list[tuple[str, str]] = []
    created: list[str] = []
    acknowledged: list[tuple[str, str]] = []  # (phone, fact value) recorded and returned
    claimed: list[int] = []  # rounds whose contact "claim-<round>" this host recorded first
    own = store.resolve(Identity("chat_session", f"own-{host}"), at=0.0)
    refused = 0
    _START.wait()
    for r in range(ROUNDS):
        fresh = Identity("chat_session", f"new-{r}")  # every host resolves it at about once
        cust, new = store.resolve_created(fresh, at=float(r))
        resolved.append((fresh.value, cust))
        if new:
            created.append(fresh.value)
        try:  # every host records the same contact id for its own customer: one may
            store.record_contact(own, contact_id=f"claim-{r}", channel="chat", at=float(r))
            claimed.append(r)
        except InvalidFact:
            pass
        i = (r * (host + 1) + host) % PAIRS
        phone, email = Identity("phone", f"+4420794600{i:02d}"), Identity("email", f"u{i}@x.org")
        first, second = (phone, email) if (r + host) % 2 else (email, phone)
        resolved.append((first.value, store.resolve(first, at=float(r))))
        store.link(first, second, at=float(r), evidence=f"host {host} round {r}")
        value = f"h{host}-r{r}"
        store.record_fact(
            store.resolve(phone, at=float(r)), "note", value, channel="chat", at=float(r)
        )
        acknowledged.append((phone.value, value))
        session = Identity("chat_session", f"s{(r + host * 7) % SESSIONS}")
        cust, new = store.resolve_created(session, at=float(r))
        resolved.append((session.value, cust))
        if new:
            created.append(session.value)
        if host == 0 and r % (ROUNDS // DOOMED) == 0 and r // (ROUNDS // DOOMED) < DOOMED:
            store.forget(doomed[r // (ROUNDS // DOOMED)], at=float(r))
        try:
            store.record_fact(doomed[r % DOOMED], "note", value, channel="chat", at=float(r))
        except UnknownCustomer:
            refused += 1
    store.close()
    return {
        "resolved": resolved,
        "created": created,
        "acknowledged": acknowledged,
        "refused": refused,
        "claimed": claimed,
    }


def test_several_processes_get_one_customer_per_identity_and_lose_nothing(
    postgres_conninfo: str,
) -> None:
    with PostgresContextStore(postgres_conninfo) as store:
        doomed = [store.resolve(Identity("account", f"AC-{k}"), at=0.0) for k in range(DOOMED)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(PROCESSES, initializer=_set_start, initargs=(ctx.Barrier(PROCESSES),)) as pool:
        hosts = pool.starmap(_host, [(postgres_conninfo, h, doomed) for h in range(PROCESSES)])
    with PostgresContextStore(postgres_conninfo) as store:
        store._check()
        # one customer per identity: every answer any host got is (an alias of) today's customer
        for host in hosts:
            for value, cust in host["resolved"]:
                kind = (
                    "phone"
                    if value.startswith("+")
                    else "email"
                    if "@" in value
                    else "chat_session"
                )
                assert store.canonical(cust) == store.find(Identity(kind, value)), value
        pairs = set()
        for i in range(PAIRS):
            phone, email = (
                Identity("phone", f"+4420794600{i:02d}"),
                Identity("email", f"u{i}@x.org"),
            )
            assert store.find(phone) == store.find(email) is not None
            pairs.add(store.find(phone))
        assert len(pairs) == PAIRS
        # exactly one host was told it created each chat session's customer
        created = sorted(s for host in hosts for s in host["created"])
        expected = [f"s{n}" for n in range(SESSIONS)] + [f"new-{r}" for r in range(ROUNDS)]
        assert created == sorted(expected)
        # each contact id went to exactly one host's customer, the one that was told so
        for r in range(ROUNDS):
            (winner,) = [h for h, host in enumerate(hosts) if r in host["claimed"]]
            own = store.find(Identity("chat_session", f"own-{winner}"))
            assert store.contact_customer(f"claim-{r}") == own, r
        # nothing acknowledged was lost
        for host in hosts:
            for phone_value, value in host["acknowledged"]:
                cust = store.find(Identity("phone", phone_value))
                assert cust is not None
                assert value in {f.value for f in store.facts(cust, at=float(ROUNDS))}, value
        # forget was complete although other hosts kept writing to those customers
        for k, cust in enumerate(doomed):
            assert store.find(Identity("account", f"AC-{k}")) is None
            with pytest.raises(UnknownCustomer):
                store.canonical(cust)
        assert [e.action for e in store.audit()] == ["forget"] * DOOMED
        assert sum(host["refused"] for host in hosts) > 0  # the race really happened
        conn = store._conn()
        live = conn.execute("SELECT count(*) FROM customers").fetchone()[0]  # type: ignore[index]
        assert live == PAIRS + SESSIONS + PROCESSES + ROUNDS
        orphans = conn.execute(
            "SELECT count(*) FROM facts WHERE customer_id = ANY(%s)",
            ([int(c.split("-")[1]) for c in doomed],),
        ).fetchone()[0]  # type: ignore[index]
        assert orphans == 0


def test_failure_messages_never_quote_a_stored_value(store: PostgresContextStore) -> None:
    """A constraint's DETAIL names the row's values; the store's message keeps only the rule."""
    cust = store.resolve(PHONE, at=1.0)
    with pytest.raises(StoreUnavailable) as caught, store._write("resolve"):
        store._attach(PHONE, int(cust.split("-")[1]))  # a second row for one identity
    message = str(caught.value)
    assert "duplicate key value violates unique constraint" in message
    assert PHONE.value not in message and "7946" not in message


def _pair(r: int, i: int) -> tuple[Identity, Identity]:
    return Identity("phone", f"+4420794{r}{i:03d}"), Identity("email", f"k{r}-{i}@x.org")


def _merge_pairs(conninfo: str, round_: int, pairs: int, progress: int) -> None:
    """A forked host: link each pair (a merge of two customers), reporting each that returned."""
    store = PostgresContextStore(conninfo)
    for i in range(pairs):
        store.link(*_pair(round_, i), at=10.0, evidence="same account")
        os.write(progress, f"{i}\n".encode())


def test_a_host_killed_mid_merge_leaves_each_merge_whole_or_undone(
    store: PostgresContextStore,
) -> None:
    """kill -9 a process merging customers, 6 times: every merge it reported is complete, the one
    in flight is all or nothing, and the server is consistent (the kill drops the session, which
    rolls its transaction back)."""
    rng = random.Random(5)
    pairs = 25
    for round_ in range(6):
        tag = f"k{round_}-"
        for i in range(pairs):
            for identity in _pair(round_, i):
                cust = store.resolve(identity, at=1.0)
                store.record_fact(cust, "topic", f"{identity.kind} {i}", channel="chat", at=2.0)
                store.record_contact(
                    cust, contact_id=f"{tag}{identity.kind}{i}", channel="chat", at=2.0
                )
        read_end, write_end = os.pipe()
        child = multiprocessing.get_context("fork").Process(
            target=_merge_pairs, args=(store.conninfo, round_, pairs, write_end)
        )
        child.start()
        os.close(write_end)
        with os.fdopen(read_end) as progress:
            reported = -1
            for _ in range(rng.randint(3, 20)):
                reported = int(progress.readline())
            time.sleep(rng.uniform(0.0, 0.005))  # a link takes a few ms: land inside one
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            child.join(timeout=10)
            reported = max([reported, *map(int, progress.read().split())])
        store._check()
        for i in range(pairs):
            phone, email = _pair(round_, i)
            merged = store.find(phone) == store.find(email)
            if i != reported + 1:  # the one in flight when killed may have gone either way
                assert merged == (i <= reported), (i, reported)
            cust = store.find(email)
            assert cust is not None
            topics = sorted(f.value or "" for f in store.facts(cust, at=3.0))
            contacts = sorted(c.contact_id for c in store.contacts(cust))
            if merged:  # the whole merge: both histories on one customer
                assert f"email {i}" in topics and f"phone {i}" in topics, (i, topics)
                assert {f"{tag}email{i}", f"{tag}phone{i}"} <= set(contacts), (i, contacts)
            else:  # none of it
                assert topics == [f"email {i}"] and contacts == [f"{tag}email{i}"], (i, topics)


def test_everyday_writes_run_beside_each_other_and_merges_run_alone(
    store: PostgresContextStore, locker: psycopg.Connection[Any]
) -> None:
    """Another host is in the middle of an everyday write (it holds the lock shared)."""
    cust = store.resolve(PHONE, at=1.0)
    locker.execute("BEGIN")
    locker.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITE_LOCK,))
    store.record_fact(cust, "topic", "billing", channel="chat", at=2.0)  # no wait
    store.record_contact(cust, contact_id="c1", channel="chat", at=2.0)
    assert store.resolve(EMAIL, at=2.0) != cust
    with pytest.raises(StoreUnavailable, match=r"^link: .*lock timeout"):
        store.link(PHONE, EMAIL, at=3.0, evidence="same person")  # waits for the other host
    with pytest.raises(StoreUnavailable, match=r"^forget: .*lock timeout"):
        store.forget(cust, at=3.0)
    locker.execute("ROLLBACK")
    assert store.link(PHONE, EMAIL, at=3.0, evidence="same person") == cust


def test_threads_of_one_host_each_use_their_own_connection(postgres_conninfo: str) -> None:
    # the store's default lock timeout (10 s), not the 50 ms of the ``store`` fixture: six
    # threads queue for the write lock, which on a loaded machine can take longer than 50 ms
    with PostgresContextStore(postgres_conninfo) as store:
        _six_threads_share_one_store(store)
        store._check()


def _six_threads_share_one_store(store: PostgresContextStore) -> None:
    errors: list[BaseException] = []
    shared = [Identity("chat_session", f"shared-{i}") for i in range(10)]

    def work(thread: int) -> None:
        try:
            for i in range(30):
                cust = store.resolve(shared[i % 10], at=float(i))
                store.record_contact(cust, contact_id=f"c{thread}-{i}", channel="chat", at=float(i))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({store.find(identity) for identity in shared}) == 10
    assert sum(len(store.contacts(store.resolve(i, at=99.0))) for i in shared) == 180
    assert len(store._all) == 7  # the calling thread and six workers
