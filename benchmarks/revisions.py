"""Compare the routing core's event costs at two git revisions, measured in one session.

Usage (from the repository root)::

    python benchmarks/revisions.py BASE [HEAD] [--rounds 3] [--reps 2000] [--quick] [--json F]

``BASE`` and ``HEAD`` are git revisions (``HEAD`` defaults to the working tree). Each revision is
checked out into a temporary git worktree. Per round and size, one child process per revision
imports the router *and* :mod:`benchmarks.router` of that revision (``PYTHONPATH``) and builds its
state; then the two children measure **in lockstep**: turns of ``BURST`` events of each type
(arrival → offer, agent free, accept, arrival → enqueue; the ticks after them, in turns too), one
child at a time, the one that goes first alternating. A slow or fast spell of this shared machine
(the same code measured 9 µs in one round and 17 µs in the next when the rounds ran one after the
other) thus falls on both revisions alike. Each child reports the median µs of each event; the
report gives, per event and size, the median over rounds for each revision and the ratio
HEAD / BASE, and says whether every ratio is within ``--limit`` (1.2 by default) and whether growth
from the smallest to the largest size stayed within 1.5× of the base's growth. Measured against
itself (the same commit as BASE and HEAD, five rounds), it gives ratios of 0.90–1.03.

This is the same-session reference the project's rule asks for ("no event slower than 1.2×"):
asv's ``continuous`` command measures one revision after the other, so on a noisy machine a
load spike can land on one side only. Nothing runs at import time (asv imports this module).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

EVENTS = ("arrival_offer", "agent_free", "accept", "arrival_enqueue", "tick")
SIZES = ((100, 1_000), (10_000, 100_000))
QUICK_SIZES = ((100, 1_000), (1_000, 10_000))

# One child per revision and (round, size): it builds the scenario, says "ready", then measures a
# burst of every event type each time the parent says so (``events`` first, ``tick`` after: a tick
# moves time to the next stage deadline, which would make later arrivals expand contacts), and
# prints the medians when told ``done``.
_CHILD = """
import json, sys
from benchmarks import router as b
agents, waiting, burst = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sc = b.Scenario(agents, waiting)
got = {"arrival_offer": [], "agent_free": [], "accept": [], "arrival_enqueue": [], "tick": []}
print("ready", flush=True)
for line in sys.stdin:
    what = line.strip()
    if what == "done":
        break
    if what == "events":
        got["arrival_offer"] += b.measure_arrival_offer(sc, burst)
        for event, samples in b.measure_free_accept_enqueue(sc, burst).items():
            got[event] += samples
    else:
        got["tick"] += b.measure_tick(sc, burst)
    print("ok", flush=True)
print(json.dumps({event: b.median_us(samples) for event, samples in got.items()}), flush=True)
"""

BURST = 50
"""Events of each type a child measures per turn: small enough that the turns of the two
revisions alternate every few milliseconds, so the machine's slow and fast spells fall on both."""


@contextlib.contextmanager
def checked_out(base: str, head: str | None) -> Iterator[dict[str, Path]]:
    """{name: source tree} for ``base`` and ``head`` (git revisions; ``head`` None: the working
    tree, named "working tree"), each revision in a temporary git worktree removed after."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="eh-revisions-") as tmp:
        trees: dict[str, Path] = {}
        try:
            for rev in (base, head):
                if rev is None:
                    trees["working tree"] = repo
                    continue
                path = Path(tmp) / rev.replace("/", "_")
                subprocess.run(
                    ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(path), rev],
                    check=True,
                )
                trees[rev] = path
            yield trees
        finally:
            for tree in trees.values():
                if tree != repo:
                    subprocess.run(
                        ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
                        check=False,
                    )


def _start(tree: Path, agents: int, waiting: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(agents), str(waiting), str(BURST)],
        env=env,
        cwd=tree,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _say(child: subprocess.Popen[str], what: str) -> str:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(what + "\n")
    child.stdin.flush()
    answer = child.stdout.readline()
    if not answer:
        raise RuntimeError(f"a measuring child stopped (exit {child.wait()})")
    return answer.strip()


def _measure_lockstep(
    trees: dict[str, Path], agents: int, waiting: int, reps: int, first: int
) -> dict[str, dict[str, float]]:
    """{revision: {event: median µs}}: one child per revision builds its router, then the
    children measure in turns of ``BURST`` events, never both at once (the one that goes first
    alternates with ``first``), so both see the same machine."""
    children = {name: _start(tree, agents, waiting) for name, tree in trees.items()}
    try:
        for name, child in children.items():
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{name}: the measuring child did not start")
        names = list(children)
        for what in ("events", "tick"):
            for turn in range(max(1, reps // BURST)):
                order = names if (turn + first) % 2 == 0 else names[::-1]
                for name in order:
                    _say(children[name], what)
        return {name: json.loads(_say(child, "done")) for name, child in children.items()}
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
            child.wait()


def compare(
    trees: dict[str, Path], sizes: tuple[tuple[int, int], ...], rounds: int, reps: int
) -> dict[str, dict[str, dict[str, float]]]:
    """{revision: {"agents/waiting": {event: median µs over rounds}}}, rounds interleaved."""
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        name: {f"{a}/{w}": {e: [] for e in EVENTS} for a, w in sizes} for name in trees
    }
    for r in range(rounds):
        for agents, waiting in sizes:
            got = _measure_lockstep(trees, agents, waiting, reps, first=r)
            for name, medians in got.items():
                for event in EVENTS:
                    samples[name][f"{agents}/{waiting}"][event].append(medians[event])
                shown = {e: round(v, 2) for e, v in medians.items()}
                print(f"round {r + 1}/{rounds} {name} {agents}/{waiting}: {shown}", file=sys.stderr)
    return {
        name: {
            size: {e: statistics.median(v) for e, v in events.items()}
            for size, events in per.items()
        }
        for name, per in samples.items()
    }


def report(medians: dict[str, dict[str, dict[str, float]]], limit: float) -> bool:
    base, head = list(medians)
    sizes = list(medians[base])
    ok = True
    print(f"{'event':<16}{'size':>14}{base[:12]:>14}{head[:12]:>14}{'ratio':>8}")
    for event in EVENTS:
        for size in sizes:
            b, h = medians[base][size][event], medians[head][size][event]
            ratio = h / b
            flag = "" if ratio <= limit else "  SLOWER"
            ok &= ratio <= limit
            print(f"{event:<16}{size:>14}{b:>12.2f}µs{h:>12.2f}µs{ratio:>8.2f}{flag}")
        small, large = sizes[0], sizes[-1]
        growth_b = medians[base][large][event] / medians[base][small][event]
        growth_h = medians[head][large][event] / medians[head][small][event]
        grew = growth_h > 1.5 * growth_b
        ok &= not grew
        print(
            f"{'':<16}{'growth':>14}{growth_b:>13.2f}×{growth_h:>13.2f}×{'  GREW' if grew else ''}"
        )
    print(f"every event within {limit}× of {base} and no growth beyond 1.5× its: {ok}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default=None, help="default: the working tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--limit", type=float, default=1.2)
    parser.add_argument("--quick", action="store_true", help="sizes up to 1,000 / 10,000")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with checked_out(args.base, args.head) as trees:
        medians = compare(trees, QUICK_SIZES if args.quick else SIZES, args.rounds, args.reps)
    if args.json:
        args.json.write_text(json.dumps(medians, indent=2))
    return 0 if report(medians, args.limit) else 1


if __name__ == "__main__":
    sys.exit(main())
