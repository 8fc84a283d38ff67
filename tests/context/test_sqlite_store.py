"""SQLite-only guarantees: WAL, schema migrations, threads, processes, crashes, bytes on disk."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from experiencehub import ConfigError
from experiencehub.context import (
    Identity,
    SchemaTooNew,
    SecretValueRefused,
    SqliteContextStore,
)
from experiencehub.context.facts import luhn_valid
from experiencehub.context.sqlite_store import MIGRATIONS, SCHEMA_VERSION

CARD = "4111 1111 1111 1111"
_DIGIT_RUN = re.compile(rb"[0-9](?:[ -]?[0-9]){12,}")


def persisted_files(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


def card_numbers_on_disk(db: Path) -> list[bytes]:
    """Every Luhn-valid 13–19 digit window of any digit run in the .db, -wal and -shm files.

    Stricter than the store's own check: in raw pages a neighbouring record's byte may be an ASCII
    digit glued to the number, so every window is tried, not only whole runs.
    """
    found = []
    for path in persisted_files(db):
        for match in _DIGIT_RUN.finditer(path.read_bytes()):
            digits = re.sub(rb"[ -]", b"", match.group()).decode()
            found.extend(
                digits[start : start + size].encode()
                for size in range(13, 20)
                for start in range(len(digits) - size + 1)
                if luhn_valid(digits[start : start + size])
            )
    return found


def bytes_on_disk(db: Path, needle: bytes) -> bool:
    return any(needle in path.read_bytes() for path in persisted_files(db))


def test_pragmas_wal_full_sync_and_secure_delete(tmp_path: Path) -> None:
    with SqliteContextStore(tmp_path / "c.db") as store:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with SqliteContextStore(tmp_path / "d.db", synchronous="normal") as store:
        assert store._conn().execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(ConfigError):
        SqliteContextStore(tmp_path / "e.db", synchronous="sometimes")


def test_data_survives_reopening(tmp_path: Path) -> None:
    with SqliteContextStore(tmp_path / "c.db") as store:
        cust = store.resolve(Identity("phone", "+442079460000"), at=0.0)
        store.record_verification(cust, "date_of_birth", channel="ivr", at=1.0, valid_for=900)
        store.set_preferred_channel(cust, "chat", at=1.0, said_on="phone", source="agent")
    with SqliteContextStore(tmp_path / "c.db") as store:
        assert store.find(Identity("phone", "+44 20 7946 0000")) == cust
        assert store.brief(cust, at=2.0).do_not_ask == ("date_of_birth",)
        preferred = store.preferred_channel(cust, at=2.0)
        assert preferred is not None and (preferred.channel, preferred.source) == ("chat", "agent")
        assert store.migrated_from == SCHEMA_VERSION


def test_migration_path_applies_new_steps_in_order_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteContextStore(path) as store:
        cust = store.resolve(Identity("account", "AC-1"), at=0.0)
    newer = {**MIGRATIONS, SCHEMA_VERSION + 1: ("ALTER TABLE customers ADD COLUMN segment TEXT",)}
    with SqliteContextStore(path, migrations=newer) as store:
        assert store.migrated_from == SCHEMA_VERSION
        assert store.find(Identity("account", "AC-1")) == cust
        columns = [r[1] for r in store._conn().execute("PRAGMA table_info(customers)")]
        assert "segment" in columns
    with pytest.raises(SchemaTooNew):
        SqliteContextStore(path)


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SqliteContextStore(path).close()
    broken = {**MIGRATIONS, SCHEMA_VERSION + 1: ("CREATE TABLE extra (x)", "THIS IS NOT SQL")}
    with pytest.raises(sqlite3.OperationalError):
        SqliteContextStore(path, migrations=broken)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name='extra'").fetchall()
    conn.close()


def test_many_threads_share_one_store(tmp_path: Path) -> None:
    store = SqliteContextStore(tmp_path / "c.db")
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for i in range(40):
                cust = store.resolve(Identity("chat_session", f"t{thread}-{i % 10}"), at=float(i))
                store.record_contact(cust, contact_id=f"c{thread}-{i}", channel="chat", at=float(i))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    total = store._conn().execute("SELECT count(*) FROM contacts").fetchone()[0]
    customers = store._conn().execute("SELECT count(*) FROM customers").fetchone()[0]
    assert (total, customers) == (240, 60)
    store._check()
    store.close()


WRITER = r"""
import sys
from experiencehub.context import Identity, SqliteContextStore
path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SqliteContextStore(path)
for i in range(count):
    session = Identity("chat_session", f"{tag}-{i}")
    cust = store.resolve(session, at=float(i))
    store.record_fact(cust, "topic", f"topic {i}", channel="chat", at=float(i))
    store.record_contact(cust, contact_id=f"{tag}-c{i}", channel="chat", at=float(i), agent_id="a1")
    if i % 5 == 4:  # a merge moves rows of several tables in one transaction
        store.link(session, Identity("chat_session", f"{tag}-{i - 1}"), at=float(i), evidence="same browser")
    print(i, flush=True)
"""


def spawn_writer(path: Path, tag: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def check_committed(store: SqliteContextStore, tag: str, committed: int) -> None:
    for i in range(committed):
        cust = store.find(Identity("chat_session", f"{tag}-{i}"))
        assert cust is not None, (tag, i)
        assert store.contact_customer(f"{tag}-c{i}") == cust, (tag, i)
        if i % 5 == 4:
            assert store.find(Identity("chat_session", f"{tag}-{i - 1}")) == cust


def test_several_processes_write_one_file(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SqliteContextStore(path).close()
    writers = [spawn_writer(path, f"p{n}", 60) for n in range(3)]
    for writer in writers:
        out, _ = writer.communicate(timeout=60)
        assert writer.returncode == 0
        assert len(out.split()) == 60
    with SqliteContextStore(path) as store:
        store._check()
        for n in range(3):
            check_committed(store, f"p{n}", 60)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killing_a_writer_mid_write_loses_no_committed_data(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SqliteContextStore(path).close()
    rng = random.Random(4)
    for round_ in range(5):
        tag = f"k{round_}"
        writer = spawn_writer(path, tag, 100_000)
        assert writer.stdout is not None
        committed = 0
        for _ in range(rng.randint(5, 60)):
            committed = int(writer.stdout.readline()) + 1
        os.kill(writer.pid, signal.SIGKILL)  # somewhere inside the next write
        writer.wait(timeout=10)
        with SqliteContextStore(path) as store:
            store._check()  # integrity_check + no orphans / dangling aliases
            sessions = (
                store._conn()
                .execute("SELECT count(*) FROM identities WHERE value LIKE ?", (f"{tag}-%",))
                .fetchone()[0]
            )
            # the writer may finish a few more writes between our last read and the kill (the
            # pipe buffers its lines): every write before the one killed is complete, none lost
            assert sessions >= committed
            check_committed(store, tag, max(committed, sessions - 1))


def realistic_session(store: SqliteContextStore) -> str:
    """A customer journey in which the customer, and an agent, try to hand over a card number."""
    phone = Identity("phone", "+44 20 7946 0000")
    cust = store.resolve(phone, at=0.0)
    store.link(phone, Identity("email", "ann@example.com"), at=5.0, evidence="verified in IVR")
    store.record_verification(cust, "date_of_birth", channel="ivr", at=5.0, valid_for=900)
    store.record_fact(cust, "postcode", "SW1A 1AA", channel="ivr", at=5.0, sensitivity="personal")
    store.record_fact(cust, "topic", "billing dispute", channel="chat", at=60.0)
    store.record_contact(cust, contact_id="c7", channel="chat", at=60.0, agent_id="a3")
    attempts = [
        lambda: store.record_fact(cust, "card_number", CARD, channel="chat", at=70.0),
        lambda: store.record_fact(cust, "note", f"customer pasted {CARD}", channel="chat", at=70.0),
        lambda: store.record_fact(
            cust, "payment", CARD.replace(" ", ""), channel="chat", at=70.0, sensitivity="secret"
        ),
        lambda: store.record_contact(
            cust, contact_id="c7", channel="chat", at=70.0, topic=f"refund to {CARD}"
        ),
        lambda: store.link(phone, Identity("chat_session", "s9"), at=70.0, evidence=f"card {CARD}"),
    ]
    for attempt in attempts:
        with pytest.raises(SecretValueRefused):
            attempt()
    store.record_contact(
        cust, contact_id="c7", channel="chat", at=70.0, outcome="dropped", ended_at=300.0
    )
    store.record_contact(
        cust, contact_id="c8", channel="phone", at=480.0, agent_id="a3", outcome="handled"
    )
    store.purge(1000.0)
    return cust


def test_no_card_number_reaches_any_persisted_byte(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SqliteContextStore(path)
    realistic_session(store)
    assert card_numbers_on_disk(path) == []  # while open: .db, -wal and -shm
    store.close()
    assert card_numbers_on_disk(path) == []
    # the scan itself works: a card number slipped past the store is found
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO audit (at, action, detail) VALUES (0, 'x', ?)", (CARD,))
    conn.commit()
    conn.close()
    assert CARD.replace(" ", "").encode() in card_numbers_on_disk(path)


def test_forget_scrubs_the_customer_from_every_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = SqliteContextStore(path)
    cust = realistic_session(store)
    other = store.resolve(Identity("email", "bob@example.org"), at=0.0)
    secrets = [
        b"ann@example.com",
        b"+442079460000",
        b"SW1A 1AA",
        b"verified in IVR",
        b"billing dispute",
    ]
    assert all(bytes_on_disk(path, s) for s in secrets)  # the test can fail
    store.forget(cust, at=2000.0)
    leftovers = [s for s in secrets if bytes_on_disk(path, s)]
    assert leftovers == []
    assert Path(f"{path}-wal").stat().st_size == 0  # checkpointed and truncated
    assert store.find(Identity("email", "bob@example.org")) == other
    store._check()
    store.close()


def test_forget_under_a_reader_scrubs_after_the_reader_ends(tmp_path: Path) -> None:
    """A reader's snapshot blocks the checkpoint after forget: the store says so, and the next
    write (or scrub()) once the reader is gone takes the erased bytes off the disk."""
    path = tmp_path / "c.db"
    store = SqliteContextStore(path, busy_timeout_seconds=0.05)
    cust = store.resolve(Identity("email", "ann@example.com"), at=0.0)
    store.record_fact(cust, "postcode", "SW1A 1AA", channel="chat", at=1.0, sensitivity="personal")
    store.close()  # every page in the .db file, the WAL empty
    store = SqliteContextStore(path, busy_timeout_seconds=0.05)
    assert bytes_on_disk(path, b"SW1A 1AA") and not store.scrub_pending
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM facts").fetchone()  # holds a snapshot
    store.forget(cust, at=2.0)
    assert store.scrub_pending and bytes_on_disk(path, b"SW1A 1AA")  # the test can fail
    store.resolve(Identity("email", "bob@example.org"), at=3.0)  # a write: retried, still blocked
    assert store.scrub_pending
    reader.execute("COMMIT")
    reader.close()
    store.resolve(Identity("email", "cy@example.org"), at=4.0)  # the next write scrubs
    assert not store.scrub_pending and not bytes_on_disk(path, b"SW1A 1AA")
    assert store.scrub() is True
    store.close()
