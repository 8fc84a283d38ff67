"""The router's contract at its edges: what a rejected event does, which inputs are refused, and
that validated values cannot change afterwards (docs/routing.md, "Guarantees").

1. A rejected event leaves the router exactly as ``Tick(at=event.at)`` would, and the error
   carries that tick's decisions (``err.decisions``); nothing is parked for a later call.
2. Bad values are refused by the event and configuration constructors (``InvalidEvent``,
   ``ConfigError``); ``handle`` never lets another exception out for bad input, and a bug while
   applying an event closes the router (``RouterFailed``) without losing decisions.
3. Validated values are immutable and hashable; their ``repr`` is valid Python.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiencehub import (
    ClockWentBackwards,
    ConfigError,
    InvalidEvent,
    OfferNotFound,
    QueueSpec,
    Router,
    RoutingError,
    SkillGraph,
    Stage,
    WrapUp,
)
from experiencehub.core import decisions as dc  # the trusted constructors (new_*) too
from experiencehub.core import events as ev
from experiencehub.core._handlers import RoutingCore
from experiencehub.core._validators import MAX_PRIORITY, MAX_SECONDS, FrozenDict
from experiencehub.core.errors import RouterFailed
from experiencehub.testing import RouterModel
from experiencehub.testing.strategies import (
    invalid_events,
    router_configs,
    time_steps,
    valid_events,
)
from routing_helpers import arrive, kinds, login

SLOW = os.environ.get("EXPERIENCEHUB_SLOW") == "1"


# -- 1. a rejected event is a Tick ---------------------------------------------------------------
def test_rejected_late_event_returns_the_deadline_decisions_on_the_error() -> None:
    """The offer to a1 expires at 30; an answer from a1 at 31 is refused, and the error carries
    the expiry and the new offer to a2 made at 30: the host must ring a2 now, not later."""
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=30.0)
    login(router, "a1", skills={})
    login(router, "a2", skills={})
    arrive(router, "c1", 0.0, queue="q")
    with pytest.raises(OfferNotFound) as caught:
        router.handle(ev.OfferAccepted(at=31.0, contact_id="c1", agent_id="a1"))
    assert kinds(caught.value.decisions) == ["OfferExpired", "Offer"]
    assert isinstance(caught.value.decisions, tuple)
    assert caught.value.decisions[1].agent_id == "a2"  # type: ignore[union-attr]
    assert router.now == 31.0  # as after Tick(at=31)
    assert router.handle(ev.Tick(at=31.0)) == []  # nothing was parked
    router.handle(ev.OfferAccepted(at=32.0, contact_id="c1", agent_id="a2"))
    router._check()


def test_rejected_event_with_nothing_due_carries_no_decisions() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")])
    with pytest.raises(RoutingError) as caught:
        router.handle(ev.ContactEnded(at=5.0, contact_id="ghost"))
    assert caught.value.decisions == ()
    assert router.now == 5.0


def test_clock_going_backwards_and_non_events_change_nothing() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=10.0)
    login(router, "a1", at=5.0, skills={})
    arrive(router, "c1", 5.0, queue="q")
    with pytest.raises(ClockWentBackwards) as backwards:
        router.handle(ev.Tick(at=1.0))
    with pytest.raises(InvalidEvent) as not_an_event:
        router.handle("ContactArrived")  # type: ignore[arg-type]
    assert backwards.value.decisions == () == not_an_event.value.decisions
    assert router.now == 5.0 and router.next_deadline() == 15.0


def test_routing_errors_default_to_no_decisions() -> None:
    assert RoutingError("x").decisions == ()
    assert InvalidEvent("x", decisions=(1,)).decisions == (1,)  # type: ignore[arg-type]


def _step_twins(
    a: Router, b: Router, model: RouterModel, event: ev.Event
) -> tuple[list[dc.Decision], RoutingError | None]:
    """Send ``event`` to A, and ``Tick(at=event.at)`` then (when valid) the event to B."""
    tick = ev.Tick(at=event.at)
    ticked = b.handle(tick)
    model.apply(tick, ticked)
    expected = model.predict_error(event)
    if expected is None:  # valid, also once the deadlines before it have applied
        own = [] if isinstance(event, ev.Tick) else b.handle(event)
        model.apply(event, own)
        out = a.handle(event)
        assert out == ticked + own
        return out, None
    with pytest.raises(expected) as caught:
        a.handle(event)
    assert caught.value.decisions == tuple(ticked), event
    return ticked, caught.value


@settings(
    max_examples=150 if SLOW else 15,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(config=router_configs(), data=st.data())
def test_rejected_events_act_as_ticks_on_long_random_streams(config: Any, data: Any) -> None:
    """Router A gets a long valid stream with bad events inserted at random points (often past
    pending deadlines); twin B gets ``Tick(at=bad.at)`` in their place. Every error must carry
    B's tick decisions, and every later decision of A must equal B's."""
    a, b, model = config.build(), config.build(), RouterModel(config)
    rejected = 0
    for step in range(data.draw(st.integers(30, 90), label="steps")):
        kind = data.draw(st.sampled_from(["valid"] * 5 + ["late", "tick", "bad", "bad"]))
        event: ev.Event
        if kind == "valid":  # before the next deadline
            event = data.draw(valid_events(model, deadline=b.next_deadline(), fresh=f"v{step}"))
        elif kind == "late":  # valid now, perhaps not once the deadlines before it apply
            event = data.draw(valid_events(model, fresh=f"l{step}"))
        elif kind == "tick":
            event = ev.Tick(at=model.now + data.draw(time_steps(120.0)))
        else:
            event = data.draw(invalid_events(model, fresh=f"g{step}"))
        if event.at < model.now:
            with pytest.raises(ClockWentBackwards) as caught:
                a.handle(event)
            assert caught.value.decisions == ()
            rejected += 1
            continue
        _out, error = _step_twins(a, b, model, event)
        rejected += error is not None
        if step % 10 == 0:
            a._check()
    a._check()
    model.check_router(a)
    assert a.next_deadline() == b.next_deadline() and a.now == b.now


def test_router_has_no_pending_decisions() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")])
    assert not hasattr(router, "_pending")


# -- 2. bad inputs are refused -------------------------------------------------------------------
class _Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "_Unhashable()"


class _Id(str):
    """A str subclass: it could redefine hashing and equality, so it is not an id."""


def _self_containing() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    "priority", [MAX_PRIORITY + 1, -MAX_PRIORITY - 1, 10**308, 10**400, 1.5, True, "1", None]
)
def test_priority_out_of_bounds_is_refused(priority: object) -> None:
    with pytest.raises(InvalidEvent, match="priority"):
        ev.ContactArrived(at=0.0, contact_id="c", queue="q", priority=priority)  # type: ignore[arg-type]


def test_largest_priority_and_weight_keep_keys_finite() -> None:
    queue = QueueSpec(
        "q", channel="chat", priority_weight=2.0**53, aging_per_minute=2.0**53, max_length=None
    )
    router = Router(SkillGraph(), [queue])
    for i, priority in enumerate((MAX_PRIORITY, -MAX_PRIORITY)):
        router.handle(
            ev.ContactArrived(at=MAX_SECONDS, contact_id=f"c{i}", queue="q", priority=priority)
        )
    router._check()
    base = queue.base_priority(MAX_PRIORITY, MAX_SECONDS)
    assert math.isfinite(base) and math.isfinite(queue.effective_priority(base, MAX_SECONDS))


@pytest.mark.parametrize("field", ["priority_weight", "aging_per_minute"])
@pytest.mark.parametrize("value", [1e300, 2.0**53 * 2, math.inf, math.nan, -1.0])
def test_queue_weights_out_of_bounds_are_refused(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        QueueSpec("q", channel="chat", **{field: value})


@pytest.mark.parametrize("at", [math.inf, -math.inf, math.nan, MAX_SECONDS * 1.0001, 1e308, -1.0])
def test_event_times_must_be_finite_and_bounded(at: float) -> None:
    with pytest.raises(InvalidEvent, match="at="):
        ev.Tick(at=at)
    with pytest.raises(InvalidEvent, match="at="):
        ev.ContactArrived(at=at, contact_id="c", queue="q")


def test_latest_event_time_keeps_expiries_finite() -> None:
    queue = QueueSpec(
        "q",
        channel="phone",
        stages=[Stage(0, 0), Stage(MAX_SECONDS, None)],
        service_level_seconds=MAX_SECONDS,
        wrap_up=WrapUp("timed", MAX_SECONDS),
        rejoin_seconds=MAX_SECONDS,
        affinity_seconds=MAX_SECONDS,
    )
    router = Router(SkillGraph(), [queue], offer_timeout=MAX_SECONDS)
    login(router, "a1", at=MAX_SECONDS, skills={})
    out = arrive(router, "c1", MAX_SECONDS, queue="q", preferred_agents=["a1"])
    assert kinds(out) == ["Offer"]
    deadline = router.next_deadline()
    assert deadline is not None and math.isfinite(deadline)
    router._check()


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda v: Stage(after=v, max_cost=0), "after"),
        (lambda v: WrapUp("timed", v), "seconds"),
        (lambda v: QueueSpec("q", channel="c", service_level_seconds=v), "service_level"),
        (lambda v: QueueSpec("q", channel="c", rejoin_seconds=v), "rejoin"),
        (lambda v: QueueSpec("q", channel="c", affinity_seconds=v), "affinity"),
    ],
)
@pytest.mark.parametrize("value", [math.inf, math.nan, MAX_SECONDS * 2])
def test_configured_durations_must_be_finite_and_bounded(
    make: Any, field: str, value: float
) -> None:
    with pytest.raises(ConfigError, match=field):
        make(value)


@pytest.mark.parametrize("timeout", [math.inf, math.nan, -1.0, 0.0, MAX_SECONDS * 2, True, "30"])
def test_offer_timeout_must_be_finite_positive_or_none(timeout: object) -> None:
    with pytest.raises(ConfigError, match="offer_timeout"):
        Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=timeout)  # type: ignore[arg-type]


def test_offer_timeout_none_means_no_expiry() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=None)
    login(router, "a1", skills={})
    arrive(router, "c1", 0.0, queue="q")
    assert router.next_deadline() is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"channel_rules": {"phone": None}}, "channel_rules"),
        ({"channel_rules": {"phone": "chat"}}, "channel_rules"),
        ({"channel_rules": {"phone": [1]}}, "channel_rules"),
        ({"channel_rules": ["phone"]}, "channel_rules"),
        ({"seed": "x"}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_router_options_are_checked(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Router(SkillGraph(), [QueueSpec("q", channel="phone")], **kwargs)


def test_router_arguments_are_checked() -> None:
    with pytest.raises(ConfigError, match="SkillGraph"):
        Router({}, [QueueSpec("q", channel="phone")])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="queues"):
        Router(SkillGraph(), None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="requires"):
        QueueSpec("q", channel="phone", requires=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "preferred", [[1, None, b"a1"], [None], [1], [b"a1"], [""], [_Id("a1")], 5, None, {"a1": 1}]
)
def test_preferred_agents_must_be_ids(preferred: object) -> None:
    with pytest.raises(InvalidEvent, match="preferred_agents"):
        ev.ContactArrived(at=0.0, contact_id="c", queue="q", preferred_agents=preferred)  # type: ignore[arg-type]


def test_preferred_agents_accept_any_iterable_of_ids() -> None:
    for given_ in (["a1", "a2"], ("a1", "a2"), iter(["a1", "a2"])):
        arrived = ev.ContactArrived(at=0.0, contact_id="c", queue="q", preferred_agents=given_)
        assert arrived.preferred_agents == ("a1", "a2")
    assert ev.ContactArrived(
        at=0.0, contact_id="c", queue="q", preferred_agents="a1"
    ).preferred_agents == ("a1",)


@pytest.mark.parametrize(
    "attributes",
    [[1, 2], None, "topic", 5, {1: "x"}, {"": 1}, {None: 1}, {"x": _Unhashable()}],
)
def test_attributes_must_be_a_mapping_of_names(attributes: object) -> None:
    with pytest.raises(InvalidEvent, match="attributes"):
        ev.ContactArrived(at=0.0, contact_id="c", queue="q", attributes=attributes)  # type: ignore[arg-type]


def test_self_containing_attributes_are_refused() -> None:
    with pytest.raises(InvalidEvent, match="nested"):
        ev.ContactArrived(at=0.0, contact_id="c", queue="q", attributes={"x": _self_containing()})


def test_an_unhashable_attribute_leaves_no_phantom_contact() -> None:
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")])
    with pytest.raises(InvalidEvent):
        arrive(router, "c1", 0.0, queue="q", attributes={"x": _Unhashable()})
    with pytest.raises(RoutingError):
        router.contact_status("c1")
    assert router.stats.waiting("q") == 0
    router._check()


@pytest.mark.parametrize("reason", [5, b"lunch", "x" * 201, ["break"]])
def test_status_reason_is_none_or_a_short_string(reason: object) -> None:
    with pytest.raises(InvalidEvent, match="reason"):
        ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away", reason=reason)  # type: ignore[arg-type]
    assert ev.AgentStatusChanged(at=0.0, agent_id="a1", status="away", reason="x" * 200)


@pytest.mark.parametrize("bad_id", ["", 1, None, b"a1", ["a1"], _Id("a1"), ("a",)])
def test_ids_are_non_empty_strings(bad_id: object) -> None:
    with pytest.raises(InvalidEvent):
        ev.AgentLoggedOut(at=0.0, agent_id=bad_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent):
        ev.ContactArrived(at=0.0, contact_id=bad_id, queue="q")  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent):
        ev.ContactArrived(at=0.0, contact_id="c", queue="q", customer_id=bad_id or "")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event",
    [
        ev.new_tick(at=math.nan),
        ev.new_tick(at=math.inf),
        ev.new_tick(at="soon"),
        ev.new_contact_ended(at=1.0, contact_id=["unhashable"]),
        ev.new_contact_arrived(
            at=1.0, contact_id={"x": 1}, queue="q", priority=0, customer_id=None
        ),
    ],
    ids=["nan", "inf", "str", "unhashable-id", "dict-id"],
)
def test_handle_refuses_unvalidated_bad_values_with_routing_errors(event: ev.Event) -> None:
    """Events built by the (private) trusted constructors skip validation; should one carry a bad
    value anyway, handle() still raises only a RoutingError and changes nothing but time."""
    router = Router(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=10.0)
    login(router, "a1", skills={})
    arrive(router, "c0", 0.0, queue="q")
    with pytest.raises(InvalidEvent) as caught:
        router.handle(event)
    router._check()
    assert router.now in (0.0, 1.0)
    assert caught.value.decisions == ()
    assert router.handle(ev.Tick(at=1.0)) == []  # nothing parked, nothing lost


class _BuggyCore(RoutingCore):
    """A router state with a bug in applying an arrival: it fails after deciding an Offer."""

    def _arrive(self, e: ev.ContactArrived, out: list[dc.Decision]) -> None:
        super()._arrive(e, out)
        raise RuntimeError("bug")


class _Buggy(Router):
    _Core = _BuggyCore


def test_a_bug_while_applying_closes_the_router_and_keeps_its_decisions() -> None:
    router = _Buggy(SkillGraph(), [QueueSpec("q", channel="phone")], offer_timeout=10.0)
    login(router, "a1", skills={})
    login(router, "a2", skills={})
    with pytest.raises(RouterFailed) as caught:
        router.handle(ev.ContactArrived(at=1.0, contact_id="c1", queue="q"))
    assert kinds(caught.value.decisions) == ["Offer"]
    assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(RouterFailed, match="failed earlier"):
        router.handle(ev.Tick(at=2.0))
    assert not isinstance(caught.value, (InvalidEvent, ConfigError))


# -- 3. validated values cannot change -----------------------------------------------------------
def test_queue_requires_cannot_change_after_the_router_is_built() -> None:
    requires = {"s": 1}
    queue = QueueSpec("q", channel="phone", requires=requires)
    Router(SkillGraph(), [queue])
    requires["s"] = -5  # the caller's dict was copied
    assert queue.requires == {"s": 1}
    with pytest.raises(TypeError, match="immutable"):
        queue.requires["s"] = -5  # type: ignore[index]
    with pytest.raises(TypeError, match="immutable"):
        queue.requires.update(s=-5)  # type: ignore[attr-defined]
    assert hash(queue) == hash(QueueSpec("q", channel="phone", requires={"s": 1}))


def test_login_skills_and_capacity_cannot_change() -> None:
    skills = {"s": 1}
    login_event = ev.AgentLoggedIn(at=0.0, agent_id="a1", skills=skills)
    skills["s"] = 9
    assert login_event.skills == {"s": 1}
    for mapping in (login_event.skills, login_event.capacity, ev.DEFAULT_CAPACITY):
        with pytest.raises(TypeError, match="immutable"):
            mapping["phone"] = 99  # type: ignore[index]
        with pytest.raises(TypeError, match="immutable"):
            del mapping["s"]  # type: ignore[attr-defined]
        with pytest.raises(TypeError, match="immutable"):
            mapping.clear()  # type: ignore[attr-defined]
    assert ev.DEFAULT_CAPACITY == {"phone": 1, "chat": 3, "email": 5}


def test_attributes_are_frozen_deeply() -> None:
    tags = ["vip"]
    arrived = ev.ContactArrived(
        at=0.0, contact_id="c", queue="q", attributes={"tags": tags, "who": {"id": ["phone", "1"]}}
    )
    tags.append("late")
    assert arrived.attributes == {"tags": ("vip",), "who": {"id": ("phone", "1")}}
    with pytest.raises(TypeError, match="immutable"):
        arrived.attributes["who"]["id"] = "x"
    hash(arrived)


ALL_EVENTS: list[ev.Event] = [
    ev.AgentLoggedIn(at=0.0, agent_id="a1", skills={"s": 2}, capacity={"chat": 3}),
    ev.AgentStatusChanged(at=1.0, agent_id="a1", status="away", reason="lunch"),
    ev.AgentLoggedOut(at=2.0, agent_id="a1"),
    ev.ContactArrived(
        at=3.0,
        contact_id="c1",
        queue="q",
        priority=2,
        customer_id="k1",
        attributes={"topic": "bill", "identity": ["phone", "+44"], "n": {"x": {1, 2}}},
        preferred_agents=["a1", "a2"],
    ),
    ev.OfferAccepted(at=4.0, contact_id="c1", agent_id="a1"),
    ev.OfferRejected(at=4.0, contact_id="c1", agent_id="a1"),
    ev.ContactEnded(at=5.0, contact_id="c1"),
    ev.WrapUpEnded(at=6.0, agent_id="a1", contact_id="c1"),
    ev.ContactAbandoned(at=7.0, contact_id="c1"),
    ev.ContactTransferred(at=8.0, contact_id="c1", queue="q2"),
    ev.Tick(at=9.0),
]


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: type(e).__name__)
def test_events_are_hashable_and_repr_is_valid_python(event: ev.Event) -> None:
    namespace = {name: getattr(ev, name) for name in ev.__all__}
    assert eval(repr(event), namespace) == event
    assert hash(eval(repr(event), namespace)) == hash(event)
    assert pickle.loads(pickle.dumps(event)) == event
    assert copy.deepcopy(event) == event


def test_evolve_keeps_values_frozen() -> None:
    """attrs.evolve (the context hub uses it to fill in preferred agents) re-validates."""
    arrived = ALL_EVENTS[3]
    assert isinstance(arrived, ev.ContactArrived)
    moved = attrs.evolve(arrived, customer_id="k2", preferred_agents=("a3",))
    assert moved.attributes == arrived.attributes and isinstance(moved.attributes, FrozenDict)
    with pytest.raises(InvalidEvent):
        attrs.evolve(arrived, preferred_agents=(None,))


def test_trusted_constructors_keep_a_plain_dict() -> None:
    """Trusted constructors skip converters by design: the dict passed in is kept as it is."""
    attributes = {"identity": ("phone", "+44")}
    arrived = ev.new_contact_arrived(
        at=1.0, contact_id="c1", queue="q", priority=0, customer_id=None, attributes=attributes
    )
    assert arrived.attributes is attributes
    assert arrived == ev.ContactArrived(at=1.0, contact_id="c1", queue="q", attributes=attributes)
    assert ev.new_tick(at=1.0) == ev.Tick(at=1.0)
    default = ev.new_contact_arrived(at=1.0, contact_id="c1", queue="q")
    assert isinstance(default.attributes, FrozenDict) and not default.attributes


def test_frozen_dict_survives_copying_and_pickling() -> None:
    frozen = FrozenDict({"s": 1})
    assert pickle.loads(pickle.dumps(frozen)) == frozen
    assert type(copy.copy(frozen)) is FrozenDict and type(copy.deepcopy(frozen)) is FrozenDict
    assert frozen.copy() == {"s": 1} and type(frozen.copy()) is dict
    assert FrozenDict.fromkeys(["a"], 1) == {"a": 1}
    frozen.__init__({"t": 2})  # type: ignore[misc]  # a second __init__ changes nothing
    assert frozen == {"s": 1}
    with pytest.raises(TypeError):
        frozen |= {"t": 2}
