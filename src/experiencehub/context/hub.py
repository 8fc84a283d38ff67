"""ExperienceHub: a Router and a ContextStore behind one ``handle(event)``.

A platform feeds the hub the same events it would feed the Router and gets the same decisions,
except that every ``Offer`` comes wrapped as a :class:`BriefedOffer` (the offer plus the
:class:`~experiencehub.context.brief.HandoffBrief` for the agent), in the same position. The hub:

- on ``ContactArrived``, identifies the customer: ``customer_id=`` (an id from the store) or
  ``attributes={"identity": Identity(...)}`` (or a ``(kind, value)`` pair), resolved in the store
  (created if new). Contacts with neither are routed anonymously (``brief`` is None);
- fills ``preferred_agents`` from the affinity provider (unless the event already names some);
- raises ``Alert(kind="repeat_contact")`` when the customer's previous contact (any channel)
  started within ``repeat_window_seconds``;
- records the contact as events flow: arrival (``in_progress``), accepted offers (agent), ends
  (``handled``, or the ``outcome=`` passed to :meth:`ExperienceHub.handle`, e.g. ``"dropped"``),
  abandons (``abandoned``), transfers (queue) and refusals (``refused``).

The hub keeps one small map (contact id → customer, channel) for contacts still in the router;
everything else lives in the store. The store is written after the router accepted the event; if
the router rejects an arrival whose identity the hub had just created, that new customer is
forgotten again, so a rejected event leaves no customer behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from ..core import decisions as dc
from ..core import events as ev
from ..core.errors import ConfigError, RoutingError
from ..core.router import Router
from .affinity import AffinityProvider, StoreAffinity
from .brief import HandoffBrief
from .errors import InvalidIdentity
from .identity import Identity
from .store import ContextStore

__all__ = ["BriefedOffer", "ExperienceHub", "HubDecision"]


@attrs.frozen(kw_only=True, slots=True)
class BriefedOffer:
    """An ``Offer`` with the brief the agent should see (None for an anonymous contact)."""

    offer: dc.Offer
    brief: HandoffBrief | None

    @property
    def contact_id(self) -> str:
        return self.offer.contact_id

    @property
    def agent_id(self) -> str:
        return self.offer.agent_id


HubDecision: TypeAlias = "dc.Decision | BriefedOffer"


def identity_of(attributes: Mapping[str, Any]) -> Identity | None:
    """The identity an arrival carries in ``attributes["identity"]``, if any. Cost: O(1)."""
    raw = attributes.get("identity")
    if raw is None or isinstance(raw, Identity):
        return raw
    if isinstance(raw, (tuple, list)) and len(raw) == 2 and all(isinstance(p, str) for p in raw):
        return Identity(raw[0], raw[1])
    raise InvalidIdentity(
        f"attributes['identity'] of type {type(raw).__name__}: pass an Identity or a (kind, value) pair"
    )


class ExperienceHub:
    """Router + ContextStore: identity, affinity, repeat alerts, contact history and briefs.

    Cost per event: the router's O(log n) plus O(log n) store reads/writes per identified contact
    (one brief per offer).
    """

    def __init__(
        self,
        router: Router,
        store: ContextStore,
        *,
        affinity: AffinityProvider | None = None,
        repeat_window_seconds: float | None = None,
        unmask_briefs: bool = False,
    ) -> None:
        channels = getattr(store, "channels", None)
        if channels is not None:
            for queue in router.queues.values():
                if queue.channel not in channels:
                    raise ConfigError(
                        f"queue {queue.name!r}: channel {queue.channel!r} is not one of the "
                        f"context store's channels ({', '.join(channels)})"
                    )
        window = repeat_window_seconds
        if window is None:
            window = float(getattr(store, "repeat_window_seconds", 86400.0))
        if isinstance(window, bool) or not isinstance(window, (int, float)) or window < 0:
            raise ConfigError(f"repeat_window_seconds={window!r}: must be >= 0")
        self.router = router
        self.store = store
        self.affinity = affinity if affinity is not None else StoreAffinity(store)
        self.repeat_window_seconds = float(window)
        self.unmask_briefs = unmask_briefs
        self._live: dict[str, tuple[str, str]] = {}  # contact id → (customer id, channel)

    def handle(self, event: ev.Event, *, outcome: str | None = None) -> list[HubDecision]:
        """Route ``event`` with context; Offers come back as :class:`BriefedOffer`.

        ``outcome``: how a ``ContactEnded``/``ContactAbandoned`` ended (e.g. ``"dropped"``,
        ``"resolved"``); defaults ``"handled"`` and ``"abandoned"``.
        """
        if isinstance(event, ev.ContactArrived):
            out = self._arrive(event)
        else:
            out = list(self.router.handle(event))
            self._record(event, outcome)
        return [self._brief_offer(d) for d in out]

    def customer_of(self, contact_id: str) -> str | None:
        """The customer of a contact still in the router, or None. Cost: O(1)."""
        live = self._live.get(contact_id)
        return None if live is None else live[0]

    def brief_for(self, contact_id: str, *, at: float) -> HandoffBrief | None:
        """A fresh brief for a contact still in the router (e.g. after a transfer)."""
        customer = self.customer_of(contact_id)
        if customer is None:
            return None
        return self.store.brief(customer, at=at, contact_id=contact_id, unmask=self.unmask_briefs)

    def next_deadline(self) -> float | None:
        """The router's next deadline (send ``Tick`` then). Cost: O(1)."""
        return self.router.next_deadline()

    # -- arrivals -----------------------------------------------------------------------------
    def _arrive(self, e: ev.ContactArrived) -> list[dc.Decision]:
        identity = identity_of(e.attributes)
        if e.customer_id is None and identity is None:
            return list(self.router.handle(e))
        if e.customer_id is not None:
            customer, created = self.store.canonical(e.customer_id), False
        else:
            assert identity is not None
            created = self.store.find(identity) is None
            customer = self.store.resolve(identity, at=e.at)
        alert = self._repeat_alert(customer, e)
        preferred = e.preferred_agents or self.affinity.preferred_agents(customer, e.at)
        try:
            out = list(
                self.router.handle(
                    attrs.evolve(e, customer_id=customer, preferred_agents=preferred)
                )
            )
        except RoutingError:
            if created:
                self.store.forget(customer, at=e.at)
            raise
        channel = self.router.queues[e.queue].channel
        refused = any(isinstance(d, dc.Refused) and d.contact_id == e.contact_id for d in out)
        self.store.record_contact(
            customer,
            contact_id=e.contact_id,
            channel=channel,
            at=e.at,
            queue=e.queue,
            outcome="refused" if refused else "in_progress",
            topic=e.attributes.get("topic"),
            ended_at=e.at if refused else None,
        )
        if not refused:
            self._live[e.contact_id] = (customer, channel)
        if alert is not None:
            out.append(alert)
        return out

    def _repeat_alert(self, customer: str, e: ev.ContactArrived) -> dc.Alert | None:
        previous = self.store.contacts(customer, limit=1)
        if not previous or previous[0].contact_id == e.contact_id:
            return None
        last = previous[0]
        if last.at < e.at - self.repeat_window_seconds:
            return None
        return dc.Alert(
            at=e.at,
            contact_id=e.contact_id,
            kind="repeat_contact",
            detail=(
                f"{customer} contacted again {e.at - last.at:g}s after {last.contact_id} "
                f"({last.channel}, {last.outcome or 'no outcome'}); within the "
                f"{self.repeat_window_seconds:g}s repeat window"
            ),
        )

    # -- recording as events flow --------------------------------------------------------------
    def _record(self, event: ev.Event, outcome: str | None) -> None:
        live = self._live.get(getattr(event, "contact_id", ""))
        if live is None:
            return
        customer, channel = live
        cid = event.contact_id  # type: ignore[union-attr]
        if isinstance(event, ev.OfferAccepted):
            self.store.record_contact(
                customer, contact_id=cid, channel=channel, at=event.at, agent_id=event.agent_id
            )
        elif isinstance(event, (ev.ContactEnded, ev.ContactAbandoned)):
            default = "handled" if isinstance(event, ev.ContactEnded) else "abandoned"
            self.store.record_contact(
                customer,
                contact_id=cid,
                channel=channel,
                at=event.at,
                outcome=outcome or default,
                ended_at=event.at,
            )
            del self._live[cid]
        elif isinstance(event, ev.ContactTransferred):
            channel = self.router.queues[event.queue].channel
            self._live[cid] = (customer, channel)
            self.store.record_contact(
                customer, contact_id=cid, channel=channel, at=event.at, queue=event.queue
            )

    def _brief_offer(self, decision: dc.Decision) -> HubDecision:
        if not isinstance(decision, dc.Offer):
            return decision
        return BriefedOffer(
            offer=decision, brief=self.brief_for(decision.contact_id, at=decision.at)
        )
