"""One replication's KPIs: the service-level rule of a scenario and the KPI blocks of one run.

Shared by the replications run here (:mod:`.runs`) and those run in worker processes or on a
cluster (:mod:`.parallel`), so both compute exactly the same blocks. It never simulates.
"""

from __future__ import annotations

from .confidence import Blocks
from .consults import ConsultDesk, consult_kpis
from .engine import RunResult
from .kpi import ServiceLevelRule, run_kpis
from .queued_callbacks import CallbackDesk, callback_kpis
from .scenario import Scenario
from .self_service import SelfServiceDesk, self_service_kpis
from .wait_estimates import estimated_wait_kpis

__all__ = ["replication_kpis", "service_rule"]


def service_rule(scenario: Scenario) -> ServiceLevelRule:
    """The service-level rule of the scenario's ``[kpis]`` (the preset with its switches).
    Cost: O(1)."""
    return scenario.kpis.rule()


def replication_kpis(scenario: Scenario, result: RunResult) -> Blocks:
    """The KPI blocks of one replication of ``scenario`` (what :class:`Result` keeps per run).
    Besides :func:`~.kpi.run_kpis`' blocks, ``estimated_wait`` (the router's estimates against
    the waits, :func:`~.wait_estimates.estimated_wait_kpis`) and, with a self-service step anywhere
    in the scenario, ``self_service`` (:func:`~.self_service.self_service_kpis`); with a workload
    that consults, ``consults`` (:func:`~.consults.consult_kpis`).
    Cost: O(records · log records)."""
    blocks = run_kpis(
        result.records,
        service_rule(scenario),
        result.agents,
        measured=result.measured,
        repeat_window_seconds=scenario.kpis.repeat_window_hours * 3600.0,
        asks=bool(scenario.context.asks),
    )
    blocks["estimated_wait"] = estimated_wait_kpis(result.records, result.measured)
    if CallbackDesk.of(scenario) is not None:
        blocks["callbacks"] = callback_kpis(result.callbacks, result.measured)
    if SelfServiceDesk.of(scenario) is not None:
        blocks["self_service"] = self_service_kpis(
            result.self_service, result.records, result.measured
        )
    if ConsultDesk.of(scenario) is not None:
        blocks["consults"] = consult_kpis(result.consults, result.measured)
    return blocks
