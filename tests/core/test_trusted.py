"""Trusted constructors build exactly what the validating constructors build (core/_trusted.py)."""

from __future__ import annotations

import attrs
import pytest

from experiencehub.core import decisions as dc
from experiencehub.core import events as ev
from experiencehub.core._trusted import trusted

WHY = dc.Explanation(policy="longest_idle", summary="a1 idle longest")

DECISIONS = [
    (dc.new_candidate, dc.Candidate, {"agent_id": "a1", "cost": 1.0}),
    (dc.new_candidate, dc.Candidate, {"agent_id": "a1", "cost": 0.0, "note": "preferred"}),
    (dc.new_explanation, dc.Explanation, {"policy": "p", "summary": "s"}),
    (
        dc.new_explanation,
        dc.Explanation,
        {"policy": "p", "summary": "s", "candidates": (dc.Candidate(agent_id="a", cost=0.0),)},
    ),
    (
        dc.new_offer,
        dc.Offer,
        {
            "at": 1.0, "contact_id": "c1", "agent_id": "a1", "queue": "q", "channel": "chat",
            "stage": 0, "expires_at": None, "explanation": WHY,
        },
    ),
    (
        dc.new_enqueued,
        dc.Enqueued,
        {"at": 2.0, "contact_id": "c1", "queue": "q", "position": 3, "waiting": 4, "explanation": WHY},
    ),
    (dc.new_expanded, dc.Expanded, {"at": 3.0, "contact_id": "c1", "queue": "q", "stage": 1, "max_cost": None}),
    (dc.new_offer_expired, dc.OfferExpired, {"at": 3.0, "contact_id": "c1", "agent_id": "a1"}),
    (dc.new_offer_withdrawn, dc.OfferWithdrawn, {"at": 3.0, "contact_id": "c1", "agent_id": "a1", "reason": "r"}),
    (dc.new_agent_status_forced, dc.AgentStatusForced, {"at": 3.0, "agent_id": "a1", "status": "away", "reason": "r"}),
    (dc.new_wrap_up_started, dc.WrapUpStarted, {"at": 3.0, "agent_id": "a1", "contact_id": "c1", "ends_at": 9.0}),
    (dc.new_wrap_up_expired, dc.WrapUpExpired, {"at": 3.0, "agent_id": "a1", "contact_id": "c1"}),
    (dc.new_logout_completed, dc.LogoutCompleted, {"at": 3.0, "agent_id": "a1"}),
    (dc.new_alert, dc.Alert, {"at": 3.0, "contact_id": "c1", "kind": "service_level", "detail": "d"}),
    (dc.new_callback_queued, dc.CallbackQueued, {"at": 3.0, "contact_id": "c1", "queue": "q", "attempts": 1, "retry_at": 9.0, "explanation": WHY}),
    (dc.new_callback_exhausted, dc.CallbackExhausted, {"at": 3.0, "contact_id": "c1", "queue": "q", "attempts": 3, "reason": "r"}),
]  # fmt: skip


@pytest.mark.parametrize(("build", "cls", "fields"), DECISIONS)
def test_trusted_decision_is_the_validated_one(build, cls, fields) -> None:  # type: ignore[no-untyped-def]
    made, checked = build(**fields), cls(**fields)
    assert type(made) is cls
    assert made == checked and hash(made) == hash(checked) and repr(made) == repr(checked)
    assert attrs.asdict(made) == attrs.asdict(checked)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.at = 0.0  # still frozen


def test_every_decision_class_has_a_trusted_builder() -> None:
    built = {cls for _build, cls, _fields in DECISIONS}
    assert built == {dc.Candidate, dc.Explanation} | (set(_decision_classes()) - {dc.Refused})


def _decision_classes() -> list[type]:
    return [
        getattr(dc, name)
        for name in dc.__all__
        if name not in ("Decision", "Candidate", "Explanation")
    ]


def test_factories_and_defaults_are_applied() -> None:
    arrived = trusted(ev.ContactArrived)
    made = arrived(at=1.0, contact_id="c1", queue="q")
    assert made == ev.ContactArrived(at=1.0, contact_id="c1", queue="q")
    other = arrived(at=1.0, contact_id="c2", queue="q")
    # the default is the one shared, immutable empty mapping (sharing is safe: nobody can change it)
    assert made.attributes == other.attributes == {}
    with pytest.raises(TypeError, match="immutable"):
        made.attributes["x"] = 1  # type: ignore[index]


def test_missing_required_field_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        dc.new_offer(at=1.0, contact_id="c1")
