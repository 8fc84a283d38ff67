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
