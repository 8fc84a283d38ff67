"""Terminal tables of staffing plans, for ``experiencehub staff``.

This module owns how a :class:`~experiencehub.sim.staffing.StaffingPlan` and its simulated
:class:`~experiencehub.sim.staffing.PlanCheck` look in a terminal: one row per queue and interval
with the forecast, the Erlang agents and service level, the agents rostered, and the simulated
service level with its verdict. It computes nothing; printing and exit codes stay in
:mod:`experiencehub.cli`.
"""

from __future__ import annotations

from rich.table import Table

from .sim.staffing import IntervalCheck, PlanCheck, QueueInterval, StaffingPlan

__all__ = ["clock", "plan_heading", "staff_table"]

_VERDICT_STYLE = {"under": "[red]under[/red]", "over": "[yellow]over[/yellow]", "ok": "[green]ok[/green]"}  # fmt: skip


def clock(seconds: float) -> str:
    """Seconds from the start of the run as ``h:mm`` (``+1d`` past a day). Cost: O(1).

    >>> clock(0), clock(30600), clock(90000)
    ('0:00', '8:30', '+1d 1:00')
    """
    days, rest = divmod(int(seconds), 86400)
    text = f"{rest // 3600}:{rest % 3600 // 60:02d}"
    return f"+{days}d {text}" if days else text


def plan_heading(plan: StaffingPlan) -> str:
    """One line: the targets, shrinkage, occupancy cap and rule of the plan. Cost: O(1)."""
    s = plan.settings
    threshold = (
        "each queue's threshold" if s.threshold_seconds is None else f"{s.threshold_seconds:g} s"
    )
    cap = "none" if s.max_occupancy is None else f"{100 * s.max_occupancy:g}%"
    return (
        f"[bold]{plan.forecast.source}[/bold] · target {100 * s.target_sl:g}% within {threshold} "
        f"· shrinkage {100 * s.shrinkage:g}% · max occupancy {cap} · preset "
        f"[bold]{s.rule.name}[/bold]: {s.rule.description}"
    )


def staff_table(plan: StaffingPlan, check: PlanCheck | None = None) -> Table:
    """One row per queue and interval: forecast contacts and AHT, Erlang agents (on the floor),
    Erlang service level and occupancy, the group and agents rostered in it (shrinkage applied),
    then, with ``check``, the simulated contacts, service level, ASA and verdict. Cost: O(rows)."""
    step = plan.forecast.interval_seconds
    table = Table(title=f"Staffing per {step / 60:g}-minute interval", title_justify="left")
    for name in ("interval", "queue", "contacts", "AHT", "model", "Erlang agents", "Erlang SL",
                 "Erlang occ.", "group", "rostered"):  # fmt: skip
        table.add_column(
            name, justify="left" if name in ("interval", "queue", "group") else "right"
        )
    if check is not None:
        for name in ("sim contacts", "sim SL", "sim ASA", "verdict"):
            table.add_column(name, justify="right")
    checks = {id(c.planned): c for c in check.intervals} if check is not None else {}
    for row in plan.rows:
        cells = _plan_cells(plan, row)
        found = checks.get(id(row))
        if found is not None:
            cells += _check_cells(found)
        table.add_row(*cells)
    return table


def _plan_cells(plan: StaffingPlan, p: QueueInterval) -> list[str]:
    e = p.erlang
    return [
        clock(p.row.start),
        p.row.queue,
        f"{p.row.volume:g}",
        f"{p.row.aht:g} s",
        "–" if e is None else e.model.replace("erlang_", "").upper(),
        "0" if e is None else str(e.agents) + (f" → {p.agents}" if p.agents != e.agents else ""),
        "–" if e is None or e.service_level is None else f"{100 * e.service_level:.1f}%",
        "–" if e is None else f"{100 * e.occupancy:.1f}%",
        p.group,
        str(plan.rostered[p.group][plan.interval_index(p.row.start)]),
    ]


def _check_cells(c: IntervalCheck) -> list[str]:
    return [
        f"{c.offered:.1f}",
        "–" if c.service_level is None else f"{100 * c.service_level:.1f}%",
        "–" if c.asa is None else f"{c.asa:.1f} s",
        _VERDICT_STYLE.get(c.verdict, c.verdict),
    ]
