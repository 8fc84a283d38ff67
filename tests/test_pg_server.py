"""Without PostgreSQL binaries the PostgreSQL store's tests skip, and say why; with them, the
helper finds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pg_server import bindir_or_skip, find_bindir


def test_no_server_binary_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``postgres_server`` fixture calls ``bindir_or_skip``, so every test using it skips."""
    pytest.importorskip("psycopg")
    monkeypatch.setenv("EXPERIENCEHUB_PG_BINDIR", "/nonexistent")
    assert find_bindir() is None
    with pytest.raises(pytest.skip.Exception) as skipped:
        bindir_or_skip()
    assert "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found" in str(skipped.value)


def test_a_directory_with_the_binaries_is_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("EXPERIENCEHUB_PG_BINDIR", str(tmp_path))
    assert find_bindir() == tmp_path
