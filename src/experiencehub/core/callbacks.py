"""Queued callbacks: a queue's callback rules (:class:`CallbackPolicy`) and the callback state of
one contact (private). The moves live in :mod:`._callbacks`; this module never routes.

A waiting caller asks to be called back (``CallbackRequested``): the customer hangs up and keeps
its place in the queue. When an agent accepts the offer (which says ``callback=True``) the agent
dials; the dial is answered (``CallbackAnswered``: connected as any contact) or fails
(``CallbackFailed``: the agent is free at once, the contact waits ``retry_seconds`` and queues
again, until ``max_attempts`` dials have failed).

>>> CallbackPolicy(retry_seconds=120.0, max_attempts=2)
CallbackPolicy(retry_seconds=120.0, max_attempts=2, keep_place=True)
>>> CallbackPolicy(max_attempts=0)
Traceback (most recent call last):
...
experiencehub.core.errors.ConfigError: CallbackPolicy.max_attempts=0: must be an integer from 1 to 100
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ._validators import MAX_SECONDS
from .errors import ConfigError

__all__ = ["MAX_ATTEMPTS", "CallbackPolicy", "CallbackState"]

MAX_ATTEMPTS = 100
"""Most dials a policy may allow (a bound, so a typo cannot keep a callback forever)."""


def _retry_seconds(_instance: Any, _attribute: Any, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise ConfigError(
            f"CallbackPolicy.retry_seconds={value!r}: must be a number of seconds, "
            f"finite, >= 0 and <= {MAX_SECONDS:g}"
        )


def _max_attempts(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise ConfigError(
            f"CallbackPolicy.max_attempts={value!r}: must be an integer from 1 to {MAX_ATTEMPTS}"
        )


def _keep_place(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"CallbackPolicy.keep_place={value!r}: must be True or False")


@attrs.frozen(slots=True)
class CallbackPolicy:
    """A queue takes callbacks (``QueueSpec.callback``): how failed dials are retried.

    - ``retry_seconds``: after a failed dial the contact waits this long, then queues again.
    - ``max_attempts``: dials in all; after that many failures the callback is given up
      (``CallbackExhausted``).
    - ``keep_place``: a retried callback keeps its place (its original waiting key, so it is
      served before contacts that came after it); False: it queues at the back, as if it arrived
      at the retry time.

    The request itself always keeps the contact's place.
    """

    retry_seconds: float = attrs.field(default=300.0, validator=_retry_seconds)
    max_attempts: int = attrs.field(default=3, validator=_max_attempts)
    keep_place: bool = attrs.field(default=True, validator=_keep_place)


class CallbackState:
    """A contact that is a queued callback (private to the router): its queue's policy when it
    was requested, when, and the dials that failed so far."""

    __slots__ = ("failed", "policy", "requested_at")

    def __init__(self, policy: CallbackPolicy, requested_at: float) -> None:
        self.policy = policy
        self.requested_at = requested_at
        self.failed = 0

    @property
    def attempt(self) -> int:
        """The number of the next (or current) dial, from 1. Cost: O(1)."""
        return self.failed + 1

    @property
    def exhausted(self) -> bool:
        """Have all the policy's dials failed? Cost: O(1)."""
        return self.failed >= self.policy.max_attempts

    def __repr__(self) -> str:
        return f"<CallbackState failed={self.failed} of {self.policy.max_attempts}>"
