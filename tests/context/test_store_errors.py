"""SQLite's own failures surface as StoreUnavailable: the operation, SQLite's message, and that
nothing acknowledged was lost (the failed write rolled back, earlier writes still there).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from experiencehub import QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.context import BriefedOffer, ExperienceHub, Identity, SqliteContextStore
from experiencehub.context.errors import ContextNotRecorded, StoreUnavailable

PHONE = Identity("phone", "+44 20 7946 0000")
EMAIL = Identity("email", "ann@example.com")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "context.db"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteContextStore]:
    with SqliteContextStore(path, busy_timeout_seconds=0.01) as opened:
        yield opened
        opened._check()


@pytest.fixture
def locker(path: Path) -> Iterator[sqlite3.Connection]:
    """A second connection that can hold the file's write lock."""
    conn = sqlite3.connect(path, isolation_level=None)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_a_write_past_the_busy_timeout_raises_store_unavailable_and_loses_nothing(
    store: SqliteContextStore, locker: sqlite3.Connection
) -> None:
    cust = store.resolve(PHONE, at=1.0)
    store.record_contact(cust, contact_id="c1", channel="phone", at=2.0)
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreUnavailable) as caught:
        store.record_contact(cust, contact_id="c2", channel="chat", at=3.0)
    message = str(caught.value)
    assert message.startswith("record_contact: ")
    assert "database is locked" in message and "busy_timeout_seconds=0.01" in message
    assert "rolled back" in message and "Nothing acknowledged was lost" in message
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    with pytest.raises(StoreUnavailable, match=r"^resolve: .*locked"):
        store.resolve(EMAIL, at=4.0)
    locker.execute("ROLLBACK")
    assert [c.contact_id for c in store.contacts(cust)] == ["c1"]  # earlier write kept
    assert store.find(EMAIL) is None  # the failed one left nothing
    store.record_contact(cust, contact_id="c2", channel="chat", at=3.0)  # retry works


def test_opening_a_locked_file_raises_store_unavailable(
    path: Path, locker: sqlite3.Connection
) -> None:
    SqliteContextStore(path).close()
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreUnavailable, match=r"^open: .*locked"):
        SqliteContextStore(path, busy_timeout_seconds=0.01)


def test_a_read_only_database_fails_the_write_and_keeps_the_rest(
    store: SqliteContextStore,
) -> None:
    cust = store.resolve(PHONE, at=1.0)
    store.record_fact(cust, "topic", "billing", channel="chat", at=2.0)
    store._conn().execute("PRAGMA query_only=ON")  # what a read-only file or mount does
    with pytest.raises(StoreUnavailable, match=r"^record_fact: .*readonly.*rolled back"):
        store.record_fact(cust, "postcode", "SW1A 1AA", channel="chat", at=3.0)
    with pytest.raises(StoreUnavailable, match=r"^forget: "):
        store.forget(cust, at=4.0)
    assert [f.name for f in store.facts(cust, at=5.0)] == ["topic"]  # reads still work
    store._conn().execute("PRAGMA query_only=OFF")
    store.forget(cust, at=6.0)
    assert store.find(PHONE) is None


def test_a_lost_connection_raises_store_unavailable_then_reconnects(
    store: SqliteContextStore,
) -> None:
    cust = store.resolve(PHONE, at=1.0)
    store._conn().close()  # the connection is gone (closed under us)
    with pytest.raises(StoreUnavailable, match=r"^identities: .*closed") as caught:
        store.identities(cust)
    assert isinstance(caught.value.__cause__, sqlite3.ProgrammingError)
    assert store.identities(cust) == (PHONE,)  # the next call opened a fresh connection


def test_the_hub_never_loses_decisions_when_the_database_locks_mid_arrival(
    store: SqliteContextStore, locker: sqlite3.Connection
) -> None:
    class LockAfterResolve:
        """Affinity runs between the hub's resolve and its routing: lock the file there."""

        def preferred_agents(self, customer_id: str, at: float) -> tuple[str, ...]:
            locker.execute("BEGIN EXCLUSIVE")
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
    assert offer.agent_id == "a1"  # WAL readers are not blocked: the brief was built
    locker.execute("ROLLBACK")
    cust = store.find(PHONE)
    assert cust is not None and store.contacts(cust) == ()  # arrival not recorded, customer kept
    hub.handle(ev.OfferAccepted(at=2.0, contact_id="c1", agent_id="a1"))
    (record,) = store.contacts(cust)
    assert (record.contact_id, record.agent_id) == ("c1", "a1")


def test_an_arrival_whose_resolve_fails_is_not_routed(
    store: SqliteContextStore, locker: sqlite3.Connection
) -> None:
    router = Router(SkillGraph(), [QueueSpec("calls", channel="phone", requires={"support": 1})])
    hub = ExperienceHub(router, store)
    hub.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"support": 1}))
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreUnavailable, match=r"^resolve: "):
        hub.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="calls",
                                     attributes={"identity": PHONE}))  # fmt: skip
    assert router.stats.waiting("calls") == 0 and router.now == 0.0
