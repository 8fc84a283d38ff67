"""Test-wide settings: under CI (env ``CI`` set, as ``.ci/run`` does) hypothesis draws the same
examples on every run, so a red run is reproducible and never a fresh random draw; locally every run
explores new examples. The ``postgres_server`` fixture starts a real PostgreSQL server for the
tests of the PostgreSQL context store."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from pg_server import PostgresServer, bindir_or_skip

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for this test session (each xdist worker starts its own, ~1.3 s).

    Skips, saying why, when psycopg or the server binaries are missing; stopped at session end,
    whatever happened.
    """
    server = PostgresServer(bindir_or_skip())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_conninfo(postgres_server: PostgresServer) -> str:
    """The conninfo of an empty context-store database on the session's server (about 20 ms)."""
    return postgres_server.clean_database()
