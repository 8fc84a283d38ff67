"""The router's invariants, as assertions (private): :meth:`Router._check` runs them and the tests
call it after every event. They read the whole state, so they cost O(contacts·agents): for tests
only, never on a routing path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Set as AbstractSet

from ._callbacks import RETRY
from ._handlers import RoutingCore
from .agents import AgentState, AgentStatus, WorkPhase
from .contacts import ContactState, ContactStatus
from .deadlines import KIND
from .eligibility import criteria_serving
from .queues import WaitingLine

FREE = "eligible and free (a match is due)"
"""What ``Router.explain`` says of an agent that could take a waiting contact now; after any
event no agent may be that for any waiting contact (work conservation)."""

_SEARCHING = (ContactStatus.WAITING, ContactStatus.OFFERED)

WhyNot = Callable[[AgentState, ContactState], tuple[str, float]]
"""Why an agent does not take a waiting contact, and its skill cost (``Router._why_not``)."""


def check_router(core: RoutingCore, why_not: WhyNot) -> None:
    """Assert every routing invariant (docs/routing.md) of the router's state ``core``;
    ``why_not`` is the reason ``Router.explain`` gives for an agent and a waiting contact.
    Cost: O(contacts·agents) — for tests only."""
    assert core.pools.settling is None, core.pools.settling
    core.deadlines._check()
    core.pools._check(core.agents, functools.partial(_searching_exclusions, core))
    held: dict[str, str] = {}
    for agent in core.agents.values():
        agent._check(core.rules)
        for cid, (_channel, phase) in agent.work.items():
            if phase is WorkPhase.WRAP_UP:
                assert agent.agent_id in core.wrapping.get(cid, ()), (cid, agent.agent_id)
            else:
                # an agent that auto-accepts never holds an open offer
                assert not (agent.auto_accept and phase is WorkPhase.OFFERED), (cid, agent)
                assert cid not in held, f"{cid} held by {held.get(cid)} and {agent.agent_id}"
                held[cid] = agent.agent_id
                contact = core.contacts[cid]
                assert contact.agent_id == agent.agent_id, (
                    cid,
                    contact.agent_id,
                    agent.agent_id,
                )
                assert contact.status.value == phase.value, (cid, contact.status, phase)
    for agent_id, own in core.affinity_lines.items():
        assert own and all(own.values()), f"empty affinity line kept for {agent_id}"
    for cid, wrappers in core.wrapping.items():
        assert wrappers, cid
        for agent_id in wrappers:
            assert core.agents[agent_id].phase_of(cid) is WorkPhase.WRAP_UP, (cid, agent_id)
    _check_lines(core)
    for cid, contact in core.contacts.items():
        _check_contact(core, cid, contact, held, why_not)
    core.declined._check(lambda agent_id, cid: agent_id in core.contacts[cid].excluded)
    _check_criteria_classes(core)
    core._check_indexes()
    assert core.closed_by_hours <= core.closed.keys(), (core.closed_by_hours, core.closed)


def _check_criteria_classes(core: RoutingCore) -> None:
    """Each criteria class is used by exactly its contacts (none connected), and each agent
    serves it exactly when the rule (``criteria_serving``) says so."""
    users: dict[str, int] = {}
    for cid, contact in core.contacts.items():
        if contact.criteria is None:
            assert contact.route is contact.queue, cid
            continue
        assert contact.status is not ContactStatus.CONNECTED, cid
        found = core.criteria_classes[(contact.queue.name, contact.criteria)]
        assert contact.route is found.spec, cid
        users[found.spec.name] = users.get(found.spec.name, 0) + 1
    assert len(core.criteria_names) == len(core.criteria_classes)
    for found in core.criteria_classes.values():
        name = found.spec.name
        assert core.criteria_names[name] is found and found.users == users.get(name), name
        for agent in core.agents.values():
            served = criteria_serving(core.skills, agent.skills, found.queue, found.criteria)
            eligible = served is not None and found.queue.channel in agent.capacity
            eligible = eligible and agent.capacity[found.queue.channel] > 0
            if agent.profile is not None:  # listed (a delay holds: core/_state.py)
                eligible = eligible and found.queue.name in agent.profile.queues
            assert (name in agent.serving) == eligible, (agent.agent_id, name)


def _check_lines(core: RoutingCore) -> None:
    lines: list[tuple[str | None, WaitingLine]] = [(None, ln) for ln in core.lines.values()]
    lines += [(q, line) for own in core.affinity_lines.values() for q, line in own.items()]
    for queue_name, line in lines:
        line._check()
        for key, cid in line:
            contact = core.contacts[cid]
            assert contact.status is ContactStatus.WAITING and contact.key == key, cid
            assert queue_name in (None, contact.route.name), (cid, queue_name)
            assert line.channel == contact.queue.channel, (cid, line.channel)
            assert line.aging_rate == contact.queue.aging_rate, (cid, line.aging_rate)


def _searching_exclusions(core: RoutingCore, cid: str) -> AbstractSet[str] | None:
    """The exclusions of a contact that may still look for an agent (for ``_check``)."""
    contact = core.contacts.get(cid)
    if contact is None or contact.status not in _SEARCHING:
        return None
    return contact.excluded


def _check_contact(
    core: RoutingCore, cid: str, contact: ContactState, held: dict[str, str], why_not: WhyNot
) -> None:
    for entry in contact.deadlines:
        assert entry in core.deadlines, (cid, entry)
    if contact.status is ContactStatus.WAITING:
        assert cid not in held, cid
        assert len(contact.lines) == (len(contact.affinity) or 1), cid
        assert len(set(contact.affinity)) == len(contact.affinity), cid
        for agent_id in contact.affinity:  # a preferred agent is still there to take it
            assert agent_id in core.agents, (cid, agent_id)
            assert core.agents[agent_id].status is not AgentStatus.LOGGING_OUT, (cid, agent_id)
            assert core.agents[agent_id].seq <= contact.affinity_logins, (cid, agent_id)
        for agent_id in core.wrapping.get(cid, ()):  # never offered to an agent wrapping it
            assert agent_id in contact.excluded, (cid, agent_id)
        for agent in core.agents.values():
            why, _cost = why_not(agent, contact)
            assert why != FREE, f"work not conserved: {cid} waits while {agent.agent_id} is free"
    elif contact.status is ContactStatus.SCHEDULED:
        assert contact.callback is not None and contact.agent_id is None, cid
        assert not contact.lines and not contact.affinity, cid
        # its retry deadline; none while held for its closed queue (CallbackClosing)
        assert [d[KIND] for d in contact.deadlines] in ([RETRY], []), (cid, contact.deadlines)
    else:
        assert contact.agent_id is not None and held.get(cid) == contact.agent_id, cid
        assert not contact.lines, cid
        if contact.status is not ContactStatus.OFFERED:
            dialing = contact.status is ContactStatus.DIALING
            assert (contact.callback is not None) == dialing, cid
        assert contact.agent_id not in core.wrapping.get(cid, ()), cid
