"""Transfers to a named agent: the contact waits for that agent first, then the queue's other
agents; refusals name the rule and change nothing."""

from __future__ import annotations

import pytest

from experiencehub import InvalidEvent, InvalidTransition, QueueSpec, Router, SkillGraph
from experiencehub import events as ev
from experiencehub.core.errors import UnknownAgent
from routing_helpers import arrive, kinds, login, offers


def router(affinity_seconds: float = 60.0) -> Router:
    queues = [
        QueueSpec("front", channel="phone", requires={"front": 1}),
        QueueSpec("billing", channel="phone", requires={"billing": 1},
                  affinity_seconds=affinity_seconds),
    ]  # fmt: skip
    made = Router(SkillGraph(), queues, offer_timeout=None)
    login(made, "a1", skills={"front": 1})
    login(made, "b1", skills={"billing": 1})
    login(made, "b2", skills={"billing": 1})
    arrive(made, "c1", 0.0, queue="front")
    made.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a1"))
    return made


def transfer(made: Router, at: float, agent_id: str | None) -> list[object]:
    return list(made.handle(
        ev.ContactTransferred(at=at, contact_id="c1", queue="billing", agent_id=agent_id)
    ))  # fmt: skip


def test_offered_to_the_named_agent_when_it_can_take_it() -> None:
    made = router()
    assert offers(transfer(made, 5.0, "b2")) == [("c1", "b2")]  # not b1, the longest idle
    made._check()


def test_waits_for_a_busy_named_agent_then_goes_to_the_queue() -> None:
    made = router()
    arrive(made, "c2", 2.0, queue="billing")  # b1 takes it (longest idle)
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c2", agent_id="b1"))
    out = transfer(made, 5.0, "b1")
    assert kinds(out) == ["Enqueued"] and made.contact_status("c1") == "waiting"
    assert "preferred agents b1 only" in made.explain("c1").summary  # b2 is free but not it
    out = made.handle(ev.ContactEnded(at=30.0, contact_id="c2"))  # b1 frees within the window
    assert offers(out) == [("c1", "b1")]
    made._check()


def test_after_the_window_any_eligible_agent_takes_it() -> None:
    made = router()
    made.handle(ev.AgentStatusChanged(at=2.0, agent_id="b1", status="away", reason="Lunch"))
    transfer(made, 5.0, "b1")
    out = made.handle(ev.Tick(at=65.0))
    assert kinds(out) == ["Expanded", "Offer"] and offers(out) == [("c1", "b2")]
    made._check()


@pytest.mark.parametrize(
    ("agent_id", "error", "rule"),
    [
        ("ghost", UnknownAgent, "no agent with this id"),
        ("a1", InvalidTransition, "the agent transferring or wrapping it up"),
        ("x1", InvalidEvent, "cannot serve queue billing"),
    ],
)
def test_refusals_name_the_rule_and_change_nothing(
    agent_id: str, error: type[Exception], rule: str
) -> None:
    made = router()
    login(made, "x1", skills={"front": 1}, at=2.0)
    before = (made.contact_status("c1"), made.work("a1"), made.next_deadline())
    with pytest.raises(error, match=rule):
        transfer(made, 5.0, agent_id)
    assert (made.contact_status("c1"), made.work("a1"), made.next_deadline()) == before
    made._check()


def test_a_leaving_agent_and_a_queue_without_a_window_are_refused() -> None:
    made = router()
    arrive(made, "c2", 2.0, queue="billing")
    made.handle(ev.OfferAccepted(at=2.0, contact_id="c2", agent_id="b1"))
    made.handle(ev.AgentLoggedOut(at=3.0, agent_id="b1"))  # still on c2: logging out
    with pytest.raises(InvalidTransition, match="logging out"):
        transfer(made, 5.0, "b1")
    with pytest.raises(InvalidEvent, match="affinity_seconds=0"):
        transfer(router(affinity_seconds=0.0), 5.0, "b2")
