"""The plots of a simulation's HTML reports (matplotlib, Agg backend), written as PNG files.

:mod:`.report` lays out the pages and calls :func:`plot_result` for a run and
:func:`plot_frontier` for a comparison; each returns ``(file name, title)`` pairs for the page.
matplotlib is imported only when a plot is drawn (it costs about half a second at import).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .kpi import ContactRecord
from .report_sections import INTERVAL_PLOTS, interval_means

if TYPE_CHECKING:
    from .runs import Comparison, Result

__all__ = ["plot_frontier", "plot_result"]


def _pyplot() -> Any:
    # imported here: matplotlib costs ~0.5 s at import and only reports need it
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def plot_result(result: Result, out: Path) -> list[tuple[str, str]]:
    plt = _pyplot()
    plots = [
        ("service_level.png", "Service level and contacts waiting, per interval", _plot_sl_waiting),
        ("waits.png", "Wait-time distribution of answered contacts, per channel", _plot_waits),
        ("occupancy.png", "Agent occupancy per interval", _plot_occupancy),
        (
            "abandons.png",
            "Abandon curve: share of contacts abandoned by waiting time",
            _plot_abandons,
        ),
        *INTERVAL_PLOTS,
    ]
    done = []
    for name, title, draw in plots:
        fig, ax = plt.subplots(figsize=(9, 4))
        draw(result, ax)
        ax.set_title(title)
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        done.append((name, title))
    return done


def plot_frontier(comparison: Comparison, out: Path) -> tuple[str, str]:
    plt = _pyplot()
    results = comparison.results
    resolution = (
        "fcr" if any(r.kpis["overall"].get("fcr") is not None for r in results) else "p_resolved"
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    _frontier_panel(left, results, resolution, 100.0)
    left.set_ylabel(_FRONTIER_AXES[resolution])
    _frontier_panel(right, results, "contacts_per_issue", 1.0)
    right.set_ylabel(_FRONTIER_AXES["contacts_per_issue"])
    title = "Waiting versus resolution: one point per variant (mean, 95% CI bars)"
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out / "frontier.png", dpi=90)
    plt.close(fig)
    return "frontier.png", title


_FRONTIER_AXES = {
    "fcr": "first contact resolution %",
    "p_resolved": "issues resolved %",
    "contacts_per_issue": "contacts per issue",
}


def _frontier_panel(ax: Any, results: Sequence[Result], key: str, scale: float) -> None:
    """One labelled point per variant at (ASA, ``key`` × ``scale``) with CI bars both ways."""
    points = []
    for i, result in enumerate(results):
        kpis, ci = result.kpis["overall"], result.ci95["overall"]
        x, y = kpis.get("asa"), kpis.get(key)
        if x is not None and y is not None:
            points.append((i, result.label, x, scale * y, ci.get("asa"), ci.get(key)))
    offsets = _label_offsets([y for _, _, _, y, _, _ in points])
    for (i, label, x, y, xerr, yerr), offset in zip(points, offsets, strict=True):
        ax.errorbar(
            x, y, xerr=xerr or 0.0, yerr=scale * (yerr or 0.0), fmt="o", capsize=4,
            color=f"C{i}", label=label,
        )  # fmt: skip
        ax.annotate(label, (x, y), xytext=offset, textcoords="offset points", fontsize=8)
    if points:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, f"no {key} values", transform=ax.transAxes, ha="center")
    ax.set_xlabel("ASA: mean wait of answered contacts, seconds")


def _label_offsets(ys: Sequence[float]) -> list[tuple[int, int]]:
    """Label offsets in points: the upper half of the points labelled above, the lower half below,
    stacked outward by rank so labels of close points (variants that hardly differ) stay apart.

    >>> _label_offsets([0.5, 0.7, 0.5])
    [(6, -14), (6, 18), (6, 6)]
    """
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    half = len(ys) // 2
    offsets = [(6, 6)] * len(ys)
    for rank, i in enumerate(order):
        offsets[i] = (
            (6, 6 + 12 * (rank - half)) if rank >= half else (6, -14 - 12 * (half - 1 - rank))
        )
    return offsets


def _hours(values: Iterable[float]) -> list[float]:
    return [v / 3600.0 for v in values]


def _mean_series(result: Result, key: str) -> tuple[list[float], list[float | None]]:
    return interval_means(result, key)


def _plot_sl_waiting(result: Result, ax: Any) -> None:
    starts, sl = _mean_series(result, "service_level")
    _, waiting = _mean_series(result, "waiting")
    hours = _hours(starts)
    width = (hours[1] - hours[0]) * 0.8 if len(hours) > 1 else 0.2
    twin = ax.twinx()
    twin.bar(
        hours,
        [w or 0.0 for w in waiting],
        width=width,
        align="edge",
        color="#cfd8e6",
        label="waiting",
    )
    twin.set_ylabel("contacts waiting (mean)")
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(
        [h + width / 2 for h in hours],
        [None if v is None else 100 * v for v in sl],
        "o-",
        color="#1f5aa6",
    )
    ax.set_ylabel(f"service level % ({result.rule.name})")
    ax.set_xlabel("hours from start")
    ax.set_ylim(0, 105)


def _plot_waits(result: Result, ax: Any) -> None:
    by_channel: dict[str, list[float]] = {}
    for record in _measured(result):
        if record.answered_at is not None:
            by_channel.setdefault(record.channel, []).append(record.answered_at - record.arrived_at)
    for channel, waits in sorted(by_channel.items()):
        waits.sort()
        n = len(waits)
        ax.step(waits, [(i + 1) / n for i in range(n)], where="post", label=f"{channel} (n={n})")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("wait until answered, seconds")
    ax.set_ylabel("share answered within")
    _legend_or_say(ax, by_channel, "no contact answered in the measured window")


def _plot_occupancy(result: Result, ax: Any) -> None:
    runs = result.runs
    count = len(runs[0].occupancy_busy)
    shares = []
    for i in range(count):
        busy = sum(r.occupancy_busy[i] for r in runs)
        idle = sum(r.occupancy_idle[i] for r in runs)
        shares.append(100 * busy / (busy + idle) if busy + idle > 0 else None)
    interval = runs[0].interval_seconds
    ax.plot(_hours(interval * (i + 0.5) for i in range(count)), shares, "o-", color="#2a7f3f")
    ax.set_ylim(0, 105)
    ax.set_xlabel("hours from start (warm-up included)")
    ax.set_ylabel("occupancy %")


def _plot_abandons(result: Result, ax: Any) -> None:
    offered: dict[str, int] = {}
    waits: dict[str, list[float]] = {}
    for record in _measured(result):
        offered[record.channel] = offered.get(record.channel, 0) + 1
        if record.outcome == "abandoned" and record.wait is not None:
            waits.setdefault(record.channel, []).append(record.wait)
    for channel, total in sorted(offered.items()):
        times = sorted(waits.get(channel, []))
        if not times:
            continue
        ax.step(
            times, [100 * (i + 1) / total for i in range(len(times))], where="post", label=channel
        )
    ax.set_xlabel("seconds waited before abandoning")
    ax.set_ylabel("% of offered contacts abandoned")
    _legend_or_say(ax, waits, "no contact abandoned in the measured window")


def _legend_or_say(ax: Any, lines: dict[str, list[float]], empty: str) -> None:
    """A legend for the plot's lines, or, when it has none, a note saying why it is empty
    (matplotlib would warn of a legend without labels)."""
    if lines:
        ax.legend()
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)


def _measured(result: Result) -> Iterable[ContactRecord]:
    sim = result.scenario.simulation
    start, end = sim.warmup, sim.warmup + sim.duration
    return (r for r in result.records if start <= r.arrived_at < end)
