"""Count the CPU instructions each routing event costs at two git revisions: a noise-free gauge.

Usage (from the repository root; needs valgrind)::

    python benchmarks/instructions.py BASE [HEAD] [--agents 100] [--waiting 1000] [--reps 300]

Timings on this shared machine swing by a factor of two between runs (see ``revisions.py``);
instruction counts do not: the same code gives the same count to within a few hundred per event.
For each revision (checked out into a temporary git worktree; ``HEAD`` defaults to the working
tree) and each event type of :mod:`benchmarks.router` (arrival → offer, agent free, accept,
arrival → enqueue, tick), a child builds the scenario, turns the cyclic garbage collector off (the
timing medians leave its rare collections out; so do these counts), and replays ``--reps`` events,
each timed one called through ``functools.reduce``. Valgrind's callgrind counts only the
instructions run inside that call (``--toggle-collect``), so building the state and the untimed
events in between are not counted. The report gives instructions per event and the ratio
HEAD / BASE.

Instructions are not time: memory stalls are not in them, so a ratio of instructions is a lower
bound of the ratio of times on large states. Use this to see whether a change did less work, and
``revisions.py`` for the verdict in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.revisions import checked_out

EVENTS = ("arrival_offer", "agent_free", "accept", "arrival_enqueue", "tick")

_CHILD = """
import functools, gc, sys
from benchmarks import router as b
from experiencehub import events as ev
agents, waiting, reps, which = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sc = b.Scenario(agents, waiting)
router = sc.router
gc.collect()
gc.disable()

def counted(event):
    return functools.reduce(lambda _, e: router.handle(e), (event,), None)

def step(event, name):
    return counted(event) if name == which else router.handle(event)

for _ in range(reps):
    if which == "arrival_offer":
        arrive, abandon = sc.arrival_offer_events()
        b._offer_of(counted(arrive))
        router.handle(abandon)
    elif which == "tick":
        at = router.next_deadline()
        sc.now = at
        for d in counted(ev.Tick(at=at)):
            router.handle(ev.ContactAbandoned(at=at, contact_id=d.contact_id))
            router.handle(sc.enqueue_event(d.queue))
    else:
        slot, end = sc.free_agent_event()
        offer = b._offer_of(step(end, "agent_free"))
        accept = ev.OfferAccepted(
            at=sc.tick_time(), contact_id=offer.contact_id, agent_id=offer.agent_id
        )
        step(accept, "accept")
        sc.connected[slot] = (offer.contact_id, offer.agent_id)
        step(sc.enqueue_event(offer.queue), "arrival_enqueue")
"""


def count(tree: Path, event: str, agents: int, waiting: int, reps: int) -> float:
    """Instructions per ``event`` at ``tree``, counted by callgrind."""
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--toggle-collect=functools_reduce",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            _CHILD,
            str(agents),
            str(waiting),
            str(reps),
            event,
        ],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind reported no count for {event} at {tree}:\n{done.stderr}")
    return int(found.group(1)) / reps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default=None, help="default: the working tree")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=300)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    with checked_out(args.base, args.head) as trees:
        counts = {
            name: {e: count(tree, e, args.agents, args.waiting, args.reps) for e in EVENTS}
            for name, tree in trees.items()
        }
    head = args.head or "working tree"
    base = counts[args.base]
    print(f"instructions per event at {args.agents} agents / {args.waiting} waiting")
    print(f"{'event':<16}{args.base[:14]:>16}{head[:14]:>16}{'ratio':>8}")
    for event in EVENTS:
        b, h = base[event], counts[head][event]
        print(f"{event:<16}{b:>16,.0f}{h:>16,.0f}{h / b:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
