"""Terminal tables of what a result says: service-level targets met or missed, and staffing.

This module owns how :mod:`experiencehub.sim.verdicts`' judgements look in a terminal (rich
tables). It computes nothing; printing and exit codes stay in :mod:`experiencehub.cli`.
"""

from __future__ import annotations

from rich.table import Table

from .sim.report import format_value
from .sim.runs import Result
from .sim.scenario_types import Scenario
from .sim.verdicts import staffing, target_checks

__all__ = ["staffing_table", "target_table"]

_VERDICT_STYLE = {"met": "green", "missed": "red"}


def target_table(result: Result) -> Table:
    """Per queue and segment: threshold, target, service level (±95%) and met or missed.
    Cost: O(queues + workload entries)."""
    table = Table(title="Service-level targets", title_justify="left")
    for column in ("queue / segment", "threshold", "target", "service level", "verdict"):
        table.add_column(
            column, justify="left" if column in ("queue / segment", "verdict") else "right"
        )
    for check in target_checks(result):
        style = _VERDICT_STYLE.get(check.verdict, "") if check.certain else "yellow"
        table.add_row(
            f"{check.kind} {check.name}",
            check.threshold_text,
            f"{100 * check.target:g}%",
            format_value("service_level", check.service_level, check.half_width),
            f"[{style}]{check.verdict_text}[/{style}]" if style else check.verdict_text,
        )
    return table


def staffing_table(scenario: Scenario) -> Table:
    """Per agent group: agents, shifts, scheduled agent-hours in the measured window, skills and
    slots per channel. Cost: O(groups · shifts)."""
    table = Table(title="Staffing", title_justify="left")
    for column in ("group", "agents", "shifts", "agent-hours", "skills", "slots"):
        table.add_column(column, justify="right" if column in ("agents", "agent-hours") else "left")
    for row in staffing(scenario):
        table.add_row(
            row.group, str(row.agents), row.shifts, f"{row.scheduled_hours:g}", row.skills,
            row.capacity,
        )  # fmt: skip
    return table
