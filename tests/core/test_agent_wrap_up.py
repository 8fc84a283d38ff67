"""AgentLoggedIn(wrap_up=...): an agent's own wrap-up overrides the queue's (docs/routing.md)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiencehub import QueueSpec, Router, SkillGraph, WrapUp
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.journal.records import decode, encode
from experiencehub.testing.strategies import wrap_ups
from routing_helpers import arrive, login

TIMED_30 = WrapUp("timed", 30.0)


def desk() -> Router:
    return Router(SkillGraph(), [QueueSpec("billing", channel="phone", wrap_up=TIMED_30),
                                 QueueSpec("chat", channel="chat")])  # fmt: skip


def handle_one(router: Router, agent_id: str, contact_id: str, at: float, queue: str) -> list[dc.Decision]:
    arrive(router, contact_id, at, queue=queue)
    router.handle(ev.OfferAccepted(at=at, contact_id=contact_id, agent_id=agent_id))
    decisions = router.handle(ev.ContactEnded(at=at + 1.0, contact_id=contact_id))
    router._check()
    return decisions


def test_the_agents_wrap_up_overrides_the_queues_for_every_contact_it_handles() -> None:
    router = desk()
    login(router, "trainee", skills={}, capacity={"phone": 1, "chat": 1}, wrap_up=WrapUp("timed", 90.0))
    [started] = handle_one(router, "trainee", "c1", 1.0, "billing")
    assert isinstance(started, dc.WrapUpStarted) and started.ends_at == 92.0
    router.handle(ev.WrapUpEnded(at=2.5, agent_id="trainee", contact_id="c1"))
    [started] = handle_one(router, "trainee", "c2", 3.0, "chat")  # the queue has none
    assert isinstance(started, dc.WrapUpStarted) and started.ends_at == 94.0


def test_without_an_own_wrap_up_the_queues_applies_and_a_new_login_resets_it() -> None:
    router = desk()
    login(router, "a1", skills={}, capacity={"phone": 1}, wrap_up=WrapUp("none"))
    assert handle_one(router, "a1", "c1", 1.0, "billing") == []  # no wrap-up at all
    router.handle(ev.AgentLoggedOut(at=3.0, agent_id="a1"))
    login(router, "a1", 4.0, skills={}, capacity={"phone": 1})
    [started] = handle_one(router, "a1", "c2", 5.0, "billing")
    assert isinstance(started, dc.WrapUpStarted) and started.ends_at == 36.0


def test_a_manual_override_waits_for_wrap_up_ended_and_survives_a_snapshot() -> None:
    router = desk()
    login(router, "a1", skills={}, capacity={"phone": 1}, wrap_up=WrapUp("manual"))
    copy = pickle.loads(pickle.dumps(router))
    [started] = handle_one(copy, "a1", "c1", 1.0, "billing")
    assert started.ends_at is None and copy.next_deadline() is None
    copy.handle(ev.WrapUpEnded(at=9.0, agent_id="a1", contact_id="c1"))
    assert copy.work("a1") == []


def test_the_event_refuses_a_wrap_up_that_is_not_one_and_the_journal_carries_it() -> None:
    with pytest.raises(Exception, match="must be a WrapUp or None"):
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, wrap_up="timed")  # type: ignore[arg-type]
    event = ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, wrap_up=WrapUp("timed", 5.0))
    assert decode(encode(event)) == event
    assert eval(repr(event), {**vars(ev), "WrapUp": WrapUp}) == event


@settings(max_examples=50, deadline=None)
@given(own=st.none() | wrap_ups(), queue_wrap=wrap_ups(), at=st.floats(0, 1e6))
def test_the_wrap_up_in_force_is_the_agents_else_the_queues(
    own: WrapUp | None, queue_wrap: WrapUp, at: float
) -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", wrap_up=queue_wrap)])
    login(router, "a1", skills={}, capacity={"phone": 1}, wrap_up=own)
    decisions = handle_one(router, "a1", "c1", at, "q")
    rule = own if own is not None else queue_wrap
    if rule.mode == "none":
        assert decisions == [] and router.work("a1") == []
    else:
        [started] = decisions
        assert isinstance(started, dc.WrapUpStarted)
        assert started.ends_at == (at + 1.0 + rule.seconds if rule.mode == "timed" else None)
