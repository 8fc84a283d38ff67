"""asv suites of the router features added after the hot path: one class per feature, over
agent and waiting sizes like :mod:`benchmarks.router`, so that growth shows (O(1) and O(log n)
events stay flat; the documented O(agents) configuration changes grow with agents only).

Nothing here runs at import time: asv imports every module of ``benchmarks/`` while discovering.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import attrs

from experiencehub import CallbackPolicy, QueueSpec, Router, SkillGraph, Stage
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.events import CriteriaStep, RoutingCriteria

# the scenario of benchmarks/router.py, also when this file is loaded alone (the smoke test)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.profiles_scenario import (
    ProfileScenario,
    measure_delay_tick,
    measure_profiled_agent_free,
)
from benchmarks.router import (
    Scenario,
    _offer_of,
    _timed,
    build_queues,
    build_skills,
    median_us,
    queue_name,
    skill,
)

AGENT_SIZES = (100, 10_000)
WAITING_SIZES = (1_000, 100_000)
QUEUES = 20


def _queue(name: str, need: str) -> QueueSpec:
    return QueueSpec(name, channel="phone", requires={need: 1},
                     stages=[Stage(after=0, max_cost=0), Stage(after=3600, max_cost=None)])  # fmt: skip


def _runtime_router(agents: int, waiting: int, queues: list[QueueSpec]) -> Router:
    """Agents logged in but away (enrolled everywhere, taking nothing); contacts waiting
    spread evenly over q1..q19 (q0 stays empty), arriving in turn."""
    router = Router(SkillGraph(), queues)
    for i in range(agents):
        skills = {f"s{i % QUEUES}": 1, f"s{(i + 1) % QUEUES}": 1}
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id=f"a{i}", skills=skills,
                                       capacity={"phone": 1}))  # fmt: skip
        router.handle(ev.AgentStatusChanged(at=0.0, agent_id=f"a{i}", status="away"))
    for i in range(waiting):
        queue = f"q{1 + i % (QUEUES - 1)}"  # q0 stays empty: closing it touches nothing
        router.handle(ev.ContactArrived(at=1.0, contact_id=f"c{i}", queue=queue))
    return router


class QueueRuntime:
    """Queues closed, opened and added while contacts flow: agents logged in but away (so they
    are enrolled everywhere and take nothing) and contacts waiting across 20 queues."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    repeat = (1, 5, 30.0)
    number = 0

    def setup(self, agents: int, waiting: int) -> None:
        queues = [_queue(f"q{i}", f"s{i}") for i in range(QUEUES)]
        self.router = _runtime_router(agents, waiting, queues)
        self.router.handle(ev.QueueClosed(at=1.0, queue="q1"))
        self.serial = 0

    def time_close_and_open(self, agents: int, waiting: int) -> None:
        """QueueClosed then QueueOpened of a queue that keeps its contacts: O(1) each."""
        self.router.handle(ev.QueueClosed(at=2.0, queue="q0", reason="drill"))
        self.router.handle(ev.QueueOpened(at=2.0, queue="q0"))

    def time_arrival_to_closed_queue(self, agents: int, waiting: int) -> None:
        """An arrival to a closed queue, refused: O(1)."""
        self.serial += 1
        self.router.handle(ev.ContactArrived(at=2.0, contact_id=f"x{self.serial}", queue="q1"))

    def time_add_queue(self, agents: int, waiting: int) -> None:
        """QueueAdded: every logged-in agent's eligibility again, O(agents) (documented)."""
        self.serial += 1
        self.router.handle(ev.QueueAdded(at=2.0, spec=_queue(f"new{self.serial}", "s0")))

    def time_change_queue(self, agents: int, waiting: int) -> None:
        """QueueChanged of q2 (1/19 of the waiting contacts sit in it), its last stage moved
        and back: O(contacts) to find the queue's, O(w log n) to requeue its w waiting ones,
        O(agents) for eligibility (documented)."""
        self.serial += 1
        later = attrs.evolve(_queue("q2", "s2"), stages=[Stage(after=0, max_cost=0),
                                                         Stage(after=1800, max_cost=None)])  # fmt: skip
        self.router.handle(ev.QueueChanged(at=2.0, spec=later))
        self.router.handle(ev.QueueChanged(at=2.0, spec=_queue("q2", "s2")))


class QueueClosing:
    """A queue closed with the rule ``"move"`` (q2, its 1/19 of the waiting contacts moved to
    the empty q0) or ``"end"`` (q3, its contacts refused), on the router of
    :class:`QueueRuntime`: O(k) to find the queue's k contacts, O(log n) to move or end each.
    Each sample closes once on a fresh router (``number = 1``: a closing cannot be repeated)."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    number = 1
    repeat = (1, 5, 60.0)
    warmup_time = 0.0

    def setup(self, agents: int, waiting: int) -> None:
        queues = [_queue(f"q{i}", f"s{i}") for i in range(QUEUES)]
        queues[2] = attrs.evolve(queues[2], closed_rule="move", closed_queue="q0")
        queues[3] = attrs.evolve(queues[3], closed_rule="end")
        self.router = _runtime_router(agents, waiting, queues)

    def time_close_moving(self, agents: int, waiting: int) -> None:
        """QueueClosed of q2: its waiting contacts move to q0."""
        self.router.handle(ev.QueueClosed(at=2.0, queue="q2"))

    def time_close_ending(self, agents: int, waiting: int) -> None:
        """QueueClosed of q3: its waiting contacts leave with a Refused."""
        self.router.handle(ev.QueueClosed(at=2.0, queue="q3"))


def measure_consult(sc: Scenario, reps: int) -> dict[str, list[int]]:
    """ns per consult request (→ offer of the leg to a free group-B agent), per accept of the
    leg, and per ``ConsultEnded(outcome="return")`` (the consulted agent is free again): a busy
    group-A agent consults a group-B queue, so the state is the same after every cycle."""
    request: list[int] = []
    accept: list[int] = []
    ended: list[int] = []
    for _ in range(reps):
        cid, _agent = sc.connected[sc.rng.randrange(len(sc.connected))]
        leg = sc.next_id()
        asked = ev.ConsultRequested(
            at=sc.tick_time(), contact_id=cid, consult_id=leg, queue=sc.rng.choice(sc.served_b)
        )
        ns, out = _timed(sc.router, asked)
        offer = _offer_of(out)
        request.append(ns)
        ns, _out = _timed(
            sc.router, ev.OfferAccepted(at=sc.tick_time(), contact_id=leg, agent_id=offer.agent_id)
        )
        accept.append(ns)
        ns, out = _timed(
            sc.router, ev.ConsultEnded(at=sc.tick_time(), contact_id=cid, outcome="return")
        )
        if any(isinstance(d, dc.Offer) for d in out):
            raise AssertionError(f"the consulted agent found work: {out!r}")
        ended.append(ns)
    return {"request": request, "accept": accept, "return": ended}


class Consult:
    """A busy agent consults a queue with free agents (the scenario of benchmarks/router.py):
    median µs of the request (the leg offered at once), of the leg's accept and of its return,
    each timed alone. O(log n) like an arrival, an accept and an agent freed."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0
    unit = "µs"
    reps = 2000

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = Scenario(agents, waiting)

    def track_consult_request_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_consult(self.sc, self.reps)["request"])

    def track_consult_accept_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_consult(self.sc, self.reps)["accept"])

    def track_consult_return_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_consult(self.sc, self.reps)["return"])


CALLBACK_RETRY_SECONDS = 1e6
"""Retry delay of the benchmark's callbacks: far beyond the measured window, so a failed dial's
contact stays scheduled (its deadline and waiting count held) and no retry interferes."""


class CallbackScenario(Scenario):
    """:class:`benchmarks.router.Scenario` whose queues take callbacks and whose every waiting
    group-A contact asked for one, so a freed agent is always offered a callback."""

    def __init__(self, agents: int, waiting: int, *, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.channel, self.slots = "phone", 1
        policy = CallbackPolicy(retry_seconds=CALLBACK_RETRY_SECONDS, max_attempts=3)
        queues = [
            QueueSpec(
                q.name, channel=q.channel, requires=q.requires, stages=q.stages, callback=policy
            )
            for q in build_queues()
        ]
        self.router = Router(build_skills(), queues, seed=seed)
        self.now = 0.0
        self.serial = 0
        self.connected: list[tuple[str, str]] = []
        self.log_in(agents)
        self.fill(waiting)

    def arrive_a(self) -> list[dc.Decision]:
        out = super().arrive_a()
        if isinstance(out[-1], dc.Enqueued):
            self.handle(ev.CallbackRequested(at=self.now, contact_id=out[-1].contact_id))
        return out


def measure_callbacks(sc: CallbackScenario, reps: int) -> dict[str, list[int]]:
    """ns per callback request (of a contact just queued), per accept that starts a dial, per
    failed dial (the agent takes the next callback) and per answered dial. Each cycle frees one
    agent, fails its callback, answers the next, and queues two new callbacks, so the waiting
    count stays constant (the failed ones stay scheduled)."""
    times: dict[str, list[int]] = {"request": [], "dial": [], "fail": [], "answer": []}
    router = sc.router
    for _ in range(reps):
        slot, end = sc.free_agent_event()
        first = _offer_of(router.handle(end))
        accept = ev.OfferAccepted(
            at=sc.tick_time(), contact_id=first.contact_id, agent_id=first.agent_id
        )
        times["dial"].append(_timed(router, accept)[0])
        ns, out = _timed(router, ev.CallbackFailed(at=sc.tick_time(), contact_id=first.contact_id))
        times["fail"].append(ns)
        second = _offer_of(out)
        router.handle(
            ev.OfferAccepted(
                at=sc.tick_time(), contact_id=second.contact_id, agent_id=second.agent_id
            )
        )
        ns, _out = _timed(
            router, ev.CallbackAnswered(at=sc.tick_time(), contact_id=second.contact_id)
        )
        times["answer"].append(ns)
        sc.connected[slot] = (second.contact_id, second.agent_id)
        for queue in (first.queue, second.queue):
            queued = router.handle(sc.enqueue_event(queue))
            if not isinstance(queued[-1], dc.Enqueued):
                raise AssertionError(f"expected the arrival to wait, got {queued!r}")
            request = ev.CallbackRequested(at=sc.tick_time(), contact_id=queued[-1].contact_id)
            times["request"].append(_timed(router, request)[0])
    return times


class QueuedCallbacks:
    """Median µs of the queued-callback events: request, dial (accept), failed dial, answer."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 900.0
    unit = "µs"
    reps = 1000

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = CallbackScenario(agents, waiting)

    def track_request_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_callbacks(self.sc, self.reps)["request"])

    def track_dial_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_callbacks(self.sc, self.reps)["dial"])

    def track_failed_dial_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_callbacks(self.sc, self.reps)["fail"])

    def track_answer_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_callbacks(self.sc, self.reps)["answer"])


class RoutingProfiles:
    """Agents with routing profiles (benchmarks/profiles_scenario.py): median µs of the Tick at
    which a contact's profile delay passes and an idle agent of that delay class takes it, and
    of a profiled agent freeing and taking the next contact by its profile's priority, each
    timed alone. O(log n) per delay class and O(l) lines read, like the events they extend."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 900.0
    unit = "µs"
    reps = 2000

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = ProfileScenario(agents, waiting)

    def track_delay_tick_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_delay_tick(self.sc, self.reps))

    def track_profiled_agent_free_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_profiled_agent_free(self.sc, self.reps))


class RoutingCriteriaEvents:
    """Arrivals with routing criteria in a group-A queue of :mod:`benchmarks.router`'s scenario
    (every agent who could take it is busy, so it waits), each undone by an abandon.

    ``known``: a contact with equal criteria already waits, so the arrival reuses its interned
    routing class — the steady state, expected O(log n) like any arrival. ``new``: no contact has
    these criteria, so the arrival makes the class (every agent's eligibility, O(agents)) and the
    abandon releases it: the documented cost of the first contact with new criteria.
    """

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 600.0

    def setup(self, agents: int, waiting: int) -> None:
        self.sc = Scenario(agents, waiting)
        self.queue = queue_name(0)
        self.known = RoutingCriteria(
            steps=[CriteriaStep(requires={skill(1): 2}), CriteriaStep(after=1800)]
        )
        self.new = RoutingCriteria(steps=[CriteriaStep(requires={skill(2): 3})])
        holder = ev.ContactArrived(
            at=self.sc.tick_time(), contact_id="holder", queue=self.queue, criteria=self.known
        )
        self.sc.router.handle(holder)

    def _cycle(self, criteria: RoutingCriteria) -> None:
        sc = self.sc
        cid, at = sc.next_id(), sc.tick_time()
        sc.router.handle(ev.ContactArrived(at=at, contact_id=cid, queue=self.queue, criteria=criteria))
        sc.router.handle(ev.ContactAbandoned(at=at, contact_id=cid))

    def time_arrival_known_criteria_then_abandon(self, agents: int, waiting: int) -> None:
        """Arrival with criteria in use (class reused) → enqueued, plus the abandon."""
        self._cycle(self.known)

    def time_arrival_new_criteria_then_abandon(self, agents: int, waiting: int) -> None:
        """Arrival with criteria nobody uses (class made, O(agents)), plus the abandon that
        releases it."""
        self._cycle(self.new)


class AutoAcceptScenario(Scenario):
    """:class:`benchmarks.router.Scenario` whose group-B agents (the odd-numbered ones, who take
    the arrivals of :meth:`~benchmarks.router.Scenario.arrival_offer_events`) auto-accept."""

    def handle(self, event: ev.Event) -> list[dc.Decision]:
        if isinstance(event, ev.AgentLoggedIn) and int(event.agent_id[1:]) % 2:
            event = attrs.evolve(event, auto_accept=True)
        return self.router.handle(event)


def measure_auto_accept(sc: Scenario, reps: int) -> list[int]:
    """ns per group-B arrival that is offered to a free agent and connected: with auto-accept
    (``AutoAcceptScenario``) the arrival alone, else the arrival plus its ``OfferAccepted``, each
    timed alone and summed. The ``ContactEnded`` that frees the agent again (no wrap-up, and
    nothing waits in group-B queues) is not timed, so the state is the same after every cycle."""
    samples = []
    for _ in range(reps):
        arrive, _abandon = sc.arrival_offer_events()
        ns, out = _timed(sc.router, arrive)
        offer = _offer_of(out)
        if not offer.auto_accepted:
            accept = ev.OfferAccepted(at=arrive.at, contact_id=arrive.contact_id,
                                      agent_id=offer.agent_id)  # fmt: skip
            ns += _timed(sc.router, accept)[0]
        freed = sc.router.handle(ev.ContactEnded(at=arrive.at, contact_id=arrive.contact_id))
        if any(isinstance(d, dc.Offer) for d in freed):
            raise AssertionError(f"the freed agent found work: {freed!r}")
        samples.append(ns)
    return samples


class AutoAccept:
    """Median µs from a group-B arrival to its contact connected: an agent that auto-accepts
    (offer and accept in one ``handle`` call) against one that sends ``OfferAccepted`` (two
    calls, timed alone and summed), in the same run. O(log n) like an arrival and an accept."""

    params = (list(AGENT_SIZES), list(WAITING_SIZES))
    param_names = ("agents", "waiting")
    timeout = 900.0
    unit = "µs"
    reps = 2000

    def setup(self, agents: int, waiting: int) -> None:
        self.auto = AutoAcceptScenario(agents, waiting)
        self.manual = Scenario(agents, waiting)

    def track_arrival_auto_accepted_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_auto_accept(self.auto, self.reps))

    def track_arrival_offer_then_accept_us(self, agents: int, waiting: int) -> float:
        return median_us(measure_auto_accept(self.manual, self.reps))


def run_once(obj: object, method: str, *args: object) -> object:
    """Call ``setup`` (if any) then one benchmark method: used by the smoke test."""
    if hasattr(obj, "setup"):
        obj.setup(*args)  # type: ignore[attr-defined]
    return getattr(obj, method)(*args)
