"""The child of the kill -9 test: runs a journaled router under load until it is killed.

``python kill_child.py DIRECTORY BACKEND SEED``: recovers the journal in DIRECTORY (or starts one),
then feeds it stream SEED from where the journal ends, printing each event's position after
``handle`` returned — its acknowledgement. Every event of the stream is accepted and journaled, so
the position is the journal's sequence number.
"""

from __future__ import annotations

import sys
from pathlib import Path

from experiencehub.journal import JournalConfig, JournaledRouter, NothingToRecover, recover
from journal_streams import build_router, next_event


def main(directory: Path, backend: str, seed: int) -> None:
    config = JournalConfig(backend=backend, fsync="always", snapshot_every_events=150)
    try:
        journaled = recover(directory, config)
    except NothingToRecover:
        journaled = JournaledRouter.create(directory, build_router(seed), config)
    index = journaled.seq
    while True:
        journaled.handle(next_event(journaled.router, seed, index))
        index += 1
        assert journaled.seq == index, (journaled.seq, index)
        print(index, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
