"""Test-wide settings: under CI (env ``CI`` set, as ``.ci/run`` does) hypothesis draws the same
examples on every run, so a red run is reproducible and never a fresh random draw; locally every run
explores new examples. The ``postgres_server`` fixture starts a real PostgreSQL server for the
tests of the PostgreSQL context store."""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import sys
from collections.abc import Iterator

import pytest
from hypothesis import settings

import experiencehub
from pg_server import PostgresServer, bindir_or_skip

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _import_every_module() -> None:
    """Import every module of the package now, once (about 1 s).

    Hypothesis now and then draws a constant found in the source of the project's modules
    imported so far (test files aside), and learns of new ones as they are imported. Without
    this, which modules earlier tests happened to import changed the examples a later property
    test drew, even derandomized: a test passed alone and failed after others, or the reverse.
    A module needing an extra that is not installed is left out.
    """
    for info in pkgutil.walk_packages(experiencehub.__path__, "experiencehub."):
        with contextlib.suppress(ImportError):
            importlib.import_module(info.name)


_import_every_module()


@pytest.fixture(autouse=True)
def _forget_benchmark_modules() -> Iterator[None]:
    """Tests that load an asv suite from ``benchmarks/`` register it in ``sys.modules``; it is
    taken out after the test, so its constants never reach a later property test's draws (see
    :func:`_import_every_module`). The loaded module object keeps working. Cost: O(modules)."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.partition(".")[0] == "benchmarks":
            del sys.modules[name]


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
