"""Helpers shared by tests that drive the Router (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from experiencehub import Router
from experiencehub import decisions as dc
from experiencehub import events as ev

if TYPE_CHECKING:
    from experiencehub.core._handlers import RoutingCore
    from experiencehub.testing import RouterConfig


def kinds(decisions: Iterable[object]) -> list[str]:
    return [type(d).__name__ for d in decisions]


def offers(decisions: Iterable[object]) -> list[tuple[str, str]]:
    return [(d.contact_id, d.agent_id) for d in decisions if isinstance(d, dc.Offer)]


def login(router: Router, agent_id: str, at: float = 0.0, **kwargs: object) -> list[dc.Decision]:
    kwargs.setdefault("skills", {"support": 1})
    kwargs.setdefault("capacity", {"phone": 1, "chat": 3, "email": 5})
    return router.handle(ev.AgentLoggedIn(at=at, agent_id=agent_id, **kwargs))  # type: ignore[arg-type]


def arrive(
    router: Router, contact_id: str, at: float, queue: str = "support", **kwargs: object
) -> list[dc.Decision]:
    return router.handle(ev.ContactArrived(at=at, contact_id=contact_id, queue=queue, **kwargs))  # type: ignore[arg-type]


def router_with_core(cfg: RouterConfig, core: type[RoutingCore] | None) -> Router:
    """The configuration's router, or (``core`` given) a Router on that core: a deliberately
    broken one, for tests that the testing toolkit catches it. Built with the configuration's
    queues, skill graph, offer timeout, unanswered-offer limit and contact selection (its
    default policy)."""
    if core is None:
        return cfg.build()

    class Broken(Router):
        _Core = core

    return Broken(
        cfg.skill_graph(),
        cfg.queues,
        offer_timeout=cfg.offer_timeout,
        max_unanswered_offers=cfg.max_unanswered_offers,
        contact_selection=cfg.contact_selection,
    )
