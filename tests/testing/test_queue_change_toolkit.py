"""The testing toolkit knows queue changes (QueueChanged): the model predicts the refusals and
follows a change's effects (testing/_model_queue_change.py), RouterMachine draws changes
(testing/_queue_change_rules.py), and a correct router passes while broken ones fail
(tests/testing/test_toolkit.py, BROKEN_ROUTERS)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from experiencehub import InvalidEvent, QueueSpec, Stage, UnknownQueue
from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core.router import Router
from experiencehub.testing import ModelViolation, RouterConfig, RouterMachine, RouterModel
from experiencehub.testing import strategies as hs

Q = QueueSpec("q", channel="chat", requires={"s": 1}, stages=[Stage(0, 0), Stage(6.0, 1)],
              affinity_seconds=0)  # fmt: skip
CONFIG = RouterConfig(
    skills=("s", "t"),
    skill_edges=[("t", "s", 1.0)],  # t serves s at cost 1
    queues=(Q, QueueSpec("r", channel="chat", affinity_seconds=0)),
    offer_timeout=None,
)
STRICTER = attrs.evolve(Q, requires={"s": 2}, stages=[Stage(0, 1)], service_level_seconds=0.5)


def _replayed(events: list[ev.Event]) -> tuple[Router, RouterModel, list[dc.Decision]]:
    """The router and the model fed ``events`` (each checked); the last event's decisions."""
    router, model = CONFIG.build(), RouterModel(CONFIG)
    decisions: list[dc.Decision] = []
    for event in events:
        assert model.predict_error(event) is None, event
        decisions = router.handle(event)
        model.apply(event, decisions)
        model.check_router(router)
    return router, model, decisions


def _start() -> list[ev.Event]:
    """c1 offered to a2 (skill s at cost 0); c2 waits, as a1 (t, cost 1) is beyond stage 0."""
    return [
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"t": 2}, capacity={"chat": 1}),
        ev.AgentLoggedIn(at=0.0, agent_id="a2", skills={"s": 1}, capacity={"chat": 1}),
        ev.ContactArrived(at=1.0, contact_id="c1", queue="q"),
        ev.ContactArrived(at=2.0, contact_id="c2", queue="q"),
    ]


def test_model_predicts_the_refusals_of_a_change() -> None:
    model = RouterModel(CONFIG)
    assert model.predict_error(ev.QueueChanged(at=0.0, spec=STRICTER)) is None
    refused = {
        "another channel": (attrs.evolve(Q, channel="phone"), InvalidEvent),
        "unknown queue": (QueueSpec("ghost", channel="chat"), UnknownQueue),
        "unknown closed queue": (attrs.evolve(Q, closed_queue="ghost"), UnknownQueue),
    }
    for spec, error in refused.values():
        assert model.predict_error(ev.QueueChanged(at=0.0, spec=spec)) is error
    assert (
        model.predict_error(ev.QueueChanged(at=0.0, spec=attrs.evolve(Q, closed_queue="r"))) is None
    )


def test_model_follows_a_change_that_withdraws_an_offer_and_raises_alerts() -> None:
    """Stricter: a2 loses c1's offer (withdrawn, then c1 waits), a1 reaches c2 at the widened
    stage 0, and the new threshold, already past, alerts both contacts at once."""
    _router, model, decisions = _replayed([*_start(), ev.QueueChanged(at=3.0, spec=STRICTER)])
    assert [(type(d).__name__, d.contact_id) for d in decisions] == [
        ("Alert", "c1"), ("Alert", "c2"), ("Offer", "c2"), ("OfferWithdrawn", "c1"),
    ]  # fmt: skip
    withdrawn = decisions[-1]
    assert isinstance(withdrawn, dc.OfferWithdrawn) and withdrawn.reason.startswith(
        "queue q changed"
    )
    assert (model.contacts["c1"].status, model.contacts["c2"].agent_id) == ("waiting", "a1")
    assert model.contacts["c1"].alerted and model.queues["q"] is STRICTER
    # later stages: c2 (8.5 s waited) falls back to stage 0, beyond a1's reach, and c1 (9.5 s)
    # reaches stage 1 and a1; no alert is raised again under the new threshold
    later = attrs.evolve(STRICTER, service_level_seconds=0.25, stages=[Stage(0, 0), Stage(9.0, 1)])
    _router, model, decisions = _replayed([*_start(), ev.QueueChanged(at=3.0, spec=STRICTER),
                                           ev.QueueChanged(at=10.5, spec=later)])  # fmt: skip
    assert [(type(d).__name__, d.contact_id) for d in decisions] == [
        ("OfferWithdrawn", "c2"), ("Offer", "c1"),
    ]  # fmt: skip
    assert [model.contacts[c].stage for c in ("c1", "c2")] == [1, 0]


def test_model_follows_new_weights_to_the_offer_of_the_oldest_contact() -> None:
    """Priority counts for nothing after the change: the contact that waited longest is the
    next offered (the model re-keys it and checks the offer goes to the best-ranked)."""
    reweighed = attrs.evolve(Q, priority_weight=0.0, aging_per_minute=60.0)
    _router, model, decisions = _replayed([
        ev.ContactArrived(at=1.0, contact_id="low", queue="q", priority=0),
        ev.ContactArrived(at=2.0, contact_id="high", queue="q", priority=3),
        ev.QueueChanged(at=3.0, spec=reweighed),
        ev.AgentLoggedIn(at=4.0, agent_id="a1", skills={"s": 1}, capacity={"chat": 1}),
    ])  # fmt: skip
    assert [(d.contact_id, d.agent_id) for d in decisions if isinstance(d, dc.Offer)] == [
        ("low", "a1")
    ]
    assert model.contacts["low"].key == (-(0.0 - 1.0 * 1.0), 1.0, 1)


def test_model_rejects_an_offer_a_change_put_out_of_reach() -> None:
    _router, model, _decisions = _replayed(_start())
    with pytest.raises(ModelViolation, match="should have been withdrawn"):
        model.apply(ev.QueueChanged(at=3.0, spec=attrs.evolve(Q, requires={"s": 2})), [])


def test_model_rejects_a_withdrawal_the_change_does_not_explain() -> None:
    _router, model, _decisions = _replayed(_start())
    withdrawn = dc.OfferWithdrawn(at=3.0, contact_id="c1", agent_id="a2",
                                  reason="queue q changed; a2 cannot be offered it at stage 0")  # fmt: skip
    with pytest.raises(ModelViolation, match="may still have it"):
        model.apply(ev.QueueChanged(at=3.0, spec=attrs.evolve(Q, priority_weight=2.0)), [withdrawn])


def test_model_catches_a_router_that_leaves_a_contact_at_its_old_stage() -> None:
    router, model, _decisions = _replayed(_start())
    sooner = attrs.evolve(Q, stages=[Stage(0, 0), Stage(1.0, 1)])  # c2 (1 s waited) at stage 1
    change = ev.QueueChanged(at=3.0, spec=sooner)
    model.apply(change, [])  # what a router that changes nothing would return
    with pytest.raises(ModelViolation, match="expected at stage 1 of q"):
        model.check_router(router)


@settings(max_examples=40, deadline=None)
@given(old=hs.queue_specs("q"), data=st.data())
def test_queue_changes_keep_name_channel_and_closing(old: QueueSpec, data: st.DataObject) -> None:
    new = data.draw(hs.queue_changes(old, others=("p", "r")))
    assert (new.name, new.channel, new.hours, new.closed_rule) == (
        old.name, old.channel, old.hours, old.closed_rule,
    )  # fmt: skip
    assert new.closed_queue in (None, "p", "r")


class _CountingMachine(RouterMachine):
    """The machine on CONFIG, counting what its changes did (class-wide, over examples)."""

    seen: dict[str, int] = {"changed": 0, "refused": 0, "withdrawn": 0}

    def configure(self) -> st.SearchStrategy[RouterConfig]:
        return st.just(CONFIG)

    def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
        # skill levels around q's requirement, offers left open (no auto-accept): a change of
        # requirements or stages often puts an offer out of its agent's reach
        return st.builds(ev.AgentLoggedIn, at=st.just(at), agent_id=st.just(agent_id),
                         skills=st.sampled_from([{}, {"s": 1}, {"s": 2}, {"t": 1}, {"t": 3}]),
                         capacity=st.sampled_from([{"chat": 1}, {"chat": 2}]))  # fmt: skip

    @precondition(lambda self: self.started)
    @rule(data=st.data(), bad=st.integers(0, 3))
    def arrive_then_change(self, data: st.DataObject, bad: int) -> None:
        """Weighs the path to a withdrawal: a contact arrives (offered to a free agent, the
        offer left open), then its queue changes (``bad`` 0: a change the router refuses)."""
        if len(self.model.arrived) < self.max_contacts:
            self.arrive(data=data, late=False, priority=0, customer=None)
        self.change_queue(data=data, late=False, bad=bad)

    def send(self, event: ev.Event, *expected: object) -> list[dc.Decision]:
        before = self.rejected
        decisions = super().send(event, *expected)
        if isinstance(event, ev.QueueChanged):
            self.seen["changed" if self.rejected == before else "refused"] += 1
            self.seen["withdrawn"] += sum(
                isinstance(d, dc.OfferWithdrawn) and " changed; " in d.reason for d in decisions
            )
        return decisions


def test_machine_changes_queues_on_a_correct_router() -> None:
    """The change rule reaches its paths: valid changes, refused ones, and offers withdrawn by
    a change (each checked by the model as it happens)."""
    run_state_machine_as_test(
        _CountingMachine,
        settings=settings(max_examples=100, stateful_step_count=40, deadline=None,
                          phases=[Phase.generate], database=None,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
    assert all(_CountingMachine.seen.values()), _CountingMachine.seen
