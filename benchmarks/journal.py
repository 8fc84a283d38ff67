"""asv suites for the journal: routing speed with the journal on (per back-end and fsync policy)
against the same router with it off, journal bytes per event, and recovery time.

The stream is a steady state of a phone queue: 100 agents all busy, 1,000 contacts waiting; each
cycle a connected contact ends, its agent is offered the next waiting contact and accepts, and a
new contact arrives (three events, all journaled). Every measurement builds a fresh router and
journal, in a temporary directory on the same disk as ``TMPDIR``.

Run: ``asv run --bench journal``, or ``python benchmarks/journal.py [recovery events]`` for the
table in docs/performance.md ("Journal"; the 1M-event recovery there is
``python benchmarks/journal.py 1000000``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiencehub import QueueSpec, Router, SkillGraph
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.journal import JournalConfig, JournaledRouter, recover

AGENTS, WAITING = 100, 1000
STEP = 0.01  # seconds between cycles
WRITE_EVENTS = {"os": 6000, "always": 600}  # events timed per policy (fsync'd writes are slow)
RECOVERY_SIZES = (10_000, 100_000)


def build_router() -> Router:
    return Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=None)


def make_stream(events: int) -> list[ev.Event]:
    """The fill (logins, arrivals up to the steady state), then cycles up to ``events`` events."""
    router, stream, connected = build_router(), [], deque[str]()
    count, now = 0, 0.0

    def send(event: ev.Event) -> None:
        stream.append(event)
        for decision in router.handle(event):
            if isinstance(decision, dc.Offer):
                answer = ev.OfferAccepted(
                    at=now, contact_id=decision.contact_id, agent_id=decision.agent_id
                )
                stream.append(answer)
                router.handle(answer)
                connected.append(decision.contact_id)

    def arrive() -> None:
        nonlocal count
        count += 1
        send(
            ev.ContactArrived(
                at=now, contact_id=f"c{count}", queue="q", customer_id=f"cust-{count % 5000}"
            )
        )

    for i in range(AGENTS):
        send(ev.AgentLoggedIn(at=0.0, agent_id=f"a{i}", skills={}, capacity={"phone": 1}))
    for _ in range(AGENTS + WAITING):
        arrive()
    while len(stream) < events:
        now += STEP
        send(ev.ContactEnded(at=now, contact_id=connected.popleft()))
        arrive()
    return stream[:events]


def _run(stream: list[ev.Event], handle: Callable[[ev.Event], Any]) -> float:
    """Seconds to handle ``stream``."""
    start = time.perf_counter()
    for event in stream:
        handle(event)
    return time.perf_counter() - start


def journal_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if not p.name.startswith("snapshot-"))


def measure_write(backend: str, fsync: str, events: int | None = None) -> dict[str, float]:
    """Events per second with the journal (and with it off, same stream, same run), and journal
    bytes per event. ``backend="off"``: the plain router only."""
    stream = make_stream(events or WRITE_EVENTS[fsync] + 2 * (AGENTS + WAITING))
    off = _run(stream, build_router().handle)
    if backend == "off":
        return {
            "events_per_s": len(stream) / off,
            "off_events_per_s": len(stream) / off,
            "bytes_per_event": 0.0,
        }
    directory = Path(tempfile.mkdtemp(prefix="journal-bench-"))
    try:
        config = JournalConfig(
            backend=backend, fsync=fsync, snapshot_every_events=None, snapshot_every_seconds=None
        )
        journaled = JournaledRouter.create(directory, build_router(), config)
        on = _run(stream, journaled.handle)
        journaled.close()
        return {"events_per_s": len(stream) / on, "off_events_per_s": len(stream) / off,
                "bytes_per_event": journal_size(directory) / journaled.seq}  # fmt: skip
    finally:
        shutil.rmtree(directory)


def write_journal(directory: Path, events: int, snapshot_every: int | None) -> None:
    config = JournalConfig(
        fsync="os", snapshot_every_events=snapshot_every, snapshot_every_seconds=None
    )
    journaled = JournaledRouter.create(directory, build_router(), config)
    for event in make_stream(events):
        journaled.handle(event)
    journaled.close()


def measure_recovery(events: int, snapshot_every: int | None) -> tuple[float, int]:
    """Seconds for ``recover`` of a journal of ``events`` events (file back-end), and the
    records it replayed."""
    directory = Path(tempfile.mkdtemp(prefix="journal-bench-"))
    try:
        write_journal(directory, events, snapshot_every)
        start = time.perf_counter()
        recovered = recover(directory)
        seconds = time.perf_counter() - start
        recovered.close()
        assert recovered.recovery is not None
        return seconds, recovered.recovery.replayed
    finally:
        shutil.rmtree(directory)


class JournalWrite:
    """Events per second through a JournaledRouter and journal bytes per event."""

    params = (["off", "file", "sqlite"], ["always", "os"])
    param_names = ("backend", "fsync")
    timeout = 600.0

    def setup(self, backend: str, fsync: str) -> None:
        self.result = measure_write(backend, fsync, getattr(self, "events", None))

    def track_events_per_second(self, _backend: str, _fsync: str) -> float:
        return self.result["events_per_s"]

    track_events_per_second.unit = "events/s"  # type: ignore[attr-defined]

    def track_share_of_speed_without_journal(self, _backend: str, _fsync: str) -> float:
        return self.result["events_per_s"] / self.result["off_events_per_s"]

    def track_journal_bytes_per_event(self, _backend: str, _fsync: str) -> float:
        return self.result["bytes_per_event"]

    track_journal_bytes_per_event.unit = "bytes"  # type: ignore[attr-defined]


class JournalRecovery:
    """``recover`` of a journal of n events: from the first snapshot only, or with a snapshot
    every 10,000 events and the journal ending 9,999 events after the last one (the most a
    recovery replays)."""

    params = (list(RECOVERY_SIZES), ["none", "every 10000"])
    param_names = ("events", "snapshots")
    timeout = 600.0

    def setup(self, events: int, snapshots: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="journal-bench-"))
        # with snapshots, the worst case: the journal ends just before the next snapshot
        every = None if snapshots == "none" else 10_000
        write_journal(self.directory, events if every is None else events - 1, every)

    def teardown(self, _events: int, _snapshots: str) -> None:
        shutil.rmtree(self.directory)

    def time_recover(self, _events: int, _snapshots: str) -> None:
        recover(self.directory).close()


def main(recovery_events: int) -> None:
    print(f"{'backend':8} {'fsync':7} {'events/s':>10} {'off events/s':>13} {'bytes/event':>12}")
    for backend in ("file", "sqlite"):
        for fsync in ("always", "os"):
            r = measure_write(backend, fsync)
            print(
                f"{backend:8} {fsync:7} {r['events_per_s']:10,.0f} {r['off_events_per_s']:13,.0f} {r['bytes_per_event']:12.1f}"
            )
    for snapshot_every in (None, 100_000):
        events = recovery_events if snapshot_every is None else recovery_events - 1
        seconds, replayed = measure_recovery(events, snapshot_every)
        print(
            f"recover {events:,} events, snapshot every {snapshot_every}: {seconds:.2f} s ({replayed:,} replayed)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
