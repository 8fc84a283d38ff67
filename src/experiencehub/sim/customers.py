"""The customer model: who serves a contact changes how long it takes and whether it resolves the
issue, and what the agent already knows changes what the customer is asked again.

This module owns the *rules* of that model; the event loop (:mod:`.engine`) calls them at the
moments they apply. It never routes: with context on, contacts go through the library's own
:class:`~experiencehub.context.hub.ExperienceHub` and a
:class:`~experiencehub.context.store.MemoryContextStore`, so identity, verifications, affinity and
the handoff brief are the library's own, not a second implementation.

Theory of operation
-------------------
- Every customer has one **issue**. Each contact about it has its own random stream
  (:func:`~.workload.contact_stream`), so the draws that depend on who serves — whether the agent
  resolves the issue, whether and when an unresolved customer comes back — stay paired across
  policies and context on/off (common random numbers).
- **Handle time** is the contact's pre-drawn base time multiplied, when an agent answers, by the
  agent group's ``handle_time_factor``, by ``1 + substitution_slowdown · cost`` when the agent
  serves through a substitution (cost > 0), and by ``1 + concurrency_slowdown · (k − 1)`` when the
  agent is handling k contacts with this one; then every ask adds its seconds.
- **Asks.** The agent asks every fact of ``[[context.asks]]`` that the handoff brief's do-not-ask
  list does not cover (with context off there is no brief: everything is asked). A *repeat ask*
  asks for a fact the customer already gave — in a self-service step or an earlier contact — that
  is still valid. What the customer gave is the model's own ground truth (:attr:`Issue.given`);
  the store only learns what the platform would record (verifications, identity links).
- **Identity.** A contact arrives with one identity per channel (``identify_by``: phone number on
  phone, e-mail elsewhere unless configured); a verification in a contact links that identity to
  the customer's account, so the store merges a customer first seen on chat with the same person
  first seen on the phone, through its own union-find.

>>> from experiencehub.sim.scenario import load_scenario_text
>>> from experiencehub.sim.build import build_router, skill_graph
>>> text = '''
... [simulation]
... duration = 60
... [[queues]]
... name = "q"
... channel = "phone"
... requires = ["s"]
... [[agents]]
... group = "slow"
... count = 1
... skills = { s = 1 }
... handle_time_factor = 1.5
... [[workload]]
... queue = "q"
... arrivals = { kind = "poisson", per_hour = 10 }
... handle_seconds = { kind = "deterministic", value = 100 }
... '''
>>> scenario = load_scenario_text(text)
>>> model = CustomerModel(scenario, build_router(scenario), skill_graph(scenario))
>>> model.handle_seconds(100.0, scenario.agents[0], "q", talking=1)
150.0
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import attrs

from ..context.affinity import StoreAffinity
from ..context.hub import ExperienceHub
from ..context.identity import Identity
from ..context.store import MemoryContextStore
from ..core.router import Router
from ..core.skills import SkillGraph
from ..records import ContactRecord
from .scenario import AgentGroup, QueueConfig, Scenario
from .workload import Customer, contact_stream, sampler

__all__ = ["DEFAULT_IDENTITY", "CustomerModel", "Issue", "LiveContact"]

DEFAULT_IDENTITY = {"phone": "phone"}
"""Identity kind a contact arrives with, per channel; other channels use ``email``."""


@attrs.define(slots=True, eq=False)
class Issue:
    """One customer's issue across its contacts, and what the customer has told so far."""

    customer_id: str
    workload: int
    seed: int
    contacts: int = 0  # contacts started about the issue
    answered: bool = False  # some contact reached an agent
    # made on first use (most simulations ask nothing; three containers per customer cost ~1 µs)
    given: dict[str, float] | None = None  # fact → valid until
    linked: set[str] | None = None  # identity kinds linked to the account (context on)
    identities: dict[str, Identity] | None = None  # kind → identity, made once (context on)


@attrs.define(slots=True, eq=False)
class LiveContact:
    """A contact the router holds: its record, fate, where it is and its cancellation tokens."""

    record: ContactRecord
    customer: Customer
    queue: str
    issue: Issue
    number: int  # the contact's number within its issue (its random stream)
    status: str = "waiting"  # waiting, offered, connected
    offer_seq: int = 0
    leg: int = 0
    agent_id: str | None = None
    first: bool = False  # the issue's first answered contact
    known: tuple[str, ...] = ()  # do-not-ask list of the brief with the last offer (context on)
    rng: random.Random | None = None  # the contact's own stream, made on first use (4.6 µs)

    def stream(self) -> random.Random:
        """The contact's own random stream. Cost: O(1)."""
        if self.rng is None:
            self.rng = contact_stream(self.issue.seed, self.number)
        return self.rng


class CustomerModel:
    """One replication's customer model; with context on it owns the hub and its store."""

    def __init__(self, scenario: Scenario, router: Router, graph: SkillGraph) -> None:
        self.scenario = scenario
        context = scenario.context
        self.asks = context.asks
        self.valid_for = {ask.fact: ask.valid_for for ask in context.asks}
        self.identify_by = {**DEFAULT_IDENTITY, **context.identify_by}
        self.costs = _substitution_costs(scenario, graph)
        self.shaped = frozenset(  # groups whose agents change handle times
            g.group
            for g in scenario.agents
            if g.handle_time_factor != 1.0 or g.substitution_slowdown or g.concurrency_slowdown
        )
        self.store: MemoryContextStore | None = None
        self.hub: ExperienceHub | None = None
        if context.enabled:
            self.store = MemoryContextStore()
            self.hub = ExperienceHub(
                router,
                self.store,
                affinity=StoreAffinity(self.store, window_seconds=context.affinity_window_seconds),
                repeat_window_seconds=scenario.kpis.repeat_window_hours * 3600.0,
                keep_records=False,  # the simulator keeps its own records
            )

    def queue_changed(self, queue: QueueConfig, graph: SkillGraph) -> None:
        """A queue's ``changes`` entry took effect: the groups' skill costs of serving it are
        its new requirement's and stages'. Cost: O(groups · R·K)."""
        self.costs.update(_serving_costs(self.scenario, graph, queue))

    # -- who serves --------------------------------------------------------------------------
    def handle_seconds(self, base: float, group: AgentGroup, queue: str, *, talking: int) -> float:
        """The handle time of a contact ``group`` answers in ``queue`` while handling ``talking``
        contacts (this one included), before asks. Cost: O(1)."""
        factor = group.handle_time_factor
        if group.substitution_slowdown:
            factor *= 1.0 + group.substitution_slowdown * self.costs[group.group, queue]
        if group.concurrency_slowdown and talking > 1:
            factor *= 1.0 + group.concurrency_slowdown * (talking - 1)
        return base if factor == 1.0 else base * factor

    def answer_seconds(
        self, live: LiveContact, group: AgentGroup, talking: int, channel: str, now: float
    ) -> float:
        """The handle time of ``live`` as an agent of ``group`` answers it on ``channel`` while
        handling ``talking`` contacts (this one included): its pre-drawn time shaped by who serves
        (:meth:`handle_seconds`), plus what the agent asks (:meth:`ask`). The issue's first answer
        marks ``live.first``. Cost: O(asks)."""
        customer = live.customer
        base = customer.handle_seconds if live.leg == 0 else customer.transfer_handle
        handle = base or 0.0
        if group.group in self.shaped:  # the group changes handle times
            handle = self.handle_seconds(handle, group, live.queue, talking=talking)
        if not live.issue.answered:
            live.issue.answered = live.first = True
        if self.asks:
            handle += self.ask(live.issue, live.record, live.known, channel, now)
        return handle

    def resolves(self, group: AgentGroup, rng: random.Random | None) -> bool:
        """Whether the group's agent resolves the issue at this contact. Cost: O(1)."""
        if group.resolution >= 1.0 or rng is None:
            return True
        return rng.random() < group.resolution

    def comes_back(
        self, issue: Issue, rng: random.Random, now: float, base: Customer
    ) -> Customer | None:
        """The contact an unresolved customer makes next, or None. Cost: O(1)."""
        unresolved = self.scenario.workload[issue.workload].unresolved
        if unresolved is None or issue.contacts >= unresolved.max_contacts:
            return None
        if rng.random() >= unresolved.probability:
            return None
        item = self.scenario.workload[issue.workload]
        patience = item.patience_seconds
        return Customer(
            workload=issue.workload,
            arrived_at=now + sampler(unresolved.delay_seconds, rng)(),
            handle_seconds=sampler(item.handle_seconds, rng)(),
            patience_seconds=None if patience is None else sampler(patience, rng)(),
            issue_seed=base.issue_seed,
        )

    # -- what the agent knows ----------------------------------------------------------------
    def self_service(
        self, issue: Issue, rng: random.Random, channel: str, now: float
    ) -> str | None:
        """The customer passes the workload's IVR/self-service step (or not) before queuing;
        returns the store's customer id when context is on and the step verified facts.
        Cost: O(facts) plus, with context on, the store's verification writes."""
        ivr = self.scenario.workload[issue.workload].ivr
        if ivr is None or channel not in ivr.channels or rng.random() >= ivr.share:
            return None
        facts = ivr.facts if ivr.facts is not None else tuple(self.valid_for)
        given = _given(issue)
        for fact in facts:
            given[fact] = now + self.valid_for[fact]
        return self._verified(issue, channel, facts, now, method="ivr", where="ivr")

    def collected(self, issue: Issue, channel: str, facts: Iterable[str], now: float) -> None:
        """The customer gave ``facts`` in a self-service step of ``channel`` (IVR on the phone,
        a bot or web form elsewhere): an agent who asks again makes a repeat ask; with context
        on the store records them as verified. Cost: O(facts) plus the store's writes."""
        given = _given(issue)
        for fact in facts:
            given[fact] = now + self.valid_for[fact]
        where = "ivr" if channel == "phone" else "web"
        self._verified(issue, channel, facts, now, method="self_service", where=where)

    def ask(
        self, issue: Issue, record: ContactRecord, known: Iterable[str], channel: str, now: float
    ) -> float:
        """The agent asks every fact not in ``known``: counts asks and repeat asks on the record,
        tells the store (context on); returns the seconds the asks take. Cost: O(asks)."""
        skip = frozenset(known)
        given = _given(issue)
        asked = []
        seconds = 0.0
        for ask in self.asks:
            if ask.fact in skip:
                continue
            asked.append(ask.fact)
            seconds += ask.seconds
            if given.get(ask.fact, -1.0) > now:
                record.repeat_asks += 1
            given[ask.fact] = now + ask.valid_for
        record.asks += len(asked)
        if asked:
            self._verified(issue, channel, asked, now, method="agent", where=channel)
        return seconds

    def identity(self, issue: Issue, channel: str) -> Identity:
        """The identity a contact of ``issue`` arrives with on ``channel``. Cost: O(1)."""
        kind = self.identify_by.get(channel, "email")
        return _identity(issue, kind)

    def _verified(
        self,
        issue: Issue,
        channel: str,
        facts: Iterable[str],
        now: float,
        *,
        method: str,
        where: str,
    ) -> str | None:
        store = self.store
        if store is None:
            return None
        identity = self.identity(issue, channel)
        customer = store.resolve(identity, at=now)
        if issue.linked is None:
            issue.linked = set()
        if identity.kind != "account" and identity.kind not in issue.linked:
            customer = store.link(
                identity,
                _identity(issue, "account"),
                at=now,
                evidence=f"{method} check",
            )
            issue.linked.add(identity.kind)
        for fact in facts:
            store.record_verification(
                customer, fact, channel=where, at=now, valid_for=self.valid_for[fact], method=method
            )
        return customer


def _identity(issue: Issue, kind: str) -> Identity:
    """The customer's identity of ``kind``, made once per issue (normalising a phone number with
    phonenumbers costs about 26 µs)."""
    if issue.identities is None:
        issue.identities = {}
    found = issue.identities.get(kind)
    if found is None:
        found = issue.identities[kind] = Identity(kind, _IDENTITY_VALUES[kind](issue.customer_id))
    return found


def _given(issue: Issue) -> dict[str, float]:
    if issue.given is None:
        issue.given = {}
    return issue.given


_IDENTITY_VALUES = {
    "phone": lambda customer: f"+4420{int(customer.lstrip('u')):08d}",
    "email": lambda customer: f"{customer}@example.com",
    "chat_session": lambda customer: f"web-{customer}",
    "account": lambda customer: f"AC-{customer.lstrip('u')}",
}


def _substitution_costs(scenario: Scenario, graph: SkillGraph) -> dict[tuple[str, str], float]:
    """(group, queue) → skill cost of serving (see :func:`_serving_costs`)."""
    costs: dict[tuple[str, str], float] = {}
    for queue in scenario.queues:
        costs.update(_serving_costs(scenario, graph, queue))
    return costs


def _serving_costs(
    scenario: Scenario, graph: SkillGraph, queue: QueueConfig
) -> dict[tuple[str, str], float]:
    """(group, ``queue``) → skill cost of serving; no skill path (an any-agent stage) counts as
    one more than the queue's highest finite stage cost."""
    finite = [s.max_cost for s in queue.stages if s.max_cost is not None]
    beyond = (max(finite) if finite else 0.0) + 1.0
    costs: dict[tuple[str, str], float] = {}
    for group in scenario.agents:
        served = graph.serving_cost(group.skills, queue.requires)
        costs[group.group, queue.name] = beyond if served is None else float(served[0])
    return costs
