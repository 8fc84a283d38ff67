"""Stateful property tests of the Router: RouterMachine over random and hand-picked configurations.

Sizes: 300 examples of up to 60 steps per scenario by default; EXPERIENCEHUB_SLOW=1 runs 3000
examples of up to 120 steps (nightly). Under CI (env CI set) examples are derandomized so a run is
reproducible and a submission cannot fail on a fresh random draw; locally each run explores anew.

The four router bugs the machines found (duplicate preferred agents, transfer of a contact in
wrap-up, logout of a preferred agent while its contact is offered, affinity across queues that age
differently) are fixed, and each has a minimal regression test at the end of this file.
"""

from __future__ import annotations

import os

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import DuplicateId, QueueSpec, SkillGraph, Stage, WrapUp
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core import _lazyheap, pools
from experiencehub.core.policies import POLICIES
from experiencehub.core.router import Router
from experiencehub.testing import RouterConfig, RouterMachine
from experiencehub.testing.strategies import router_configs

SLOW = os.environ.get("EXPERIENCEHUB_SLOW") == "1"
EXAMPLES = 3000 if SLOW else 300
STEPS = 120 if SLOW else 60


@pytest.fixture(autouse=True)
def _clean_up_constantly(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Agent pools and lazy heaps clean their dead entries at every chance, not after dozens:
    the small populations of these machines would otherwise never reach a clean-up. The
    omnichannel and affinity machines' contacts search heaps of their own once they excluded
    one agent (not after dozens), the others the shared pools."""
    monkeypatch.setattr(pools, "COMPACT_SLACK", 0)
    monkeypatch.setattr(_lazyheap, "COMPACT_SLACK", 0)
    if request.cls in (TestOmnichannel, TestAffinity):
        monkeypatch.setattr(pools, "OWN_HEAP_AFTER", 1)


def _settings(examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


class Machine(RouterMachine):
    """The toolkit's RouterMachine: a rejected event acts as ``Tick(at=event.at)`` whose
    decisions travel on the error (``err.decisions``), checked against a clean twin."""


# -- 1. random configurations: any skill graph, queues, policy, timeouts --------------------------
class RandomConfigs(Machine):
    """Any skill graph, queues, policy and timeouts the strategy draws."""


TestRandomConfigs = RandomConfigs.TestCase
TestRandomConfigs.settings = _settings()


# -- 2. an omnichannel centre, every policy ------------------------------------------------------
def _omni_skills() -> list[tuple[str, str, float]]:
    return [
        ("billing.uk", "billing.eu", 2.0),  # substitution
        ("billing.eu", "billing", 0.0),  # hierarchy: child serves parent
        ("billing.uk", "billing", 0.0),
        ("tech.l2", "tech", 0.0),
        ("tech", "tech.l2", 3.0),  # a cycle with costs, as real graphs have
    ]


OMNI = RouterConfig(
    skill_edges=_omni_skills(),
    queues=(
        QueueSpec(
            "billing-eu",
            channel="phone",
            requires={"billing.eu": 2},
            stages=[Stage(after=0, max_cost=0), Stage(after=10, max_cost=2), Stage(30, None)],
            wrap_up=WrapUp("timed", 5.0),
            service_level_seconds=20.0,
            rejoin_seconds=60.0,
            affinity_seconds=15.0,
        ),
        QueueSpec(
            "tech-chat",
            channel="chat",
            requires={"tech": 1},
            stages=[Stage(after=0, max_cost=0), Stage(after=20, max_cost=3)],
            priority_weight=2.0,
            aging_per_minute=6.0,
            max_length=4,
            wrap_up=WrapUp("manual"),
        ),
        QueueSpec(
            "billing-mail",
            channel="email",
            requires={"billing": 1},
            aging_per_minute=1.0,
            rejoin_seconds=30.0,
        ),
    ),
    offer_timeout=20.0,
    max_unanswered_offers=2,
)


class Omnichannel(Machine):
    def configure(self) -> st.SearchStrategy[RouterConfig]:
        return st.sampled_from(sorted(POLICIES)).map(
            lambda policy: attrs.evolve(OMNI, agent_policy=policy)
        )


TestOmnichannel = Omnichannel.TestCase
TestOmnichannel.settings = _settings()


# -- 3. capacities 1/3/5 and custom cross-channel rules, no offer timeout --------------------------
CAPACITY = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec("voice", channel="phone", requires={"s": 1}, wrap_up=WrapUp("timed", 2.0)),
        QueueSpec("chat", channel="chat", requires={"s": 1}, max_length=3),
        QueueSpec("mail", channel="email", stages=[Stage(0, 0), Stage(5, None)]),
    ),
    agent_policy="least_occupied",
    offer_timeout=None,
    max_unanswered_offers=None,
    channel_rules={"phone": ("chat", "email"), "chat": ("phone",), "email": ("phone",)},
)


class Capacities(Machine):
    config = CAPACITY
    max_agents = 4


TestCapacities = Capacities.TestCase
TestCapacities.settings = _settings()


# -- 4. affinity and rejoin: short windows, few agents, quick timeouts -----------------------------
AFFINITY = RouterConfig(
    skills=("s",),
    queues=(
        QueueSpec(
            "vip",
            channel="chat",
            requires={"s": 1},
            affinity_seconds=5.0,
            rejoin_seconds=10.0,
            service_level_seconds=0.0,
            wrap_up=WrapUp("manual"),
        ),
        QueueSpec("std", channel="chat", affinity_seconds=2.5, rejoin_seconds=2.5, max_length=2),
    ),
    agent_policy="round_robin",
    offer_timeout=2.0,
    max_unanswered_offers=1,
)


class Affinity(Machine):
    config = AFFINITY
    max_agents = 3


TestAffinity = Affinity.TestCase
TestAffinity.settings = _settings()


# -- regressions: bugs the machines found, as minimal event sequences -----------------------------
def _run(router: Router, *events: ev.Event) -> list[dc.Decision]:
    out: list[dc.Decision] = []
    for event in events:
        out.extend(router.handle(event))
        router._check()
    return out


def test_bug1_duplicate_preferred_agents_count_once() -> None:
    router = Router(
        SkillGraph(), [QueueSpec("q0", channel="phone", affinity_seconds=0.5)], offer_timeout=None
    )
    _run(
        router,
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
        ev.AgentStatusChanged(at=0.0, agent_id="a0", status="away"),
        ev.ContactArrived(at=0.0, contact_id="c0", queue="q0", preferred_agents=("a0", "a0")),
    )
    assert "preferred agents a0 only" in router.explain("c0").summary


# a0 handles c0 in a queue with manual wrap-up, a1 logs in, c0 is transferred (to the same queue)
_TRANSFERRED_WHILE_CONNECTED = (
    ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
    ev.ContactArrived(at=0.0, contact_id="c0", queue="q0"),
    ev.OfferAccepted(at=1.0, contact_id="c0", agent_id="a0"),
    ev.AgentLoggedIn(at=2.0, agent_id="a1", skills={}, capacity={"phone": 1}),
    ev.ContactTransferred(at=3.0, contact_id="c0", queue="q0"),
)


def _manual_wrap_up_router() -> Router:
    return Router(SkillGraph(), [QueueSpec("q0", channel="phone", wrap_up=WrapUp("manual"))])


def test_bug2_transfer_of_connected_contact_out_of_wrap_up_queue() -> None:
    out = _run(_manual_wrap_up_router(), *_TRANSFERRED_WHILE_CONNECTED)
    assert [type(d) for d in out[-2:]] == [dc.WrapUpStarted, dc.Offer]
    assert out[-1].agent_id == "a1"  # type: ignore[union-attr]


def test_bug2_two_agents_wrapping_the_same_contact_are_both_remembered() -> None:
    router = _manual_wrap_up_router()
    _run(
        router,
        *_TRANSFERRED_WHILE_CONNECTED,
        ev.OfferAccepted(at=4.0, contact_id="c0", agent_id="a1"),
        ev.ContactEnded(at=5.0, contact_id="c0"),
        ev.WrapUpEnded(at=6.0, agent_id="a0", contact_id="c0"),
    )
    with pytest.raises(DuplicateId):  # a1 still wraps c0
        router.handle(ev.ContactArrived(at=7.0, contact_id="c0", queue="q0"))
    _run(router, ev.WrapUpEnded(at=8.0, agent_id="a1", contact_id="c0"))
    out = _run(router, ev.ContactArrived(at=9.0, contact_id="c0", queue="q0"))
    assert isinstance(out[0], dc.Offer)


def test_bug2_never_offered_to_an_agent_still_wrapping_it() -> None:
    router = Router(SkillGraph(), [QueueSpec("q0", channel="chat", wrap_up=WrapUp("manual"))])
    _run(
        router,
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"chat": 3}),
        ev.ContactArrived(at=0.0, contact_id="c0", queue="q0"),
        ev.OfferAccepted(at=1.0, contact_id="c0", agent_id="a0"),
        ev.ContactTransferred(at=2.0, contact_id="c0", queue="q0"),
        ev.ContactTransferred(at=3.0, contact_id="c0", queue="q0"),
    )
    assert router.agent_load("a0") == {"chat": 1}  # the wrap-up only
    assert router.contact_status("c0") == "waiting"
    assert "transferred it" in router.explain("c0").summary
    # once the wrap-up is over, the next transfer may bring it back to a0
    _run(router, ev.WrapUpEnded(at=4.0, agent_id="a0", contact_id="c0"))
    out = _run(router, ev.ContactTransferred(at=5.0, contact_id="c0", queue="q0"))
    assert isinstance(out[-1], dc.Offer) and out[-1].agent_id == "a0"


def test_bug3_offered_preferred_contact_is_rerouted_when_its_agent_leaves() -> None:
    router = Router(SkillGraph(), [QueueSpec("q0", channel="phone", affinity_seconds=60)])
    _run(
        router,
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1}),
        ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}, capacity={"phone": 1}),
        ev.ContactArrived(at=1.0, contact_id="c0", queue="q0", preferred_agents=("a0",)),
    )
    out = _run(router, ev.AgentLoggedOut(at=2.0, agent_id="a0"))
    assert [type(d) for d in out] == [
        dc.OfferWithdrawn,
        dc.Expanded,
        dc.Offer,
        dc.LogoutCompleted,
    ], out
    assert router.contact_status("c0") == "offered"


def test_bug3_other_preferred_agent_leaves_while_contact_is_offered() -> None:
    router = Router(SkillGraph(), [QueueSpec("q0", channel="phone", affinity_seconds=60)])
    for agent in ("a0", "a1", "a2"):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id=agent, skills={}, capacity={"phone": 1}))
    _run(
        router,
        ev.ContactArrived(at=1.0, contact_id="c0", queue="q0", preferred_agents=("a0", "a1")),
        ev.AgentLoggedOut(at=2.0, agent_id="a1"),
    )
    out = _run(router, ev.OfferRejected(at=3.0, contact_id="c0", agent_id="a0"))
    assert isinstance(out[-1], dc.Offer) and out[-1].agent_id == "a2"


def test_bug5_preferred_agent_who_logs_out_and_back_in_is_not_waited_for() -> None:
    """Found by a 1,000-example run: the customer was promised the agent's earlier session."""
    router = Router(
        SkillGraph(), [QueueSpec("q", channel="email", affinity_seconds=60)], offer_timeout=None
    )
    for agent in ("a3", "a4"):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id=agent, skills={}, capacity={"email": 5}))
    out = _run(
        router,
        ev.ContactArrived(at=1.0, contact_id="c1", queue="q", preferred_agents=("a4", "a3")),
        ev.AgentLoggedOut(at=2.0, agent_id="a4"),
        ev.AgentLoggedIn(at=3.0, agent_id="a4", skills={}, capacity={"email": 5}),
    )
    assert [d.agent_id for d in out if isinstance(d, dc.Offer)] == ["a3"]
    out = _run(router, ev.OfferRejected(at=4.0, contact_id="c1", agent_id="a3"))
    assert [type(d) for d in out] == [dc.Expanded, dc.Offer]  # the affinity ended
    assert not out[-1].explanation.summary.startswith("preferred")  # type: ignore[union-attr]


def test_bug4_affinity_respects_each_queues_aging() -> None:
    router = Router(
        SkillGraph(),
        [
            QueueSpec("voice", channel="phone", affinity_seconds=30),
            QueueSpec(
                "chat",
                channel="chat",
                priority_weight=2.0,
                aging_per_minute=6.0,
                affinity_seconds=30,
            ),
        ],
    )
    out = _run(
        router,
        ev.AgentLoggedIn(at=0.0, agent_id="a0", skills={}, capacity={"phone": 1, "chat": 3}),
        ev.AgentStatusChanged(at=0.0, agent_id="a0", status="away"),
        ev.ContactArrived(at=60.0, contact_id="c-voice", queue="voice", preferred_agents=("a0",)),
        ev.ContactArrived(
            at=60.0, contact_id="c-chat", queue="chat", priority=1, preferred_agents=("a0",)
        ),
        ev.AgentStatusChanged(at=60.0, agent_id="a0", status="available"),
    )
    offered = [d.contact_id for d in out if isinstance(d, dc.Offer)]
    assert offered[0] == "c-chat"  # effective priority 2 beats 0


def test_bug6_contacts_released_by_a_leaving_preferred_agent_are_placed_best_first() -> None:
    """Found by the model's new agent check on random streams: the contacts waiting for an agent
    who logs out were re-placed queue by queue, so a low-priority call took the free agent and a
    higher-priority email, which that agent could also have taken, was left waiting."""
    router = Router(
        SkillGraph(),
        [
            QueueSpec("calls", channel="phone", affinity_seconds=60),
            QueueSpec("mails", channel="email", affinity_seconds=60),
        ],
        offer_timeout=None,
    )
    out = _run(
        router,
        ev.AgentLoggedIn(at=0.0, agent_id="pref", skills={}, capacity={"phone": 1, "email": 1}),
        ev.ContactArrived(at=0.0, contact_id="c0", queue="calls"),
        ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="pref"),  # a call blocks everything
        ev.ContactArrived(at=1.0, contact_id="call", queue="calls", preferred_agents=("pref",)),
        ev.ContactArrived(
            at=1.0, contact_id="mail", queue="mails", priority=3, preferred_agents=("pref",)
        ),
        ev.AgentLoggedIn(at=2.0, agent_id="a", skills={}, capacity={"phone": 1, "email": 1}),
    )
    assert not [d for d in out if isinstance(d, dc.Offer) and d.agent_id == "a"]
    out = _run(router, ev.AgentLoggedOut(at=3.0, agent_id="pref"))
    offers = [d.contact_id for d in out if isinstance(d, dc.Offer)]
    assert offers == ["mail", "call"], out  # the email first: an email does not block a call


def test_random_configs_strategy_builds_routers() -> None:
    """The configuration strategy used above yields buildable routers (guards the scenarios)."""

    @given(router_configs())
    @settings(max_examples=50, deadline=None)
    def build(cfg: RouterConfig) -> None:
        cfg.build()._check()

    build()
