"""Each queue's contacts, for the rare events that act on all of them (private; held by
:class:`~._state.RoutingState`).

A queue changed, closed with the rule ``"move"`` or ``"end"``, or given a new delay class
acts on every contact of that queue. Scanning all the router's contacts for them cost
O(contacts in the router) per event; this index makes it O(contacts of that queue).

Their order is the one those events always used, and their decisions depend on it: the order
the contacts came into the router (the router's ``contacts`` dict), not the order they came into
the queue. A contact transferred in keeps its place among the queue's contacts by when it came
into the router, so each contact carries an admission number; a queue whose contacts were
appended out of that order is re-sorted the next time it is read (rare: a transfer from an
earlier contact; Timsort then merges the runs).

The index is derived state: a snapshot does not carry it (:meth:`QueueMembers.rebuild` makes it
again from the contacts when a router is unpickled), so the snapshot format is unchanged.

>>> m = QueueMembers()
>>> m.admit("billing", "c1"); m.admit("sales", "c2"); m.admit("billing", "c3")
>>> m.move("c1", "billing", "sales"); m.ids("sales"), m.ids("billing")
(['c1', 'c2'], ['c3'])
>>> m.leave("c2", "sales"); m.ids("sales"), m.ids("nowhere")
(['c1'], [])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from .contacts import ContactState

__all__ = ["QueueMembers"]


class QueueMembers:
    """Queue name → its contacts' ids in the order they came into the router."""

    __slots__ = ("_admitted", "_by_queue", "_unsorted")

    def __init__(self) -> None:
        # queue → contact id → admission number (increasing along the router's contacts)
        self._by_queue: defaultdict[str, dict[str, int]] = defaultdict(dict)
        self._admitted = 0
        # queues whose dict was appended to out of admission order (re-sorted when read)
        self._unsorted: set[str] = set()

    def admit(self, queue: str, contact_id: str) -> None:
        """A contact came into the router (last in its order), in ``queue``. Cost: O(1)."""
        self._admitted += 1
        self._by_queue[queue][contact_id] = self._admitted

    def leave(self, contact_id: str, queue: str) -> None:
        """The contact left the router from ``queue``. Cost: O(1)."""
        del self._by_queue[queue][contact_id]

    def move(self, contact_id: str, source: str, target: str) -> None:
        """The contact moved from ``source`` to ``target`` (the same name: nothing to do).
        Cost: O(1)."""
        if source == target:
            return
        number = self._by_queue[source].pop(contact_id)
        members = self._by_queue[target]
        if members and next(reversed(members.values())) > number:
            self._unsorted.add(target)
        members[contact_id] = number

    def ids(self, queue: str) -> list[str]:
        """The queue's contacts, in the order they came into the router. Cost: O(k) for its k
        contacts; O(k log k) at worst the first time after contacts were moved in out of order.
        """
        members = self._by_queue.get(queue)
        if not members:
            return []
        if queue in self._unsorted:
            self._unsorted.discard(queue)
            ordered = sorted(members.items(), key=lambda item: item[1])
            members = self._by_queue[queue] = dict(ordered)
        return list(members)

    def rebuild(self, contacts: Mapping[str, ContactState]) -> None:
        """Make the index again from the router's contacts (after unpickling). Cost: O(n)."""
        self._by_queue, self._admitted, self._unsorted = defaultdict(dict), 0, set()
        for contact_id, contact in contacts.items():
            self.admit(contact.queue.name, contact_id)

    def _check(self, contacts: Mapping[str, ContactState], queues: Iterable[str]) -> None:
        """Assert: each contact is listed once, under its queue's name; admission numbers grow
        along the router's contacts; a queue not marked unsorted is in admission order; and
        :meth:`ids` gives the queue's contacts in the router's order (the scan it replaces)."""
        where = {cid: name for name, members in self._by_queue.items() for cid in members}
        assert where == {cid: c.queue.name for cid, c in contacts.items()}, "index ≠ contacts"
        number = {cid: n for members in self._by_queue.values() for cid, n in members.items()}
        ranks = [number[cid] for cid in contacts]
        assert ranks == sorted(set(ranks)), "admission numbers out of the router's order"
        assert not ranks or ranks[-1] <= self._admitted, (ranks[-1], self._admitted)
        for name, members in self._by_queue.items():
            if name not in self._unsorted:
                assert list(members.values()) == sorted(members.values()), name
        for name in {*queues, *self._by_queue}:
            members = self._by_queue.get(name, {})
            listed = sorted(members, key=members.__getitem__)  # what ids() gives, unchanged
            expected = [cid for cid, c in contacts.items() if c.queue.name == name]
            assert listed == expected, (name, listed, expected)
