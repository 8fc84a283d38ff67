"""RouterMachine: a hypothesis state machine that drives a Router with random valid and invalid events.

It runs three routers built from one :class:`~.model.RouterConfig`:

- the **router under test**, fed every event, valid or not, at the times the rules choose (events
  may lie past pending deadlines, which the router must apply first);
- a **determinism twin**, fed exactly the same events: every call must return the same decisions
  and raise the same errors;
- a **clean twin** that never sees an invalid event and is sent ``Tick(at=event.at)`` before each
  event, and in place of each rejected one. Its decision stream must equal the router's, with the
  decisions a rejected event's error carries (``err.decisions``) counted in: this checks that a
  rejected event acts exactly as ``Tick(at=event.at)`` and that results never depend on how often
  the caller ticks.

After every step the machine calls ``router._check()`` (the router's own invariants) and checks
from the outside, through a :class:`~.model.RouterModel` fed the events and decisions: no contact
offered to two agents, capacity per channel and across channels, eligibility, every contact ends
exactly once and never vanishes, no slot kept after its offer ended, work conservation, offers go
to the best-ranked contact, and the router's error for a bad event is the one the model predicts.
The configuration changes too: queues are closed and opened, added and changed (their spec
replaced while contacts flow), and agents' skills change; with ``hours`` on, queues have hours
of operation that open and close them as time passes. With ``profiles = True`` agents log in
with routing profiles (and the configuration draws a contact selection): the model checks the
queues each serves, its delays and the contact selection.

Subclass it to test your own rules: set ``config`` (a RouterConfig) or override ``configure()``
to return a strategy of configurations; override ``login_for`` to shape your agents. See
docs/testing.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ..core import decisions as dc
from ..core import errors
from ..core import events as ev
from ..core.criteria import RoutingCriteria
from ..core.errors import ClockWentBackwards, RoutingError
from ..core.router import Router
from ._callback_rules import CallbackRules
from ._consult_rules import ConsultRules
from ._model_profiles import SELECTIONS
from ._profile_rules import ProfileRules
from ._queue_change_rules import QueueChangeRules
from .model import RouterConfig, RouterModel
from .strategies import agent_logins_for, queue_specs, router_configs, time_steps

__all__ = ["RouterMachine"]

_PREDICT = object()


REASONS = st.sampled_from([None, "Break", "Training", "Coaching"])
"""Away reasons the machine sends (the router keeps them; the model checks ``agent_view``)."""


class RouterMachine(
    ConsultRules, CallbackRules, QueueChangeRules, ProfileRules, RuleBasedStateMachine
):
    """Random valid and invalid events against a Router, every invariant checked after each step.

    Class attributes a subclass may set:

    - ``config``: a fixed :class:`RouterConfig`; None draws one per example from
      :func:`~.strategies.router_configs` (or from ``configure()``).
    - ``max_agents`` / ``max_contacts``: bounds on ids created per example.
    - ``hours``: True draws queues with hours of operation (configured, added and changed
      queues; :func:`~.strategies.open_hours`), which open and close them as time passes;
      after each step every queue's open or closed state and next hours change are checked
      against the model's own. False (the default) draws none, as before hours existed.
    - ``profiles``: False (the default) draws no routing profile. True: ``login_for`` gives
      one agent in two a :class:`~experiencehub.events.RoutingProfile` over the queues known
      then (its priorities, delays and maybe its own selection drawn), ``configure`` draws the
      router's ``contact_selection``, and ``log_in`` now and then first tries a profile the
      router must refuse (an unknown queue, a priority below 1, a negative delay). Off by
      default so the draws of existing machines stay as they were.
    """

    config: ClassVar[RouterConfig | None] = None
    hours: ClassVar[bool] = False
    profiles: ClassVar[bool] = False
    max_agents: ClassVar[int] = 6
    max_contacts: ClassVar[int] = 30

    agents = Bundle("agents")
    contacts = Bundle("contacts")

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.added = 0  # queues added by the add_queue rule
        self.pending = False  # kept for subclasses; a rejected event now leaves nothing pending
        self.stream: list[dc.Decision] = []
        self.clean_stream: list[dc.Decision] = []
        self.events: list[ev.Event] = []
        self.rejected = 0

    # -- hooks for subclasses ----------------------------------------------------------------
    def configure(self) -> st.SearchStrategy[RouterConfig]:
        """The configurations to test: ``config`` when set, else random ones.
        Cost: O(1) (a strategy)."""
        if self.config is not None:
            return st.just(self.config)
        return router_configs(
            contact_selections=SELECTIONS if self.profiles else (), hours=self.hours
        )

    def build_router(self, config: RouterConfig) -> Router:
        """A router under test; called three times (router, determinism twin, clean twin).
        Override to test a Router subclass, e.g. one with your own agent policy object.
        Cost: one Router built from the configuration."""
        return config.build()

    def login_for(self, agent_id: str, at: float) -> st.SearchStrategy[ev.AgentLoggedIn]:
        """How agents log in: mostly skilled for some queues of the configuration (with
        ``profiles``, one in two with a routing profile over the queues known now).
        Cost: O(Q log Q) (a strategy over the Q queue names)."""
        listed = sorted(self.model.queues) if self.profiles else None
        return agent_logins_for(self.model.config, agent_id, at, profile_queues=listed)

    # -- set-up --------------------------------------------------------------------------------
    @initialize(target=agents, data=st.data())
    def start(self, data: st.DataObject) -> MultipleResults[str]:
        """Draw the configuration, build the routers, and log a few agents in at time 0.
        Cost: three routers built, and one send per agent logged in."""
        cfg = data.draw(self.configure(), label="config")
        self.router: Router = self.build_router(cfg)
        self.twin: Router = self.build_router(cfg)
        self.clean: Router = self.build_router(cfg)
        self.model = RouterModel(cfg)
        self.started = True
        ids = []
        for _ in range(data.draw(st.integers(0, min(3, self.max_agents)), label="initial agents")):
            agent_id = self._fresh_agent()
            self.send(data.draw(self.login_for(agent_id, 0.0), label="login"), None)
            ids.append(agent_id)
        return multiple(*ids)

    # -- plumbing --------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The routers' time (the last event's). Cost: O(1)."""
        return self.router.now

    def _at(self, step: float, *, late: bool = False) -> float:
        """``now + step``; unless ``late``, kept before the next deadline (so no deadline falls
        due first and the model's view of the state is the router's)."""
        at = self.now + step
        deadline = self.router.next_deadline()
        if not late and deadline is not None and at >= deadline:
            return self.now
        return at

    def send(self, event: ev.Event, expected: Any = _PREDICT) -> list[dc.Decision]:
        """Send to all routers; check the outcome against the model's prediction (or ``expected``:
        None for valid, an error class for invalid). Returns the router's decisions.
        Cost: the event on each of the three routers, and the model's prediction and update."""
        if expected is _PREDICT:
            expected = self.model.predict_error(event)
        self.events.append(event)
        note(f"router.handle({event!r})  # {'valid' if expected is None else expected.__name__}")
        if expected is not None:
            self._send_invalid(event, expected)
            return []
        return self._send_valid(event)

    def _send_valid(self, event: ev.Event) -> list[dc.Decision]:
        tick = ev.Tick(at=event.at)
        ticked = self.clean.handle(tick)
        own = [] if isinstance(event, ev.Tick) else self.clean.handle(event)
        out = self.router.handle(event)
        twin = self.twin.handle(event)
        assert twin == out, f"not deterministic: {event!r} gave\n{out}\nand\n{twin}"
        assert out == ticked + own, (
            f"{event!r}: decisions depend on ticking or on rejected events:\n{out}\n"
            f"vs ticked first:\n{ticked + own}"
        )
        self.stream += out
        self.clean_stream += ticked + own
        self.model.apply(tick, out[: len(ticked)])
        if not isinstance(event, ev.Tick):
            self.model.apply(event, out[len(ticked) :])
        self.pending = False
        return out

    def _send_invalid(self, event: ev.Event, expected: type[RoutingError]) -> None:
        carried = []
        for router in (self.router, self.twin):
            try:
                router.handle(event)
            except RoutingError as err:
                assert isinstance(err, expected), (
                    f"{event!r} raised {type(err).__name__}({err}), expected {expected.__name__}"
                )
                assert str(err), f"{event!r}: error without a message"
                assert isinstance(err.decisions, tuple), f"{event!r}: err.decisions not a tuple"
                carried.append(list(err.decisions))
            else:
                raise AssertionError(f"{event!r} was accepted; expected {expected.__name__}")
        assert carried[0] == carried[1], f"not deterministic: {event!r} carried {carried}"
        self.rejected += 1
        if expected is ClockWentBackwards:  # changes nothing, not even time
            assert carried[0] == [], f"{event!r}: a backwards event carried decisions"
            return
        tick = ev.Tick(at=event.at)
        ticked = self.clean.handle(tick)
        assert carried[0] == ticked, (
            f"{event!r}: a rejected event must act as Tick(at={event.at}); its error carried\n"
            f"{carried[0]}\nvs ticked:\n{ticked}"
        )
        self.stream += carried[0]
        self.clean_stream += ticked
        self.model.apply(tick, ticked)

    def _fresh_agent(self) -> str:
        return f"a{len(self.model.agents) + len(self.model.gone_agents)}"

    def _draw_at(self, data: st.DataObject, *, late: bool = False) -> float:
        return self._at(data.draw(time_steps(), label="step"), late=late)

    # -- rules: agents -----------------------------------------------------------------------------
    @precondition(
        lambda self: len(self.model.agents) + len(self.model.gone_agents) < self.max_agents
    )
    @rule(target=agents, data=st.data(), late=st.booleans())
    def log_in(self, data: st.DataObject, late: bool) -> str:
        """A new agent logs in, possibly past pending deadlines (with ``profiles``, now and then
        after a login with a profile that must be refused).
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        agent_id = self._fresh_agent()
        at = self._draw_at(data, late=late)
        if self.profiles and data.draw(st.integers(0, 5), label="refused profile first") == 0:
            self.refused_profile(data, agent_id, at)
        event = data.draw(self.login_for(agent_id, at), label="login")
        self.send(event, None)
        return agent_id

    @precondition(lambda self: not self.pending and self.model.gone_agents)
    @rule(data=st.data())
    def log_in_again(self, data: st.DataObject) -> None:
        """An agent who finished logging out comes back.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        agent_id = data.draw(st.sampled_from(sorted(self.model.gone_agents)), label="agent")
        self.send(data.draw(self.login_for(agent_id, self._draw_at(data)), label="login"), None)

    @precondition(lambda self: not self.pending and self._active_agents())
    @rule(data=st.data(), what=st.sampled_from(["away", "available", "available", "logout"]))
    def change_status(self, data: st.DataObject, what: str) -> None:
        """An agent goes away, comes back (or says available again), or logs out.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        agent_id = data.draw(st.sampled_from(self._active_agents()), label="agent")
        at = self._draw_at(data)
        if what == "logout":
            self.send(ev.AgentLoggedOut(at=at, agent_id=agent_id), None)
        else:
            reason = data.draw(REASONS, label="reason") if what == "away" else None
            self.send(
                ev.AgentStatusChanged(at=at, agent_id=agent_id, status=what, reason=reason), None
            )

    @precondition(lambda self: not self.pending and self._active_agents())
    @rule(data=st.data())
    def change_skills(self, data: st.DataObject) -> None:
        """A supervisor changes an agent's skills (raised, lowered, added or removed).
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        agent_id = data.draw(st.sampled_from(self._active_agents()), label="agent")
        login = data.draw(self.login_for(agent_id, self._draw_at(data)), label="skills")
        self.send(ev.AgentSkillsChanged(at=login.at, agent_id=agent_id, skills=login.skills), None)

    @precondition(lambda self: not self.pending and self.started)
    @rule(data=st.data(), close=st.booleans())
    def close_or_open_queue(self, data: st.DataObject, close: bool) -> None:
        """A supervisor closes a queue (arrivals and transfers to it are refused, or go to its
        closed queue; the contacts in it stay, move or end by its closing rule) or opens it
        again. Cost: one send (an event on each of the three routers, and the model's
        prediction)."""
        name = data.draw(st.sampled_from(sorted(self.model.queues)), label="queue")
        at = self._draw_at(data)
        if close:
            reason = data.draw(REASONS, label="reason")
            self.send(ev.QueueClosed(at=at, queue=name, reason=reason), None)
        else:
            self.send(ev.QueueOpened(at=at, queue=name), None)

    @precondition(lambda self: not self.pending and self.started and self.added < 3)
    @rule(data=st.data())
    def add_queue(self, data: st.DataObject) -> None:
        """A queue is configured while contacts flow; agents who can serve it are found for
        its first contact. Cost: one send (an event on each of the three routers, and the
        model's prediction)."""
        self.added += 1
        skills = self.model.config.all_skills or ("s",)
        channels = self.model.config.channels
        name = f"added{self.added}"
        spec = data.draw(queue_specs(name, skills, channels, hours=self.hours), label="queue")
        self.send(ev.QueueAdded(at=self._draw_at(data), spec=spec), None)

    @precondition(lambda self: not self.pending and self.model.wrapping())
    @rule(data=st.data())
    def end_wrap_up(self, data: st.DataObject) -> None:
        """An agent in wrap-up ends it.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id, agent_id = data.draw(st.sampled_from(self.model.wrapping()))
        self.send(
            ev.WrapUpEnded(at=self._draw_at(data), agent_id=agent_id, contact_id=contact_id), None
        )

    def _active_agents(self) -> list[str]:
        return sorted(a for a, m in self.model.agents.items() if m.status != "logging_out")

    # -- rules: contacts -----------------------------------------------------------------------------
    @precondition(lambda self: len(self.model.arrived) < self.max_contacts)
    @rule(
        target=contacts,
        data=st.data(),
        late=st.booleans(),
        priority=st.integers(-1, 3),
        customer=st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])),
    )
    def arrive(self, data: st.DataObject, late: bool, priority: int, customer: str | None) -> str:
        """A contact arrives (possibly past pending deadlines), maybe with preferred agents.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = f"c{len(self.model.arrived)}"
        known = sorted({*self.model.agents, *self.model.gone_agents, "nobody"})
        queue = data.draw(st.sampled_from(sorted(self.model.queues)), label="queue")
        event = ev.ContactArrived(
            at=self._draw_at(data, late=late),
            contact_id=contact_id,
            queue=queue,
            priority=priority,
            customer_id=customer,
            preferred_agents=data.draw(
                st.lists(st.sampled_from(known), max_size=2), label="preferred"
            ),
            criteria=data.draw(self.criteria_for(queue), label="criteria"),
        )
        self.send(event, None)
        return contact_id

    def criteria_for(self, queue: str) -> st.SearchStrategy[RoutingCriteria | None]:
        """The routing criteria of a contact arriving in (or transferred to) ``queue``: none by
        default; override to send some, e.g. ``st.none() | criteria(skills)``. Cost: O(1) (a
        strategy)."""
        return st.none()

    def _in(self, *statuses: str, legs: bool = True) -> list[str]:
        """Live contacts in these statuses (``legs=False``: consult legs left out)."""
        model = self.model
        return sorted(
            c
            for c, m in model.contacts.items()
            if m.status in statuses and (legs or c not in model.legs)
        )

    @precondition(lambda self: not self.pending and self._in("offered"))
    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data: st.DataObject, accept: bool) -> None:
        """The offered agent accepts or rejects.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._in("offered")), label="contact")
        agent_id = self.model.contacts[contact_id].agent_id
        assert agent_id is not None
        kind = ev.OfferAccepted if accept else ev.OfferRejected
        self.send(kind(at=self._draw_at(data), contact_id=contact_id, agent_id=agent_id), None)

    @precondition(lambda self: not self.pending and self._in("connected", legs=False))
    @rule(data=st.data())
    def end(self, data: st.DataObject) -> None:
        """A connected contact's handling ends (its open consult, if any, with it).
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._in("connected", legs=False)), label="contact")
        self.send(ev.ContactEnded(at=self._draw_at(data), contact_id=contact_id), None)

    @precondition(
        lambda self: not self.pending and self._in("waiting", "offered", "scheduled", legs=False)
    )
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        """A waiting or offered contact abandons, or a customer cancels a scheduled callback.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        leaving = self._in("waiting", "offered", "scheduled", legs=False)
        contact_id = data.draw(st.sampled_from(leaving), label="contact")
        self.send(ev.ContactAbandoned(at=self._draw_at(data), contact_id=contact_id), None)

    def _transferable(self) -> list[str]:
        # a callback being dialled or waiting to retry is refused (see contact_event_any); a
        # consult leg, or a contact whose consult is open, too
        live = self._in("waiting", "offered", "connected", legs=False)
        return [c for c in live if c not in self.model.consults]

    @precondition(lambda self: not self.pending and self._transferable())
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        """A contact is transferred to a queue.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        contact_id = data.draw(st.sampled_from(self._transferable()), label="contact")
        queue = data.draw(st.sampled_from(sorted(self.model.queues)), label="queue")
        # now and then to a named agent, any of them: the model predicts the refusals, exactly
        # when no deadline falls due first, so such a transfer is sent at the current time
        agent_id = data.draw(st.none() | st.sampled_from(sorted(self.model.agents) or ["nobody"]),
                             label="to agent")  # fmt: skip
        wanted = data.draw(self.criteria_for(queue), label="criteria")
        if agent_id is None:
            event = ev.ContactTransferred(
                at=self._draw_at(data), contact_id=contact_id, queue=queue, criteria=wanted
            )
            self.send(event, None)
        else:
            self.send(ev.ContactTransferred(at=self.model.now, contact_id=contact_id, queue=queue,
                                            agent_id=agent_id, criteria=wanted))  # fmt: skip

    # -- rules: time ---------------------------------------------------------------------------------
    @rule(step=time_steps(120.0))
    def tick(self, step: float) -> None:
        """Time passes by a random amount; due deadlines apply.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        self.send(ev.Tick(at=self.now + step), None)

    @precondition(lambda self: self.router.next_deadline() is not None)
    @rule()
    def tick_to_next_deadline(self) -> None:
        """Tick exactly at the next deadline, as a careful driver does.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        deadline = self.router.next_deadline()
        assert deadline is not None
        self.send(ev.Tick(at=max(deadline, self.now)), None)

    # -- rules: anything on any known id (the model says whether it is valid) -----------------------
    @precondition(lambda self: not self.pending)
    @rule(contact=contacts, agent=agents, accept=st.booleans(), data=st.data())
    def answer_any(self, contact: str, agent: str, accept: bool, data: st.DataObject) -> None:
        """Accept or reject for any pair of ids: valid only for the open offer.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        kind = ev.OfferAccepted if accept else ev.OfferRejected
        self.send(kind(at=self._draw_at(data), contact_id=contact, agent_id=agent))

    @precondition(lambda self: not self.pending)
    @rule(
        contact=contacts,
        what=st.sampled_from(["end", "abandon", "transfer", "callback", "answered", "failed"]),
        data=st.data(),
    )
    def contact_event_any(self, contact: str, what: str, data: st.DataObject) -> None:
        """End, abandon, transfer, request a callback for, or report a callback dial of any
        contact ever seen, in whatever state it is.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        at = self._draw_at(data)
        event: ev.Event
        if what in _CALLBACK_EVENTS:
            event = _CALLBACK_EVENTS[what](at=at, contact_id=contact)
        elif what == "end":
            event = ev.ContactEnded(at=at, contact_id=contact)
        elif what == "abandon":
            event = ev.ContactAbandoned(at=at, contact_id=contact)
        else:
            queue = data.draw(st.sampled_from([*sorted(self.model.queues), "no-such-queue"]))
            event = ev.ContactTransferred(at=at, contact_id=contact, queue=queue)
        self.send(event)

    @precondition(lambda self: not self.pending)
    @rule(
        agent=agents,
        contact=contacts,
        what=st.sampled_from(["away", "available", "logout", "wrap"]),
        data=st.data(),
    )
    def agent_event_any(self, agent: str, contact: str, what: str, data: st.DataObject) -> None:
        """Status change, logout or wrap-up end for any agent ever seen, in whatever state.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        at = self._draw_at(data)
        event: ev.Event
        if what == "logout":
            event = ev.AgentLoggedOut(at=at, agent_id=agent)
        elif what == "wrap":
            event = ev.WrapUpEnded(at=at, agent_id=agent, contact_id=contact)
        else:
            reason = data.draw(REASONS, label="reason")  # also on "available": ignored
            event = ev.AgentStatusChanged(at=at, agent_id=agent, status=what, reason=reason)
        self.send(event)

    # -- rules: deliberately invalid events --------------------------------------------------------
    @precondition(lambda self: self.started)
    @rule(data=st.data(), late=st.booleans())
    def invalid(self, data: st.DataObject, late: bool) -> None:
        """An event that stays invalid whatever deadlines fall due first: unknown or ended ids,
        unknown queues, duplicate ids of agents and contacts that deadlines cannot remove (no
        queue's hours close before it), time going backwards. ``late`` puts it past pending deadlines, which apply as a Tick would.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        at = self._draw_at(data, late=late)
        live = sorted(c for c, m in self.model.contacts.items())
        ended = sorted(self.model.outcomes)
        unknown_contact = data.draw(st.sampled_from(["ghost-c", *ended]), label="unknown contact")
        unknown_agent = data.draw(st.sampled_from(["ghost-a", *sorted(self.model.gone_agents)]))
        options: list[ev.Event] = [
            ev.OfferAccepted(at=at, contact_id=unknown_contact, agent_id=unknown_agent),
            ev.OfferRejected(at=at, contact_id=unknown_contact, agent_id=unknown_agent),
            ev.ContactEnded(at=at, contact_id=unknown_contact),
            ev.ContactAbandoned(at=at, contact_id=unknown_contact),
            ev.ContactTransferred(
                at=at, contact_id=unknown_contact, queue=next(iter(self.model.queues))
            ),
            ev.AgentStatusChanged(at=at, agent_id=unknown_agent, status="away"),
            ev.AgentLoggedOut(at=at, agent_id=unknown_agent),
            ev.AgentSkillsChanged(at=at, agent_id=unknown_agent, skills={}),
            ev.WrapUpEnded(at=at, agent_id=unknown_agent, contact_id=unknown_contact),
            ev.ContactArrived(at=at, contact_id="ghost-c", queue="no-such-queue"),
            ev.QueueClosed(at=at, queue="no-such-queue"),
            ev.QueueAdded(at=at, spec=next(iter(self.model.queues.values()))),
            ev.QueueOpened(at=at, queue="no-such-queue"),
            ev.CallbackRequested(at=at, contact_id=unknown_contact),
            ev.CallbackAnswered(at=at, contact_id=unknown_contact),
            ev.CallbackFailed(at=at, contact_id=unknown_contact),
        ]
        if self._active_agents():
            options.append(ev.AgentLoggedIn(at=at, agent_id=self._active_agents()[0], skills={}))
        if live and not self._hours_change_by(at):  # a closing may end a live contact first
            cid = data.draw(st.sampled_from(live), label="live contact")
            options.append(
                ev.ContactArrived(at=at, contact_id=cid, queue=self.model.contacts[cid].queue)
            )
            if not self.pending:  # a lagging model cannot tell a dialled or leg contact's error
                options.append(ev.ContactTransferred(at=at, contact_id=cid, queue="no-such-queue"))
        if self.now > 0:
            options.append(ev.Tick(at=self.now / 2))
        event = data.draw(st.sampled_from(options), label="invalid event")
        expected = self.model.predict_error(event) if not self.pending else _robust_error(event)
        assert expected is not None, f"{event!r} should be invalid"
        self.send(event, expected)

    def _hours_change_by(self, at: float) -> bool:
        """Does a queue's hours change fall due by ``at`` (with ``hours`` on)? Cost: O(Q)."""
        return self.hours and any(t <= at for t in self.model.hours_next.values())

    @precondition(lambda self: self.pending)
    @rule()
    def flush(self) -> None:
        """A Tick at the router's own time: returns decisions a rejected late event left behind.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        self.send(ev.Tick(at=self.now), None)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def router_invariants(self) -> None:
        """The router's own invariant check (capacity, single offer, pools, deadlines, work
        conservation), the stream comparison with the clean twin, and the model's view.
        Cost: O(routing state): the router's _check and the model's comparison."""
        if not self.started:
            return
        self.router._check()
        assert len(self.stream) == len(self.clean_stream) and self.stream == self.clean_stream, (
            "decision streams differ from a router that never saw the rejected events"
        )
        if not self.pending:
            self.model.check_router(self.router)


_CALLBACK_EVENTS: dict[str, Any] = {
    "callback": ev.CallbackRequested,
    "answered": ev.CallbackAnswered,
    "failed": ev.CallbackFailed,
}


def _robust_error(event: ev.Event) -> type[RoutingError]:
    """The error of an event from ``RouterMachine.invalid`` when the model may lag behind."""
    if isinstance(event, ev.Tick):
        return errors.ClockWentBackwards
    if isinstance(event, ev.AgentLoggedIn):
        return errors.DuplicateId
    if isinstance(event, ev.ContactArrived):
        return errors.UnknownQueue if event.queue == "no-such-queue" else errors.DuplicateId
    if isinstance(event, (ev.QueueClosed, ev.QueueOpened)):
        return errors.UnknownQueue
    if isinstance(event, ev.QueueAdded):
        return errors.DuplicateId
    if isinstance(
        event, (ev.AgentStatusChanged, ev.AgentLoggedOut, ev.AgentSkillsChanged, ev.WrapUpEnded)
    ):
        return errors.UnknownAgent
    return errors.UnknownContact
