"""Determinism across processes: the same scenario and seed give the same records, KPIs and
routing decisions whatever ``PYTHONHASHSEED`` says (set and dict-of-str iteration order changes
with it, so an order-dependent decision would show here and not in one process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One replication of two scenarios — the omnichannel day (every channel, several queues and
# skills, the random policy's seeded draws) and the customer journeys with the context layer on
# (identities, merges, facts, affinity) — plus a random router event stream; printed as digests.
_PROGRAM = """
import hashlib, json, random, sys
from experiencehub import QueueSpec, Router, SkillGraph, Stage, events as ev
from experiencehub.sim import load_scenario, simulate

def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]

root = sys.argv[1]
for name, policy, context in (
    ("omnichannel-day", "random", None),
    ("customer-journeys", "longest_idle", True),
):
    result = simulate(load_scenario(f"{root}/scenarios/{name}.toml"), policy=policy,
                      context=context, replications=1)
    print(name, digest(repr(list(result.records))), digest(json.dumps(result.kpis, sort_keys=True,
                                                               default=str)))

rng = random.Random(7)
skills = SkillGraph.from_edges([("s1", "s0", 1.0), ("s2", "s0", 2.0), ("s0", "s2", 1.0)])
queues = [QueueSpec(f"q{i}", channel=("phone", "chat", "email")[i % 3],
                    requires={f"s{i % 3}": 1}, stages=[Stage(0, 0), Stage(5, 2), Stage(20, None)],
                    affinity_seconds=10.0)
          for i in range(6)]
router = Router(skills, queues, agent_policy="most_proficient", seed=3)
decisions, now = [], 0.0
agents = [f"a{i}" for i in range(30)]
for agent in agents:
    skills_of = {f"s{j}": rng.randint(1, 3) for j in rng.sample(range(3), rng.randint(1, 3))}
    decisions += router.handle(ev.AgentLoggedIn(at=now, agent_id=agent, skills=skills_of,
                                                capacity={"phone": 1, "chat": 3, "email": 2}))
offered = {}

def send(event):
    out = router.handle(event)
    decisions.extend(out)
    for d in out:
        if type(d).__name__ == "Offer":
            offered[d.contact_id] = d.agent_id
        elif type(d).__name__ in ("OfferExpired", "OfferWithdrawn"):
            offered.pop(d.contact_id, None)

for step in range(3000):
    now += rng.choice((0.0, 0.25, 0.5, 1.0))
    roll = rng.random()
    if roll < 0.35:
        send(ev.ContactArrived(at=now, contact_id=f"c{step}", queue=rng.choice(queues).name,
                               priority=rng.randint(0, 2),
                               preferred_agents=tuple(rng.sample(agents, rng.randint(0, 2)))))
    elif roll < 0.75 and offered:
        send(ev.Tick(at=now))  # offers due to expire by now do so first
        if not offered:
            continue
        cid = rng.choice(sorted(offered))
        if rng.random() < 0.7:
            send(ev.OfferAccepted(at=now, contact_id=cid, agent_id=offered.pop(cid)))
            send(ev.ContactEnded(at=now, contact_id=cid))
        else:
            send(ev.OfferRejected(at=now, contact_id=cid, agent_id=offered.pop(cid)))
    else:
        send(ev.Tick(at=now))
print("router", len(decisions), digest(repr(decisions)))
"""


def _run(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_same_results_whatever_the_hash_seed() -> None:
    first, second = _run("0"), _run("1")
    assert first.count("\n") == 3 and "router" in first, first
    assert first == second
