"""Example-based tests of the Router, one behaviour each (issue: the routing core)."""

from __future__ import annotations

import pytest

from experiencehub import (
    AgentView,
    ClockWentBackwards,
    ConfigError,
    DuplicateId,
    InvalidEvent,
    InvalidTransition,
    OfferNotFound,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    Stage,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
    Work,
    WrapUp,
)
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core.agents import AgentState, AgentStatus
from experiencehub.core.contacts import ContactState, ContactStatus
from experiencehub.core.errors import RouterFailed
from routing_helpers import arrive, kinds, login, offers


def test_issue_example_offers_the_skilled_agent() -> None:
    skills = SkillGraph()
    skills.add_substitute("billing.uk", serves="billing.eu", cost=2)
    router = Router(
        skills,
        [
            QueueSpec(
                "billing-eu",
                channel="phone",
                requires={"billing.eu": 2},
                stages=[Stage(after=0, max_cost=0), Stage(after=30, max_cost=2)],
            )
        ],
        agent_policy="longest_idle",
        seed=0,
    )
    router.handle(
        ev.AgentLoggedIn(
            at=0.0, agent_id="a1", skills={"billing.eu": 3}, capacity={"phone": 1, "chat": 3}
        )
    )
    [offer] = router.handle(
        ev.ContactArrived(at=1.0, contact_id="c1", queue="billing-eu", priority=0)
    )
    assert isinstance(offer, dc.Offer)
    assert (offer.contact_id, offer.agent_id, offer.at, offer.expires_at) == ("c1", "a1", 1.0, 31.0)
    assert offer.explanation.policy == "longest_idle"
    assert "a1" in offer.explanation.summary
    router._check()


def test_minimum_level_is_enforced(support_router: Router) -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", requires={"support": 3})])
    login(router, "novice", skills={"support": 2})
    assert kinds(arrive(router, "c1", 1.0, queue="q")) == ["Enqueued"]
    assert "lack the skills" in router.explain("c1").summary
    login(router, "expert", at=2.0, skills={"support": 3})
    router._check()
    assert router.contact_status("c1") == "offered"


def test_substitute_is_eligible_only_from_its_stage(omni_router: Router) -> None:
    router = omni_router
    login(router, "uk", skills={"billing.uk": 3})
    assert kinds(arrive(router, "c1", 0.0, queue="billing-eu")) == ["Enqueued"]
    assert router.next_deadline() == 30.0
    out = router.handle(ev.Tick(at=30.0))
    assert kinds(out) == ["Expanded", "Offer"]
    assert out[1].stage == 1 and out[1].agent_id == "uk"


def test_any_agent_stage_takes_unskilled_agents(omni_router: Router) -> None:
    router = omni_router
    login(router, "generalist", skills={"support": 1})
    arrive(router, "c1", 0.0, queue="billing-eu")
    out = router.handle(ev.Tick(at=90.0))
    assert kinds(out) == ["Expanded", "Expanded", "Offer"]
    assert out[-1].agent_id == "generalist" and out[-1].stage == 2


def test_any_agent_stage_ranks_agents_beyond_the_rings_by_policy_alone() -> None:
    """At the final "any agent" stage a costlier substitute (cost 5, beyond the last ring of 1)
    ranks with unskilled agents by the policy alone: here, whoever has been idle longest."""
    skills = SkillGraph()
    skills.add_substitute("near", serves="need", cost=1)
    skills.add_substitute("far", serves="need", cost=5)
    queue = QueueSpec(
        "q",
        channel="phone",
        requires={"need": 1},
        stages=[
            Stage(after=0, max_cost=0),
            Stage(after=10, max_cost=1),
            Stage(after=20, max_cost=None),
        ],
    )

    def offered_at_the_any_stage(
        first: tuple[str, dict[str, int]], second: tuple[str, dict[str, int]]
    ) -> str:
        router = Router(skills, [queue])
        for at, (agent_id, agent_skills) in enumerate((first, second)):
            login(router, agent_id, at=float(at), skills=agent_skills, capacity={"phone": 1})
        arrive(router, "c", 5.0, queue="q")
        assert router.contact_status("c") == "waiting"  # nobody within the rings
        out = router.handle(ev.Tick(at=25.0))  # 20 s after arrival: any agent
        return next(d.agent_id for d in out if isinstance(d, dc.Offer))

    assert offered_at_the_any_stage(("far", {"far": 1}), ("none", {})) == "far"
    assert offered_at_the_any_stage(("none", {}), ("far", {"far": 1})) == "none"


def test_exact_skill_beats_substitute_once_expanded(omni_router: Router) -> None:
    router = omni_router
    login(router, "uk", skills={"billing.uk": 3})
    arrive(router, "c1", 0.0, queue="billing-eu")
    router.handle(ev.Tick(at=29.0))
    login(router, "eu", at=29.5, skills={"billing.eu": 2})
    assert router.contact_status("c1") == "offered"
    assert offers(router.handle(ev.OfferRejected(at=31, contact_id="c1", agent_id="eu"))) == [
        ("c1", "uk")
    ]


def test_higher_priority_first_then_fifo(support_router: Router) -> None:
    router = support_router
    for i, prio in enumerate([0, 5, 0, 5]):
        arrive(router, f"c{i}", float(i), priority=prio)
    served = []
    login(router, "a1", at=10.0)
    for t in range(4):
        ((cid, _agent),) = offers(router.handle(ev.Tick(at=10.0 + t))) or [
            (router_offered(router), "a1")
        ]
        served.append(cid)
        router.handle(ev.OfferAccepted(at=10.0 + t, contact_id=cid, agent_id="a1"))
        router.handle(ev.ContactEnded(at=10.5 + t, contact_id=cid))
    assert served == ["c1", "c3", "c0", "c2"]


def router_offered(router: Router) -> str:
    [cid] = [c for c in ("c0", "c1", "c2", "c3") if _status(router, c) == "offered"]
    return cid


def _status(router: Router, cid: str) -> str:
    try:
        return router.contact_status(cid)
    except UnknownContact:
        return "gone"


def test_aging_lets_low_priority_overtake() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, aging_per_minute=1.0)]
    )
    arrive(router, "old-low", 0.0, queue="q", priority=0)
    arrive(router, "new-high", 290.0, queue="q", priority=3)  # old-low has aged ~4.8 points by then
    out = login(router, "a1", at=300.0, skills={"s": 1})
    assert offers(out) == [("old-low", "a1")]


def test_without_aging_high_priority_wins() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1})])
    arrive(router, "old-low", 0.0, queue="q", priority=0)
    arrive(router, "new-high", 290.0, queue="q", priority=3)
    assert offers(login(router, "a1", at=300.0, skills={"s": 1})) == [("new-high", "a1")]


def test_full_queue_refuses_with_a_clear_decision() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, max_length=2)]
    )
    arrive(router, "c1", 0.0, queue="q")
    arrive(router, "c2", 1.0, queue="q")
    [refused] = arrive(router, "c3", 2.0, queue="q")
    assert isinstance(refused, dc.Refused) and "full" in refused.reason
    with pytest.raises(UnknownContact):
        router.contact_status("c3")
    assert router.stats.counters("q").refused == 1


def test_rejoining_customer_keeps_its_place() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, rejoin_seconds=120)]
    )
    arrive(router, "first", 0.0, queue="q", customer_id="ann")
    arrive(router, "second", 10.0, queue="q", customer_id="bob")
    router.handle(ev.ContactAbandoned(at=20.0, contact_id="first"))
    [enq] = arrive(router, "again", 60.0, queue="q", customer_id="ann")
    assert isinstance(enq, dc.Enqueued) and enq.position == 1
    assert offers(login(router, "a1", at=61.0, skills={"s": 1})) == [("again", "a1")]


def test_rejoin_window_expires() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, rejoin_seconds=120)]
    )
    arrive(router, "first", 0.0, queue="q", customer_id="ann")
    arrive(router, "second", 10.0, queue="q", customer_id="bob")
    router.handle(ev.ContactAbandoned(at=20.0, contact_id="first"))
    [enq] = arrive(router, "again", 200.0, queue="q", customer_id="ann")
    assert enq.position == 2


def test_phone_blocks_every_other_offer(omni_router: Router) -> None:
    router = omni_router
    login(router, "a1")
    arrive(router, "call", 0.0, queue="support")
    assert kinds(arrive(router, "chat1", 1.0, queue="chat")) == ["Enqueued"]
    assert kinds(arrive(router, "mail1", 1.0, queue="email")) == ["Enqueued"]
    router._check()


def test_chat_blocks_phone_but_not_more_chats_or_email(omni_router: Router) -> None:
    router = omni_router
    login(router, "a1")
    arrive(router, "chat1", 0.0, queue="chat")
    assert kinds(arrive(router, "call", 1.0, queue="support")) == ["Enqueued"]
    assert offers(arrive(router, "chat2", 2.0, queue="chat")) == [("chat2", "a1")]
    assert offers(arrive(router, "mail", 3.0, queue="email")) == [("mail", "a1")]


def test_email_may_be_interrupted_by_phone(omni_router: Router) -> None:
    router = omni_router
    login(router, "a1")
    arrive(router, "mail", 0.0, queue="email")
    router.handle(ev.OfferAccepted(at=1.0, contact_id="mail", agent_id="a1"))
    assert offers(arrive(router, "call", 2.0, queue="support")) == [("call", "a1")]


def test_chat_capacity_is_respected(omni_router: Router) -> None:
    router = omni_router
    login(router, "a1", capacity={"chat": 2})
    arrive(router, "c1", 0.0, queue="chat")
    arrive(router, "c2", 0.0, queue="chat")
    assert kinds(arrive(router, "c3", 0.0, queue="chat")) == ["Enqueued"]
    assert router.agent_load("a1") == {"chat": 2}
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a1"))
    assert offers(router.handle(ev.ContactEnded(at=5.0, contact_id="c1"))) == [("c3", "a1")]


def test_custom_channel_rules() -> None:
    router = Router(
        SkillGraph(),
        [
            QueueSpec("p", channel="phone", requires={"s": 1}),
            QueueSpec("c", channel="chat", requires={"s": 1}),
        ],
        channel_rules={"phone": [], "chat": []},
    )
    login(router, "a1", skills={"s": 1}, capacity={"phone": 1, "chat": 1})
    arrive(router, "call", 0.0, queue="p")
    assert offers(arrive(router, "chat", 0.0, queue="c")) == [("chat", "a1")]


def test_logout_while_busy_finishes_work_and_takes_none(support_router: Router) -> None:
    router = support_router
    login(router, "a1")
    arrive(router, "c1", 0.0)
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a1"))
    assert router.handle(ev.AgentLoggedOut(at=2.0, agent_id="a1")) == []
    assert router.agent_status("a1") == "logging_out"
    assert kinds(arrive(router, "c2", 3.0)) == ["Enqueued"]
    out = router.handle(ev.ContactEnded(at=4.0, contact_id="c1"))
    assert kinds(out) == ["LogoutCompleted"]
    with pytest.raises(UnknownAgent):
        router.agent_status("a1")
    router._check()


def test_logout_with_open_offer_withdraws_and_reroutes(support_router: Router) -> None:
    router = support_router
    login(router, "a1")
    arrive(router, "c1", 0.0)
    login(router, "a2", at=1.0)
    out = router.handle(ev.AgentLoggedOut(at=2.0, agent_id="a1"))
    assert kinds(out) == ["OfferWithdrawn", "Offer", "LogoutCompleted"]
    assert offers(out) == [("c1", "a2")]


def test_away_agent_gets_nothing_until_available(support_router: Router) -> None:
    router = support_router
    login(router, "a1")
    router.handle(ev.AgentStatusChanged(at=1.0, agent_id="a1", status="away", reason="break"))
    assert kinds(arrive(router, "c1", 2.0)) == ["Enqueued"]
    assert offers(
        router.handle(ev.AgentStatusChanged(at=3.0, agent_id="a1", status="available"))
    ) == [("c1", "a1")]


@pytest.mark.parametrize(
    ("wrap", "events_after_end", "expect_free_at"),
    [
        (WrapUp("none"), [], 10.0),
        (WrapUp("timed", 15.0), [ev.Tick(at=25.0)], 25.0),
        (WrapUp("manual"), [ev.WrapUpEnded(at=40.0, agent_id="a1", contact_id="c1")], 40.0),
    ],
)
def test_wrap_up_modes(
    wrap: WrapUp, events_after_end: list[ev.Event], expect_free_at: float
) -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, wrap_up=wrap)]
    )
    login(router, "a1", skills={"s": 1})
    arrive(router, "c1", 0.0, queue="q")
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a1"))
    arrive(router, "c2", 2.0, queue="q")
    out = router.handle(ev.ContactEnded(at=10.0, contact_id="c1"))
    for event in events_after_end:
        assert not offers(out)
        out = router.handle(event)
        router._check()
    [offer] = [d for d in out if isinstance(d, dc.Offer)]
    assert (offer.contact_id, offer.at) == ("c2", expect_free_at)


def test_reject_goes_to_next_agent_at_once_and_never_back(support_router: Router) -> None:
    router = support_router
    login(router, "a1")
    login(router, "a2", at=1.0)
    arrive(router, "c1", 2.0)
    out = router.handle(ev.OfferRejected(at=3.0, contact_id="c1", agent_id="a1"))
    assert offers(out) == [("c1", "a2")]
    out = router.handle(ev.OfferRejected(at=4.0, contact_id="c1", agent_id="a2"))
    assert offers(out) == []
    assert "declined" in router.explain("c1").summary


def test_rejected_agent_takes_the_next_contact_behind(support_router: Router) -> None:
    router = support_router
    arrive(router, "c1", 0.0)
    arrive(router, "c2", 1.0)
    login(router, "a1", at=2.0)
    out = router.handle(ev.OfferRejected(at=3.0, contact_id="c1", agent_id="a1"))
    assert offers(out) == [("c2", "a1")]
    login(router, "a2", at=4.0)
    assert router.contact_status("c1") == "offered"  # c1 kept its place at the head


def test_away_reason_is_kept_shown_and_explained(support_router: Router) -> None:
    router = support_router
    login(router, "a1", at=0.0)
    assert router.agent_view("a1") == AgentView(
        agent_id="a1",
        status="available",
        reason=None,
        since=0.0,
        load={"phone": 0, "chat": 0, "email": 0},
        capacity={"phone": 1, "chat": 3, "email": 5},
    )
    router.handle(ev.AgentStatusChanged(at=5.0, agent_id="a1", status="away", reason="Break"))
    view = router.agent_view("a1")
    assert (view.status, view.reason, view.since) == ("away", "Break", 5.0)
    arrive(router, "c1", 6.0)
    assert "1 away (Break)" in router.explain("c1").summary
    # a new reason while away starts a new period; coming back clears the reason
    router.handle(ev.AgentStatusChanged(at=8.0, agent_id="a1", status="away", reason="Training"))
    assert (router.agent_view("a1").reason, router.agent_view("a1").since) == ("Training", 8.0)
    router.handle(ev.AgentStatusChanged(at=9.0, agent_id="a1", status="away", reason="Training"))
    assert router.agent_view("a1").since == 8.0  # the same status and reason go on
    router.handle(ev.AgentStatusChanged(at=10.0, agent_id="a1", status="available"))
    view = router.agent_view("a1")
    assert (view.status, view.reason, view.since, view.load["phone"]) == ("available", None, 10.0, 1)
    router.handle(ev.OfferAccepted(at=10.5, contact_id="c1", agent_id="a1"))
    router.handle(ev.AgentLoggedOut(at=11.0, agent_id="a1"))  # busy: it finishes c1 first
    view = router.agent_view("a1")
    assert (view.status, view.reason, view.since) == ("logging_out", None, 11.0)


def test_explain_says_skill_cost_above_the_stage_for_agents_beyond_the_rings() -> None:
    skills = SkillGraph()
    skills.add_substitute("billing.uk", serves="billing.eu", cost=5)
    queue = QueueSpec(
        "eu", channel="phone", requires={"billing.eu": 1}, stages=[Stage(0, 0), Stage(60, None)]
    )
    router = Router(skills, [queue])
    login(router, "uk", skills={"billing.uk": 1})
    login(router, "none", skills={})
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="uk", status="away"))
    router.handle(ev.AgentStatusChanged(at=0.0, agent_id="none", status="away"))
    arrive(router, "c1", 1.0, queue="eu")
    notes = {c.agent_id: (c.note, c.cost) for c in router.explain("c1").candidates}
    assert notes == {
        "uk": ("skill cost above this stage's limit", 5.0),
        "none": ("lack the skills", -1.0),
    }


def test_offer_timeout_then_away_after_repeated_no_answers() -> None:
    router = Router(
        SkillGraph(),
        [QueueSpec("q", channel="phone", requires={"s": 1})],
        offer_timeout=10.0,
        max_unanswered_offers=2,
    )
    login(router, "a1", skills={"s": 1})
    arrive(router, "c1", 0.0, queue="q")
    out = router.handle(ev.Tick(at=10.0))
    assert kinds(out) == ["OfferExpired"]  # not re-offered to a1
    arrive(router, "c2", 11.0, queue="q")
    out = router.handle(ev.Tick(at=21.0))
    assert kinds(out) == ["OfferExpired", "AgentStatusForced"]
    assert router.agent_status("a1") == "away"
    view = router.agent_view("a1")
    assert (view.reason, view.since) == ("unanswered offers", 21.0)
    router._check()


def test_rejections_do_not_count_as_no_answers() -> None:
    router = Router(
        SkillGraph(),
        [QueueSpec("q", channel="phone", requires={"s": 1})],
        offer_timeout=10.0,
        max_unanswered_offers=1,
    )
    login(router, "a1", skills={"s": 1})
    for i in range(3):
        arrive(router, f"c{i}", float(i), queue="q")
        router.handle(ev.OfferRejected(at=float(i), contact_id=f"c{i}", agent_id="a1"))
    assert router.agent_status("a1") == "available"


def test_abandon_while_offered_withdraws_the_offer(support_router: Router) -> None:
    router = support_router
    login(router, "a1")
    arrive(router, "c1", 0.0)
    arrive(router, "c2", 1.0)
    out = router.handle(ev.ContactAbandoned(at=2.0, contact_id="c1"))
    assert kinds(out) == ["OfferWithdrawn", "Offer"]
    assert offers(out) == [("c2", "a1")]
    assert router.stats.counters("support").abandoned == 1


def test_transfer_releases_the_agent_and_requeues(omni_router: Router) -> None:
    router = omni_router
    login(router, "a1", skills={"support": 1})
    login(router, "eu", skills={"billing.eu": 2})
    arrive(router, "c1", 0.0, queue="support")
    router.handle(ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a1"))
    out = router.handle(ev.ContactTransferred(at=5.0, contact_id="c1", queue="billing-eu"))
    assert offers(out) == [("c1", "eu")]
    assert router.agent_load("a1")["phone"] == 0
    assert router.stats.counters("billing-eu").transferred_in == 1
    router._check()


def test_service_level_alert(support_router: Router) -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, service_level_seconds=20)]
    )
    arrive(router, "c1", 0.0, queue="q")
    assert router.next_deadline() == 20.0
    [alert] = router.handle(ev.Tick(at=25.0))
    assert isinstance(alert, dc.Alert) and alert.kind == "service_level" and alert.at == 20.0


def test_affinity_targets_preferred_agent_then_falls_back(support_router: Router) -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, affinity_seconds=60)]
    )
    login(router, "last", skills={"s": 1})
    login(router, "other", at=1.0, skills={"s": 1})
    arrive(router, "busy", 2.0, queue="q", preferred_agents=("last",))  # takes "last"
    router.handle(ev.OfferAccepted(at=2.0, contact_id="busy", agent_id="last"))
    [enq] = arrive(router, "c1", 3.0, queue="q", preferred_agents=("last",))
    assert isinstance(enq, dc.Enqueued) and "preferred" in enq.explanation.summary
    out = router.handle(ev.Tick(at=63.0))
    assert kinds(out) == ["Expanded", "Offer"] and offers(out) == [("c1", "other")]


def test_affinity_offers_preferred_agent_when_it_frees() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, affinity_seconds=60)]
    )
    login(router, "last", skills={"s": 1})
    arrive(router, "busy", 1.0, queue="q")
    login(router, "other", at=2.0, skills={"s": 1})
    arrive(router, "c1", 3.0, queue="q", preferred_agents=("last",))
    router.handle(ev.OfferAccepted(at=4.0, contact_id="busy", agent_id="last"))
    out = router.handle(ev.ContactEnded(at=10.0, contact_id="busy"))
    assert offers(out) == [("c1", "last")]
    assert "preferred" in out[0].explanation.summary


def test_offline_preferred_agent_is_skipped(support_router: Router) -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, affinity_seconds=60)]
    )
    login(router, "other", skills={"s": 1})
    assert offers(arrive(router, "c1", 1.0, queue="q", preferred_agents=("gone-home",))) == [
        ("c1", "other")
    ]


def test_preferred_agent_logging_out_releases_its_contacts() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1}, affinity_seconds=600)]
    )
    login(router, "last", skills={"s": 1})
    arrive(router, "busy", 1.0, queue="q")
    router.handle(ev.OfferAccepted(at=1.0, contact_id="busy", agent_id="last"))
    arrive(router, "c1", 2.0, queue="q", preferred_agents=("last",))
    login(router, "other", at=3.0, skills={"s": 1})
    assert router.contact_status("c1") == "waiting"
    out = router.handle(ev.AgentLoggedOut(at=4.0, agent_id="last"))
    assert offers(out) == [("c1", "other")]
    router._check()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("longest_idle", "a1"),
        ("most_proficient", "a3"),
        ("fewest_skills", "a2"),
        ("round_robin", "a1"),
    ],
)
def test_agent_policies(policy: str, expected: str) -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="phone", requires={"s": 1})], agent_policy=policy
    )
    login(router, "a1", at=0.0, skills={"s": 1, "x": 1, "y": 1})
    login(router, "a2", at=1.0, skills={"s": 1})
    login(router, "a3", at=2.0, skills={"s": 5, "x": 1})
    assert offers(arrive(router, "c1", 3.0, queue="q")) == [("c1", expected)]


def test_least_occupied_prefers_the_emptier_agent(omni_router: Router) -> None:
    router = Router(
        SkillGraph(),
        [QueueSpec("c", channel="chat", requires={"s": 1})],
        agent_policy="least_occupied",
    )
    login(router, "a1", skills={"s": 1}, capacity={"chat": 3})
    login(router, "a2", at=1.0, skills={"s": 1}, capacity={"chat": 3})
    got = [offers(arrive(router, f"c{i}", 2.0 + i, queue="c"))[0][1] for i in range(4)]
    assert got == ["a1", "a2", "a1", "a2"]


def test_random_policy_is_reproducible_with_a_seed() -> None:
    def run(seed: int) -> list[str]:
        router = Router(
            SkillGraph(),
            [QueueSpec("q", channel="phone", requires={"s": 1})],
            agent_policy="random",
            seed=seed,
        )
        for i in range(20):
            login(router, f"a{i}", skills={"s": 1})
        return [offers(arrive(router, f"c{i}", 1.0, queue="q"))[0][1] for i in range(10)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_unknown_policy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="agent_policy='nearest'"):
        Router(SkillGraph(), [], agent_policy="nearest")


def test_agent_freeing_takes_highest_priority_across_queues(omni_router: Router) -> None:
    router = Router(
        SkillGraph(),
        [
            QueueSpec("a", channel="phone", requires={"s": 1}),
            QueueSpec("b", channel="phone", requires={"s": 1}, priority_weight=10),
        ],
    )
    arrive(router, "a-older", 0.0, queue="a", priority=0)
    arrive(router, "a-old", 1.0, queue="a", priority=1)
    arrive(router, "b-new", 5.0, queue="b", priority=1)
    assert offers(login(router, "x", at=6.0, skills={"s": 1})) == [("b-new", "x")]


def test_stats_are_kept_incrementally(support_router: Router) -> None:
    router = support_router
    arrive(router, "c1", 0.0)
    arrive(router, "c2", 5.0)
    assert router.stats.waiting("support") == 2
    assert router.stats.oldest_wait("support", now=10.0) == 10.0
    login(router, "a1", at=10.0)
    assert router.stats.available_agents("phone") == 0
    router.handle(ev.OfferAccepted(at=11.0, contact_id="c1", agent_id="a1"))
    assert router.stats.waiting("support") == 1
    assert router.stats.oldest_enqueued_at("support") == 5.0
    assert router.stats.counters("support").answered_wait_seconds == 11.0


def test_deadlines_apply_the_same_whether_ticked_or_not(omni_router: Router) -> None:
    def script(tick: bool) -> list[dc.Decision]:
        skills = SkillGraph()
        skills.add_substitute("billing.uk", serves="billing.eu", cost=2)
        router = Router(
            skills,
            [
                QueueSpec(
                    "b",
                    channel="phone",
                    requires={"billing.eu": 1},
                    service_level_seconds=10,
                    stages=[Stage(0, 0), Stage(30, 2)],
                )
            ],
        )
        out = login(router, "uk", skills={"billing.uk": 1})
        out += arrive(router, "c1", 0.0, queue="b")
        if tick:
            while (deadline := router.next_deadline()) is not None and deadline <= 45:
                out += router.handle(ev.Tick(at=deadline))
        out += arrive(router, "c2", 45.0, queue="b")
        return out

    assert script(tick=True) == script(tick=False)


def test_time_going_backwards_is_an_error(support_router: Router) -> None:
    router = support_router
    arrive(router, "c1", 10.0)
    with pytest.raises(ClockWentBackwards, match=r"at=5\.0"):
        arrive(router, "c2", 5.0)


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (ev.ContactArrived(at=1.0, contact_id="c1", queue="support"), DuplicateId),
        (ev.ContactArrived(at=1.0, contact_id="c9", queue="nope"), UnknownQueue),
        (ev.AgentLoggedIn(at=1.0, agent_id="a1", skills={"support": 1}), DuplicateId),
        (ev.OfferAccepted(at=1.0, contact_id="c2", agent_id="a1"), OfferNotFound),
        (ev.OfferAccepted(at=1.0, contact_id="c1", agent_id="a9"), UnknownAgent),
        (ev.OfferRejected(at=1.0, contact_id="c9", agent_id="a1"), UnknownContact),
        (ev.ContactEnded(at=1.0, contact_id="c2"), InvalidTransition),
        (ev.WrapUpEnded(at=1.0, agent_id="a1", contact_id="c1"), InvalidTransition),
        (ev.AgentStatusChanged(at=1.0, agent_id="a9", status="away"), UnknownAgent),
        (ev.ContactTransferred(at=1.0, contact_id="c1", queue="nope"), UnknownQueue),
    ],
)
def test_bad_events_raise_and_leave_no_trace(event: ev.Event, error: type[RoutingError]) -> None:
    def prepared() -> Router:
        router = Router(
            SkillGraph(),
            [
                QueueSpec(
                    "support",
                    channel="phone",
                    requires={"support": 1},
                    stages=[Stage(0, 0), Stage(5, None)],
                    service_level_seconds=3,
                )
            ],
        )
        login(router, "a1")
        arrive(router, "c1", 0.0)
        arrive(router, "c2", 0.5)
        return router

    router, twin = prepared(), prepared()
    with pytest.raises(error):
        router.handle(event)
    router._check()
    later = [
        ev.OfferRejected(at=2.0, contact_id="c1", agent_id="a1"),
        ev.Tick(at=10.0),
        ev.AgentLoggedIn(at=11.0, agent_id="a2", skills={"support": 1}),
        ev.ContactArrived(at=12.0, contact_id="c3", queue="support"),
    ]
    assert [router.handle(e) for e in later] == [twin.handle(e) for e in later]


def test_invalid_values_are_refused_when_building_events() -> None:
    with pytest.raises(InvalidEvent, match="skills"):
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": -1})
    with pytest.raises(InvalidEvent, match="capacity"):
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"chat": -2})
    with pytest.raises(InvalidEvent, match="status"):
        ev.AgentStatusChanged(at=0.0, agent_id="a1", status="lunch")
    with pytest.raises(InvalidEvent, match="contact_id"):
        ev.ContactEnded(at=0.0, contact_id="")
    with pytest.raises(InvalidEvent, match="at=nan"):
        ev.Tick(at=float("nan"))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: QueueSpec("q", channel="phone", stages=[Stage(5, 0)]), "first stage"),
        (
            lambda: QueueSpec("q", channel="phone", stages=[Stage(0, 2), Stage(10, 1)]),
            "must not shrink",
        ),
        (
            lambda: QueueSpec("q", channel="phone", stages=[Stage(0, None), Stage(10, 1)]),
            "only the last",
        ),
        (lambda: QueueSpec("q", channel="phone", requires={"s": -1}), "requires"),
        (lambda: QueueSpec("q", channel="phone", max_length=0), "max_length"),
        (lambda: QueueSpec("q", channel=""), "channel"),
        (lambda: Router(SkillGraph(), [QueueSpec("q", channel="phone")] * 2), "defined twice"),
        (lambda: Router(SkillGraph(), [], offer_timeout=0), "offer_timeout"),
        (lambda: WrapUp("timed", 0), "seconds"),
        (lambda: SkillGraph().add_substitute("a", serves="b", cost=-1), "cost=-1"),
    ],
)
def test_malformed_config_is_a_config_error(build: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build()  # type: ignore[operator]


def test_same_events_same_decisions() -> None:
    def run() -> list[dc.Decision]:
        router = Router(
            SkillGraph(),
            [QueueSpec("q", channel="chat", requires={"s": 1}, service_level_seconds=5)],
            agent_policy="random",
            seed=3,
        )
        out: list[dc.Decision] = []
        for i in range(5):
            out += login(router, f"a{i}", at=float(i), skills={"s": 1})
        for i in range(30):
            out += arrive(router, f"c{i}", 5.0 + i, queue="q", priority=i % 3)
        out += router.handle(ev.Tick(at=100.0))
        return out

    assert run() == run()


def test_many_agents_and_contacts_keep_every_invariant_through_pool_clean_ups() -> None:
    """Enough agents and offers for the agent pools and lazy heaps to clean up many times, with
    every invariant (pool membership, work conservation) checked after each event."""
    router = Router(
        SkillGraph(),
        [QueueSpec("q", channel="phone", service_level_seconds=5.0, rejoin_seconds=30.0)],
        offer_timeout=4.0,
    )
    for i in range(120):
        login(router, f"a{i}", at=0.0, skills={}, capacity={"phone": 1})
    t, connected, answered = 0.0, [], 0
    for n in range(1500):
        t += 0.25
        out = arrive(router, f"c{n}", t, queue="q", customer_id=f"k{n % 40}")
        router._check()
        for decision in out:
            if isinstance(decision, dc.Offer) and n % 7:
                router.handle(
                    ev.OfferAccepted(
                        at=t, contact_id=decision.contact_id, agent_id=decision.agent_id
                    )
                )
                connected.append(decision.contact_id)
                answered += 1
        if len(connected) > 100:  # the oldest call ends; its agent takes the next in line
            for decision in router.handle(ev.ContactEnded(at=t, contact_id=connected.pop(0))):
                if isinstance(decision, dc.Offer):
                    router.handle(
                        ev.OfferAccepted(
                            at=t, contact_id=decision.contact_id, agent_id=decision.agent_id
                        )
                    )
                    connected.append(decision.contact_id)
            router._check()
    assert answered > 1000


def test_work_lists_what_holds_each_agents_slots() -> None:
    """What a desktop shows after a restart: offers (until they expire), connected contacts
    (since they connected) and wrap-ups (until they end; None when the agent ends them)."""
    router = Router(
        SkillGraph(),
        [QueueSpec("p", channel="phone", wrap_up=WrapUp("timed", 10.0)),
         QueueSpec("c", channel="chat", wrap_up=WrapUp("manual"))],
        offer_timeout=30.0,
    )  # fmt: skip
    login(router, "a1", skills={})
    login(router, "a2", skills={}, capacity={"chat": 2})
    arrive(router, "c1", 1.0, queue="p")
    arrive(router, "c2", 2.0, queue="c")
    arrive(router, "c3", 3.0, queue="c")
    router.handle(ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a1"))
    router.handle(ev.OfferAccepted(at=5.0, contact_id="c2", agent_id="a2"))
    router.handle(ev.ContactEnded(at=6.0, contact_id="c2"))
    assert router.agent_ids() == ["a1", "a2"]
    assert router.work("a1") == [
        Work(contact_id="c1", channel="phone", phase="connected", since=4.0, until=None)
    ]
    assert router.work("a2") == [
        Work(contact_id="c2", channel="chat", phase="wrap_up", since=None, until=None),
        Work(contact_id="c3", channel="chat", phase="offered", since=3.0, until=33.0),
    ]
    router.handle(ev.ContactEnded(at=7.0, contact_id="c1"))
    assert router.work("a1") == [
        Work(contact_id="c1", channel="phone", phase="wrap_up", since=None, until=17.0)
    ]
    with pytest.raises(UnknownAgent):
        router.work("nobody")


# -- structure: what the Router shows, and the one place each status changes ---------------------
def test_router_shows_only_its_public_surface() -> None:
    """The state is held by composition: a host sees the event call, the clock and views."""
    public = {name for name in dir(Router) if not name.startswith("_")}
    assert public == {
        "agent_ids", "agent_load", "agent_status", "agent_view", "consult_of", "contact_ids",
        "estimated_wait", "is_open", "next_hours_change",
        "contact_status", "deadline_may_be_due", "explain", "handle", "next_deadline", "now",
        "policy_name", "queues", "stats", "work",
    }  # fmt: skip
    router = Router(SkillGraph(), [QueueSpec("q", channel="chat")])
    with pytest.raises(TypeError):
        router.queues["other"] = QueueSpec("other", channel="chat")  # type: ignore[index]


def test_contact_and_agent_statuses_change_only_by_their_tables() -> None:
    contact = ContactState("c1", queue=QueueSpec("q", channel="chat"), priority=0,
                           customer_id=None, at=0.0)  # fmt: skip
    with pytest.raises(InvalidTransition, match="c1: cannot accept while waiting"):
        contact.move("accept")
    assert contact.status is ContactStatus.WAITING
    contact.move("offer")
    contact.move("accept")
    assert contact.status is ContactStatus.CONNECTED
    contact.move("end")  # leaves the router: the last status stays
    assert contact.status is ContactStatus.CONNECTED
    agent = AgentState("a1", seq=1, skills={}, capacity={"chat": 1}, at=0.0)
    agent.move("away", "Break", 5.0)
    assert (agent.status, agent.reason, agent.status_since) == (AgentStatus.AWAY, "Break", 5.0)
    agent.move("logout", "ignored", 6.0)
    with pytest.raises(InvalidTransition, match="a1: cannot go 'available' while logging_out"):
        agent.move("available", None, 7.0)
    assert (agent.status, agent.reason, agent.status_since) == (AgentStatus.LOGGING_OUT, None, 6.0)


def test_pools_are_not_read_while_an_agent_looks_for_work() -> None:
    """While an agent that freed takes its next contacts, its pool entries are stale: a read
    of the pools in that window is a bug the guard turns into an assertion."""
    class ReadsPoolsTooEarly(RoutingCore):
        def match_agent(self, agent, out):  # type: ignore[no-untyped-def]
            self.pools.best_agent(self.queues["q"], None, frozenset())

    class Broken(Router):
        _Core = ReadsPoolsTooEarly

    router = Broken(SkillGraph(), [QueueSpec("q", channel="chat")])
    with pytest.raises(RouterFailed, match="pools read while a1's entries are stale"):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
