"""Self-service before the queue: contacts an IVR menu, a bot or an FAQ resolves (contained) and
those it hands on to an agent, possibly with facts the customer already gave there.

This module owns the *rules* of the self-service step (which step applies to a contact, the
draws that decide its fate), the record of each visit and the self-service KPIs. The event loop
(:mod:`.engine`) calls it when a contact would reach a queue; it never routes and never touches
the router: a contained contact never reaches it.

Theory of operation
-------------------
- **Which step.** A contact of workload ``w`` bound for queue ``q`` passes ``w``'s
  ``self_service`` when the workload has one, else ``q``'s; with neither it queues at once, as
  before (no draw, no event: scenarios without the key run exactly as they did).
- **Draws.** Each visit draws from its own stream, seeded from the customer's issue and the
  contact's number, so the step never shifts the draws of other contacts or of the contact's
  later life (common random numbers across policies and context on/off): whether the customer
  tries it (``share``), how long it takes (``seconds``), whether it is contained, and, when it is
  not, whether the customer gave the ``facts`` there (``verified``).
- **Facts.** Facts given in self-service become facts the customer has given (the customer
  model's ground truth), so an agent who asks again makes a *repeat ask*; with context on they are
  also verifications in the store, so the handoff brief spares the agent the question.

>>> from experiencehub.sim.scenario import Distribution, SelfService
>>> step = SelfService(contained=0.25, seconds=Distribution(kind="deterministic", value=40.0))
>>> visits = [draw_visit(step, (), seed=7, number=n) for n in range(1, 2001)]
>>> share = sum(v.contained for v in visits) / len(visits)
>>> {v.seconds for v in visits}, abs(share - 0.25) < 0.02  # 2,000 draws: within about 2 sd
({40.0}, True)
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..records import ContactRecord
from .confidence import block_columns
from .scenario_types import Scenario, SelfService
from .workload import sampler

__all__ = [
    "SELF_SERVICE_KPI_KEYS",
    "SelfServiceDesk",
    "SelfServiceVisit",
    "VisitDraw",
    "draw_visit",
    "self_service_columns",
    "self_service_kpis",
]

SELF_SERVICE_KPI_KEYS = (
    "offered",
    "contained",
    "deflection_rate",
    "time_in_self_service",
    "handed",
    "handed_with_facts",
    "facts_share",
    "effort_proxy",
)
"""Keys of every ``self_service`` block, in report order (docs/kpis.md)."""


@attrs.frozen
class VisitDraw:
    """What one self-service visit comes to: its time, whether it was contained, facts given."""

    seconds: float
    contained: bool
    facts: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class SelfServiceVisit:
    """One contact's visit to a self-service step: whose, bound for which queue, when it started,
    how long it took, whether it was contained and how many facts the customer gave there."""

    customer_id: str
    queue: str
    started_at: float
    seconds: float
    contained: bool
    facts: int = 0


def draw_visit(
    step: SelfService, all_facts: tuple[str, ...], *, seed: int, number: int
) -> VisitDraw | None:
    """The fate of contact ``number`` of the issue seeded ``seed`` at ``step``: None when the
    customer does not try it. ``all_facts`` are the facts asked for (``step.facts`` default).
    Cost: O(1) plus seeding the visit's stream (one SHA-512).
    """
    rng = random.Random(f"self-service/{seed}/{number}")
    if rng.random() >= step.share:
        return None
    seconds = sampler(step.seconds, rng)()
    if rng.random() < step.contained:
        return VisitDraw(seconds, True)
    if step.verified and rng.random() < step.verified:
        return VisitDraw(seconds, False, all_facts if step.facts is None else step.facts)
    return VisitDraw(seconds, False)


class SelfServiceDesk:
    """One replication's self-service steps and the visits made to them."""

    def __init__(self, scenario: Scenario) -> None:
        self.by_workload = {
            i: w.self_service for i, w in enumerate(scenario.workload) if w.self_service
        }
        self.by_queue = {q.name: q.self_service for q in scenario.queues if q.self_service}
        self.all_facts = tuple(ask.fact for ask in scenario.context.asks)
        self.visits: list[SelfServiceVisit] = []

    @classmethod
    def of(cls, scenario: Scenario) -> SelfServiceDesk | None:
        """The desk of ``scenario``, or None when no workload or queue has a self-service step.
        Cost: O(workload + queues)."""
        desk = cls(scenario)
        return desk if desk.by_workload or desk.by_queue else None

    def step(self, workload: int, queue: str) -> SelfService | None:
        """The step a contact of ``workload`` bound for ``queue`` passes, or None. Cost: O(1)."""
        found = self.by_workload.get(workload)
        return found if found is not None else self.by_queue.get(queue)

    def visit(
        self, step: SelfService, customer_id: str, queue: str, now: float, *, seed: int, number: int
    ) -> VisitDraw | None:
        """Draw a visit (:func:`draw_visit`) starting ``now`` and keep its record; None when the
        customer skips the step. Cost: O(1)."""
        drawn = draw_visit(step, self.all_facts, seed=seed, number=number)
        if drawn is not None:
            self.visits.append(
                SelfServiceVisit(
                    customer_id, queue, now, drawn.seconds, drawn.contained, len(drawn.facts)
                )
            )
        return drawn


# -- KPIs -------------------------------------------------------------------------------------
def self_service_kpis(
    visits: Sequence[SelfServiceVisit],
    records: Sequence[ContactRecord],
    measured: tuple[float, float],
) -> dict[str, Any]:
    """``{"overall": block, "by_queue": {queue: block}}`` of the visits that started inside
    ``measured = (start, end)``, with the contacts that arrived there (for effort). Each block
    holds :data:`SELF_SERVICE_KPI_KEYS` (docs/kpis.md). Cost: O(visits + records).

    >>> v = [SelfServiceVisit("u1", "q", 0.0, 30.0, True), SelfServiceVisit("u2", "q", 5.0, 50.0, False, 2)]
    >>> r = [ContactRecord("c1", "u2", "phone", "q", "s", arrived_at=55.0, threshold=20.0)]
    >>> block = self_service_kpis(v, r, (0.0, 100.0))["overall"]
    >>> block["deflection_rate"], block["time_in_self_service"], block["facts_share"], block["effort_proxy"]
    (0.5, 40.0, 1.0, 1.5)
    """
    start, end = measured
    mine = [v for v in visits if start <= v.started_at < end]
    contacts = [r for r in records if start <= r.arrived_at < end]
    visits_by: dict[str, list[SelfServiceVisit]] = defaultdict(list)
    contacts_by: dict[str, list[ContactRecord]] = defaultdict(list)
    for v in mine:
        visits_by[v.queue].append(v)
    for r in contacts:
        contacts_by[r.queue].append(r)
    return {
        "overall": _block(mine, contacts),
        "by_queue": {q: _block(vs, contacts_by[q]) for q, vs in sorted(visits_by.items())},
    }


def self_service_columns(
    kpis: Mapping[str, Any], ci95: Mapping[str, Any]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The ``self_service`` blocks of a result's KPIs as table columns, ``all`` queues first:
    name → (means, 95% half-widths). Empty without self-service. Cost: O(queues).

    >>> kpis = {"self_service": {"overall": {"offered": 4}, "by_queue": {"q": {"offered": 4}}}}
    >>> list(self_service_columns(kpis, {}))
    ['all', 'q']
    """
    return block_columns(kpis, ci95, "self_service")


def _block(
    visits: Sequence[SelfServiceVisit], contacts: Sequence[ContactRecord]
) -> dict[str, float | int | None]:
    offered = len(visits)
    contained = sum(1 for v in visits if v.contained)
    handed = offered - contained
    with_facts = sum(1 for v in visits if v.facts)
    customers = {v.customer_id for v in visits}
    customers.update(r.customer_id or r.contact_id for r in contacts)
    steps = offered + len(contacts) + sum(r.transfers for r in contacts)
    return {
        "offered": offered,
        "contained": contained,
        "deflection_rate": contained / offered if offered else None,
        "time_in_self_service": sum(v.seconds for v in visits) / offered if offered else None,
        "handed": handed,
        "handed_with_facts": with_facts,
        "facts_share": with_facts / handed if handed else None,
        "effort_proxy": steps / len(customers) if customers else None,
    }
