"""QueueChangeRules: the rule of :class:`~.machine.RouterMachine` that changes a queue's spec
while contacts flow (``QueueChanged``; a mixin, so the machine's module stays readable).

The new spec keeps the queue's channel and closing rule, and its hours unless the machine's
``hours`` is on, and redraws any of its other options (:func:`~.strategies.queue_changes`); now and then the change is one the router must
refuse — another channel (``InvalidEvent``), a queue nobody configured or an unknown
``closed_queue`` (``UnknownQueue``) — and the machine's clean twin checks it changed nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from ..core import decisions as dc
from ..core import events as ev
from ..core.queues import QueueSpec
from ._routing_strategies import CHANNELS, queue_changes, renamed_spec

if TYPE_CHECKING:
    from .model import RouterModel

__all__ = ["QueueChangeRules"]

BAD_CHANGES = ("another channel", "unknown queue", "unknown closed queue")
"""The changes the router must refuse, drawn one time in four."""


class QueueChangeRules:
    """Rule: a supervisor changes a configured queue (see the module docstring)."""

    model: RouterModel
    hours: ClassVar[bool]
    pending: bool
    started: bool

    def send(self, event: ev.Event, expected: Any = ...) -> list[dc.Decision]:
        """Provided by the machine. Cost: see ``RouterMachine.send``."""
        raise NotImplementedError

    def _draw_at(self, data: st.DataObject, *, late: bool = False) -> float:
        raise NotImplementedError

    @precondition(lambda self: not self.pending and self.started)
    @rule(data=st.data(), late=st.booleans(), bad=st.integers(0, 3))
    def change_queue(self, data: st.DataObject, late: bool, bad: int) -> None:
        """A supervisor replaces a queue's spec (``late``: past pending deadlines, which apply
        first); one time in four the change is one the router must refuse.
        Cost: one send (an event on each of the three routers, and the model's prediction)."""
        model = self.model
        name = data.draw(st.sampled_from(self._queues_to_change(data)), label="queue")
        old = model.queues[name]
        others = sorted(n for n in model.queues if n != name)
        skills = model.config.all_skills or ("s",)
        spec = data.draw(queue_changes(old, skills, others, hours=self.hours), label="spec")
        if bad == 0:
            spec = self._spoil(data, spec)
        event = ev.QueueChanged(at=self._draw_at(data, late=late), spec=spec)
        expected = model.predict_error(event)
        assert (expected is None) == (bad != 0), f"{event!r}: predicted {expected}"
        self.send(event, expected)

    def _queues_to_change(self, data: st.DataObject) -> list[str]:
        """Mostly the queues with contacts waiting or ringing, whose change has something to
        show; one time in four (or when none has) any queue. Cost: O(C + Q log Q)."""
        model = self.model
        busy = {c.queue for c in model.contacts.values() if c.status in ("waiting", "offered")}
        if busy and data.draw(st.integers(0, 3), label="busy queue") > 0:
            return sorted(busy)
        return sorted(model.queues)

    @staticmethod
    def _spoil(data: st.DataObject, spec: QueueSpec) -> QueueSpec:
        """The change made one the router must refuse (:data:`BAD_CHANGES`)."""
        how = data.draw(st.sampled_from(BAD_CHANGES), label="bad change")
        if how == "another channel":
            channel = data.draw(st.sampled_from([c for c in CHANNELS if c != spec.channel]))
            return attrs.evolve(spec, channel=channel)
        if how == "unknown queue":
            return renamed_spec(spec, "no-such-queue")
        return attrs.evolve(spec, closed_queue="no-such-queue")
