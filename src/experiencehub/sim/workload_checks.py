"""Checks of a scenario's ``[[workload]]`` items and the customer steps they share with queues
(self-service, queued callbacks): arrivals, distributions, callbacks, repeats, transfers, IVR,
preferred channels and routing criteria.

Like :mod:`.checks`, which calls :func:`check_workload`, every check appends ``"key.path: what
is expected, got …"`` to a list and never raises; only trace arrivals read their file.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..core.criteria import MAX_STEPS
from .check_values import (
    Problems,
    check_distribution,
    known_queue,
    need,
    non_negative,
    positive,
    probability,
    target_share,
)
from .consult_checks import check_consult
from .scenario_types import (
    Arrivals,
    Callback,
    ChannelPreference,
    CriteriaConfig,
    Ivr,
    QueuedCallback,
    Repeat,
    Scenario,
    SelfService,
    Transfer,
    Unresolved,
    Workload,
)
from .traces import read_trace

__all__ = ["ARRIVAL_KINDS", "check_queued_callback", "check_self_service", "check_workload"]

ARRIVAL_KINDS = ("poisson", "piecewise", "trace")


def check_workload(
    item: Workload,
    where: str,
    problems: Problems,
    *,
    queues: set[str] | None,
    asks: tuple[str, ...] | None,
    scenario: Scenario,
) -> None:
    """``queues`` and ``asks`` are None when their sections did not all structure."""
    known_queue(item.queue, f"{where}.queue", queues, problems)
    need(problems, bool(item.segment), f"{where}.segment", "a non-empty string", item.segment)
    non_negative(problems, f"{where}.service_level_seconds", item.service_level_seconds)
    target_share(problems, f"{where}.service_level_target", item.service_level_target)
    _check_arrivals(item.arrivals, f"{where}.arrivals", scenario, problems)
    check_distribution(item.handle_seconds, f"{where}.handle_seconds", problems)
    if item.patience_seconds is not None:
        check_distribution(item.patience_seconds, f"{where}.patience_seconds", problems)
    if item.callback is not None:
        patient = item.patience_seconds is not None
        _check_callback(item.callback, f"{where}.callback", queues, problems, patient=patient)
    if item.repeat is not None:
        _check_repeat(item.repeat, f"{where}.repeat", queues, problems)
    if item.transfer is not None:
        _check_transfer(item.transfer, f"{where}.transfer", queues, problems)
    if item.unresolved is not None:
        _check_unresolved(item.unresolved, f"{where}.unresolved", queues, problems)
    if item.ivr is not None:
        _check_ivr(item.ivr, f"{where}.ivr", asks, problems)
    if item.self_service is not None:
        check_self_service(item.self_service, f"{where}.self_service", asks, problems)
    if item.preferred_channel is not None:
        _check_preference(item.preferred_channel, f"{where}.preferred_channel", scenario, problems)
    if item.criteria is not None:
        _check_criteria(item.criteria, f"{where}.criteria", problems)
    if item.consult is not None:
        channels = None if queues is None else {q.name: q.channel for q in scenario.queues}
        check_consult(item.consult, f"{where}.consult", problems, queues=channels,
                      home=item.queue, distribution=check_distribution)  # fmt: skip


def _check_criteria(criteria: CriteriaConfig, path: str, problems: Problems) -> None:
    """A share in [0, 1]; 1 to MAX_STEPS steps, the first at 0 s, times increasing; finite
    costs and levels >= 0 (the rules of :class:`~experiencehub.core.criteria.RoutingCriteria`)."""
    probability(problems, f"{path}.share", criteria.share)
    steps = criteria.steps
    need(problems, 0 < len(steps) <= MAX_STEPS, f"{path}.steps",
          f"1 to {MAX_STEPS} steps", len(steps))  # fmt: skip
    for j, step in enumerate(steps):
        where = f"{path}.steps[{j}]"
        if j == 0:
            need(problems, step.after == 0, f"{where}.after", "0 (the first step)", step.after)
        else:
            need(problems, step.after > steps[j - 1].after, f"{where}.after",
                  f"> the previous step's {steps[j - 1].after}", step.after)  # fmt: skip
        need(problems, math.isfinite(step.max_cost) and step.max_cost >= 0,
              f"{where}.max_cost", "finite and >= 0", step.max_cost)  # fmt: skip
        for skill, level in step.requires.items():
            need(problems, level >= 0, f"{where}.requires.{skill}", ">= 0", level)


def _check_callback(
    callback: Callback, path: str, queues: set[str] | None, problems: Problems, *, patient: bool
) -> None:
    probability(problems, f"{path}.probability", callback.probability)
    known_queue(callback.queue, f"{path}.queue", queues, problems)
    check_distribution(callback.delay_seconds, f"{path}.delay_seconds", problems)
    if callback.patience_seconds is not None:
        check_distribution(callback.patience_seconds, f"{path}.patience_seconds", problems)
    if not patient:
        problems.append(
            f"{path}: needs patience_seconds (customers who never abandon never call back)"
        )


def _check_repeat(repeat: Repeat, path: str, queues: set[str] | None, problems: Problems) -> None:
    probability(problems, f"{path}.probability", repeat.probability)
    need(problems, repeat.probability < 1, f"{path}.probability", "< 1 (else endless repeats)",
          repeat.probability)  # fmt: skip
    if repeat.queue is not None:
        known_queue(repeat.queue, f"{path}.queue", queues, problems)
    check_distribution(repeat.delay_seconds, f"{path}.delay_seconds", problems)


def _check_transfer(
    transfer: Transfer, path: str, queues: set[str] | None, problems: Problems
) -> None:
    probability(problems, f"{path}.probability", transfer.probability)
    known_queue(transfer.queue, f"{path}.queue", queues, problems)
    if transfer.handle_seconds is not None:
        check_distribution(transfer.handle_seconds, f"{path}.handle_seconds", problems)


def _check_unresolved(
    unresolved: Unresolved, path: str, queues: set[str] | None, problems: Problems
) -> None:
    check_distribution(unresolved.delay_seconds, f"{path}.delay_seconds", problems)
    if unresolved.queue is not None:
        known_queue(unresolved.queue, f"{path}.queue", queues, problems)
    probability(problems, f"{path}.probability", unresolved.probability)
    need(problems, unresolved.max_contacts >= 1, f"{path}.max_contacts", ">= 1",
          unresolved.max_contacts)  # fmt: skip


def _check_ivr(ivr: Ivr, path: str, asks: tuple[str, ...] | None, problems: Problems) -> None:
    probability(problems, f"{path}.share", ivr.share)
    if asks is not None and not asks:
        problems.append(f"{path}: nothing to verify: add [[context.asks]]")
    elif asks is not None:
        for j, fact in enumerate(ivr.facts or ()):
            if fact not in asks:
                problems.append(
                    f"{path}.facts[{j}]: unknown fact {fact!r} (asks: {', '.join(asks)})"
                )
    need(problems, bool(ivr.channels), f"{path}.channels", "at least one channel", [])
    for j, channel in enumerate(ivr.channels):
        need(problems, bool(channel), f"{path}.channels[{j}]", "a non-empty string", channel)


def check_self_service(
    step: SelfService, path: str, asks: tuple[str, ...] | None, problems: Problems
) -> None:
    """Probabilities in [0, 1], a time distribution; facts only when there are asks to know."""
    for key in ("share", "contained", "verified"):
        probability(problems, f"{path}.{key}", getattr(step, key))
    check_distribution(step.seconds, f"{path}.seconds", problems)
    if asks is None:
        return
    if step.verified > 0 and not asks:
        problems.append(f"{path}.verified: nothing to verify: add [[context.asks]]")
    for j, fact in enumerate(step.facts or ()):
        if fact not in asks:
            known = ", ".join(asks) or "none defined"
            problems.append(f"{path}.facts[{j}]: unknown fact {fact!r} (asks: {known})")


def _check_preference(
    preference: ChannelPreference, path: str, scenario: Scenario, problems: Problems
) -> None:
    """Shares in [0, 1]; a channel some queue serves (a preference nobody serves is never used)."""
    probability(problems, f"{path}.stated", preference.stated)
    probability(problems, f"{path}.used", preference.used)
    channels = sorted({q.channel for q in scenario.queues})
    if preference.channel not in channels:
        problems.append(
            f"{path}.channel: no queue serves {preference.channel!r} (channels: {', '.join(channels)})"
        )


def check_queued_callback(config: QueuedCallback, path: str, problems: Problems) -> None:
    """Probabilities in [0, 1], times >= 0 (a dial > 0), 1 to 100 attempts."""
    probability(problems, f"{path}.accept", config.accept)
    probability(problems, f"{path}.answer", config.answer)
    for key in ("offer_above_seconds", "retry_seconds"):
        non_negative(problems, f"{path}.{key}", getattr(config, key))
    positive(problems, f"{path}.dial_seconds", config.dial_seconds)
    attempts = config.attempts
    ok = not isinstance(attempts, bool) and isinstance(attempts, int) and 1 <= attempts <= 100
    need(problems, ok, f"{path}.attempts", "an integer from 1 to 100", attempts)


def _check_arrivals(arrivals: Arrivals, where: str, scenario: Scenario, problems: Problems) -> None:
    kind = arrivals.kind
    if kind not in ARRIVAL_KINDS:
        problems.append(f"{where}.kind: must be one of {', '.join(ARRIVAL_KINDS)}, got {kind!r}")
    elif kind == "poisson":
        if arrivals.per_hour is None:
            problems.append(f"{where}.per_hour: required for poisson arrivals")
        positive(problems, f"{where}.per_hour", arrivals.per_hour)
    elif kind == "piecewise":
        rates = arrivals.rates_per_hour
        if not rates:
            problems.append(
                f"{where}.rates_per_hour: required for piecewise arrivals (one rate per piece)"
            )
        for j, rate in enumerate(rates or ()):
            non_negative(problems, f"{where}.rates_per_hour[{j}]", rate)
        if rates and not any(r > 0 for r in rates):
            problems.append(f"{where}.rates_per_hour: at least one rate must be > 0")
        positive(problems, f"{where}.piece_seconds", arrivals.piece_seconds)
    elif arrivals.path is None:
        problems.append(f"{where}.path: required for trace arrivals (CSV of arrival seconds)")
    else:
        trace = Path(scenario.base_dir) / arrivals.path
        if not trace.is_file():
            problems.append(f"{where}.path: file {str(trace)!r} not found")
        else:
            problems.extend(f"{where}.path: {why}" for why in read_trace(trace).problems)
