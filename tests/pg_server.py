"""A throw-away PostgreSQL server for the tests (importable: tests/ is on pytest's pythonpath).

``initdb`` into a fresh temporary directory, ``pg_ctl start`` listening only on a unix socket in
that directory, trust authentication, durability off (fsync, full-page writes, synchronous commit:
these tests are about behaviour, not power loss). PostgreSQL refuses to run as root, so as root the
directory is given to ``nobody`` and the server binaries run as that user. Start-up takes about
1.3 s; each test then gets an emptied database (truncated, about 20 ms) or, when it changes the
schema, a new one (``CREATE DATABASE``, about 200 ms).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "bindir_or_skip", "find_bindir"]

SUPERUSER = "postgres"


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when none is found.

    Looks at ``$EXPERIENCEHUB_PG_BINDIR`` alone when it is set, else ``pg_config --bindir``, the
    Debian/Ubuntu layout, then ``PATH``.
    """
    chosen = os.environ.get("EXPERIENCEHUB_PG_BINDIR")
    candidates: list[str] = [] if chosen is None else [chosen]
    if chosen is None:
        candidates += _default_bindirs()
    for candidate in candidates:
        if candidate and all(
            (Path(candidate) / b).is_file() for b in ("initdb", "pg_ctl", "postgres")
        ):
            return Path(candidate)
    return None


def bindir_or_skip() -> Path:
    """:func:`find_bindir`, or skip the test, saying why, when psycopg or the binaries are missing."""
    import pytest  # noqa: PLC0415 - this module is also used outside pytest (benchmarks)

    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the 'postgres' extra)")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via pg_config, "
            "/usr/lib/postgresql/*/bin or PATH: install PostgreSQL to run the PostgreSQL store tests"
        )
    return bindir


def _default_bindirs() -> list[str]:
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        run = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(run.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    return candidates


class PostgresServer:
    """One server in its own temporary directory; :meth:`stop` removes everything."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="experiencehub-pg-"))
        self._user = _unprivileged_user()
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._databases = 0
        self._reused: str | None = None
        self.running = False

    def start(self) -> None:
        """initdb + pg_ctl start; raises RuntimeError with the server's log on failure."""
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = f"-k {self.root} -c listen_addresses='' -c max_connections=60"
        if not self.durable:  # behaviour tests: no fsync (benchmarks pass durable=True)
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server (immediate: nothing here needs a clean shutdown) and delete its files."""
        try:
            if self.running:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                self.running = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def conninfo(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"host={self.root} dbname={dbname} user={user}"

    def create_database(self) -> str:
        """A new empty database; returns its conninfo. Cost: about 30–300 ms (it copies a template)."""
        import psycopg  # noqa: PLC0415 - only tests that use a server need it

        self._databases += 1
        name = f"t{self._databases}"
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.conninfo(name)

    def clean_database(self) -> str:
        """The conninfo of this server's reused database, emptied: the context store's tables
        are truncated and its customer numbers restarted, the schema kept (created on first use).
        Cost: about 20 ms, against about 200 ms for a new database and its migrations.
        """
        import psycopg  # noqa: PLC0415

        from experiencehub.context import PostgresContextStore  # noqa: PLC0415

        if self._reused is None:
            self._reused = self.create_database()
            PostgresContextStore(self._reused).close()  # creates the schema
        with psycopg.connect(self._reused, autocommit=True) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename != 'experiencehub_schema'"
                )
            ]
            # RESTART IDENTITY restarts the sequences the tables own, customer numbers too
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")  # type: ignore[arg-type]
        return self._reused

    def _run(self, binary: str, *args: str) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        extra: dict[str, object] = {}
        if self._user is not None:
            extra = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            [str(self.bindir / binary), *args], cwd=self.root, env=env, capture_output=True,
            text=True, check=False, **extra,  # type: ignore[call-overload]
        )  # fmt: skip
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{binary} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}"
            )


def _unprivileged_user() -> pwd.struct_passwd | None:
    """``nobody`` when running as root (PostgreSQL refuses root), else None: run as ourselves."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("nobody")
