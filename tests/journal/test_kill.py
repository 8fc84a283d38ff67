"""A real ``kill -9``: a child process runs a journaled router under load (fsync="always") and
acknowledges each event after ``handle`` returned; it is killed with SIGKILL at random moments, 30
times, alternating the file and SQLite back-ends. After each kill, recovery must hold every
acknowledged event, the SQLite file must pass ``PRAGMA integrity_check``, and the recovered
router must equal a twin fed the same events in this process."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiencehub.journal import JournalConfig, recover
from journal_streams import build_router, fingerprint, next_event

CHILD = Path(__file__).with_name("kill_child.py")
KILLS = 30


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_at_random_moments_loses_no_acknowledged_event(tmp_path: Path) -> None:
    rng = random.Random(2026)
    seed = 3
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parents[1]), *sys.path])}
    twins = {backend: build_router(seed) for backend in ("file", "sqlite")}
    positions = dict.fromkeys(twins, 0)
    for kill in range(KILLS):
        backend = ("file", "sqlite")[kill % 2]
        directory = tmp_path / backend
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(directory), backend, str(seed)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert child.stdout is not None
        first = child.stdout.readline()  # running: at least one event acknowledged
        assert first, child.stderr.read() if child.stderr else "child died"
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        acknowledged = int([first, *child.stdout.read().split()][-1])
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
        if backend == "sqlite":
            with sqlite3.connect(directory / "journal.sqlite") as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            conn.close()
        journaled = recover(directory, JournalConfig(backend=backend))
        assert journaled.seq >= acknowledged, (kill, backend, journaled.seq, acknowledged)
        twin = twins[backend]
        while positions[backend] < journaled.seq:
            twin.handle(next_event(twin, seed, positions[backend]))
            positions[backend] += 1
        assert fingerprint(journaled.router) == fingerprint(twin), (kill, backend)
        journaled.close()
    assert min(positions.values()) > KILLS  # the children did work between kills
