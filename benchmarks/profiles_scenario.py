"""The routing-profile scenario and measuring loops of ``RoutingProfiles`` in
benchmarks/router_features.py (no benchmarks of its own: asv finds none here).

Agents log in with routing profiles over ``QUEUES`` phone queues (three queues each, priorities
1-3, delays 0, 10 or 30 s for the second and third, so agents share delay classes). Every agent is
busy except ``IDLE`` whose profile lists the ``held`` queue with a 30 s delay; the other queues
hold the waiting contacts. Two events are timed alone (median µs, like
``RouterEventMedians``):

- *delay tick*: a contact of ``held`` has waited 30 s; the ``Tick`` at that moment offers it to
  an idle agent of that delay class (restored, untimed, by abandoning it);
- *profiled agent free*: a profiled agent's contact ends and it takes the next contact by its
  profile's priority (``profile_priority`` selection); the offer is accepted and a new contact
  arrives in that queue, untimed, so the waiting count stays constant.
"""

from __future__ import annotations

import random
import time

from experiencehub import QueueSpec, Router, SkillGraph
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.events import RoutingProfile

QUEUES = 30
IDLE = 20
HELD = "held"
DELAYS = (0.0, 10.0, 30.0)
BUILD_STEP = 0.001


def _queue(i: int) -> str:
    return f"q{i:02d}"


class ProfileScenario:
    """A router with profiled agents, all busy but ``IDLE`` delayed ones, ``waiting`` contacts."""

    def __init__(self, agents: int, waiting: int, *, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        queues = [QueueSpec(_queue(i), channel="phone") for i in range(QUEUES)]
        self.router = Router(
            SkillGraph(),
            [*queues, QueueSpec(HELD, channel="phone")],
            offer_timeout=None,
            contact_selection="profile_priority",
        )
        self.now, self.serial = 0.0, 0
        self.connected: list[tuple[str, str]] = []  # (contact, agent) of the busy agents
        self.first_queue: dict[str, str] = {}  # agent → its profile's priority-1 queue
        for n in range(agents):
            picks = self.rng.sample(range(QUEUES), 3)
            profile = RoutingProfile(
                queues={
                    _queue(i): {"priority": p, "delay": 0.0 if p == 1 else self.rng.choice(DELAYS)}
                    for p, i in enumerate(picks, start=1)
                }
            )
            self.login(f"a{n}", profile)
            self.first_queue[f"a{n}"] = _queue(picks[0])
            self.arrive(_queue(picks[0]), accept=True)  # busy from now on
        while sum(self.router.stats.waiting(_queue(i)) for i in range(QUEUES)) < waiting:
            self.arrive(_queue(self.rng.randrange(QUEUES)), accept=False)
        # past every delay of the contacts just queued (nobody is free to take them): the
        # measured events then apply no deadline of the build
        self.now += max(DELAYS) + 1.0
        self.router.handle(ev.Tick(at=self.now))
        held = RoutingProfile(queues={HELD: {"priority": 1, "delay": 30.0}})
        for n in range(IDLE):
            self.login(f"idle{n}", held)

    def login(self, agent_id: str, profile: RoutingProfile) -> None:
        self.router.handle(
            ev.AgentLoggedIn(
                at=self.now, agent_id=agent_id, skills={}, capacity={"phone": 1}, profile=profile
            )
        )

    def arrive(self, queue: str, *, accept: bool) -> list[dc.Decision]:
        self.now += BUILD_STEP
        self.serial += 1
        cid = f"c{self.serial}"
        out = self.router.handle(ev.ContactArrived(at=self.now, contact_id=cid, queue=queue))
        for d in out:
            if isinstance(d, dc.Offer) and accept:
                self.router.handle(
                    ev.OfferAccepted(at=self.now, contact_id=cid, agent_id=d.agent_id)
                )
                self.connected.append((cid, d.agent_id))
        return out


def _timed(router: Router, event: ev.Event) -> tuple[int, list[dc.Decision]]:
    start = time.perf_counter_ns()
    out = router.handle(event)
    return time.perf_counter_ns() - start, out


def _one_offer(out: list[dc.Decision]) -> dc.Offer:
    offers = [d for d in out if isinstance(d, dc.Offer)]
    if len(offers) != 1:
        raise AssertionError(f"expected one Offer, got {out!r}")
    return offers[0]


def measure_delay_tick(sc: ProfileScenario, reps: int) -> list[int]:
    """ns per Tick at which a contact's profile delay passes and an idle agent takes it."""
    samples = []
    for _ in range(reps):
        out = sc.arrive(HELD, accept=False)
        if not isinstance(out[-1], dc.Enqueued):
            raise AssertionError(f"expected the held contact to wait, got {out!r}")
        at = sc.router.next_deadline()
        assert at is not None
        sc.now = at
        ns, out = _timed(sc.router, ev.Tick(at=at))
        offer = _one_offer(out)
        sc.router.handle(ev.ContactAbandoned(at=at, contact_id=offer.contact_id))
        samples.append(ns)
    return samples


def measure_profiled_agent_free(sc: ProfileScenario, reps: int) -> list[int]:
    """ns per end of a profiled agent's contact, which takes the next by profile priority."""
    samples = []
    for _ in range(reps):
        slot = sc.rng.randrange(len(sc.connected))
        cid, _agent = sc.connected[slot]
        sc.now += BUILD_STEP
        ns, out = _timed(sc.router, ev.ContactEnded(at=sc.now, contact_id=cid))
        if not any(isinstance(d, dc.Offer) for d in out):
            # its queues were empty (small sizes only): it takes the next arrival, untimed
            del sc.connected[slot]
            sc.arrive(sc.first_queue[_agent], accept=True)
            continue
        offer = _one_offer(out)
        samples.append(ns)
        sc.router.handle(
            ev.OfferAccepted(at=sc.now, contact_id=offer.contact_id, agent_id=offer.agent_id)
        )
        sc.connected[slot] = (offer.contact_id, offer.agent_id)
        sc.arrive(offer.queue, accept=False)
    return samples
