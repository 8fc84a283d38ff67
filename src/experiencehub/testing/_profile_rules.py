"""ProfileRules: how :class:`~.machine.RouterMachine` sends routing profiles the router must
refuse (a mixin, so the machine's module stays readable). With ``profiles = True`` its
``log_in`` rule now and then first tries a login whose profile names a queue nobody configured
(``UnknownQueue``, predicted by the model and checked against the router), or whose priority
is below 1, delay negative or selection unknown (``RoutingProfile`` itself refuses it with
``InvalidEvent``, as :func:`~._model_profiles.profile_error` predicts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from ..core import decisions as dc
from ..core import events as ev
from ..core.profiles import RoutingProfile
from ._model_profiles import profile_error

if TYPE_CHECKING:
    from .model import RouterModel

__all__ = ["BAD_PROFILES", "ProfileRules"]

BAD_PROFILES = ("unknown queue", "priority below 1", "negative delay", "unknown selection")
"""The ways a drawn profile is made one the router or its constructor must refuse."""


class ProfileRules:
    """Refused profiles for the machine's ``log_in`` rule (see the module docstring)."""

    model: RouterModel

    def send(self, event: ev.Event, expected: Any = ...) -> list[dc.Decision]:
        """Provided by the machine. Cost: see ``RouterMachine.send``."""
        raise NotImplementedError

    def refused_profile(self, data: st.DataObject, agent_id: str, at: float) -> None:
        """``agent_id`` tries to log in at ``at`` with a profile that must be refused (module
        docstring); nothing changes but time. Cost: one send, or a constructor call."""
        names = data.draw(
            st.lists(st.sampled_from(sorted(self.model.queues)), min_size=1, max_size=2,
                     unique=True), label="listed")  # fmt: skip
        raw: dict[str, dict[str, Any]] = {name: {"priority": 1, "delay": 0.0} for name in names}
        how = data.draw(st.sampled_from(BAD_PROFILES), label="bad profile")
        selection = "no-such-selection" if how == "unknown selection" else None
        if how == "unknown queue":
            raw["no-such-queue"] = {"priority": 2, "delay": 0.0}
        elif how == "priority below 1":
            raw[names[0]]["priority"] = data.draw(st.sampled_from([0, -1]), label="priority")
        elif how == "negative delay":
            raw[names[0]]["delay"] = data.draw(st.sampled_from([-0.5, -30.0]), label="delay")
        refused = profile_error(raw, selection)
        if refused is not None:
            try:
                RoutingProfile(queues=raw, selection=selection)
            except refused:
                return
            raise AssertionError(
                f"RoutingProfile(queues={raw!r}, selection={selection!r}) was built; "
                f"expected {refused.__name__}"
            )
        profile = RoutingProfile(queues=raw, selection=selection)
        event = ev.AgentLoggedIn(at=at, agent_id=agent_id, skills={}, profile=profile)
        expected = self.model.predict_error(event)
        assert expected is not None, f"{event!r} should be refused"
        self.send(event, expected)
