"""Contacts: the routing state of one contact, and its status as a transition table.

A contact is WAITING (in the lines of its routing class), OFFERED (one agent's slot reserved) or
CONNECTED (being handled); a queued callback is also DIALING (its agent calls the customer) or
SCHEDULED (a dial failed; it queues again at its retry time). It leaves the router exactly once: handled (ContactEnded), abandoned, or
refused; a transfer moves it to another queue and it waits again.

>>> next_contact_status("c1", ContactStatus.OFFERED, "accept")
ContactStatus.CONNECTED
"""

from __future__ import annotations

import enum

from .callbacks import CallbackState
from .criteria import RoutingCriteria
from .errors import InvalidTransition
from .queues import QueueSpec, WaitingKey, WaitingLine

__all__ = ["GONE", "ContactState", "ContactStatus", "next_contact_status"]


class ContactStatus(enum.Enum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    # a queued callback: the agent who accepted it dials the customer
    DIALING = "dialing"
    # a queued callback whose dial failed: it queues again at its retry time
    SCHEDULED = "scheduled"

    def __repr__(self) -> str:
        return f"ContactStatus.{self.name}"


GONE = None
"""The 'next status' of a contact that leaves the router."""

# status → what happens → next status (GONE: the contact leaves). Missing entries are invalid.
_TRANSITIONS: dict[ContactStatus, dict[str, ContactStatus | None]] = {
    ContactStatus.WAITING: {
        "offer": ContactStatus.OFFERED,
        "abandon": GONE,
        "transfer": ContactStatus.WAITING,
        "close": GONE,  # its queue closed with closed_rule "end" (an offer is withdrawn first)
    },
    ContactStatus.OFFERED: {
        "accept": ContactStatus.CONNECTED,
        "reject": ContactStatus.WAITING,
        "expire": ContactStatus.WAITING,
        "withdraw": ContactStatus.WAITING,
        "abandon": GONE,
        "transfer": ContactStatus.WAITING,
        "dial": ContactStatus.DIALING,
    },
    ContactStatus.CONNECTED: {
        "end": GONE,
        "transfer": ContactStatus.WAITING,
    },
    ContactStatus.DIALING: {
        "answer": ContactStatus.CONNECTED,
        "fail": ContactStatus.SCHEDULED,
        "give_up": GONE,
    },
    ContactStatus.SCHEDULED: {
        "retry": ContactStatus.WAITING,
        "abandon": GONE,
        "close": GONE,  # its queue closed with closed_rule "end" (or "move" with nowhere to go)
    },
}

_DIAL_ENDS = " (a callback being dialled ends with CallbackAnswered or CallbackFailed)"
_HINTS = {
    ("abandon", ContactStatus.CONNECTED): " (a connected contact ends with ContactEnded)",
    ("end", ContactStatus.WAITING): " (a waiting contact leaves with ContactAbandoned)",
    ("end", ContactStatus.OFFERED): " (an offered contact leaves with ContactAbandoned)",
    ("end", ContactStatus.DIALING): _DIAL_ENDS,
    ("abandon", ContactStatus.DIALING): _DIAL_ENDS,
    ("transfer", ContactStatus.DIALING): _DIAL_ENDS,
    ("end", ContactStatus.SCHEDULED): " (a scheduled callback leaves with ContactAbandoned)",
    ("transfer", ContactStatus.SCHEDULED): " (a callback waiting to retry is transferred once queued again)",
}


# Speed trick: the table keyed by each status's plain ``_value_`` string. An Enum member's hash
# is a Python-level method (enum.py's ``__hash__``), called at every lookup keyed by the member:
# three contact moves per arrival-and-answer paid it (docs/performance.md).
_BY_VALUE: dict[str, dict[str, ContactStatus | None]] = {
    status._value_: table for status, table in _TRANSITIONS.items()
}


def next_contact_status(contact_id: str, current: ContactStatus, what: str) -> ContactStatus | None:
    """Look the transition up; raise InvalidTransition naming the state and the rule.
    Cost: O(1)."""
    try:
        return _BY_VALUE[current._value_][what]
    except KeyError:
        hint = _HINTS.get((what, current), "")
        raise InvalidTransition(
            f"{contact_id}: cannot {what} while {current.value}{hint}"
        ) from None


_NOBODY: frozenset[str] = frozenset()


class ContactState:
    """Routing state of one contact (private to the router)."""

    __slots__ = (
        "affinity",
        "affinity_logins",
        "agent_id",
        "arrived_at",
        "callback",
        "contact_id",
        "criteria",
        "customer_id",
        "deadlines",
        "enqueued_at",
        "excluded",
        "key",
        "lines",
        "priority",
        "queue",
        "route",
        "since",
        "stage",
        "status",
        "transfers",
    )

    def __init__(
        self,
        contact_id: str,
        *,
        queue: QueueSpec,
        priority: int,
        customer_id: str | None,
        at: float,
    ) -> None:
        self.contact_id = contact_id
        self.queue = queue
        # the routing class: the queue, or the class of its contacts with equal criteria
        # (RoutingState.route_contact), whose stages are the criteria's steps
        self.route = queue
        self.criteria: RoutingCriteria | None = None
        self.priority = priority
        self.customer_id = customer_id
        self.arrived_at = at
        self.enqueued_at = at
        self.key: WaitingKey = (0.0, at, 0)
        self.stage = 0
        self.status = ContactStatus.WAITING
        self.agent_id: str | None = None
        # when the current offer was made, or the contact connected (for Router.work)
        self.since = at
        # agents never to offer it to (declined, let it expire, transferred it); rarely non-empty,
        # so every contact shares one empty frozenset until then (a set once it grows, in place)
        self.excluded: frozenset[str] | set[str] = _NOBODY
        # preferred agents still targeted, while in the affinity phase (empty otherwise)
        self.affinity: tuple[str, ...] = ()
        # logins counted when the affinity began: a preferred agent who logged in later is a new
        # session of that agent, not the one the customer was promised
        self.affinity_logins = 0
        # the waiting lines the contact sits in (one; several while targeting preferred agents)
        self.lines: list[WaitingLine] = []
        # pending deadline entries that belong to this contact
        self.deadlines: list[tuple[float, int, str, str, str]] = []
        self.transfers = 0
        # set while the contact is a queued callback (see .callbacks)
        self.callback: CallbackState | None = None

    def move(self, what: str) -> None:
        """Apply ``what`` by the transition table — the one place a contact's status changes;
        a move out of the router (``"end"``, ``"abandon"``) keeps the last status. Raises
        ``InvalidTransition`` naming the state and the rule, changing nothing. Cost: O(1).
        """
        try:  # the table read inline: a contact moves two or three times per routed contact
            status = _BY_VALUE[self.status._value_][what]
        except KeyError:
            status = next_contact_status(self.contact_id, self.status, what)  # raises
        if status is not GONE:
            self.status = status

    def __repr__(self) -> str:
        return (
            f"<ContactState {self.contact_id} {self.status.value} queue={self.queue.name} "
            f"stage={self.stage} agent={self.agent_id}>"
        )
