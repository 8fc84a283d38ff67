"""Where journal records go: an fsync'd append-only file (the default) or SQLite.

Both keep records numbered 1, 2, 3… (the *sequence*) and offer the same few operations: append
one record durably, read the records after a sequence number in order, mark a snapshot point
(``cut``) and drop the records a snapshot made unnecessary (``drop_through``). Neither knows
about routing; :mod:`.journaled` decides what is written and when.

Fsync policies (``fsync=``):

- ``"always"``: each record reaches stable storage before ``append`` returns (``fdatasync`` of
  the file; SQLite ``synchronous=FULL``). An acknowledged event survives power loss.
- ``"os"``: each record is handed to the operating system before ``append`` returns (a
  ``write``; SQLite ``synchronous=NORMAL``). It survives the process dying (``kill -9``, a
  crash), not a power loss or kernel crash, which can lose the last records.

**File back-end** (:class:`FileJournal`): segments ``journal-<first seq>.log`` of framed records
(:func:`.records.frame`); a new segment begins at each snapshot, so retention deletes whole files.
On opening, a torn last record (short, or failing its CRC-32) at the end of the last segment is
cut off; a damaged record in an earlier segment, or segments that do not chain, is
:class:`~.errors.JournalCorrupt`.

**SQLite back-end** (:class:`SqliteJournal`): one table ``events(seq INTEGER PRIMARY KEY, body)``
in ``journal.sqlite``, WAL mode, one transaction per record; SQLite's own journal makes a torn
write invisible.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .errors import JournalCorrupt, JournalLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from .records import FRAME_HEADER, frame, read_frames

__all__ = [
    "FSYNC_POLICIES",
    "FileJournal",
    "JournalBackend",
    "SqliteJournal",
    "fsync_directory",
    "lock_directory",
]

FSYNC_POLICIES = ("always", "os")
SQLITE_NAME = "journal.sqlite"
_SEGMENT = re.compile(r"journal-(\d{12})\.log")


def fsync_directory(directory: Path) -> None:
    """Make a file created, renamed or removed in ``directory`` durable (POSIX). Cost: 1 fsync."""
    if os.name != "posix":  # pragma: no cover - Windows has no directory fsync
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def lock_directory(directory: Path) -> int | None:
    """Take the directory's ``LOCK`` file (an exclusive ``flock``), so one journaled router at a
    time writes there; the lock goes with the file descriptor (closed, or the process dies).
    Raises :class:`JournalLocked` if another holds it. Not a fence between hosts: a network file
    system may not honour it. None where ``fcntl`` does not exist (Windows). Cost: O(1).
    """
    if fcntl is None:  # pragma: no cover - Windows
        return None
    fd = os.open(Path(directory) / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise JournalLocked(
            f"{directory}: another journaled router holds it (in this process or another); "
            "close that one first, or fence its host"
        ) from exc
    return fd


class JournalBackend(Protocol):
    """What :class:`~.journaled.JournaledRouter` needs from a place to keep records."""

    def append(self, seq: int, payload: bytes) -> None: ...
    def records(self, after: int) -> Iterator[tuple[int, bytes]]: ...
    def first_seq(self) -> int | None: ...
    def last_seq(self) -> int: ...
    def cut(self, seq: int) -> None: ...
    def drop_through(self, seq: int) -> None: ...
    def close(self) -> None: ...


class FileJournal:
    """Segments of length- and CRC-framed records, appended with one ``write`` each.

    Cost: ``append`` is one write (plus one ``fdatasync`` with ``fsync="always"``); opening reads
    the last segment once; ``records`` reads the segments it returns from.
    """

    def __init__(self, directory: Path, *, fsync: str = "always") -> None:
        self.directory = Path(directory)
        self.sync = fsync == "always"
        self.dropped_bytes = 0  # torn tail cut off when opening
        self._segments = self._list()
        self._last = 0
        self._fd: int | None = None
        if self._segments:
            self._last = self._open_tail()

    @staticmethod
    def exists(directory: Path) -> bool:
        return any(_SEGMENT.fullmatch(p.name) for p in Path(directory).iterdir())

    def _list(self) -> list[int]:
        firsts = (_SEGMENT.fullmatch(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in firsts if m)

    def _path(self, first: int) -> Path:
        return self.directory / f"journal-{first:012d}.log"

    def _open_tail(self) -> int:
        """Cut a torn last record off the last segment; return the last sequence number."""
        first = self._segments[-1]
        path = self._path(first)
        data = path.read_bytes()
        count, end = 0, 0
        for offset, payload in read_frames(data):
            count, end = count + 1, offset + FRAME_HEADER.size + len(payload)
        if end < len(data):
            self.dropped_bytes = len(data) - end
            with path.open("r+b") as handle:
                handle.truncate(end)
                handle.flush()
                os.fsync(handle.fileno())
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return first + count - 1

    def _start_segment(self, first: int) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(
            self._path(first), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600
        )
        self._segments.append(first)
        fsync_directory(self.directory)

    def append(self, seq: int, payload: bytes) -> None:
        """Write record ``seq`` (the next one). Cost: one write (+ one fdatasync)."""
        if self._fd is None:
            self._start_segment(seq)
        assert self._fd is not None
        data = frame(payload)
        written = os.write(self._fd, data)
        if written != len(data):  # a short write to a regular file: the disk is full
            raise OSError(f"journal: wrote {written} of {len(data)} bytes")
        if self.sync:
            _datasync(self._fd)
        self._last = seq

    def cut(self, seq: int) -> None:
        """A snapshot covers records up to ``seq``: later records go to a new segment."""
        if self._segments and self._segments[-1] == seq + 1:
            return
        self._start_segment(seq + 1)

    def first_seq(self) -> int | None:
        return self._segments[0] if self._segments else None

    def last_seq(self) -> int:
        return self._last

    def records(self, after: int) -> Iterator[tuple[int, bytes]]:
        """Records with sequence > ``after``, in order. Cost: O(bytes of the segments read)."""
        segments = list(self._segments)
        for index, first in enumerate(segments):
            following = segments[index + 1] if index + 1 < len(segments) else None
            if following is not None and following <= after + 1:
                continue
            seq = first
            data = self._path(first).read_bytes()
            end = 0
            for offset, payload in read_frames(data):
                end = offset + FRAME_HEADER.size + len(payload)
                if seq > after:
                    yield seq, payload
                seq += 1
            if following is not None and (end != len(data) or seq != following):
                raise JournalCorrupt(
                    f"{self._path(first).name}: {seq - first} intact records ({end} of "
                    f"{len(data)} bytes), but the next segment begins at {following}"
                )

    def drop_through(self, seq: int) -> None:
        """Delete the segments whose records all have sequence <= ``seq``."""
        while len(self._segments) > 1 and self._segments[1] <= seq + 1:
            self._path(self._segments.pop(0)).unlink()
        fsync_directory(self.directory)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SqliteJournal:
    """Records as rows of one table; WAL, one transaction per record.

    Cost: ``append`` is one INSERT and commit (one WAL fsync with ``fsync="always"``).
    """

    def __init__(self, directory: Path, *, fsync: str = "always") -> None:
        self.path = Path(directory) / SQLITE_NAME
        self.dropped_bytes = 0
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if fsync == 'always' else 'NORMAL'}")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)"
        )

    @staticmethod
    def exists(directory: Path) -> bool:
        return (Path(directory) / SQLITE_NAME).exists()

    def append(self, seq: int, payload: bytes) -> None:
        self._conn.execute("INSERT INTO events (seq, body) VALUES (?, ?)", (seq, payload))

    def records(self, after: int) -> Iterator[tuple[int, bytes]]:
        cursor = self._conn.execute(
            "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        for seq, body in cursor:
            yield seq, bytes(body)

    def first_seq(self) -> int | None:
        first: int | None = self._conn.execute("SELECT min(seq) FROM events").fetchone()[0]
        return first

    def last_seq(self) -> int:
        last: int | None = self._conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        return last or 0

    def cut(self, seq: int) -> None:
        return None

    def drop_through(self, seq: int) -> None:
        self._conn.execute("DELETE FROM events WHERE seq <= ?", (seq,))

    def close(self) -> None:
        self._conn.close()
