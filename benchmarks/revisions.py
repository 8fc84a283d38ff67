"""Compare the routing core's event costs at two git revisions, measured in one session.

Usage (from the repository root)::

    python benchmarks/revisions.py BASE [HEAD] [--rounds 3] [--reps 2000] [--quick] [--json F]

``BASE`` and ``HEAD`` are git revisions (``HEAD`` defaults to the working tree). Each revision is
checked out into a temporary git worktree; a child process per (revision, size, round) imports the
router *and* :mod:`benchmarks.router` of that revision (``PYTHONPATH``) and prints the median µs of
each event type (arrival → offer, agent free, accept, arrival → enqueue, tick). Rounds alternate
between the revisions, so load on a shared machine hits both alike; the report gives, per event
and size, the median over rounds for each revision and the ratio HEAD / BASE, and says whether every
ratio is within ``--limit`` (1.2 by default) and whether growth from the smallest to the largest size
stayed within 1.5× of the base's growth.

This is the same-session reference the project's rule asks for ("no event slower than 1.2×"):
asv's ``continuous`` command measures one revision after the other, so on a noisy machine a
load spike can land on one side only. Nothing runs at import time (asv imports this module).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

EVENTS = ("arrival_offer", "agent_free", "accept", "arrival_enqueue", "tick")
SIZES = ((100, 1_000), (10_000, 100_000))
QUICK_SIZES = ((100, 1_000), (1_000, 10_000))

_CHILD = """
import json, sys
from benchmarks import router as b
agents, waiting, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sc = b.Scenario(agents, waiting)
out = {"arrival_offer": b.median_us(b.measure_arrival_offer(sc, reps))}
rest = b.measure_free_accept_enqueue(sc, reps)
out.update({k: b.median_us(v) for k, v in (
    ("agent_free", rest["agent_free"]), ("accept", rest["accept"]),
    ("arrival_enqueue", rest["arrival_enqueue"]))})
out["tick"] = b.median_us(b.measure_tick(sc, reps))
print(json.dumps(out))
"""


def _worktree(repo: Path, rev: str, into: Path) -> Path:
    path = into / rev.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(path), rev], check=True
    )
    return path


def _measure(tree: Path, agents: int, waiting: int, reps: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(agents), str(waiting), str(reps)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(
    trees: dict[str, Path], sizes: tuple[tuple[int, int], ...], rounds: int, reps: int
) -> dict[str, dict[str, dict[str, float]]]:
    """{revision: {"agents/waiting": {event: median µs over rounds}}}, rounds interleaved."""
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        name: {f"{a}/{w}": {e: [] for e in EVENTS} for a, w in sizes} for name in trees
    }
    for r in range(rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for agents, waiting in sizes:
            for name in order:
                got = _measure(trees[name], agents, waiting, reps)
                for event in EVENTS:
                    samples[name][f"{agents}/{waiting}"][event].append(got[event])
                print(f"round {r + 1}/{rounds} {name} {agents}/{waiting}: {got}", file=sys.stderr)
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
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="eh-revisions-") as tmp:
        trees = {args.base: _worktree(repo, args.base, Path(tmp))}
        head = args.head or "working tree"
        trees[head] = _worktree(repo, args.head, Path(tmp)) if args.head else repo
        try:
            medians = compare(trees, QUICK_SIZES if args.quick else SIZES, args.rounds, args.reps)
        finally:
            for tree in trees.values():
                if tree != repo:
                    subprocess.run(
                        ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)],
                        check=False,
                    )
    if args.json:
        args.json.write_text(json.dumps(medians, indent=2))
    return 0 if report(medians, args.limit) else 1


if __name__ == "__main__":
    sys.exit(main())
