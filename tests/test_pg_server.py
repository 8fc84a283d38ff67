"""Without PostgreSQL binaries the PostgreSQL store's tests skip, and say why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_postgres_tests_skip_with_a_reason_when_no_server_binary_exists() -> None:
    env = {**os.environ, "EXPERIENCEHUB_PG_BINDIR": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/context/test_store.py", "-k", "resolve_creates_once"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 1 skipped" in done.stdout, done.stdout  # memory and SQLite still run
    assert "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found" in done.stdout
