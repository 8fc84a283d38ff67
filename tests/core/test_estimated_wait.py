"""Estimated wait time: on ``Enqueued``, on demand (``Router.estimated_wait``), the alert above a
queue's threshold, and agreement with the waits an M/M/c queue actually gives."""

from __future__ import annotations

import heapq
import random

import pytest

from experiencehub import CallbackPolicy, QueueSpec, Router, SkillGraph, Stage, UnknownQueue
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core.errors import CallerError
from experiencehub.core.stats import EWT_WINDOW


def one_agent_router(**queue: object) -> Router:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone", **queue)], offer_timeout=None)  # type: ignore[arg-type]
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))
    return router


def serve(router: Router, at: float, cid: str) -> list[dc.Decision]:
    """The agent ends ``cid`` at ``at`` and accepts whatever it is offered next."""
    out = router.handle(ev.ContactEnded(at=at, contact_id=cid))
    for d in out:
        if isinstance(d, dc.Offer):
            router.handle(ev.OfferAccepted(at=at, contact_id=d.contact_id, agent_id="a1"))
    return out


def enqueued(out: list[dc.Decision]) -> dc.Enqueued:
    (found,) = [d for d in out if isinstance(d, dc.Enqueued)]
    return found


def test_unknown_until_a_contact_left_a_line_then_position_times_the_departure_interval() -> None:
    router = one_agent_router()
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="q"))  # offered at once
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    out = router.handle(ev.ContactArrived(at=10.0, contact_id="c1", queue="q"))
    assert enqueued(out).estimated_wait is None and router.estimated_wait("q") is None
    router.handle(ev.ContactArrived(at=20.0, contact_id="c2", queue="q"))
    serve(router, 100.0, "c0")  # c1 leaves its line: waited since 10 → interval 90
    serve(router, 160.0, "c1")  # c2 leaves: the queue was busy since the last departure → 60
    assert router.estimated_wait("q") == pytest.approx(75.0)  # nobody waits: a new one is 1st
    out = router.handle(ev.ContactArrived(at=170.0, contact_id="c3", queue="q"))
    assert enqueued(out).estimated_wait == pytest.approx(75.0)
    out = router.handle(ev.ContactArrived(at=171.0, contact_id="c4", queue="q"))
    assert enqueued(out).position == 2 and enqueued(out).estimated_wait == pytest.approx(150.0)
    assert router.estimated_wait("q", position=4) == pytest.approx(300.0)


def test_idle_time_between_busy_spells_is_not_counted() -> None:
    router = one_agent_router()
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="q"))
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    serve(router, 11.0, "c0")  # interval 10 (c1 waited 1 → 11)
    serve(router, 1000.0, "c1")  # the agent idles; nobody waited in between
    router.handle(ev.ContactArrived(at=2000.0, contact_id="c2", queue="q"))  # offered at once
    router.handle(ev.OfferAccepted(at=2000.0, contact_id="c2", agent_id="a1"))
    router.handle(ev.ContactArrived(at=2010.0, contact_id="c3", queue="q"))
    serve(router, 2030.0, "c2")  # c3 waited since 2010: interval 20, not 2030 - 11
    assert router.estimated_wait("q", position=1) == pytest.approx(15.0)


def test_the_window_keeps_the_last_departures() -> None:
    router = one_agent_router()
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="q"))
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    t, n = 0.0, EWT_WINDOW + 10
    for k in range(1, n + 1):
        router.handle(ev.ContactArrived(at=t, contact_id=f"c{k}", queue="q"))
    for k in range(n):  # the first ten take 100 s each, the rest 5 s
        t += 100.0 if k < 10 else 5.0
        serve(router, t, f"c{k}")
    assert router.estimated_wait("q", position=1) == pytest.approx(5.0)


def test_an_alert_when_the_estimate_passes_the_queues_threshold() -> None:
    router = one_agent_router(estimated_wait_alert_seconds=100.0)
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="q"))
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    router.handle(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"))
    serve(router, 60.0, "c0")  # interval 60
    out = router.handle(ev.ContactArrived(at=61.0, contact_id="c2", queue="q"))  # 1st: 60 s
    assert [type(d).__name__ for d in out] == ["Enqueued"]
    out = router.handle(ev.ContactArrived(at=62.0, contact_id="c3", queue="q"))  # 2nd: 120 s
    alert = out[-1]
    assert isinstance(alert, dc.Alert) and alert.kind == "estimated_wait"
    assert alert.detail == "estimated wait 120s in q at position 2, above its threshold of 100s"


def test_an_offer_as_the_stage_widens_is_a_departure() -> None:
    queue = QueueSpec(
        "q", channel="phone", requires={"s": 1}, stages=[Stage(0, 0), Stage(10, None)]
    )
    router = Router(SkillGraph(), [queue], offer_timeout=None)
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={}))  # serves stage 1 only
    router.handle(ev.ContactArrived(at=0.0, contact_id="c1", queue="q"))
    out = router.handle(ev.Tick(at=10.0))  # c1 widens to any agent: it leaves its line for a1
    assert [type(d).__name__ for d in out] == ["Expanded", "Offer"]
    router.handle(ev.OfferAccepted(at=10.0, contact_id="c1", agent_id="a1"))
    assert router.estimated_wait("q") == 10.0  # it was None: the departure went uncounted


def test_a_rejoining_customer_makes_the_queue_busy_from_now_not_from_its_old_place() -> None:
    router = one_agent_router(rejoin_seconds=100.0)
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="q"))
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    router.handle(ev.ContactArrived(at=10.0, contact_id="c1", queue="q", customer_id="k"))
    router.handle(ev.ContactAbandoned(at=20.0, contact_id="c1"))  # nobody waits from 20 to 50
    router.handle(ev.ContactArrived(at=50.0, contact_id="c2", queue="q", customer_id="k"))
    serve(router, 60.0, "c0")  # c2 (at c1's old place, queued at 10) leaves its line
    assert router.estimated_wait("q") == 10.0  # the queue was busy from 50; it said 50 (from 10)


def test_an_offer_made_again_at_once_after_a_rejection_is_a_departure() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=None)
    for agent in ("a1", "a2"):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id=agent, skills={}))
    for cid, agent in (("c0", "a1"), ("c1", "a2")):
        router.handle(ev.ContactArrived(at=0.0, contact_id=cid, queue="q"))
        router.handle(ev.OfferAccepted(at=0.0, contact_id=cid, agent_id=agent))
    router.handle(ev.ContactArrived(at=5.0, contact_id="c2", queue="q"))
    [offer] = router.handle(ev.ContactEnded(at=15.0, contact_id="c0"))  # c2 leaves: 10 s
    assert (offer.contact_id, offer.agent_id) == ("c2", "a1")
    router.handle(ev.ContactEnded(at=15.5, contact_id="c1"))  # a2 idles
    [again] = router.handle(ev.OfferRejected(at=16.0, contact_id="c2", agent_id="a1"))
    assert (again.contact_id, again.agent_id) == ("c2", "a2")  # from its place: 1 s after 15
    assert router.estimated_wait("q", position=1) == pytest.approx(5.5)


def test_no_estimated_wait_alert_for_a_contact_that_is_a_queued_callback_already() -> None:
    policy = CallbackPolicy(retry_seconds=60.0)
    queues = [
        QueueSpec("q", channel="phone", callback=policy),
        QueueSpec("r", channel="phone", requires={"s": 1}, estimated_wait_alert_seconds=0.0),
    ]
    router = Router(SkillGraph(), queues, offer_timeout=None)
    router.handle(ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": 1}))
    router.handle(ev.ContactArrived(at=0.0, contact_id="c0", queue="r"))
    router.handle(ev.OfferAccepted(at=0.0, contact_id="c0", agent_id="a1"))
    router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="r"))
    serve(router, 5.0, "c0")  # r's estimate is 4 s a place from now on
    out = router.handle(ev.ContactArrived(at=6.0, contact_id="c2", queue="r"))
    assert [type(d).__name__ for d in out] == ["Enqueued", "Alert"]
    router.handle(ev.ContactArrived(at=6.0, contact_id="c3", queue="q"))  # nobody serves q
    router.handle(ev.CallbackRequested(at=7.0, contact_id="c3"))
    out = router.handle(ev.ContactTransferred(at=8.0, contact_id="c3", queue="r"))
    assert [type(d).__name__ for d in out] == ["Enqueued"]  # no alert: it is a callback


def test_bad_questions_are_refused() -> None:
    router = one_agent_router()
    with pytest.raises(UnknownQueue):
        router.estimated_wait("nope")
    for position in (0, -1, 1.5, True, "2"):
        with pytest.raises(CallerError, match="position"):
            router.estimated_wait("q", position=position)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="estimated_wait_alert_seconds"):
        QueueSpec("q", channel="phone", estimated_wait_alert_seconds=-1.0)


def test_estimates_match_the_waits_of_an_m_m_c_queue() -> None:
    """c agents, Poisson arrivals, exponential handling, nobody abandons: for a contact that must
    wait at position k, the expected wait is k/(c·μ). The mean estimate given on Enqueued agrees
    with the mean wait those contacts then had, within 10 %."""
    rng = random.Random(7)
    agents, mu, lam = 5, 1 / 300.0, 0.9 * 5 / 300.0
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=None)
    for i in range(agents):
        router.handle(ev.AgentLoggedIn(at=0.0, agent_id=f"a{i}", skills={}))
    events: list[tuple[float, int, str, str]] = [(rng.expovariate(lam), 0, "arrive", "c0")]
    estimates: dict[str, float] = {}
    waits: dict[str, float] = {}
    arrived: dict[str, float] = {}
    seq, made = 0, 0
    while events and made < 30_000:
        at, _, what, cid = heapq.heappop(events)
        if what == "arrive":
            made += 1
            arrived[cid] = at
            out = router.handle(ev.ContactArrived(at=at, contact_id=cid, queue="q"))
            seq += 1
            heapq.heappush(events, (at + rng.expovariate(lam), seq, "arrive", f"c{made}"))
        else:
            out = router.handle(ev.ContactEnded(at=at, contact_id=cid))
        for d in out:
            if isinstance(d, dc.Enqueued) and d.estimated_wait is not None and made > 2_000:
                estimates[d.contact_id] = d.estimated_wait
            if isinstance(d, dc.Offer):
                router.handle(ev.OfferAccepted(at=at, contact_id=d.contact_id, agent_id=d.agent_id))
                waits[d.contact_id] = at - arrived[d.contact_id]
                seq += 1
                heapq.heappush(events, (at + rng.expovariate(mu), seq, "end", d.contact_id))
    measured = [c for c in estimates if c in waits]
    assert len(measured) > 5_000
    predicted = sum(estimates[c] for c in measured) / len(measured)
    actual = sum(waits[c] for c in measured) / len(measured)
    print(
        f"M/M/{agents}: {len(measured)} contacts, mean estimate {predicted:.1f}s, mean wait {actual:.1f}s"
    )
    assert predicted == pytest.approx(actual, rel=0.10), (predicted, actual)
