"""asv suites for the routing core: event costs at 100 / 10,000 agents × 1,000 / 100,000 waiting.

The scenario (target 1 in docs/performance.md): 50 skills in two groups of 25, substitution
edges inside each group (``s[i]`` serves ``s[i+1]`` at cost 1 and ``s[i+5]`` at cost 2, so two-hop
paths exist too), one phone queue per skill with 3 stages (cost 0 → cost ≤ 2 after an hour → any
agent after two). Each agent has 3 skills of its group. Group A's agents are all busy and its
queues hold the waiting contacts; group B's agents are all free and its queues are empty. That lets
every event type be measured in a steady state:

- *arrival → offer*: a contact arrives in a group-B queue and is offered to a free agent
  (restored by abandoning it, which withdraws the offer);
- *agent free → next contact*: a connected group-A contact ends; its agent takes the next waiting
  contact; *accept*: that offer is accepted; *arrival → enqueue*: a new group-A contact keeps the
  waiting count constant;
- *tick*: ``Tick(at=next_deadline())`` moves one waiting contact to its next stage (nobody free);
  that contact then abandons and a new one arrives in its queue, untimed, so ticks never run out.

``time_*`` benchmarks time one such cycle per call (asv's own timer); ``track_*_us`` benchmarks
report the median cost of the single event, timed alone with ``time.perf_counter_ns``; that is
what the speed targets in docs/performance.md are stated in. ``benchmarks/compare.py`` prints all
of it in one table.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from sortedcontainers import SortedList

from experiencehub import QueueSpec, Router, SkillGraph, Stage
from experiencehub import decisions as dc
from experiencehub import events as ev

SKILLS = 50
GROUP = SKILLS // 2
STAGE_1_AFTER = 3600.0  # far beyond the measured window: only the tick benchmark reaches it
STAGE_2_AFTER = 7200.0
BUILD_STEP = 0.01  # seconds between contacts while filling the queues
STEP = 0.0001  # seconds between measured events (keeps every event before any stage deadline)

AGENT_SIZES = (100, 10_000)
WAITING_SIZES = (1_000, 100_000)


def skill(i: int) -> str:
    return f"s{i:02d}"


def queue_name(i: int) -> str:
    return f"q{i:02d}"


def build_skills() -> SkillGraph:
    """50 skills; within each group of 25, s[i] serves s[i+1] at cost 1 and s[i+5] at cost 2."""
    graph = SkillGraph(skill(i) for i in range(SKILLS))
    for group in (0, GROUP):
        for i in range(GROUP):
            here = skill(group + i)
            graph.add_substitute(here, serves=skill(group + (i + 1) % GROUP), cost=1)
            graph.add_substitute(here, serves=skill(group + (i + 5) % GROUP), cost=2)
    return graph


def build_queues(channel: str = "phone") -> list[QueueSpec]:
    stages = [
        Stage(after=0, max_cost=0),
        Stage(after=STAGE_1_AFTER, max_cost=2),
        Stage(after=STAGE_2_AFTER, max_cost=None),
    ]
    return [
        QueueSpec(queue_name(i), channel=channel, requires={skill(i): 1}, stages=stages)
        for i in range(SKILLS)
    ]


class Scenario:
    """A router filled to a size, plus the bookkeeping the measuring loops need."""

    def __init__(
        self, agents: int, waiting: int, *, seed: int = 1, channel: str = "phone", slots: int = 1
    ) -> None:
        """``channel``/``slots``: every queue on that channel, every agent with that many slots
        on it (e.g. chat with 3: an offer leaves the agent in its pools)."""
        self.rng = random.Random(seed)
        self.channel, self.slots = channel, slots
        self.router = Router(build_skills(), build_queues(channel), seed=seed)
        self.now = 0.0
        self.serial = 0
        self.connected: list[tuple[str, str]] = []  # (contact id, agent id) of group A
        self.log_in(agents)
        self.fill(waiting)

    # -- building ------------------------------------------------------------------------
    def log_in(self, agents: int) -> None:
        """Half the agents in group A, half in group B; 3 skills each, phone capacity 1."""
        covered: set[str] = set()
        for n in range(agents):
            group = 0 if n % 2 == 0 else GROUP
            picks = self.rng.sample(range(GROUP), 3)
            skills = {skill(group + i): self.rng.randint(1, 3) for i in picks}
            self.handle(
                ev.AgentLoggedIn(
                    at=0.0, agent_id=f"a{n}", skills=skills, capacity={self.channel: self.slots}
                )
            )
            if group:
                covered.update(queue_name(group + i) for i in picks)
        # group-B queues with a cost-0 agent: an arrival there is offered at once
        self.served_b = sorted(covered)

    def fill(self, waiting: int) -> None:
        """Arrive group-A contacts (accepting every offer) until ``waiting`` of them wait."""
        while self.router_waiting() < waiting:
            self.now += BUILD_STEP
            self.arrive_a()

    def router_waiting(self) -> int:
        stats = self.router.stats
        return sum(stats.waiting(queue_name(i)) for i in range(GROUP))

    # -- events --------------------------------------------------------------------------
    def handle(self, event: ev.Event) -> list[dc.Decision]:
        return self.router.handle(event)

    def next_id(self) -> str:
        self.serial += 1
        return f"c{self.serial}"

    def tick_time(self) -> float:
        self.now += STEP
        return self.now

    def arrive_a(self) -> list[dc.Decision]:
        """A group-A arrival; an offer it gets (only while building) is accepted at once."""
        cid = self.next_id()
        queue = queue_name(self.rng.randrange(GROUP))
        out = self.handle(ev.ContactArrived(at=self.now, contact_id=cid, queue=queue))
        for d in out:
            if isinstance(d, dc.Offer):
                self.handle(ev.OfferAccepted(at=self.now, contact_id=cid, agent_id=d.agent_id))
                self.connected.append((cid, d.agent_id))
        return out

    def arrival_offer_events(self) -> tuple[ev.ContactArrived, ev.ContactAbandoned]:
        """An arrival in a group-B queue (someone is free there) and the abandon that undoes it."""
        cid = self.next_id()
        queue = self.rng.choice(self.served_b)
        at = self.tick_time()
        return (
            ev.ContactArrived(at=at, contact_id=cid, queue=queue),
            ev.ContactAbandoned(at=at, contact_id=cid),
        )

    def free_agent_event(self) -> tuple[int, ev.ContactEnded]:
        """End a random connected group-A contact: its agent will take the next waiting one."""
        slot = self.rng.randrange(len(self.connected))
        cid, _agent = self.connected[slot]
        return slot, ev.ContactEnded(at=self.tick_time(), contact_id=cid)

    def enqueue_event(self, queue: str) -> ev.ContactArrived:
        """A group-A arrival that waits (every agent who could take it is busy)."""
        return ev.ContactArrived(at=self.tick_time(), contact_id=self.next_id(), queue=queue)


def _offer_of(out: list[dc.Decision]) -> dc.Offer:
    offers = [d for d in out if isinstance(d, dc.Offer)]
    if len(offers) != 1:
        raise AssertionError(f"expected one Offer, got {out!r}")
    return offers[0]


# -- the measuring loops (shared by the asv track_ benchmarks and compare.py) ------------------
Timed = Callable[[], int]


def _timed(router: Router, event: ev.Event) -> tuple[int, list[dc.Decision]]:
    start = time.perf_counter_ns()
    out = router.handle(event)
    return time.perf_counter_ns() - start, out


def measure_arrival_offer(sc: Scenario, reps: int) -> list[int]:
    """ns per arrival that gets an offer (the restoring abandon is not timed)."""
    samples = []
    for _ in range(reps):
        arrive, abandon = sc.arrival_offer_events()
        ns, out = _timed(sc.router, arrive)
        _offer_of(out)
        sc.router.handle(abandon)
        samples.append(ns)
    return samples


def measure_free_accept_enqueue(sc: Scenario, reps: int) -> dict[str, list[int]]:
    """ns per agent-free (takes the next contact), per accept, and per arrival that waits."""
    free: list[int] = []
    accept: list[int] = []
    enqueue: list[int] = []
    for _ in range(reps):
        slot, end = sc.free_agent_event()
        ns, out = _timed(sc.router, end)
        offer = _offer_of(out)
        free.append(ns)
        ns, _out = _timed(
            sc.router,
            ev.OfferAccepted(
                at=sc.tick_time(), contact_id=offer.contact_id, agent_id=offer.agent_id
            ),
        )
        accept.append(ns)
        sc.connected[slot] = (offer.contact_id, offer.agent_id)
        # refill the queue the offer came from, so every queue keeps its length
        ns, out = _timed(sc.router, sc.enqueue_event(offer.queue))
        if not isinstance(out[-1], dc.Enqueued):
            raise AssertionError(f"expected the arrival to wait, got {out!r}")
        enqueue.append(ns)
    return {"agent_free": free, "accept": accept, "arrival_enqueue": enqueue}


def tick_cycle(sc: Scenario) -> tuple[int, int]:
    """Tick to the next deadline (one contact moves to its next stage), then, untimed, abandon that
    contact and let a new one arrive in its queue, so the supply of stage deadlines never runs out.

    Returns (ns of the Tick, expansions it made).
    """
    at = sc.router.next_deadline()
    assert at is not None
    sc.now = at
    ns, out = _timed(sc.router, ev.Tick(at=at))
    if not out or not all(isinstance(d, dc.Expanded) for d in out):
        raise AssertionError(f"expected only expansions, got {out!r}")
    for d in out:
        assert isinstance(d, dc.Expanded)
        sc.router.handle(ev.ContactAbandoned(at=at, contact_id=d.contact_id))
        sc.router.handle(sc.enqueue_event(d.queue))
    return ns, len(out)


def measure_tick(sc: Scenario, reps: int) -> list[int]:
    """ns per stage expansion caused by a Tick (no agent is free for the contact)."""
    samples = []
    for _ in range(reps):
        ns, count = tick_cycle(sc)
        samples.append(ns // count)
    return samples


def median_us(samples: list[int]) -> float:
    return statistics.median(samples) / 1000.0


# -- memory ----------------------------------------------------------------------------------
def bytes_per_waiting_contact(agents: int = 100, waiting: int = 20_000) -> float:
    """Traced bytes the router holds per extra waiting contact (ids, state, lines, deadlines)."""
    sc = Scenario(agents, 0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sc.fill(waiting)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # connected contacts are few (≤ agents/2); count them too so the figure is an upper bound
    return (after - before) / waiting


def bytes_per_agent(agents: int = 10_000) -> float:
    """Traced bytes the router holds per logged-in, free agent (state, pools, lines served)."""
    router = Router(build_skills(), build_queues())
    sc = Scenario.__new__(Scenario)
    sc.rng, sc.router, sc.now, sc.serial, sc.connected = random.Random(1), router, 0.0, 0, []
    sc.channel, sc.slots = "phone", 1
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sc.log_in(agents)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / agents


# -- asv suites ------------------------------------------------------------------------------
class RouterEvents:
    """One steady-state cycle per call, at 100 / 10,000 agents and 1,000 / 100,000 waiting."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    # building the 100k-contact state takes seconds; keep asv from rebuilding it too often
    repeat = (1, 5, 30.0)
    number = 0  # let asv pick

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = Scenario(agents, waiting)

    def time_arrival_offer_then_abandon(self, agents: int, waiting: int) -> None:
        """Arrival → offer to a free agent, plus the abandon (→ withdraw) that restores the state."""
        arrive, abandon = self.sc.arrival_offer_events()
        self.sc.router.handle(arrive)
        self.sc.router.handle(abandon)

    def time_free_accept_enqueue(self, agents: int, waiting: int) -> None:
        """Agent free → next contact, accept, and one arrival that waits (waiting stays constant)."""
        measure_free_accept_enqueue(self.sc, 1)


class RouterEventMedians:
    """Median µs of each event type timed alone (the unit the speed targets are stated in)."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    unit = "µs"
    reps = 2000

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = Scenario(agents, waiting)

    def track_arrival_offer_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_arrival_offer(self.sc, self.reps))

    def track_agent_free_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_free_accept_enqueue(self.sc, self.reps)["agent_free"])

    def track_accept_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_free_accept_enqueue(self.sc, self.reps)["accept"])

    def track_arrival_enqueue_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_free_accept_enqueue(self.sc, self.reps)["arrival_enqueue"])

    def track_tick_expand_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_tick(self.sc, self.reps))


class ChatArrivalOffer:
    """Arrival → offer to a chat agent with 3 slots, who keeps free slots (stays in its pools)."""

    params = [100, 2_000]
    param_names = ["agents"]
    timeout = 600.0
    unit = "µs"

    def setup(self, agents: int) -> None:
        self.sc = Scenario(agents, 0, channel="chat", slots=3)

    def track_arrival_offer_us(self, agents: int) -> float:
        return median_us(measure_arrival_offer(self.sc, 2000))


class StageExpansion:
    """A Tick that moves one waiting contact to its next stage (asv's timer)."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    repeat = (1, 5, 30.0)

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = Scenario(agents, waiting)

    def time_tick_expand(self, agents: int, waiting: int) -> None:
        """Tick → one stage expansion, plus the abandon and arrival that keep the state steady."""
        tick_cycle(self.sc)


class Floor:
    """The Python floor for an ordered queue: one SortedList.add + pop(0) on 100,000 items."""

    def setup(self) -> None:
        self.rng = random.Random(3)
        self.items = SortedList(self.rng.random() for _ in range(100_000))

    def time_sortedlist_add_pop(self) -> None:
        self.items.add(self.rng.random())
        self.items.pop(0)


class Memory:
    """Memory per waiting contact and per logged-in agent (target 4 in docs/performance.md)."""

    timeout = 600.0
    unit = "bytes"

    def track_bytes_per_waiting_contact(self) -> float:
        return bytes_per_waiting_contact()

    def track_bytes_per_agent(self) -> float:
        # the per-agent figure does not depend on the count, and tracing 10,000 logins is slow
        return bytes_per_agent(2_000)

    def peakmem_router_10k_agents_100k_waiting(self) -> None:
        Scenario(10_000, 100_000)


# -- scale cliffs (docs/performance.md, "Scale cliffs") ------------------------------------------


def login_ms(queues: int = 20_000, logins: int = 20) -> float:
    """Mean cost of a login with ``queues`` single-skill chat queues (each login serves 3)."""
    graph = SkillGraph([f"s{i}" for i in range(queues)])
    specs = [QueueSpec(f"q{i}", channel="chat", requires={f"s{i}": 1}) for i in range(queues)]
    router = Router(graph, specs, offer_timeout=None, max_unanswered_offers=None)
    started = time.perf_counter()
    for a in range(logins):
        skills = {f"s{(a + k) % queues}": 1 for k in range(3)}
        router.handle(
            ev.AgentLoggedIn(at=0.0, agent_id=f"a{a}", skills=skills, capacity={"chat": 1})
        )
    return (time.perf_counter() - started) / logins * 1e3


def _rejections(router: Router, out: list[dc.Decision], count: int, agent: str | None) -> float:
    """Mean cost (ms) of the last 100 of ``count`` rejections of whatever was just offered."""
    times = []
    for _ in range(count):
        offer = _offer_of(out)
        started = time.perf_counter()
        out = router.handle(
            ev.OfferRejected(at=1.0, contact_id=offer.contact_id, agent_id=agent or offer.agent_id)
        )
        times.append(time.perf_counter() - started)
    return statistics.fmean(times[-100:]) * 1e3


def rejection_by_agent_that_declined_ms(waiting: int = 8_000) -> float:
    """One chat agent declines ``waiting`` contacts in turn: cost of a rejection near the end."""
    graph = SkillGraph(["common"])
    queue = QueueSpec("q", channel="chat", requires={"common": 1})
    router = Router(graph, [queue], offer_timeout=None, max_unanswered_offers=None)
    for i in range(waiting):
        router.handle(ev.ContactArrived(at=0.0, contact_id=f"c{i}", queue="q"))
    out = router.handle(
        ev.AgentLoggedIn(at=1.0, agent_id="a", skills={"common": 1}, capacity={"chat": 1})
    )
    return _rejections(router, out, waiting - 1, "a")


def rejection_of_contact_declined_by_many_ms(agents: int = 5_000) -> float:
    """One contact declined by ``agents`` agents in turn: cost of a rejection near the end."""
    graph = SkillGraph(["common"])
    specs = [QueueSpec(f"q{i}", channel="chat", requires={"common": 1}) for i in range(20)]
    router = Router(graph, specs, offer_timeout=None, max_unanswered_offers=None)
    for a in range(agents):
        router.handle(
            ev.AgentLoggedIn(at=0.0, agent_id=f"a{a}", skills={"common": 1}, capacity={"chat": 1})
        )
    out = router.handle(ev.ContactArrived(at=1.0, contact_id="c", queue="q0"))
    return _rejections(router, out, agents - 1, None)


def print_scale_cliffs() -> None:
    """The table in docs/performance.md, "Scale cliffs" (~1 min)."""
    print(f"login, 20,000 queues: {login_ms():.2f} ms")
    print(
        f"rejection, agent that declined ~8,000 chats: {rejection_by_agent_that_declined_ms():.3f} ms"
    )
    print(
        f"rejection, contact declined by ~5,000 agents: {rejection_of_contact_declined_by_many_ms():.3f} ms"
    )


class ScaleCliffs:
    """Costs that used to grow with the number of queues or of declined contacts."""

    timeout = 900.0
    unit = "ms"

    def track_login_20k_queues_ms(self) -> float:
        return login_ms()

    def track_rejection_agent_declined_8k_ms(self) -> float:
        return rejection_by_agent_that_declined_ms()

    def track_rejection_contact_declined_by_5k_ms(self) -> float:
        return rejection_of_contact_declined_by_many_ms()


def run_once(obj: Any, method: str, *args: Any) -> Any:
    """Call ``setup`` (if any) then one benchmark method: used by the smoke test."""
    if hasattr(obj, "setup"):
        obj.setup(*args)
    return getattr(obj, method)(*args)
