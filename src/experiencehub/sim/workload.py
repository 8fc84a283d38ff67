"""Workload: random streams, duration samplers, arrival processes and the customers they bring.

This module owns *what customers do*, drawn from seeded random streams: when they arrive, how long
they need, how long they wait before abandoning, and whether they call back or come again. It never
routes and never reads a clock.

Common random numbers: each stream is a ``random.Random`` seeded from (seed, replication, stream
name), and each customer's whole fate (handle time, patience, callback, repeat, transfer) is drawn
when it arrives, from its workload's own streams. So two runs of one scenario under different
routing policies see exactly the same customers. What depends on who serves (whether the issue is
resolved, when an unresolved customer returns) is drawn later, from the contact's own stream
(:func:`contact_stream`, seeded by the customer's ``issue_seed`` and the contact's number), so it
too stays paired however the contacts were routed.

>>> rng = stream(7, 0, "handle/0")
>>> sample = sampler(Distribution(kind="deterministic", value=42.0), rng)
>>> sample()
42.0
>>> stream(7, 0, "a").random() == stream(7, 0, "a").random() != stream(7, 1, "a").random()
True
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from .scenario import Arrivals, Callback, Distribution, Repeat, Scenario, Transfer, Workload
from .traces import read_trace

__all__ = [
    "Customer",
    "CustomerSource",
    "Sampler",
    "arrival_times",
    "contact_stream",
    "sampler",
    "stream",
]

Sampler = Callable[[], float]


def stream(seed: int, replication: int, name: str) -> random.Random:
    """An independent, reproducible random stream. Cost: O(1) (one SHA-256)."""
    digest = hashlib.sha256(f"{seed}/{replication}/{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def contact_stream(issue_seed: int, contact_number: int) -> random.Random:
    """The random stream of a customer's ``contact_number``-th contact. Cost: O(1).

    >>> contact_stream(5, 1).random() == contact_stream(5, 1).random() != contact_stream(5, 2).random()
    True
    """
    return random.Random(issue_seed * 4096 + contact_number)


def sampler(dist: Distribution, rng: random.Random) -> Sampler:
    """A function drawing from ``dist`` with ``rng``. Cost: O(1) per draw.

    Lognormal and gamma take the mean and standard deviation of the duration itself (not of its
    logarithm), which is what analysts measure.

    >>> s = sampler(Distribution(kind="gamma", mean=10.0, sd=5.0), random.Random(1))
    >>> round(sum(s() for _ in range(20000)) / 20000, 1)
    10.0
    """
    kind = dist.kind
    if kind == "deterministic":
        value = float(dist.value or 0.0)
        return lambda: value
    if kind == "exponential":
        rate = 1.0 / float(dist.mean or 1.0)
        return lambda: rng.expovariate(rate)
    if kind == "empirical":
        values = tuple(dist.values or (0.0,))
        return lambda: rng.choice(values)
    mean, sd = float(dist.mean or 1.0), float(dist.sd or 0.0)
    if kind == "lognormal":
        sigma2 = math.log1p((sd / mean) ** 2)
        mu, sigma = math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)
        return lambda: rng.lognormvariate(mu, sigma)
    if kind == "gamma":
        if sd == 0.0:
            return lambda: mean
        shape, scale = (mean / sd) ** 2, sd * sd / mean
        return lambda: rng.gammavariate(shape, scale)
    raise ValueError(f"distribution kind {kind!r}: unknown")


def arrival_times(
    arrivals: Arrivals, rng: random.Random, *, end: float, base_dir: str = "."
) -> Iterator[float]:
    """Arrival instants in [0, end), increasing. Cost: O(1) per arrival (trace: reads the file).

    Piecewise rates repeat with period ``len(rates) · piece_seconds``; within a piece arrivals are
    Poisson, and a draw that crosses a boundary restarts at it (exact, by memorylessness).

    >>> a = Arrivals(kind="piecewise", rates_per_hour=(0.0, 3600.0), piece_seconds=10.0)
    >>> times = list(arrival_times(a, random.Random(3), end=20.0))
    >>> 10.0 <= min(times) and max(times) < 20.0
    True
    """
    if arrivals.kind == "trace":
        yield from _trace(Path(base_dir) / str(arrivals.path), end)
        return
    if arrivals.kind == "poisson":
        rates: tuple[float, ...] = (float(arrivals.per_hour or 0.0),)
        piece = math.inf
    else:
        rates, piece = tuple(arrivals.rates_per_hour or ()), arrivals.piece_seconds
    yield from _piecewise_poisson(rates, piece, rng, end)


def _piecewise_poisson(
    rates_per_hour: tuple[float, ...], piece: float, rng: random.Random, end: float
) -> Iterator[float]:
    t = 0.0
    while t < end:
        index = 0 if piece == math.inf else int(t // piece)
        boundary = math.inf if piece == math.inf else (index + 1) * piece
        rate = rates_per_hour[index % len(rates_per_hour)] / 3600.0
        step = rng.expovariate(rate) if rate > 0 else math.inf
        if t + step >= boundary:
            t = boundary
            continue
        t += step
        if t < end:
            yield t


def _trace(path: Path, end: float) -> Iterator[float]:
    # The scenario checks report bad rows (read_trace's problems) before a run starts.
    yield from (t for t in sorted(read_trace(path).times) if 0.0 <= t < end)


@attrs.define(slots=True)
class Customer:
    """One contact's fate, drawn when it arrives (see the module docstring).

    Callbacks and repeat contacts reuse the customer's handle time (and a callback its own
    pre-drawn patience), so they never consume draws that would shift later customers.
    """

    workload: int
    arrived_at: float
    handle_seconds: float
    patience_seconds: float | None
    callback_after: float | None = None
    callback_patience: float | None = None
    repeat_after: float | None = None
    transfer_handle: float | None = None
    issue_seed: int = 0


class CustomerSource:
    """Draws arrivals and customers' fates of one workload entry from its own streams.

    Cost: O(1) per customer.
    """

    def __init__(self, scenario: Scenario, index: int, replication: int) -> None:
        item: Workload = scenario.workload[index]
        seed = scenario.simulation.seed
        self.index = index
        self.workload = item

        def s(name: str) -> random.Random:
            return stream(seed, replication, f"{name}/{index}")

        end = scenario.simulation.warmup + scenario.simulation.duration
        self.times = arrival_times(
            item.arrivals, s("arrivals"), end=end, base_dir=scenario.base_dir
        )
        self._handle = sampler(item.handle_seconds, s("handle"))
        self._issue_seed = s("issue").getrandbits

        self._patience = _optional(item.patience_seconds, s("patience"))
        fate = s("fate")
        self._fate = fate.random
        callback, repeat, transfer = item.callback, item.repeat, item.transfer
        self._callback_delay = _optional(callback.delay_seconds if callback else None, fate)
        self._callback_patience = _optional(
            callback.patience_seconds if callback else None, s("callback-patience")
        )
        self._repeat_delay = _optional(repeat.delay_seconds if repeat else None, fate)
        self._transfer_handle = _optional(
            (transfer.handle_seconds or item.handle_seconds) if transfer else None, fate
        )

    def customer(self, at: float) -> Customer:
        """The fate of a customer arriving at ``at``. Cost: O(1)."""
        item = self.workload
        return Customer(
            workload=self.index,
            arrived_at=at,
            handle_seconds=self._handle(),
            patience_seconds=self._patience() if self._patience else None,
            callback_after=self._draw(item.callback, self._callback_delay),
            callback_patience=self._callback_patience() if self._callback_patience else None,
            repeat_after=self._draw(item.repeat, self._repeat_delay),
            transfer_handle=self._draw(item.transfer, self._transfer_handle),
            issue_seed=self._issue_seed(40),
        )

    def _draw(
        self, fate: Callback | Repeat | Transfer | None, delay: Sampler | None
    ) -> float | None:
        if fate is None or delay is None:
            return None
        hit = self._fate() < fate.probability
        value = delay()  # always drawn, so one customer's fate never shifts another's
        return value if hit else None


def _optional(dist: Distribution | None, rng: random.Random) -> Sampler | None:
    return None if dist is None else sampler(dist, rng)
