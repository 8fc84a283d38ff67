"""A queue's own offer timeout (``QueueSpec.offer_timeout``): its offers expire after it, other
queues' after the router's; a change applies to later offers; bad values are refused."""

from __future__ import annotations

import math

import attrs
import pytest

from experiencehub import ConfigError, QueueSpec, Router, SkillGraph
from experiencehub import decisions as dc
from experiencehub import events as ev
from experiencehub.core._validators import MAX_SECONDS
from routing_helpers import arrive, login


def _desk(**router: object) -> Router:
    queues = [
        QueueSpec("chat", channel="chat", offer_timeout=10.0),
        QueueSpec("email", channel="chat"),
    ]
    return Router(SkillGraph(), queues, **router)  # type: ignore[arg-type]


def test_an_offer_rings_for_its_queues_timeout_and_others_for_the_routers() -> None:
    desk = _desk(offer_timeout=30.0)
    login(desk, "a1", skills={}, capacity={"chat": 2})
    [quick] = arrive(desk, "c1", 5.0, queue="chat")
    [slow] = arrive(desk, "c2", 5.0, queue="email")
    assert isinstance(quick, dc.Offer) and quick.expires_at == 15.0
    assert isinstance(slow, dc.Offer) and slow.expires_at == 35.0
    assert desk.next_deadline() == 15.0
    [expired, *_] = desk.handle(ev.Tick(at=15.0))
    assert isinstance(expired, dc.OfferExpired) and expired.contact_id == "c1"
    assert desk.handle(ev.Tick(at=34.9)) == []


def test_a_queues_timeout_holds_when_the_routers_offers_never_expire() -> None:
    desk = _desk(offer_timeout=None)
    login(desk, "a1", skills={}, capacity={"chat": 2})
    [quick] = arrive(desk, "c1", 0.0, queue="chat")
    [never] = arrive(desk, "c2", 0.0, queue="email")
    assert (quick.expires_at, never.expires_at) == (10.0, None)  # type: ignore[union-attr]


def test_a_changed_timeout_applies_to_later_offers_only() -> None:
    desk = _desk()
    login(desk, "a1", skills={}, capacity={"chat": 2})
    [first] = arrive(desk, "c1", 0.0, queue="chat")
    chat = desk.queues["chat"]
    assert desk.handle(ev.QueueChanged(at=1.0, spec=attrs.evolve(chat, offer_timeout=60.0))) == []
    [second] = arrive(desk, "c2", 2.0, queue="chat")
    assert (first.expires_at, second.expires_at) == (10.0, 62.0)  # type: ignore[union-attr]
    [expired, *_] = desk.handle(ev.Tick(at=10.0))
    assert isinstance(expired, dc.OfferExpired) and expired.contact_id == "c1"


def test_an_auto_accepting_agents_offer_never_expires_whatever_the_queue_says() -> None:
    desk = _desk()
    login(desk, "a1", skills={}, capacity={"chat": 1}, auto_accept=True)
    [offer] = arrive(desk, "c1", 0.0, queue="chat")
    assert isinstance(offer, dc.Offer) and offer.auto_accepted and offer.expires_at is None


@pytest.mark.parametrize("timeout", [0.0, -1.0, math.inf, math.nan, MAX_SECONDS * 2, True, "15"])
def test_a_queues_offer_timeout_must_be_finite_and_positive(timeout: object) -> None:
    with pytest.raises(ConfigError, match=r"queue 'q': offer_timeout=.* must be > 0"):
        QueueSpec("q", channel="chat", offer_timeout=timeout)  # type: ignore[arg-type]
