"""Hypothesis strategies for every public value type of the routing core.

Configuration values (skill graphs, stages, wrap-ups, queues, whole router configurations), agent
logins, and events: valid ones for the state a :class:`~.model.RouterModel` tracks, and deliberately
invalid ones (unknown ids, duplicates, answers in the wrong state, time going backwards).

All times are multiples of 1/4 second and all configured durations multiples of 1/2 second, so the
arithmetic the router does on deadlines is exact and a model can recompute it.

Every event and decision class, and the context layer's value types (``Identity``, ``Fact``,
``ContactEntry``, ``JourneyStep``, ``HandoffBrief``, ``PreferredChannel``, ``AuditEntry``,
``BriefedOffer``), has a
strategy of valid instances, registered with hypothesis when this module is imported (by
``experiencehub.testing`` too), so ``st.from_type(ContactArrived)`` works; see
:func:`register_strategies`.

The strategies live in :mod:`._routing_strategies` (configurations, logins, events for a tracked
state) and :mod:`._value_strategies` (every value type, and the registration table); this module
re-exports them and registers the table.

>>> from hypothesis import given
>>> @given(skill_graphs())
... def test_graph_freezes(graph):
...     graph.freeze()
>>> test_graph_freezes()
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._routing_strategies import (
    CHANNELS,
    agent_logins,
    agent_logins_for,
    callback_policies,
    capacities,
    durations,
    invalid_events,
    open_hours,
    queue_changes,
    queue_specs,
    router_configs,
    routing_profiles,
    skill_edges,
    skill_graphs,
    skill_levels,
    stages,
    time_steps,
    valid_events,
    wrap_ups,
)

# Importable from here as they always were, yet not in __all__: the explicit "as" marks them
# re-exported for type checkers.
from ._routing_strategies import skill_names as skill_names  # noqa: PLC0414
from ._value_strategies import REGISTERED as REGISTERED  # noqa: PLC0414
from ._value_strategies import (
    contact_entries,
    criteria,
    decisions,
    event_times,
    events,
    facts,
    handoff_briefs,
    identifiers,
    identities,
)

__all__ = [
    "CHANNELS",
    "agent_logins",
    "agent_logins_for",
    "callback_policies",
    "capacities",
    "contact_entries",
    "criteria",
    "decisions",
    "durations",
    "event_times",
    "events",
    "facts",
    "handoff_briefs",
    "identifiers",
    "identities",
    "invalid_events",
    "open_hours",
    "queue_changes",
    "queue_specs",
    "register_strategies",
    "router_configs",
    "routing_profiles",
    "skill_edges",
    "skill_graphs",
    "skill_levels",
    "stages",
    "time_steps",
    "valid_events",
    "wrap_ups",
]


def register_strategies() -> None:
    """Register a strategy of valid instances for every event, decision and context value type,
    so ``st.from_type(T)`` (and ``st.builds`` of a class with such fields) draws them. Called
    when this module is imported; calling it again changes nothing. Cost: O(types)."""
    for cls, strategy in REGISTERED.items():
        st.register_type_strategy(cls, strategy)


register_strategies()
