"""Terminal tables of sweeps and scenario comparisons, for the ``experiencehub`` command.

This module owns how a :class:`~experiencehub.sim.sweep.SweepResult` looks in a terminal: a sweep
as one row per point (the swept values, then service, effort and cost KPIs with their 95%
half-widths), scenarios compared as one column per scenario with paired differences against the
first. It formats with :mod:`experiencehub.sim.report`'s rules and computes nothing; printing and
exit codes stay in :mod:`experiencehub.cli`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from .sim.overrides import format_value as format_setting
from .sim.report import block_of, format_difference, format_value, shown_kpis
from .sim.sweep import SweepResult, sweep_kpis

__all__ = ["comparison_tables", "sweep_heading", "sweep_table"]


def sweep_heading(result: SweepResult) -> str:
    """One line: scenario, points, replications, seed, preset (when every point has the same).
    Cost: O(points)."""
    base = result.points[0]
    rule = base.rule
    line = (
        f"[bold]{base.scenario.name}[/bold] · {len(result.points)} point(s) × "
        f"{result.replications} replication(s), seed {result.seed}, common random numbers"
    )
    if any(p.rule != rule for p in result.points):
        return line + " · service level by each point's preset"
    return line + f" · service level preset [bold]{rule.name}[/bold]: {rule.description}"


def sweep_table(result: SweepResult, labels: Mapping[str, str], queue: str | None = None) -> Table:
    """One row per point: the swept values, then each shown KPI (mean ±95% half-width) of the
    overall block, or of ``queue``'s. Cost: O(points · KPIs)."""
    group, title = ("by_queue", f"Queue {queue}") if queue else ("overall", "Overall")
    means = [block_of(p.kpis, group, queue) for p in result.points]
    halves = [block_of(p.ci95, group, queue) for p in result.points]
    keys = sweep_kpis(means)
    note = " (mean ±95% CI half-width)" if result.replications > 1 else ""
    table = Table(title=f"{title}{note}", title_justify="left")
    for path in result.axes:
        table.add_column(path.split(".", 1)[-1])  # agents.billing.count → billing.count
    for key in keys:
        table.add_column(labels.get(key, key), justify="right")
    for point, mean, half in zip(result.points, means, halves, strict=True):
        values = [_plain(v) for _, v in point.settings]
        table.add_row(*values, *(format_value(k, mean.get(k), half.get(k)) for k in keys))
    return table


def comparison_tables(result: SweepResult, labels: Mapping[str, str]) -> list[Table]:
    """Scenarios side by side, KPIs as rows, with ``Δ`` columns (paired, against the first):
    overall, then each queue every scenario has. Cost: O(scenarios · queues · KPIs)."""
    queues = [set(p.kpis.get("by_queue") or {}) for p in result.points]
    common = [q for q in result.points[0].kpis.get("by_queue") or {} if all(q in s for s in queues)]
    tables = [_comparison_table("Overall", result, labels, "overall", None)]
    tables += [_comparison_table(f"Queue {q}", result, labels, "by_queue", q) for q in common]
    return tables


def _comparison_table(
    title: str, result: SweepResult, labels: Mapping[str, str], group: str, key: str | None
) -> Table:
    names = [_plain(p.settings[0][1]) for p in result.points]
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in names:
        table.add_column(name, justify="right")
    for name in names[1:]:
        table.add_column(f"Δ {name}", justify="right")
    blocks = [block_of(p.kpis, group, key) for p in result.points]
    halves = [block_of(p.ci95, group, key) for p in result.points]
    differences = [result.difference(i) for i in range(1, len(result.points))]
    shown = shown_kpis(blocks)
    for kpi in shown + tuple(k for k in sweep_kpis(blocks) if k not in shown):
        cells = [
            format_value(kpi, b.get(kpi), h.get(kpi)) for b, h in zip(blocks, halves, strict=True)
        ]
        for mean, half in differences:
            cells.append(
                format_difference(
                    kpi, block_of(mean, group, key).get(kpi), block_of(half, group, key).get(kpi)
                )
            )
        table.add_row(labels.get(kpi, kpi), *cells)
    return table


def _plain(value: Any) -> str:
    return format_setting(value)
