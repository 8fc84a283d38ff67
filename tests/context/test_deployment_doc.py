"""docs/deployment.md runs as written: its ``sql`` blocks as a superuser on a real PostgreSQL
server, then its ``python`` blocks in order, in one namespace, in an empty directory, with
``EXPERIENCEHUB_POSTGRES`` naming the database the sql created."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pg_server import PostgresServer

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the 'postgres' extra)")

DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)


def test_the_deployment_page_runs_as_written(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql, python = blocks("sql"), blocks("python")
    assert len(sql) == 1 and len(python) == 3, "the page lost or gained a step: update this test"
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as admin:
        for statement in sql[0].split(";"):
            if statement.strip():
                admin.execute(statement)  # type: ignore[call-overload]
    monkeypatch.setenv("EXPERIENCEHUB_POSTGRES", postgres_server.conninfo("context", "router"))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "deployment_doc"}
    for number, code in enumerate(python, 1):
        exec(compile(code, f"{DOC}:python block {number}", "exec"), namespace)
    assert (tmp_path / "context.db").exists()
    with psycopg.connect(postgres_server.conninfo("context")) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename='customers'")
        assert owner.fetchone() == ("router",)  # the routers' role created the schema
