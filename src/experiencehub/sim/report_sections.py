"""Parts of the HTML reports beyond the KPI tables: targets met or missed, staffing, warnings
about wide intervals, and the per-interval plots (offered, abandon share, staffed agents).

This module owns those parts; :mod:`.report` assembles the page and owns matplotlib's import. The
judgements are :mod:`.verdicts`'; the interval series are :mod:`.timeline`'s. It never simulates.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .timeline import interval_series
from .verdicts import comparison_warnings, staffing, target_checks, wide_interval_warnings

if TYPE_CHECKING:
    from .runs import Comparison, Result

__all__ = [
    "INTERVAL_PLOTS",
    "comparison_warnings_html",
    "interval_means",
    "result_sections_html",
]

_VERDICT_COLOUR = {"met": "#2a7f3f", "missed": "#b3261e"}


def interval_means(result: Result, key: str) -> tuple[list[float], list[float | None]]:
    """Interval starts (seconds) and the mean over replications of one interval series
    (``offered``, ``service_level``, ``p_abandon``, ``waiting``). Cost: O(records)."""
    sim = result.scenario.simulation
    interval = result.scenario.kpis.interval_minutes * 60.0
    end = sim.warmup + sim.duration
    series = [
        interval_series(run.records, result.rule, start=sim.warmup, end=end, interval=interval)
        for run in result.runs
    ]
    starts = [float(s) for s in series[0]["start"] if s is not None]
    means: list[float | None] = []
    for i in range(len(starts)):
        values = [v for s in series if (v := s[key][i]) is not None]
        means.append(sum(values) / len(values) if values else None)
    return starts, means


def result_sections_html(result: Result) -> str:
    """Warnings, the service-level targets table and the staffing table. Cost: O(queues +
    workload entries + groups)."""
    return (
        _warnings_html(wide_interval_warnings(result))
        + _targets_html(result)
        + _staffing_html(result)
    )


def comparison_warnings_html(comparison: Comparison) -> str:
    """Variants the replications cannot tell apart from the baseline. Cost: O(variants)."""
    return _warnings_html(comparison_warnings(comparison))


def _warnings_html(warnings: list[str]) -> str:
    return "".join(
        f'<p style="background:#fff4ce;padding:6px"><b>Warning:</b> {html.escape(w)}</p>'
        for w in warnings
    )


def _targets_html(result: Result) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in ("queue / segment", "threshold", "target", "service level", "verdict")
    )
    rows = []
    for check in target_checks(result):
        level = "–" if check.service_level is None else f"{100 * check.service_level:.1f}%"
        if check.half_width is not None and check.service_level is not None:
            level += f" ±{100 * check.half_width:.1f}"
        colour = _VERDICT_COLOUR.get(check.verdict, "#000") if check.certain else "#8a6d00"
        rows.append(
            f"<tr><td>{check.kind} {html.escape(check.name)}</td><td>{check.threshold_text}</td>"
            f"<td>{100 * check.target:g}%</td><td>{level}</td>"
            f'<td style="text-align:left;color:{colour}">{html.escape(check.verdict_text)}</td></tr>'
        )
    return f"<h2>Service-level targets</h2><table><tr>{head}</tr>{''.join(rows)}</table>"


def _staffing_html(result: Result) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("group", "agents", "shifts", "agent-hours", "skills", "slots")
    )
    rows = "".join(
        f"<tr><td>{html.escape(r.group)}</td><td>{r.agents}</td><td>{r.shifts}</td>"
        f"<td>{r.scheduled_hours:g}</td><td>{html.escape(r.skills)}</td>"
        f"<td>{html.escape(r.capacity)}</td></tr>"
        for r in staffing(result.scenario)
    )
    return f"<h2>Staffing</h2><table><tr>{head}</tr>{rows}</table>"


def _bars(ax: Any, starts: list[float], values: list[float | None], colour: str) -> None:
    hours = [s / 3600.0 for s in starts]
    width = (hours[1] - hours[0]) * 0.9 if len(hours) > 1 else 0.2
    ax.bar(hours, [v or 0.0 for v in values], width=width, align="edge", color=colour)
    ax.set_xlabel("hours from start")


def plot_offered(result: Result, ax: Any) -> None:
    """Contacts offered per interval (mean over replications). Cost: O(records)."""
    starts, offered = interval_means(result, "offered")
    _bars(ax, starts, offered, "#7a9cc6")
    ax.set_ylabel("contacts offered")


def plot_abandon_share(result: Result, ax: Any) -> None:
    """Share of the interval's arrivals that abandoned. Cost: O(records)."""
    starts, shares = interval_means(result, "p_abandon")
    _bars(ax, starts, [None if s is None else 100 * s for s in shares], "#d98c5f")
    ax.set_ylabel("abandon share %")


def plot_staffed(result: Result, ax: Any) -> None:
    """Agents logged in and not away (busy or idle), per interval, warm-up included.
    Cost: O(replications · intervals)."""
    runs = result.runs
    interval = runs[0].interval_seconds
    per_run = [r.staffed_agents() for r in runs]
    staffed = [sum(values) / len(runs) for values in zip(*per_run, strict=True)]
    _bars(ax, [interval * i for i in range(len(staffed))], list(staffed), "#8fbf8f")
    ax.set_xlabel("hours from start (warm-up included)")
    ax.set_ylabel("agents staffed (mean)")


INTERVAL_PLOTS = (
    ("offered.png", "Contacts offered per interval", plot_offered),
    ("abandon_share.png", "Abandon share per interval", plot_abandon_share),
    ("staffed.png", "Agents staffed (busy or idle) per interval", plot_staffed),
)
"""(file, title, draw) of the per-interval plots, added to the report's own."""
