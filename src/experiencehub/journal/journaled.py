"""JournaledRouter: a Router whose accepted events are journaled before their decisions return.

Theory of operation
-------------------
The router is deterministic, so its state is a function of the events it accepted: the journal
keeps those events (:mod:`.records`), snapshots bound how many must be replayed
(:mod:`.snapshots`), and :func:`recover` loads the newest usable snapshot and replays the journal
after it. ``handle(event)``:

1. refuses an event whose ids read as a card number or a secret (:class:`~.errors.SecretInEvent`;
   nothing routed, nothing written);
2. routes it (``Router.handle``);
3. if accepted, appends it to the journal and only then returns the decisions. If rejected, the
   router was left as after ``Tick(at=event.at)`` (docs/routing.md), so when that tick could have
   changed anything — the clock moved, or a deadline was due — ``Tick(at=event.at)`` is journaled
   before the error is re-raised. A rejection that changes nothing (``ClockWentBackwards``, a
   non-event, a bad time) writes nothing. A ``Tick`` that changes nothing is not journaled either;
4. every ``snapshot_every_events`` records, or once ``snapshot_every_seconds`` of event time
   passed, writes a snapshot, begins a new journal segment and applies the retention rule: keep
   the newest ``keep_snapshots`` snapshots and the journal after the oldest of them.

A failed journal write (disk full, I/O error) raises :class:`~.errors.JournalFailed` *without*
the decisions: the router in memory is ahead of the journal, so it is dropped and every later
call refuses; recover and send the event again (it was never acknowledged). ``RouterFailed``
(a bug in the router) is journaled as nothing: recovery rebuilds the state before that event.

What the host gets: once ``handle`` returned, the event is in the journal (on stable storage with
``fsync="always"``; with the operating system with ``"os"``). The decisions of the last events
before a crash may not have been carried out: after :func:`recover`, re-synchronise desktops from
``Router.agent_ids()`` and ``Router.work(agent_id)`` (docs/durability.md).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from .. import wire
from ..core import decisions as dc
from ..core import events as ev
from ..core.errors import ConfigError, RouterFailed, RoutingError
from ..core.router import Router
from .backends import FSYNC_POLICIES, FileJournal, JournalBackend, SqliteJournal, lock_directory
from .errors import (
    JournalCorrupt,
    JournalFailed,
    NothingToRecover,
    SnapshotCorrupt,
    SnapshotRefused,
)
from .records import decode, encode, refuse_secrets_in
from .snapshots import list_snapshots, read_snapshot, write_snapshot

__all__ = ["JournalConfig", "JournaledRouter", "RecoveryReport", "recover"]

_EVENT_TYPES = frozenset(wire.EVENT_TYPES.values())
BACKENDS = ("file", "sqlite")


def _positive_or_none(_instance: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise ConfigError(f"{attribute.name}={value!r}: must be a finite number > 0, or None")


def _one_of(*choices: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if value not in choices:
            raise ConfigError(f"{attribute.name}={value!r}: must be one of {', '.join(choices)}")

    return check


def _at_least_one(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{attribute.name}={value!r}: must be an integer >= 1")


@attrs.frozen(kw_only=True, slots=True)
class JournalConfig:
    """How a journal is kept.

    ``backend``: ``"file"`` (fsync'd append-only segments, the default: fastest, see
    docs/performance.md) or ``"sqlite"``. ``fsync``: ``"always"`` (durable through power loss)
    or ``"os"`` (durable through a process crash). A snapshot is written every
    ``snapshot_every_events`` journal records or ``snapshot_every_seconds`` of event time,
    whichever comes first (None: never by that measure). Retention keeps the newest
    ``keep_snapshots`` snapshots and the journal after the oldest of them (2: one to fall back on).
    """

    backend: str = attrs.field(default="file", validator=_one_of(*BACKENDS))
    fsync: str = attrs.field(default="always", validator=_one_of(*FSYNC_POLICIES))
    snapshot_every_events: int | None = attrs.field(default=100_000, validator=_positive_or_none)
    snapshot_every_seconds: float | None = attrs.field(default=3600.0, validator=_positive_or_none)
    keep_snapshots: int = attrs.field(default=2, validator=_at_least_one)


@attrs.frozen(kw_only=True, slots=True)
class RecoveryReport:
    """What :func:`recover` found: the snapshot it started from, the records it replayed, the
    snapshots it refused (file name and reason), and the bytes of a torn last record it cut."""

    snapshot_seq: int
    replayed: int
    refused_snapshots: tuple[tuple[str, str], ...]
    dropped_bytes: int


def _open_backend(directory: Path, config: JournalConfig) -> JournalBackend:
    backend: JournalBackend
    if config.backend == "sqlite":
        backend = SqliteJournal(directory, fsync=config.fsync)
    else:
        backend = FileJournal(directory, fsync=config.fsync)
    return backend


class JournaledRouter:
    """A Router whose accepted events are journaled before ``handle`` returns their decisions.

    Build one with :meth:`create` (a new journal) or :func:`recover` (an existing one). ``router``
    is the routed state, for reads (``work``, ``stats``, ``explain``…); send every event through
    :meth:`handle`, never to ``router.handle`` directly.

    Cost per event: the router's, plus encoding the event (a few µs), one write and, with
    ``fsync="always"``, one fdatasync; a snapshot now and then costs O(router size).
    """

    def __init__(
        self,
        directory: Path,
        router: Router,
        backend: JournalBackend,
        config: JournalConfig,
        *,
        seq: int,
        snapshot_seq: int,
        lock: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self._lock = lock
        self.router = router
        self.config = config
        self._backend = backend
        self._seq = seq
        self._snapshot_seq = snapshot_seq
        self._snapshot_at = router.now
        self._failure: str | None = None
        self.snapshot_error: Exception | None = None  # the last failed snapshot write, if any
        self.recovery: RecoveryReport | None = None  # set by recover()

    @classmethod
    def create(
        cls, directory: Path | str, router: Router, config: JournalConfig | None = None
    ) -> JournaledRouter:
        """Start a journal in ``directory`` (created if missing; must hold no journal) for
        ``router``, with a first snapshot of it as it is now. Cost: one snapshot.
        """
        config = config or JournalConfig()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        if FileJournal.exists(path) or SqliteJournal.exists(path) or list_snapshots(path):
            raise ConfigError(
                f"{path}: already holds a journal; recover it, or use an empty directory"
            )
        lock = lock_directory(path)
        try:
            write_snapshot(path, 0, router)
            backend = _open_backend(path, config)
            backend.cut(0)  # the first segment exists from the start
        except BaseException:
            _unlock(lock)
            raise
        return cls(path, router, backend, config, seq=0, snapshot_seq=0, lock=lock)

    # -- routing ---------------------------------------------------------------------------
    def handle(self, event: ev.Event) -> list[dc.Decision]:
        """Route ``event``; journal it if accepted; then return its decisions (see the module
        docstring for rejections, failures and snapshots). Cost: see the class docstring.
        """
        if self._failure is not None:
            raise JournalFailed(f"refused: {self._failure}; recover() the journal, then resend")
        refuse_secrets_in(event)
        before_now, due = self.router.now, self.router.next_deadline()
        try:
            out = self.router.handle(event)
        except RouterFailed as err:
            self._failure = f"the router failed ({err})"
            self._close_backend()  # recover() may open the directory now
            raise
        except RoutingError as err:
            if self._ticked(event, before_now, due):
                self._append(ev.Tick(at=event.at), err)
            raise
        if not isinstance(event, ev.Tick) or self._ticked(event, before_now, due):
            self._append(event, None)
        self._maybe_snapshot()
        return out

    def _ticked(self, event: ev.Event, before_now: float, due: float | None) -> bool:
        """Whether a (rejected or tick) event left a trace: the clock moved or deadlines ran."""
        if type(event) not in _EVENT_TYPES or self.router.now != event.at:
            return False  # refused before the time check: nothing changed
        return event.at > before_now or (due is not None and due <= event.at)

    def _append(self, event: ev.Event, rejected: RoutingError | None) -> None:
        seq = self._seq + 1
        try:
            self._backend.append(seq, encode(event))
        except Exception as exc:
            self._failure = f"writing journal record {seq} failed ({type(exc).__name__}: {exc})"
            self._close_backend()
            raise JournalFailed(
                f"{type(event).__name__} at={event.at}: {self._failure}; its decisions are "
                "withheld — recover() the journal and send the event again"
            ) from (exc if rejected is None else rejected)
        self._seq = seq

    # -- snapshots and retention -----------------------------------------------------------
    def _maybe_snapshot(self) -> None:
        every, seconds = self.config.snapshot_every_events, self.config.snapshot_every_seconds
        if (every is not None and self._seq - self._snapshot_seq >= every) or (
            seconds is not None and self.router.now - self._snapshot_at >= seconds
        ):
            self.snapshot()

    def snapshot(self) -> None:
        """Write a snapshot now, begin a new segment and apply retention. A failed write is kept
        in ``snapshot_error`` (the journal still holds everything). Cost: O(router size).
        """
        if self._failure is not None:
            raise JournalFailed(f"refused: {self._failure}")
        seq = self._seq
        self._snapshot_seq, self._snapshot_at = seq, self.router.now
        try:
            write_snapshot(self.directory, seq, self.router)
            self._backend.cut(seq)
            self.snapshot_error = None
        except Exception as exc:  # the journal holds every event: a snapshot is an optimisation
            self.snapshot_error = exc
            return
        self.apply_retention()

    def apply_retention(self) -> None:
        """Delete snapshots older than the newest ``keep_snapshots`` (and refused ones older than
        those), and the journal records up to the oldest snapshot kept. Cost: O(files in the
        directory).
        """
        snapshots = list_snapshots(self.directory)
        keep = snapshots[-self.config.keep_snapshots :]
        for old in snapshots[: -self.config.keep_snapshots]:
            old.path.unlink()
        if keep:
            for refused in self.directory.glob("snapshot-*.refused"):
                if refused.stem < keep[0].path.stem:
                    refused.unlink()
            self._backend.drop_through(keep[0].seq)

    # -- reads and lifetime ----------------------------------------------------------------
    @property
    def seq(self) -> int:
        """Sequence number of the last journal record (0 before any). Cost: O(1)."""
        return self._seq

    def next_deadline(self) -> float | None:
        """When to send ``Tick`` next (the router's). Cost: O(1)."""
        return self.router.next_deadline()

    def close(self) -> None:
        """Close the journal (every record is already written). Cost: O(1)."""
        if self._failure is None:
            self._failure = "the journal was closed"
        self._close_backend()

    def _close_backend(self) -> None:
        with contextlib.suppress(Exception):  # after a failed write the journal is abandoned
            self._backend.close()
        _unlock(self._lock)
        self._lock = None

    def __del__(self) -> None:  # dropped without close(): files and lock go, as if it died
        with contextlib.suppress(Exception):
            self._close_backend()

    def __enter__(self) -> JournaledRouter:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


def recover(directory: Path | str, config: JournalConfig | None = None) -> JournaledRouter:
    """Rebuild the journaled router of ``directory`` as it was after its last journal record,
    and keep journaling there.

    Loads the newest snapshot that passes its checks (a refused one — another version, damaged —
    is listed in ``.recovery``, renamed to ``*.refused`` and the previous one is tried), then replays every journal record
    after it. A torn last record is cut off. ``config.backend`` must be the one the journal was
    written with. Raises :class:`NothingToRecover` (no usable snapshot) or
    :class:`JournalCorrupt` (a damaged record before the tail, a gap, or a record the router
    refuses). Cost: O(router size) to load, plus O(records after the snapshot) to replay.
    """
    config = config or JournalConfig()
    path = Path(directory)
    exists = SqliteJournal.exists if config.backend == "sqlite" else FileJournal.exists
    if not path.is_dir() or not (exists(path) or list_snapshots(path)):
        raise NothingToRecover(f"{path}: holds no {config.backend} journal")
    other, other_exists = ("file", FileJournal.exists) if config.backend == "sqlite" else (
        "sqlite", SqliteJournal.exists)  # fmt: skip
    if other_exists(path):  # recovering it with the other back-end would skip its records
        raise ConfigError(
            f"{path}: holds a {other} journal; recover it with JournalConfig(backend={other!r})"
        )
    lock = lock_directory(path)
    try:
        for unfinished in path.glob("snapshot-*.tmp"):  # a snapshot write the crash cut short
            unfinished.unlink()
        backend = _open_backend(path, config)
    except BaseException:
        _unlock(lock)
        raise
    try:
        snapshot_seq, router, refused = _newest_usable_snapshot(path)
        seq, replayed = _replay(router, backend, snapshot_seq)
    except BaseException:
        backend.close()
        _unlock(lock)
        raise
    journaled = JournaledRouter(
        path, router, backend, config, seq=max(seq, snapshot_seq), snapshot_seq=snapshot_seq,
        lock=lock,
    )  # fmt: skip
    journaled.recovery = RecoveryReport(
        snapshot_seq=snapshot_seq,
        replayed=replayed,
        refused_snapshots=tuple(refused),
        dropped_bytes=getattr(backend, "dropped_bytes", 0),
    )
    return journaled


def _unlock(lock: int | None) -> None:
    if lock is not None:
        os.close(lock)  # releases the flock


def _newest_usable_snapshot(directory: Path) -> tuple[int, Router, list[tuple[str, str]]]:
    refused: list[tuple[str, str]] = []
    for info in reversed(list_snapshots(directory)):
        try:
            seq, router = read_snapshot(info.path)
            if seq != info.seq:
                raise SnapshotCorrupt(
                    f"{info.path.name}: the name names record {info.seq}, the header {seq}"
                )
        except SnapshotRefused as err:
            refused.append((info.path.name, str(err)))
            # set aside (kept for inspection), so retention never counts it as a fallback
            info.path.replace(info.path.with_suffix(".refused"))
            continue
        return seq, router, refused
    reasons = "; ".join(f"{name}: {why}" for name, why in refused) or "none found"
    raise NothingToRecover(f"{directory}: no usable snapshot ({reasons})")


def _replay(router: Router, backend: JournalBackend, after: int) -> tuple[int, int]:
    """Apply the records after ``after``; return the last sequence number and the count."""
    expected, replayed = after + 1, 0
    for seq, payload in backend.records(after):
        if seq != expected:
            raise JournalCorrupt(f"journal record {expected} is missing (the next one is {seq})")
        try:
            router.handle(decode(payload))
        except RoutingError as err:
            raise JournalCorrupt(
                f"journal record {seq} was refused on replay ({type(err).__name__}: {err}); was "
                "the journal written with another configuration?"
            ) from err
        expected, replayed = seq + 1, replayed + 1
    return expected - 1, replayed
