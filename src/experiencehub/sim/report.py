"""Reports of a simulation: an HTML page with matplotlib plots, and the per-contact JSON-lines log.

This module owns presentation *files* (the terminal tables live in :mod:`experiencehub.cli`). It
reads a :class:`~experiencehub.sim.runs.Result`; it never simulates. matplotlib is imported only
when a report is written (it costs about half a second) and always with the Agg backend.

The event log holds one end-of-contact record per contact, in a CloudEvents 1.0 envelope, so a host
can upsert by ``subject`` (the contact id):

>>> from experiencehub.sim.kpi import ContactRecord
>>> r = ContactRecord("c1", "u1", "chat", "q", "vip", arrived_at=3.0, threshold=20.0,
...                   answered_at=4.0, ended_at=60.0, outcome="handled", agent_id="a-1")
>>> envelope = contact_event(r, scenario="demo", policy="longest_idle")
>>> envelope["type"], envelope["subject"], envelope["time"], envelope["data"]["wait"]
('com.experiencehub.sim.contact.ended', 'c1', '2000-01-01T00:01:00Z', 1.0)
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .kpi import KPI_KEYS, ContactRecord, interval_series

if TYPE_CHECKING:
    from .runs import Result

__all__ = ["EPOCH", "contact_event", "write_events", "write_html_report"]

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
"""Simulated second 0 as a timestamp in the event log (the simulator has no calendar)."""


# -- event log ------------------------------------------------------------------------------------
def contact_event(
    record: ContactRecord, *, scenario: str, policy: str, sequence: int = 0
) -> dict[str, Any]:
    """One contact's end-of-contact record in a CloudEvents 1.0 envelope. Cost: O(1)."""
    at = record.ended_at if record.ended_at is not None else record.arrived_at
    return {
        "specversion": "1.0",
        "id": f"{scenario}/{policy}/{record.replication}/{record.contact_id}",
        "source": f"experiencehub/sim/{scenario}",
        "type": "com.experiencehub.sim.contact.ended",
        "subject": record.contact_id,
        "time": _timestamp(at),
        "datacontenttype": "application/json",
        "sequence": sequence,
        "data": {**record.as_dict(), "policy": policy},
    }


def write_events(result: Result, path: str | Path) -> int:
    """Write every contact of every replication as one JSON line; returns the count. Cost: O(n)."""
    count = 0
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for record in result.records():
            envelope = contact_event(record, scenario=result.scenario.name, policy=result.policy)
            out.write(json.dumps(envelope, separators=(",", ":")) + "\n")
            count += 1
    return count


def _timestamp(seconds: float) -> str:
    moment = EPOCH + dt.timedelta(seconds=seconds)
    text = moment.isoformat(timespec="milliseconds" if seconds % 1 else "seconds")
    return text.replace("+00:00", "Z")


# -- HTML ---------------------------------------------------------------------------------------
_SHOWN = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "service_level",
    "asa",
    "p90_wait",
    "p_abandon",
    "occupancy",
    "transfers",
    "fcr_proxy",
)


def write_html_report(result: Result, directory: str | Path) -> Path:
    """Write ``index.html`` and its PNG plots into ``directory``; return the page's path.

    Plots: service level and waiting contacts over the day, wait-time distribution per channel,
    agent occupancy over the day, and the abandon curve. Cost: O(n) plus plotting (~1 s).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plot_all(result, out)
    page = out / "index.html"
    page.write_text(_page(result, plots), encoding="utf-8")
    return page


def _page(result: Result, plots: Sequence[tuple[str, str]]) -> str:
    rule = result.rule
    sim = result.scenario.simulation
    head = (
        f"<h1>{html.escape(result.scenario.name)}: policy {html.escape(result.policy)}</h1>"
        f"<p>Service level preset <b>{html.escape(rule.name)}</b>: {html.escape(rule.description)} "
        f"(short abandons &lt; {rule.short_abandon_seconds:g} s). {len(result.runs)} replication(s), "
        f"seed {sim.seed}, measured {sim.duration:g} s after a {sim.warmup:g} s warm-up. "
        "Values are means over replications ± 95% confidence half-widths.</p>"
    )
    tables = [_table("Overall", {"all contacts": (result.kpis["overall"], result.ci95["overall"])})]
    for group, title in (("by_channel", "By channel"), ("by_queue", "By queue"), ("by_segment", "By segment")):  # fmt: skip
        rows = {k: (v, result.ci95[group][k]) for k, v in result.kpis[group].items()}
        tables.append(_table(title, rows))
    images = "".join(
        f'<figure><img src="{name}" alt="{html.escape(alt)}"><figcaption>{html.escape(alt)}'
        "</figcaption></figure>"
        for name, alt in plots
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(result.scenario.name)}"
        f"</title><style>{style}</style></head><body>{head}{''.join(tables)}{images}"
        "<p>FCR and effort are proxies (no repeat contact within the window; contacts and "
        "transfers per customer), not survey measures. See docs/kpis.md.</p></body></html>"
    )


def _table(title: str, rows: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> str:
    header = "".join(f"<th>{k}</th>" for k in _SHOWN)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{format_value(k, kpis.get(k), ci.get(k))}</td>" for k in _SHOWN)
        + "</tr>"
        for name, (kpis, ci) in rows.items()
    )
    return f"<h2>{title}</h2><table><tr><th></th>{header}</tr>{body}</table>"


def format_value(key: str, value: Any, half: Any = None) -> str:
    """A KPI for humans: shares as percentages, seconds with one decimal, counts as integers.

    >>> format_value("service_level", 0.8123, 0.01), format_value("asa", 4.25), format_value("offered", 12.0)
    ('81.2% ±1.0', '4.2 s', '12')
    """
    if value is None:
        return "–"
    if key in ("p_wait", "p_abandon", "service_level", "occupancy", "fcr_proxy"):
        text = f"{100 * value:.1f}%"
        return text + (f" ±{100 * half:.1f}" if half else "")
    if key in ("asa", "mean_wait_all", "p90_wait"):
        return f"{value:.1f} s" + (f" ±{half:.1f}" if half else "")
    if key == "effort_proxy":
        return f"{value:.2f}" + (f" ±{half:.2f}" if half else "")
    text = f"{value:.0f}" if float(value).is_integer() or value >= 100 else f"{value:.1f}"
    return text + (f" ±{half:.0f}" if half and half >= 1 else "")


assert set(_SHOWN) <= set(KPI_KEYS)


# -- plots ----------------------------------------------------------------------------------------
def _plot_all(result: Result, out: Path) -> list[tuple[str, str]]:
    # imported here: matplotlib costs ~0.5 s at import and only reports need it
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plots = [
        ("service_level.png", "Service level and contacts waiting, per interval", _plot_sl_waiting),
        ("waits.png", "Wait-time distribution of answered contacts, per channel", _plot_waits),
        ("occupancy.png", "Agent occupancy per interval", _plot_occupancy),
        (
            "abandons.png",
            "Abandon curve: share of contacts abandoned by waiting time",
            _plot_abandons,
        ),
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


def _hours(values: Iterable[float]) -> list[float]:
    return [v / 3600.0 for v in values]


def _mean_series(result: Result, key: str) -> tuple[list[float], list[float | None]]:
    sim = result.scenario.simulation
    interval = result.scenario.kpis.interval_minutes * 60.0
    series = [
        interval_series(
            run.records,
            result.rule,
            start=sim.warmup,
            end=sim.warmup + sim.duration,
            interval=interval,
        )
        for run in result.runs
    ]
    starts = [float(s) for s in series[0]["start"] if s is not None]
    means: list[float | None] = []
    for i in range(len(starts)):
        values = [s[key][i] for s in series if s[key][i] is not None]
        means.append(sum(v for v in values if v is not None) / len(values) if values else None)
    return starts, means


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
    ax.legend()


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
    ax.legend()


def _measured(result: Result) -> Iterable[ContactRecord]:
    sim = result.scenario.simulation
    start, end = sim.warmup, sim.warmup + sim.duration
    return (r for r in result.records() if start <= r.arrived_at < end)
