"""Fixtures shared by the context tests: every store test runs on both back-ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from experiencehub.context import MemoryContextStore, SqliteContextStore
from experiencehub.context.store import StoreBase


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBase]:
    if request.param == "memory":
        yield MemoryContextStore()
        return
    sqlite = SqliteContextStore(tmp_path / "context.db")
    yield sqlite
    sqlite._check()
    sqlite.close()


@pytest.fixture(params=["memory", "sqlite"])
def shared_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[StoreBase, StoreBase]]:
    """What two hubs share: one MemoryContextStore object, or two handles on one SQLite file."""
    if request.param == "memory":
        shared = MemoryContextStore()
        yield shared, shared
        shared._check()
        return
    a = SqliteContextStore(tmp_path / "shared.db")
    b = SqliteContextStore(tmp_path / "shared.db")
    yield a, b
    a._check()
    a.close()
    b.close()
