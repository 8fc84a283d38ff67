"""Fixtures shared by the context tests: every store test runs on all three back-ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from experiencehub.context import MemoryContextStore, PostgresContextStore, SqliteContextStore
from experiencehub.context.store import StoreBase

BACKENDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBase]:
    if request.param == "memory":
        yield MemoryContextStore()
        return
    opened = _open(request.param, _where(request, tmp_path / "context.db"))
    yield opened
    opened._check()
    opened.close()


@pytest.fixture(params=BACKENDS)
def shared_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[StoreBase, StoreBase]]:
    """What two hubs share: one MemoryContextStore object, or two handles on one SQLite file or
    one PostgreSQL database."""
    if request.param == "memory":
        shared = MemoryContextStore()
        yield shared, shared
        shared._check()
        return
    where = _where(request, tmp_path / "shared.db")
    a, b = _open(request.param, where), _open(request.param, where)
    yield a, b
    a._check()
    a.close()
    b.close()


def _where(request: pytest.FixtureRequest, path: Path) -> str:
    """The SQLite file, or the conninfo of a new database on the session's PostgreSQL server."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_conninfo"))
    return str(path)


def _open(kind: str, where: str) -> SqliteContextStore | PostgresContextStore:
    return PostgresContextStore(where) if kind == "postgres" else SqliteContextStore(where)
