"""Property test: random identity/link/fact/forget sequences give the same answers on every store,
and each store's invariants (``_check``) hold after every step."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import CallerError
from experiencehub.context import (
    Identity,
    MemoryContextStore,
    PostgresContextStore,
    SqliteContextStore,
)
from experiencehub.context.store import StoreBase
from pg_server import PostgresServer

IDENTITIES = [Identity("email", f"u{i}@example.com") for i in range(4)] + [
    Identity("account", f"AC-{i}") for i in range(3)
]
identity = st.sampled_from(IDENTITIES)
op = st.one_of(
    st.tuples(st.just("resolve"), identity),
    st.tuples(st.just("link"), identity, identity),
    st.tuples(st.just("fact"), identity, st.integers(1, 50)),
    st.tuples(st.just("contact"), identity, st.sampled_from(["a1", "a2", None])),
    st.tuples(st.just("forget"), identity),
    st.tuples(
        st.just("purge"),
    ),
)


def apply(store: StoreBase, step: tuple[object, ...], at: float, n: int) -> object:
    kind = step[0]
    try:
        if kind == "resolve":
            return store.resolve(step[1], at=at)  # type: ignore[arg-type]
        if kind == "link":
            return store.link(step[1], step[2], at=at, evidence="test")  # type: ignore[arg-type]
        if kind == "purge":
            return store.purge(at)
        cust = store.find(step[1])  # type: ignore[arg-type]
        if cust is None:
            return None
        if kind == "fact":
            return store.record_fact(cust, "topic", "t", channel="chat", at=at, valid_for=step[2])  # type: ignore[arg-type]
        if kind == "contact":
            return store.record_contact(
                cust, contact_id=f"c{n}", channel="chat", at=at, agent_id=step[2]
            )  # type: ignore[arg-type]
        store.forget(cust)
        return "forgot"
    except CallerError as error:
        return type(error).__name__


def view(store: StoreBase, at: float) -> list[object]:
    seen = []
    for ident in IDENTITIES:
        cust = store.find(ident)
        if cust is None:
            seen.append(None)
            continue
        brief = store.brief(cust, at=at)
        seen.append(
            (cust, brief.identities, len(brief.facts), [s.contact_id for s in brief.journey])
        )
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=25))
def test_memory_and_sqlite_stores_agree(steps: list[tuple[object, ...]]) -> None:
    memory = MemoryContextStore(retention_seconds=40)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteContextStore(Path(tmp) / "c.db", retention_seconds=40)
        for n, step in enumerate(steps):
            at = float(n * 3)
            assert apply(memory, step, at, n) == apply(sqlite, step, at, n), step
            memory._check()
            sqlite._check()
            assert view(memory, at) == view(sqlite, at)
        sqlite.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=25))
def test_memory_and_postgres_stores_agree(
    postgres_server: PostgresServer, steps: list[tuple[object, ...]]
) -> None:
    memory = MemoryContextStore(retention_seconds=40)
    with PostgresContextStore(postgres_server.clean_database(), retention_seconds=40) as postgres:
        for n, step in enumerate(steps):
            at = float(n * 3)
            assert apply(memory, step, at, n) == apply(postgres, step, at, n), step
            memory._check()
            postgres._check()
            assert view(memory, at) == view(postgres, at)
