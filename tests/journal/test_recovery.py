"""Deterministic simulation of crashes: long random streams, "crashes" at random points, recovery,
and every later decision compared with a twin router that never crashed.

A crash is a ``Crash`` (a BaseException, like the process dying: nothing catches it) raised at a
chosen point of ``JournaledRouter.handle``: before the journal write, in the middle of it (a torn
record: part of the frame reaches the file), right after it (journaled, but the host never got the
decisions), after ``handle`` returned, or with the newest snapshot damaged or from another version
afterwards. The host's side follows the contract: an event whose ``handle`` did not return was not
acknowledged, so it is sent again unless the journal already holds it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from experiencehub import RoutingError, wire
from experiencehub import events as ev
from experiencehub.journal import JournalConfig, JournaledRouter, recover
from experiencehub.journal.records import frame
from journal_streams import build_router, fingerprint, next_event

SLOW = os.environ.get("EXPERIENCEHUB_SLOW") == "1"
CRASHES = {"file": 1500, "sqlite": 500}  # crash points per CI run (×10 with EXPERIENCEHUB_SLOW=1)
POINTS = [
    "before_write",
    "torn_write",
    "after_write",
    "after_return",
    "bad_snapshot",
    "in_snapshot",
]


class Crash(BaseException):
    """The process died here."""


class CrashingBackend:
    """Delegates to the real back-end; raises ``Crash`` at the chosen point of the next append."""

    def __init__(self, inner: Any, point: str, rng: random.Random) -> None:
        self.inner, self.point, self.rng = inner, point, rng

    def append(self, seq: int, payload: bytes) -> None:
        if self.point == "before_write":
            raise Crash
        if self.point == "torn_write":
            if hasattr(self.inner, "_fd"):  # a file segment: part of the frame is on disk
                if self.inner._fd is None:
                    self.inner._start_segment(seq)
                data = frame(payload)
                os.write(self.inner._fd, data[: self.rng.randrange(1, len(data))])
            raise Crash  # SQLite: an uncommitted transaction is never seen
        self.inner.append(seq, payload)
        if self.point == "after_write":
            raise Crash

    def cut(self, seq: int) -> None:  # the snapshot is in place; the new segment is not
        raise Crash

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def outcome(handle: Any, event: ev.Event) -> tuple[str, Any]:
    try:
        return "ok", handle(event)
    except RoutingError as err:
        return type(err).__name__, err.decisions


def damage_newest_snapshot(directory: Path, rng: random.Random) -> bool:
    """Damage the newest snapshot when an older one is there to fall back on."""
    snapshots = sorted(directory.glob("snapshot-*.snap"))
    if len(snapshots) < 2:
        return False
    newest = snapshots[-1]
    data = bytearray(newest.read_bytes())
    if rng.random() < 0.5:  # flip a byte of the body
        data[rng.randrange(len(data) - 200, len(data))] ^= 0xFF
    else:  # written by another release
        data = data.replace(b'"package": "', b'"package": "9.', 1)
    newest.write_bytes(bytes(data))
    return True


def crash_in_snapshot(journaled: JournaledRouter, directory: Path, rng: random.Random) -> None:
    """Die while writing a snapshot (a partial temporary file), or right after it was renamed
    into place (before the journal began its new segment)."""
    if rng.random() < 0.5:
        body = max(directory.glob("snapshot-*.snap")).read_bytes()
        partial = body[: rng.randrange(len(body))]
        (directory / f"snapshot-{journaled.seq:012d}.tmp").write_bytes(partial)
        return
    journaled._backend = CrashingBackend(journaled._backend, "none", rng)
    with pytest.raises(Crash):
        journaled.snapshot()


def run_with_crashes(tmp_path: Path, backend: str, seed: int, crashes: int) -> dict[str, int]:
    """Drive a journaled router and a twin with one stream; crash ``crashes`` times; compare."""
    rng = random.Random(seed)
    config = JournalConfig(backend=backend, fsync="os", snapshot_every_events=rng.randint(20, 60),
                           snapshot_every_seconds=rng.choice([None, 400.0]), keep_snapshots=2)  # fmt: skip
    variant = seed % 6
    twin = build_router(variant)
    journaled = JournaledRouter.create(tmp_path, build_router(variant), config)
    counts = dict.fromkeys(POINTS, 0)
    index = done = 0
    while done < crashes:
        event = next_event(twin, seed, index, noise=0.15)
        index += 1
        expected = outcome(twin.handle, event)
        point = rng.choice(POINTS) if rng.random() < 0.3 else None
        if point is None:
            assert outcome(journaled.handle, event) == expected, (index, event)
            continue
        if point not in ("after_return", "bad_snapshot", "in_snapshot"):
            journaled._backend = CrashingBackend(journaled._backend, point, rng)
        try:
            got = outcome(journaled.handle, event)
        except Crash:
            pass
        else:  # returned: nothing was to be written (a rejection that changed nothing)
            assert got == expected, (index, event)
            if point not in ("bad_snapshot", "in_snapshot"):
                point = "after_return"
        if point == "in_snapshot":
            crash_in_snapshot(journaled, tmp_path, rng)
        journaled._close_backend()  # the process is gone; its open files (and lock) with it
        damaged = point == "bad_snapshot" and damage_newest_snapshot(tmp_path, rng)
        journaled = recover(tmp_path, config)
        assert journaled.recovery is not None
        assert bool(journaled.recovery.refused_snapshots) == damaged
        if point == "torn_write" and backend == "file":
            assert journaled.recovery.dropped_bytes > 0
        if point in ("before_write", "torn_write"):  # never acknowledged: the host sends it again
            assert outcome(journaled.handle, event) == expected, (index, point, event)
        assert fingerprint(journaled.router) == fingerprint(twin), (index, point)
        counts[point] += 1
        done += 1
    journaled.router._check()
    journaled.close()
    return counts


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_recovery_after_random_crashes_matches_a_twin_that_never_crashed(
    tmp_path: Path, backend: str
) -> None:
    crashes = CRASHES[backend] * (10 if SLOW else 1)
    per_run = 250
    total = dict.fromkeys(POINTS, 0)
    for run in range(crashes // per_run):
        directory = tmp_path / f"run{run}"
        counts = run_with_crashes(directory, backend, seed=run * 7 + len(backend), crashes=per_run)
        for point, n in counts.items():
            total[point] += n
    assert all(n > crashes // 10 for n in total.values()), total  # every kind of crash happened


CHILD = """
import json, sys
from experiencehub import wire
from experiencehub.journal import JournalConfig, recover
from journal_streams import next_event
journaled = recover(sys.argv[1], JournalConfig(backend=sys.argv[2]))
for line in sys.stdin:
    event = wire.loads(line)
    try:
        out = ["ok", [wire.to_json(d) for d in journaled.handle(event)]]
    except Exception as err:
        out = [type(err).__name__, [wire.to_json(d) for d in getattr(err, "decisions", ())]]
    print(json.dumps(out), flush=True)
"""


@pytest.mark.parametrize("hash_seed", ["1", "4242"])
def test_a_router_recovered_in_another_process_with_another_hash_seed_decides_the_same(
    tmp_path: Path, hash_seed: str
) -> None:
    """Set and dict-of-str iteration order changes with PYTHONHASHSEED; after unpickling and
    replaying in a process with another seed, every later decision must still be the twin's."""
    config = JournalConfig(fsync="os", snapshot_every_events=300)
    twin, journaled = build_router(1), JournaledRouter.create(tmp_path, build_router(1), config)
    for index in range(1000):  # snapshots at 300, 600, 900, then 100 records to replay
        event = next_event(twin, 5, index, noise=0.1)
        assert outcome(journaled.handle, event) == outcome(twin.handle, event)
    journaled.close()
    later, expected = [], []
    for index in range(1000, 2500):
        event = next_event(twin, 5, index, noise=0.1)
        kind, decisions = outcome(twin.handle, event)
        later.append(wire.dumps(event))
        expected.append([kind, [wire.to_json(d) for d in decisions]])
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), *sys.path])}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), "file"],
        input="\n".join(later) + "\n", capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(got) == len(expected)
    for index, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert mine == theirs, (index, later[index])
