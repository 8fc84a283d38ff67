"""Consults and warm transfers in the simulator: which answered contacts make their agent consult a
colleague, the draws of each consult, its record and the consult KPIs.

This module owns the *customer's and agents' side* of a consult (whether one happens, when the
agent asks, how long the colleagues talk, how it ends), the record of each consult and its KPIs.
The event loop's consult moves (:mod:`.consult_loop`) call it; it never routes: the router
routes the consult's leg like a contact and applies its outcome (docs/routing.md, "Consult and
warm transfer").

Theory of operation
-------------------
- **Who.** A contact of a workload with ``consult`` answered in the workload's own queue, on its
  first leg (not after a transfer), consults with probability ``share``.
- **Draws.** Each contact's consult draws from its own stream, seeded from the customer's issue
  and the contact's number, all at once when the agent answers: whether it consults, when the
  agent asks (``after_seconds``, at the end of the handle time at the latest), the talk, the
  outcome and, for a warm transfer, the consulted agent's handle time. So a consult never shifts
  the draws of other contacts (common random numbers across policies), and a scenario without
  the key draws nothing and runs exactly as before.
- **Relayed facts.** In a warm transfer the first agent tells the colleague what the customer
  already said: the consulted agent does not ask facts the customer gave that are still valid.
  Each such fact is a *repeat ask avoided*: a cold transfer without context would have asked it
  again.

>>> from experiencehub.sim.scenario import Consult, Distribution
>>> fixed = Distribution(kind="deterministic", value=30.0)
>>> config = Consult(share=0.2, after_seconds=fixed, talk_seconds=fixed, outcomes={"return": 1.0})
>>> draws = [draw_consult(config, fixed, seed=7, number=n, handle=100.0) for n in range(2000)]
>>> 0.17 < sum(d is not None for d in draws) / len(draws) < 0.23
True
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..records import ContactRecord
from .confidence import block_columns
from .consult_checks import CONSULT_OUTCOME_KEYS
from .scenario_types import Consult, Distribution, Scenario
from .workload import sampler

__all__ = [
    "CONSULT_KPI_KEYS",
    "CONSULT_OUTCOME_KEYS",
    "ConsultDesk",
    "ConsultDraw",
    "ConsultVisit",
    "consult_columns",
    "consult_kpis",
    "draw_consult",
]

CONSULT_KPI_KEYS = (
    "consults_asked",
    "consults_answered",
    "consults_cancelled",
    "time_to_answer",
    "consult_talk",
    "transfer_share",
    "conference_share",
    "return_share",
    "cancel_share",
    "hold_per_consult",
    "repeat_asks_avoided",
)
"""Keys of every ``consults`` block, in report order (docs/kpis.md)."""


@attrs.frozen
class ConsultDraw:
    """What one contact's consult will be: the agent asks ``after`` seconds into the handle time,
    the colleagues talk ``talk`` seconds once the leg is answered, then ``outcome``; ``rest`` is
    what is left of the first agent's handle time after the ask, ``handle`` the consulted
    agent's base handle time after a warm transfer."""

    after: float
    rest: float
    talk: float
    outcome: str
    handle: float


def draw_consult(
    config: Consult, workload_handle: Distribution, *, seed: int, number: int, handle: float
) -> ConsultDraw | None:
    """The consult of contact ``number`` of the issue seeded ``seed`` whose first agent's handle
    time is ``handle`` seconds, or None when it has none. Every value is drawn whether used or
    not, from the consult's own stream. Cost: O(outcomes) plus seeding the stream (one SHA-512).
    """
    rng = random.Random(f"consult/{seed}/{number}")
    if rng.random() >= config.share:
        return None
    after = min(sampler(config.after_seconds, rng)(), handle)
    talk = sampler(config.talk_seconds, rng)()
    outcome = _pick(config.outcomes, rng.random())
    base = sampler(config.handle_seconds or workload_handle, rng)()
    return ConsultDraw(after, handle - after, talk, outcome, base)


def _pick(outcomes: Mapping[str, float], u: float) -> str:
    """The outcome ``u`` (uniform in [0, 1)) falls in, in :data:`CONSULT_OUTCOME_KEYS` order."""
    named = [k for k in CONSULT_OUTCOME_KEYS if outcomes.get(k, 0.0) > 0.0]
    total = 0.0
    for key in named:
        total += outcomes[key]
        if u < total:
            return key
    return named[-1]  # u beyond a sum rounded just below 1


@attrs.define(slots=True)
class ConsultVisit:
    """One consult: the contact, its leg, the queue the leg went to (and its channel), when the
    agent (``asker``) asked, when a colleague answered and who, when and how it ended (None: still open when
    the run stopped), whether the queue refused the leg, and the facts relayed to the colleague
    in a warm transfer (repeat asks avoided)."""

    contact_id: str
    leg_id: str
    queue: str
    channel: str
    asked_at: float
    draw: ConsultDraw
    asker: str = ""
    answered_at: float | None = None
    agent_id: str | None = None
    ended_at: float | None = None
    outcome: str | None = None
    refused: bool = False
    relayed: int = 0
    brief: tuple[str, ...] = ()  # do-not-ask list of the brief with the leg's offer (context on)
    status: str = "waiting"  # waiting, offered, talking, conference, ended
    offer_seq: int = 0
    wrapping: bool = False  # a conference leg's colleague started wrap-up when the contact ended
    record: ContactRecord | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def hold_seconds(self) -> float | None:
        """Seconds the customer held: from the ask to the consult's end (None: not ended).
        Cost: O(1)."""
        return None if self.ended_at is None else self.ended_at - self.asked_at


class ConsultDesk:
    """One replication's consult rules (per workload) and the consults made."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.by_workload = {i: w.consult for i, w in enumerate(scenario.workload) if w.consult}
        self.channels = {q.name: q.channel for q in scenario.queues}
        self.visits: list[ConsultVisit] = []
        self.legs: dict[str, ConsultVisit] = {}  # leg id → its open consult
        self.of_contact: dict[str, ConsultVisit] = {}  # contact id → its open consult

    @classmethod
    def of(cls, scenario: Scenario) -> ConsultDesk | None:
        """The desk of ``scenario``, or None when no workload consults. Cost: O(workload)."""
        desk = cls(scenario)
        return desk if desk.by_workload else None

    def draw(
        self, workload: int, queue: str, leg: int, *, seed: int, number: int, handle: float
    ) -> ConsultDraw | None:
        """The consult of a contact of ``workload`` answered in ``queue`` on leg ``leg`` with
        ``handle`` seconds of handling, or None (see the module docstring). Cost: O(1) without
        a consult key for the workload."""
        config = self.by_workload.get(workload)
        if config is None or leg != 0 or queue != self.scenario.workload[workload].queue:
            return None
        item = self.scenario.workload[workload]
        return draw_consult(config, item.handle_seconds, seed=seed, number=number, handle=handle)

    def target(self, workload: int, queue: str) -> str:
        """The queue a consult of ``workload``'s contact in ``queue`` goes to. Cost: O(1)."""
        return self.by_workload[workload].queue or queue

    def open(
        self, record: ContactRecord, queue: str, now: float, draw: ConsultDraw, asker: str
    ) -> ConsultVisit:
        """Agent ``asker`` of the contact of ``record`` asks now: the consult's record, open.
        Cost: O(1)."""
        contact_id = record.contact_id
        visit = ConsultVisit(
            contact_id, f"{contact_id}-k", queue, self.channels[queue], now, draw, asker,
            record=record,
        )  # fmt: skip
        self.visits.append(visit)
        self.legs[visit.leg_id] = self.of_contact[contact_id] = visit
        return visit

    def close(self, visit: ConsultVisit, outcome: str, now: float) -> None:
        """The consult ended with ``outcome`` (a conference stays reachable by its leg until its
        contact ends: :meth:`forget`). Cost: O(1)."""
        visit.outcome, visit.ended_at = outcome, now
        visit.status = "conference" if outcome == "conference" else "ended"
        if outcome != "conference":
            self.forget(visit)

    def forget(self, visit: ConsultVisit) -> None:
        """The consult's leg left the router. Cost: O(1)."""
        self.legs.pop(visit.leg_id, None)
        self.of_contact.pop(visit.contact_id, None)
        if visit.status == "conference":
            visit.status = "ended"

    def _check(self) -> None:
        """Every open consult is reachable by its leg and its contact, and only those."""
        for leg_id, visit in self.legs.items():
            assert visit.leg_id == leg_id and self.of_contact[visit.contact_id] is visit
            assert visit.status != "ended"
        assert len(self.of_contact) == len(self.legs)


# -- KPIs -------------------------------------------------------------------------------------
def consult_kpis(visits: Sequence[ConsultVisit], measured: tuple[float, float]) -> dict[str, Any]:
    """``{"overall": block, "by_queue": {queue: block}}`` of the consults asked inside
    ``measured = (start, end)``, by the queue their leg went to. Each block holds
    :data:`CONSULT_KPI_KEYS` (docs/kpis.md). Cost: O(visits).

    >>> d = ConsultDraw(10.0, 90.0, 60.0, "transfer", 100.0)
    >>> v = [ConsultVisit("c1", "c1-k", "q", "phone", 0.0, d, answered_at=20.0, ended_at=80.0,
    ...                   outcome="transfer", relayed=2),
    ...      ConsultVisit("c2", "c2-k", "q", "phone", 5.0, d, ended_at=125.0, outcome="cancel")]
    >>> block = consult_kpis(v, (0.0, 100.0))["overall"]
    >>> block["consults_answered"], block["time_to_answer"], block["cancel_share"], block["hold_per_consult"]
    (1, 20.0, 0.5, 100.0)
    """
    start, end = measured
    mine = [v for v in visits if start <= v.asked_at < end]
    by_queue: dict[str, list[ConsultVisit]] = defaultdict(list)
    for v in mine:
        by_queue[v.queue].append(v)
    return {
        "overall": _block(mine),
        "by_queue": {q: _block(vs) for q, vs in sorted(by_queue.items())},
    }


def consult_columns(
    kpis: Mapping[str, Any], ci95: Mapping[str, Any]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The ``consults`` blocks of a result's KPIs as table columns, ``all`` queues first:
    name → (means, 95% half-widths). Empty without consults. Cost: O(queues).

    >>> kpis = {"consults": {"overall": {"consults_asked": 4}, "by_queue": {"q": {"consults_asked": 4}}}}
    >>> list(consult_columns(kpis, {}))
    ['all', 'q']
    """
    return block_columns(kpis, ci95, "consults")


def _block(visits: Sequence[ConsultVisit]) -> dict[str, float | int | None]:
    answered = [(v.asked_at, v.answered_at) for v in visits if v.answered_at is not None]
    ended = [v for v in visits if v.ended_at is not None]
    counts = {
        key: sum(v.outcome == key for v in ended) for key in (*CONSULT_OUTCOME_KEYS, "cancel")
    }
    return {
        "consults_asked": len(visits),
        "consults_answered": len(answered),
        "consults_cancelled": counts["cancel"],
        "time_to_answer": _mean([answered_at - asked for asked, answered_at in answered]),
        "consult_talk": _mean(
            [v.ended_at - v.answered_at for v in ended if v.answered_at is not None]  # type: ignore[operator]
        ),
        **{f"{key}_share": n / len(ended) if ended else None for key, n in counts.items()},
        "hold_per_consult": _mean([v.ended_at - v.asked_at for v in ended]),  # type: ignore[operator]
        "repeat_asks_avoided": sum(v.relayed for v in visits),
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
