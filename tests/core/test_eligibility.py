"""The one eligibility rule (core/eligibility.py), and that the router lives by it: an agent the
rule makes eligible at the contact's stage is offered it when free, and one it does not is never
offered it (checked through ``explain`` and the offers made)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import QueueSpec, Router, SkillGraph, Stage
from experiencehub import events as ev
from experiencehub.core.eligibility import (
    COST_ABOVE_LIMIT,
    LACKS_SKILLS,
    can_serve,
    first_stage,
    ineligibility,
    serving_cost,
)

STAGED = QueueSpec(
    "billing",
    channel="phone",
    requires={"billing": 2},
    stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=2), Stage(after=60, max_cost=None)],
)
RINGS_ONLY = QueueSpec(
    "billing", channel="phone", requires={"billing": 2},
    stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=2)],
)  # fmt: skip


def graph() -> SkillGraph:
    skills = SkillGraph()
    skills.add_substitute("sales", serves="billing", cost=1.5)
    skills.add_substitute("support", serves="billing", cost=5.0)
    return skills


@pytest.mark.parametrize(
    ("agent_skills", "capacity", "queue", "expected"),
    [
        ({"billing": 3}, {"phone": 1}, STAGED, 0),  # cost 0
        ({"sales": 2}, {"phone": 1}, STAGED, 1),  # cost 1.5: second ring
        ({"support": 2}, {"phone": 1}, STAGED, 2),  # beyond the rings: "any agent" stage
        ({"billing": 1}, {"phone": 1}, STAGED, 2),  # level too low: unskilled
        ({"billing": 3}, {"chat": 1}, STAGED, None),  # no capacity on the channel
        ({"billing": 3}, {"phone": 0}, STAGED, None),
        ({"support": 2}, {"phone": 1}, RINGS_ONLY, None),  # beyond the rings, no "any" stage
        ({}, {"phone": 1}, RINGS_ONLY, None),
    ],
)
def test_first_stage(
    agent_skills: dict[str, int], capacity: dict[str, int], queue: QueueSpec, expected: int | None
) -> None:
    served = serving_cost(graph(), agent_skills, queue)
    assert first_stage(queue, capacity, served) == expected
    assert can_serve(graph(), agent_skills, capacity, queue) is (expected is not None)


def test_ineligibility_names_the_rule() -> None:
    assert ineligibility(STAGED, 0, {"phone": 1}, (1.5, 2)) == COST_ABOVE_LIMIT
    assert ineligibility(STAGED, 1, {"phone": 1}, (1.5, 2)) is None
    assert ineligibility(RINGS_ONLY, 1, {"phone": 1}, None) == LACKS_SKILLS
    assert ineligibility(STAGED, 2, {"phone": 1}, None) is None
    assert ineligibility(STAGED, 2, {"email": 1}, None) == "no phone capacity"


@settings(max_examples=60, deadline=None)
@given(
    level=st.integers(0, 3),
    have=st.sampled_from(["billing", "sales", "support", "other"]),
    phone=st.integers(0, 1),
    wait=st.sampled_from([0.0, 45.0, 90.0]),
    queue=st.sampled_from([STAGED, RINGS_ONLY]),
)
def test_the_router_offers_exactly_when_the_rule_says_eligible(
    level: int, have: str, phone: int, wait: float, queue: QueueSpec
) -> None:
    """One free agent, one contact that has waited ``wait`` seconds: it is offered the contact
    if and only if the rule makes it eligible at the contact's stage by then."""
    router = Router(graph(), [queue], offer_timeout=None)
    capacity = {"phone": phone, "email": 1}
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={have: level}, capacity=capacity))
    router.handle(ev.ContactArrived(at=0.0, contact_id="c1", queue="billing"))
    router.handle(ev.Tick(at=wait))
    stage = queue.stage_at(wait)
    served = serving_cost(graph(), {have: level}, queue)
    eligible = ineligibility(queue, stage, capacity, served) is None
    assert (router.contact_status("c1") == "offered") is eligible
    if not eligible:
        (candidate,) = router.explain("c1").candidates
        assert candidate.note == ineligibility(queue, stage, capacity, served)
