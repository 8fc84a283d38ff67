"""Testing toolkit: hypothesis strategies and a state machine for property-testing routing rules.

- :mod:`.strategies`: strategies for skill graphs, stages, queues, router configurations, agent
  logins and events (valid ones for a tracked state, and deliberately invalid ones); importing
  this package registers a strategy for every event, decision and context value type, so
  ``st.from_type(T)`` draws valid instances.
- :mod:`.model`: :class:`RouterModel`, the outside oracle that replays events and decisions.
- :mod:`.machine`: :class:`RouterMachine`, a ``RuleBasedStateMachine`` to subclass with your own
  skills, queues and policy.

Needs the ``test`` extra (hypothesis). See docs/testing.md.
"""

from __future__ import annotations

from . import strategies  # noqa: F401  (importing it registers the st.from_type strategies)
from .machine import RouterMachine
from .model import ModelViolation, RouterConfig, RouterModel

__all__ = ["ModelViolation", "RouterConfig", "RouterMachine", "RouterModel"]
