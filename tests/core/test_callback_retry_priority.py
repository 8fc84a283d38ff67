"""A failed dial retried at once (``retry_seconds=0``) while its agent frees: the agent takes its
best waiting contact first, and the contact goes to the best agent for it (core/_callbacks.py)."""

from __future__ import annotations

from experiencehub import CallbackPolicy, QueueSpec, Router, SkillGraph
from experiencehub import decisions as dc
from experiencehub import events as ev


def send(router: Router, event: ev.Event) -> list[dc.Decision]:
    out = router.handle(event)
    router._check()
    return out


def desk() -> Router:
    policy = CallbackPolicy(retry_seconds=0.0, max_attempts=3)
    queue = QueueSpec("q0", channel="chat", priority_weight=1.0, callback=policy)
    return Router(SkillGraph(), [queue])


def dialling(router: Router, agent: str = "a0") -> None:
    """``agent`` (chat 3) holds two chats and dials the callback c2 with its last slot."""
    send(router, ev.AgentLoggedIn(at=0.0, agent_id=agent, skills={}, capacity={"chat": 3}))
    for cid in ("x1", "x2"):
        send(router, ev.ContactArrived(at=1.0, contact_id=cid, queue="q0"))
        send(router, ev.OfferAccepted(at=1.0, contact_id=cid, agent_id=agent))
    send(router, ev.ContactArrived(at=1.0, contact_id="x3", queue="q0"))  # the last slot, offered
    send(router, ev.ContactArrived(at=2.0, contact_id="c2", queue="q0"))
    send(router, ev.CallbackRequested(at=2.0, contact_id="c2"))
    send(router, ev.ContactAbandoned(at=3.0, contact_id="x3"))  # c2 offered to the agent
    send(router, ev.OfferAccepted(at=3.0, contact_id="c2", agent_id=agent))  # the dial starts


def test_the_freed_agent_takes_a_better_waiting_contact_before_the_retried_one() -> None:
    router = desk()
    dialling(router)
    send(router, ev.ContactArrived(at=4.0, contact_id="c11", queue="q0", priority=1))  # waits
    out = send(router, ev.CallbackFailed(at=5.0, contact_id="c2", reason="no answer"))
    offers = [(d.contact_id, d.agent_id) for d in out if isinstance(d, dc.Offer)]
    assert offers == [("c11", "a0")]  # not c2, which ranks after c11
    assert [type(d).__name__ for d in out] == ["CallbackQueued", "Offer", "Enqueued"]
    assert router.contact_status("c2") == "waiting"


def test_a_better_free_agent_takes_the_retried_contact() -> None:
    router = desk()
    dialling(router)
    send(router, ev.AgentLoggedIn(at=4.0, agent_id="b0", skills={}, capacity={"chat": 1}))
    out = send(router, ev.CallbackFailed(at=5.0, contact_id="c2", reason="no answer"))
    offers = [(d.contact_id, d.agent_id) for d in out if isinstance(d, dc.Offer)]
    assert offers == [("c2", "b0")]  # b0 idle since 4.0, a0 busy until now: longest idle first


def test_the_agent_who_dialled_takes_it_again_when_it_is_the_best() -> None:
    router = desk()
    dialling(router)
    out = send(router, ev.CallbackFailed(at=5.0, contact_id="c2", reason="no answer"))
    offers = [(d.contact_id, d.agent_id) for d in out if isinstance(d, dc.Offer)]
    assert offers == [("c2", "a0")]
