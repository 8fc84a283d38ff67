"""A reference model of the router, kept from the outside: the oracle of the property tests.

The model owns nothing the router owns. It is fed the same events and the decisions the router
returned, and from those alone it keeps who holds which slot, which contact waits, is offered or
connected, and how each contact ended. While it replays a decision it asserts the routing rules
(the guarantees listed in docs/routing.md) that can be seen from outside (one offer per contact,
capacity per channel and across channels, eligibility by stage and affinity, no slot kept after
its offer ended…). It also predicts whether an event is valid, and which
:class:`~experiencehub.RoutingError` a bad one must raise, so a test can tell "the router rejected
a good event" from "the router took a bad one".

A broken rule raises :class:`ModelViolation` (an ``AssertionError``) naming the contact or agent.
Nothing here is fast: checks are O(contacts·agents) per step. For tests only.

This module composes :class:`RouterModel` from its parts and re-exports what is public:
:mod:`._model_config` (:class:`RouterConfig`), :mod:`._model_state` (the state and the rules as
questions), :mod:`._prediction` (``predict_error``), :mod:`._oracle` (``apply``: events and
decisions replayed and checked), :mod:`._model_wait` (each queue's departures and the estimated
wait checked against them) and :mod:`._router_checks` (``check_router``).

>>> from experiencehub import QueueSpec, events as ev
>>> model = RouterModel(RouterConfig(queues=(QueueSpec("q", channel="chat", requires={"s": 1}),)))
>>> model.predict_error(ev.OfferAccepted(at=0.0, contact_id="c1", agent_id="a1")).__name__
'UnknownContact'
"""

from __future__ import annotations

from ._model_config import DEFAULT_CHANNEL_RULES, RouterConfig
from ._model_state import ModelAgent, ModelContact, ModelViolation
from ._oracle import ModelOracle
from ._prediction import ModelPrediction
from ._router_checks import RouterChecks

__all__ = [
    "DEFAULT_CHANNEL_RULES",
    "ModelAgent",
    "ModelContact",
    "ModelViolation",
    "RouterConfig",
    "RouterModel",
]


class RouterModel(ModelOracle, RouterChecks, ModelPrediction):
    """Replays events and decisions; asserts the outside-visible rules; predicts errors.

    Time values should be dyadic (multiples of 1/4 and the like) so that the stage arithmetic
    ``enqueued_at + after`` the router does is exact and the model can recompute it.
    """
