"""Random event streams for the journal's recovery tests (importable: tests/ is on the pythonpath).

``next_event(router, seed, index)`` draws event ``index`` of stream ``seed`` from a Random seeded
by (seed, index) and the router's *public* state only, so a process that recovered a router at
position ``index`` draws exactly the events the crashed one would have: the kill -9 child and
its parent agree without sharing anything but the seed. Valid events only (each is accepted and
journaled: a Tick only when a deadline is due); ``noise`` adds rejected events for the in-process
crash tests (unknown ids, late answers, duplicates, clocks going backwards).
"""

from __future__ import annotations

import random
from typing import Any

from experiencehub import QueueSpec, Router, SkillGraph, Stage, WrapUp
from experiencehub import events as ev

CARD = "4111 1111 1111 1111"
REASONS = ["Break", "Lunch", "Training", None]
"""Away reasons (codes, as platforms define them: the journal keeps them, and refuses a card
number in one like in an id)."""


def build_router(variant: int = 0) -> Router:
    """A small mixed configuration: stages, timed and manual wrap-up, rejoin, affinity, timeouts."""
    skills = SkillGraph(["billing", "billing.eu", "tech", "lang.de"])
    skills.add_substitute("billing.eu", serves="billing", cost=2)
    queues = [
        QueueSpec("billing", channel="phone", requires={"billing": 1},
                  stages=(Stage(0.0, 0.0), Stage(20.0, 2.0), Stage(60.0, None)),
                  wrap_up=WrapUp("timed", 15.0), rejoin_seconds=30.0, service_level_seconds=40.0),
        QueueSpec("tech", channel="chat", requires={"tech": 1}, wrap_up=WrapUp("manual"),
                  aging_per_minute=1.0, affinity_seconds=10.0, max_length=12),
        QueueSpec("mail", channel="email", requires={"lang.de": 1},
                  stages=(Stage(0.0, 0.0), Stage(30.0, None))),
    ]  # fmt: skip
    policy = ["longest_idle", "round_robin", "random"][variant % 3]
    return Router(skills, queues, agent_policy=policy, seed=variant, offer_timeout=25.0,
                  max_unanswered_offers=2 if variant % 2 else None)  # fmt: skip


AGENTS = [f"a{i}" for i in range(8)]
SKILL_SETS = [
    {"billing": 2},
    {"billing.eu": 1, "tech": 1},
    {"tech": 2, "lang.de": 1},
    {"lang.de": 2},
]


def _state(router: Router) -> tuple[list[str], dict[str, list[Any]], list[str]]:
    agents = router.agent_ids()
    work = {a: router.work(a) for a in agents}
    waiting = [cid for cid in router.contact_ids() if router.contact_status(cid) == "waiting"]
    return agents, work, waiting


def next_event(router: Router, seed: int, index: int, *, noise: float = 0.0) -> ev.Event:
    """Event ``index`` of stream ``seed`` for a router in this state (see the module docstring)."""
    rng = random.Random(seed * 1_000_003 + index)
    now, due = router.now, router.next_deadline()
    step = rng.expovariate(1 / 3.0)
    at = now + step if due is None or now + step < due else now
    if due is not None and rng.random() < 0.12:
        return ev.Tick(at=due)
    if rng.random() < noise:
        return _noise(router, rng, at, index)
    agents, work, waiting = _state(router)
    offered = [(w.contact_id, a) for a in agents for w in work[a] if w.phase == "offered"]
    connected = [w.contact_id for a in agents for w in work[a] if w.phase == "connected"]
    wrapping = [(w.contact_id, a) for a in agents for w in work[a] if w.phase == "wrap_up"]
    active = [a for a in agents if router.agent_status(a) != "logging_out"]
    roll = rng.random()
    if offered and roll < 0.30:
        cid, agent = rng.choice(offered)
        kind = ev.OfferAccepted if rng.random() < 0.8 else ev.OfferRejected
        return kind(at=at, contact_id=cid, agent_id=agent)
    if connected and roll < 0.45:
        cid = rng.choice(connected)
        if rng.random() < 0.1:
            return ev.ContactTransferred(
                at=at, contact_id=cid, queue=rng.choice(["billing", "tech"])
            )
        return ev.ContactEnded(at=at, contact_id=cid)
    if wrapping and roll < 0.55:
        cid, agent = rng.choice(wrapping)
        return ev.WrapUpEnded(at=at, agent_id=agent, contact_id=cid)
    if waiting and roll < 0.62:
        return ev.ContactAbandoned(at=at, contact_id=rng.choice(waiting))
    free = [a for a in AGENTS if a not in agents]
    if roll < 0.70 and (free or active):
        if free and (rng.random() < 0.6 or not active):
            skills = dict(rng.choice(SKILL_SETS))
            return ev.AgentLoggedIn(at=at, agent_id=rng.choice(free), skills=skills,
                                    capacity={"phone": 1, "chat": rng.choice([1, 3]), "email": 2})  # fmt: skip
        agent = rng.choice(active)
        if rng.random() < 0.25:
            return ev.AgentLoggedOut(at=at, agent_id=agent)
        status = "away" if router.agent_status(agent) == "available" else "available"
        reason = rng.choice(REASONS) if status == "away" else None
        return ev.AgentStatusChanged(at=at, agent_id=agent, status=status, reason=reason)
    return ev.ContactArrived(
        at=at,
        contact_id=f"c{index}",
        queue=rng.choice(["billing", "billing", "tech", "mail"]),
        priority=rng.randint(-1, 2),
        customer_id=rng.choice([None, "cust-1", "cust-2", "cust-3"]),
        attributes={"note": f"customer read out {CARD}", "identity": ["phone", "+44 20 7946 0000"]},
        preferred_agents=rng.sample(AGENTS, rng.randint(0, 2)),
    )


def _noise(router: Router, rng: random.Random, at: float, index: int) -> ev.Event:
    """An event the router refuses (perhaps after the deadlines due by its time applied)."""
    known = router.contact_ids() or ["ghost"]
    late = (router.next_deadline() or router.now) + rng.random() * 30
    choices: list[ev.Event] = [
        ev.OfferAccepted(at=late, contact_id=rng.choice(known), agent_id="ghost"),
        ev.ContactEnded(at=at, contact_id=f"ghost{index}"),
        ev.ContactArrived(at=late, contact_id=rng.choice(known), queue="billing"),
        ev.AgentStatusChanged(at=at, agent_id=f"ghost{index}", status="away"),
        ev.ContactTransferred(at=late, contact_id=rng.choice(known), queue="nowhere"),
    ]
    if router.now > 0:
        choices.append(ev.Tick(at=max(0.0, router.now - 1.0)))  # ClockWentBackwards
    return rng.choice(choices)


def fingerprint(router: Router) -> tuple[Any, ...]:
    """The router's state as its public reads show it (equal states → equal fingerprints)."""
    agents = router.agent_ids()
    return (
        router.now,
        router.next_deadline(),
        [(a, router.agent_view(a), router.work(a)) for a in agents],
        [(cid, router.contact_status(cid)) for cid in router.contact_ids()],
        [(q, router.stats.waiting(q)) for q in router.queues],
    )
