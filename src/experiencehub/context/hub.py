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
  abandons (``abandoned``), transfers the router carried out (queue) and refusals (``refused``);
- keeps one end-of-contact :class:`~experiencehub.records.ContactRecord` per contact (its
  :class:`~experiencehub.records.ContactRecorder`, fed with every routed event), with the
  customer, ``segment`` from the arrival's ``attributes`` and ``not_asked`` from the brief that came
  with the accepted offer; :meth:`ExperienceHub.finished_records` hands them over.

Theory of operation: every event goes through three steps, in this order.

1. **Check** everything the store will check when it records the event, with the store's own
   checks (``check_contact``, ``check_id``): ids, channel, topic and outcome text. A failure
   raises; nothing was routed or recorded.
2. **Route**: ``Router.handle``. A rejected event raises the router's error; nothing is recorded,
   and a customer this arrival created is discarded again (``discard_new``: only while nobody
   else — another hub on the same store — has resolved or used it).
3. **Record** what the router did (nothing for a refused transfer). If the store fails now (its
   medium, or a race with another writer), the decisions are not lost: the hub raises
   :class:`~experiencehub.context.errors.ContextNotRecorded` carrying them, and its map of live
   contacts follows the router anyway, so later events for the contact are recorded as usual.

The hub keeps one small map (contact id → customer, channel) for contacts still in the router and
the recorder's open records (contacts in the router or in wrap-up); everything else lives in the
store. Finished records wait in memory until :meth:`ExperienceHub.finished_records` drains them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from functools import partial
from typing import Any, TypeAlias

import attrs

from ..core import decisions as dc
from ..core import events as ev
from ..core.errors import ConfigError, RoutingError
from ..core.router import Router
from ..records import ContactRecord, ContactRecorder
from ._store_protocol import ContextStore, check_id
from .affinity import AffinityProvider, StoreAffinity
from .brief import HandoffBrief
from .errors import ContextError, ContextNotRecorded, InvalidFact, InvalidIdentity
from .identity import Identity

__all__ = ["BriefedOffer", "ExperienceHub", "HubDecision"]


@attrs.frozen(kw_only=True, slots=True)
class BriefedOffer:
    """An ``Offer`` with the brief the agent should see (None for an anonymous contact)."""

    offer: dc.Offer
    brief: HandoffBrief | None

    @property
    def contact_id(self) -> str:
        """The offered contact's id (the offer's). Cost: O(1)."""
        return self.offer.contact_id

    @property
    def agent_id(self) -> str:
        """The agent the contact is offered to (the offer's). Cost: O(1)."""
        return self.offer.agent_id


HubDecision: TypeAlias = "dc.Decision | BriefedOffer"
_Commit: TypeAlias = "Callable[[list[dc.Decision]], None]"


def _nothing(_out: list[dc.Decision]) -> None:
    return None


def identity_of(
    attributes: Mapping[str, Any], *, phone_region: str | None = None
) -> Identity | None:
    """The identity an arrival carries in ``attributes["identity"]``, if any; a ``(kind, value)``
    phone pair in national format is read with ``phone_region`` (e.g. ``"GB"``). Cost: O(1).

    >>> identity_of({"identity": ("phone", "020 7946 0000")}, phone_region="GB").value
    '+442079460000'
    """
    raw = attributes.get("identity")
    if raw is None or isinstance(raw, Identity):
        return raw
    if isinstance(raw, (tuple, list)) and len(raw) == 2 and all(isinstance(p, str) for p in raw):
        if raw[0] == "phone" and phone_region is not None:
            return Identity.phone(raw[1], region=phone_region)
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
        phone_region: str | None = None,
        keep_records: bool = True,
    ) -> None:
        _check_queues(router, store)
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
        # national phone numbers in (kind, value) pairs: without a region "020 7946 0000" and
        # "+44 20 7946 0000" would be two customers
        self.phone_region = phone_region
        self._live: dict[str, tuple[str, str]] = {}  # contact id → (customer id, channel)
        self.recorder = ContactRecorder(router)
        # False: records are followed (open_record works) but dropped when finished
        self.keep_records = keep_records
        self._finished: list[ContactRecord] = []

    def handle(self, event: ev.Event, *, outcome: str | None = None) -> list[HubDecision]:
        """Route ``event`` with context; Offers come back as :class:`BriefedOffer`.

        ``outcome``: how a ``ContactEnded``/``ContactAbandoned`` ended (e.g. ``"dropped"``,
        ``"resolved"``); defaults ``"handled"`` and ``"abandoned"``.

        Raises a ``RoutingError`` (router or store check; nothing routed, nothing recorded; any
        deadline decisions due by ``event.at`` are on its ``decisions``, offers briefed), or
        :class:`~experiencehub.context.errors.ContextNotRecorded` (routed, not recorded: carry
        out its ``decisions``).
        Cost: the router's ``handle(event)``, plus the store's O(log n) calls (n customers) for
        the event — resolve, check, record — and one brief per Offer.
        """
        try:
            routed: ev.Event = event
            if isinstance(event, ev.ContactArrived):
                routed, out, commit = self._arrive(event)
            else:
                commit = self._recording(event, outcome)
                out = list(self.router.handle(event))
        except RoutingError as err:  # rejected: the router ticked to event.at; brief its offers
            if err.decisions:  # HubDecisions, as handle returns: offers come wrapped with a brief
                self._observe(ev.Tick(at=event.at), err.decisions, None)
                with suppress(Exception):  # best effort, as its briefs: the error is raised
                    self._record_auto_accepted(err.decisions)
                briefed = tuple(self._brief_offer(d, best_effort=True) for d in err.decisions)
                err.decisions = briefed  # type: ignore[assignment]
            raise
        self._observe(routed, out, outcome)
        try:
            commit(out)
            self._record_auto_accepted(out)
            return [self._brief_offer(d) for d in out]
        except Exception as err:
            decisions = tuple(self._brief_offer(d, best_effort=True) for d in out)
            raise ContextNotRecorded(
                f"{_describe(event)}: the router applied it, but the context store failed "
                f"({type(err).__name__}: {err}); carry out .decisions as returned decisions — the "
                "store keeps what it held before this event",
                event=event,
                decisions=decisions,
            ) from err

    def finished_records(self) -> list[ContactRecord]:
        """The end-of-contact records of the contacts finished since the last call, in the order
        they finished (drains them; empty with ``keep_records=False``). A contact is finished
        when it left the router (ended, abandoned, refused) and its wrap-ups ended; see
        :mod:`experiencehub.records`. Cost: O(1).
        """
        finished, self._finished = self._finished, []
        return finished

    def open_record(self, contact_id: str) -> ContactRecord | None:
        """The record of a contact not finished yet (read it, don't change it). Cost: O(1)."""
        return self.recorder.open_record(contact_id)

    def customer_of(self, contact_id: str) -> str | None:
        """The customer of a contact still in the router, or None. Cost: O(1)."""
        live = self._live.get(contact_id)
        return None if live is None else live[0]

    def brief_for(self, contact_id: str, *, at: float) -> HandoffBrief | None:
        """A fresh brief for a contact still in the router (e.g. after a transfer); for the leg
        of a consult, its contact's brief, so the consulted agent knows what the first one does.

        Cost: one store ``brief``: O(log n + identities + valid facts + journey limit).
        """
        customer = self.customer_of(contact_id)
        if customer is None:
            consulted = self.router.consult_of(contact_id)
            if consulted is None:
                return None
            contact_id, customer = consulted, self.customer_of(consulted)
            if customer is None:
                return None
        return self.store.brief(customer, at=at, contact_id=contact_id, unmask=self.unmask_briefs)

    def next_deadline(self) -> float | None:
        """The router's next deadline (send ``Tick`` then). Cost: O(1)."""
        return self.router.next_deadline()

    def _observe(self, event: ev.Event, decisions: Any, outcome: str | None) -> None:
        finished = self.recorder.observe(event, decisions, outcome=outcome)
        if finished and self.keep_records:
            self._finished += finished

    # -- arrivals: check, identify, route; the record is committed by handle -------------------
    def _arrive(self, e: ev.ContactArrived) -> tuple[ev.ContactArrived, list[dc.Decision], _Commit]:
        """The arrival as routed (customer and preferred agents filled), its decisions and
        the write to run after."""
        identity = identity_of(e.attributes, phone_region=self.phone_region)
        spec = self.router.queues.get(e.queue)
        if spec is None or (e.customer_id is None and identity is None):
            # Anonymous (nothing to record), or a queue the router refuses before any change.
            return e, list(self.router.handle(e)), _nothing
        contact: dict[str, Any] = {"contact_id": e.contact_id, "channel": spec.channel, "at": e.at,
                   "queue": e.queue, "topic": e.attributes.get("topic")}  # fmt: skip
        self.store.check_contact(None, outcome="in_progress", **contact)
        if e.customer_id is not None:
            customer, created = self.store.canonical(e.customer_id), False
        else:
            assert identity is not None
            customer, created = self.store.resolve_created(identity, at=e.at)
        try:
            self.store.check_contact(customer, **contact)
            alert = self._repeat_alert(customer, e)
            preferred = e.preferred_agents or self.affinity.preferred_agents(customer, e.at)
            routed = attrs.evolve(e, customer_id=customer, preferred_agents=preferred)
            out = list(self.router.handle(routed))
        except Exception:
            if created:  # keeps it if another hub resolved or used it meanwhile
                with suppress(ContextError):
                    self.store.discard_new(customer, at=e.at)
            raise
        if alert is not None:
            out.append(alert)
        return routed, out, partial(self._record_arrival, customer, contact)

    def _record_arrival(
        self, customer: str, contact: dict[str, Any], out: list[dc.Decision]
    ) -> None:
        cid, at = contact["contact_id"], contact["at"]
        refused = any(isinstance(d, dc.Refused) and d.contact_id == cid for d in out)
        if not refused:
            self._live[cid] = (customer, contact["channel"])
        self.store.record_contact(
            customer,
            outcome="refused" if refused else "in_progress",
            ended_at=at if refused else None,
            **contact,
        )

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
    def _recording(self, event: ev.Event, outcome: str | None) -> _Commit:
        """Check what ``event`` will record (before routing); return the write to run after."""
        if isinstance(event, ev.AgentLoggedIn):  # the store records agent ids it is given later
            check_id(event.agent_id, "agent_id")
            return _nothing
        live = self._live.get(getattr(event, "contact_id", ""))
        fields = None if live is None else self._fields(event, live[1], outcome)
        if live is None or fields is None:
            return _nothing
        cid = event.contact_id  # type: ignore[union-attr]
        self.store.check_contact(None, contact_id=cid, at=event.at, **fields)
        return partial(self._record, event, live[0], fields)

    def _fields(self, event: ev.Event, channel: str, outcome: str | None) -> dict[str, Any] | None:
        if isinstance(event, ev.OfferAccepted):
            return {"channel": channel, "agent_id": event.agent_id}
        if isinstance(event, (ev.ContactEnded, ev.ContactAbandoned)):
            default = "handled" if isinstance(event, ev.ContactEnded) else "abandoned"
            return {"channel": channel, "outcome": outcome or default, "ended_at": event.at}
        if isinstance(event, ev.ContactTransferred):
            spec = self.router.queues.get(event.queue)  # unknown: the router refuses it
            return None if spec is None else {"channel": spec.channel, "queue": event.queue}
        return None

    def _record_auto_accepted(self, decisions: Iterable[dc.Decision]) -> None:
        """An offer the router accepted on the agent's behalf (``Offer.auto_accepted``) records
        the agent, as an ``OfferAccepted`` does. Cost: O(log n) per such offer."""
        for d in decisions:
            if isinstance(d, dc.Offer) and d.auto_accepted:
                live = self._live.get(d.contact_id)
                if live is not None:
                    self.store.record_contact(live[0], contact_id=d.contact_id, at=d.at,
                                              channel=live[1], agent_id=d.agent_id)  # fmt: skip

    def _record(
        self, event: ev.Event, customer: str, fields: dict[str, Any], out: list[dc.Decision]
    ) -> None:
        cid = event.contact_id  # type: ignore[union-attr]
        if any(isinstance(d, dc.Refused) and d.contact_id == cid for d in out):
            return  # a refused transfer: the contact stays where it was
        if "ended_at" in fields:
            del self._live[cid]
        else:
            self._live[cid] = (customer, fields["channel"])
        self.store.record_contact(customer, contact_id=cid, at=event.at, **fields)

    def _brief_offer(self, decision: dc.Decision, *, best_effort: bool = False) -> HubDecision:
        if not isinstance(decision, dc.Offer):
            return decision
        try:
            brief = self.brief_for(decision.contact_id, at=decision.at)
        except Exception:
            if not best_effort:
                raise
            brief = None
        if brief is not None:  # the record's not_asked, should the agent accept
            self.recorder.note_brief(decision.contact_id, decision.agent_id, brief.do_not_ask)
        return BriefedOffer(offer=decision, brief=brief)


def _check_queues(router: Router, store: ContextStore) -> None:
    """Every queue's channel and name must be ones the store can record."""
    channels = getattr(store, "channels", None)
    for queue in router.queues.values():
        if channels is not None and queue.channel not in channels:
            raise ConfigError(
                f"queue {queue.name!r}: channel {queue.channel!r} is not one of the "
                f"context store's channels ({', '.join(channels)})"
            )
        try:
            check_id(queue.name, "queue")
        except InvalidFact as err:
            raise ConfigError(f"queue name: the context store cannot record it ({err})") from err


def _describe(event: ev.Event) -> str:
    contact = getattr(event, "contact_id", None)
    about = f" {contact}" if contact else ""
    return f"{type(event).__name__}{about} at={event.at:g}"
