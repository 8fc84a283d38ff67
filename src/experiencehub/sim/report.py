"""Reports of a simulation: HTML pages with matplotlib plots, and the per-contact JSON-lines log.

This module owns presentation *files* and how a KPI value reads (the terminal tables live in
:mod:`experiencehub.cli` and format with :func:`format_value`). It reads a
:class:`~experiencehub.sim.runs.Result` or :class:`~experiencehub.sim.runs.Comparison`; it never
simulates. matplotlib is imported only when a report is written (it costs about half a second) and
always with the Agg backend.

The event log holds one end-of-contact record per contact, in a CloudEvents 1.0 envelope, so a host
can upsert by ``subject`` (the contact id); ``time`` counts from a caller-given epoch (the
simulator has no calendar), ``sequence`` is the record's number within its contact (one
end-of-contact record: always the first, so a re-sent record replaces it) and ``data.warmup``
flags contacts that arrived before the measured window:

>>> import datetime as dt
>>> from experiencehub.sim.kpi import ContactRecord
>>> r = ContactRecord("c1", "u1", "chat", "q", "vip", arrived_at=3.0, threshold=20.0,
...                   answered_at=4.0, ended_at=60.0, outcome="handled", agent_id="a-1")
>>> envelope = contact_event(r, scenario="demo", policy="longest_idle", measured_from=0.0,
...                          epoch=dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc))
>>> envelope["type"], envelope["subject"], envelope["time"], envelope["sequence"]
('com.experiencehub.sim.contact.ended', 'c1', '2026-12-02T08:01:00Z', '0000000001')
>>> envelope["data"]["wait"], envelope["data"]["warmup"]
(1.0, False)
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..wire import Sequencer, rfc3339
from .closures import change_notes
from .confidence import block_columns
from .consults import CONSULT_KPI_KEYS, consult_columns
from .kpi import (
    AGENT_LOAD_KPI_KEYS,
    COST_KPI_KEYS,
    GROUP_KPI_KEYS,
    KPI_KEYS,
    Blocks,
    ContactRecord,
)
from .queued_callbacks import CALLBACK_KPI_KEYS, callback_columns
from .report_plots import plot_frontier, plot_result
from .report_sections import (
    comparison_warnings_html,
    result_sections_html,
)
from .self_service import SELF_SERVICE_KPI_KEYS, self_service_columns
from .wait_estimates import ESTIMATED_WAIT_KPI_KEYS

if TYPE_CHECKING:
    from .runs import Comparison, Result

__all__ = [
    "EPOCH",
    "TABLE_KPIS",
    "block_of",
    "contact_event",
    "format_difference",
    "format_value",
    "shown_kpis",
    "shown_load_kpis",
    "write_comparison_report",
    "write_events",
    "write_html_report",
]

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
"""Simulated second 0 as a timestamp in the event log when the caller gives no epoch."""


# -- event log ------------------------------------------------------------------------------------
def contact_event(
    record: ContactRecord,
    *,
    scenario: str,
    policy: str,
    measured_from: float,
    epoch: dt.datetime = EPOCH,
) -> dict[str, Any]:
    """One contact's end-of-contact record in a CloudEvents 1.0 envelope; ``measured_from`` is
    the start of the measured window (earlier arrivals are flagged ``warmup``). Cost: O(1)."""
    at = record.ended_at if record.ended_at is not None else record.arrived_at
    return {
        "specversion": "1.0",
        "id": f"{scenario}/{policy}/{record.replication}/{record.contact_id}",
        "source": f"experiencehub/sim/{scenario}/{policy}/{record.replication}",
        "type": "com.experiencehub.sim.contact.ended",
        "subject": record.contact_id,
        "time": rfc3339(at, epoch),
        "datacontenttype": "application/json",
        "sequence": _FIRST,
        "data": {
            **record.as_dict(),
            "policy": policy,
            "warmup": record.arrived_at < measured_from,
        },
    }


_FIRST = Sequencer().next("contact")  # the first number of a contact's sequence


def write_events(result: Result, path: str | Path, *, epoch: dt.datetime = EPOCH) -> int:
    """Write every contact of every replication as one JSON line, times counted from ``epoch``;
    returns the count. Cost: O(n)."""
    count = 0
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    start = result.scenario.simulation.warmup
    with target.open("w", encoding="utf-8") as out:
        for record in result.records:
            envelope = contact_event(record, scenario=result.scenario.name, policy=result.policy,
                                     measured_from=start, epoch=epoch)  # fmt: skip
            out.write(json.dumps(envelope, separators=(",", ":")) + "\n")
            count += 1
    return count


# -- tables -------------------------------------------------------------------------------------
TABLE_KPIS = (
    "offered", "answered", "abandoned", "short_abandoned", "closed", "service_level", "asa", "p90_wait",
    "p_abandon", "aht", "acw", "occupancy", "transfers", "fcr_proxy", "fcr", "contacts_per_issue",
    "time_to_resolution", "repeat_asks",
)  # fmt: skip
"""KPIs of the report and terminal tables, in order."""

_OPTIONAL_KPIS = frozenset(
    {"aht", "acw", "fcr", "contacts_per_issue", "time_to_resolution", "repeat_asks"}
)
# Customer-model KPIs are None in whole tables (repeat_asks without context asks, or any of them
# before a run produced them); an empty row says nothing, so a table leaves it out.

_PERCENT = frozenset(
    {"p_wait", "p_abandon", "service_level", "occupancy", "fcr_proxy", "fcr", "p_resolved",
     "slot_utilisation", "resolution", "away_share", "occupancy_min", "occupancy_max",
     "deflection_rate", "facts_share"}
)  # fmt: skip
_SECONDS = frozenset(
    {"asa", "mean_wait_all", "p90_wait", "time_to_resolution", "aht", "acw", "time_in_self_service",
     "mean_estimate", "mean_actual", "mean_absolute_error", "bias", "request_to_connected"}
)  # fmt: skip
_TWO_DECIMALS = frozenset(
    {
        "effort_proxy",
        "repeat_asks",
        "asks",
        "agent_cost",
        "cost_per_contact",
        "cost_per_resolved_issue",
    }
)
_THREE_DECIMALS = frozenset({"contacts_per_issue", "occupancy_gini"})  # thousandths matter
_HOURS = frozenset({"longest_stretch"})  # seconds, shown in hours
_WHEN_COUNTED = frozenset({"closed"})  # shown only when some block counts any (rare outcomes)


def shown_kpis(blocks: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The :data:`TABLE_KPIS` a table of these blocks shows: all, except customer-model KPIs that
    no block has a value for, and ``closed`` when no block counts any. Cost: O(blocks · KPIs).

    >>> shown = shown_kpis([{"asa": 4.0, "fcr": None, "aht": 40.0}, {"asa": None}])
    >>> "asa" in shown, "aht" in shown, "fcr" in shown, "offered" in shown
    (True, True, False, True)
    """
    blocks = list(blocks)
    present = {key for block in blocks for key, value in block.items() if value is not None}
    counted = {key for block in blocks for key in _WHEN_COUNTED if block.get(key)}
    return tuple(
        k
        for k in TABLE_KPIS
        if (k not in _OPTIONAL_KPIS or k in present) and (k not in _WHEN_COUNTED or k in counted)
    )


def shown_load_kpis(blocks: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The :data:`~experiencehub.sim.kpi.AGENT_LOAD_KPI_KEYS` a table of these blocks shows: all,
    except cost KPIs no block has a value for (no group has a ``cost_per_hour``).
    Cost: O(blocks · KPIs).

    >>> shown_load_kpis([{"agent_cost": None, "staffed_hours": 8.0}])[:2]
    ('staffed_hours', 'occupancy_min')
    """
    present = {key for block in blocks for key, value in block.items() if value is not None}
    costs = set(COST_KPI_KEYS) - {"staffed_hours"}
    return tuple(k for k in AGENT_LOAD_KPI_KEYS if k not in costs or k in present)


def block_of(blocks: Blocks, group: str, key: str | None = None) -> dict[str, Any]:
    """One KPI block of a run's (or a summary's) blocks, empty when it is missing. Cost: O(1).

    >>> block_of({"by_queue": {"q": {"asa": 2.0}}}, "by_queue", "q"), block_of({}, "overall")
    ({'asa': 2.0}, {})
    """
    found = blocks.get(group) or {}
    return dict((found.get(key) or {}) if key is not None else found)


def format_value(key: str, value: Any, half: Any = None) -> str:
    """A KPI for humans: shares as percentages, seconds with one decimal, ratios with two (three
    for contacts per issue), counts as integers; ``half`` (a 95% CI half-width) follows with ±. Cost: O(1).

    >>> format_value("service_level", 0.8123, 0.01), format_value("asa", 4.25), format_value("offered", 12.0)
    ('81.2% ±1.0', '4.2 s', '12')
    >>> format_value("fcr", 0.7), format_value("aht", 312.04, 9.5), format_value("contacts_per_issue", 1.234)
    ('70.0%', '312.0 s ±9.5', '1.234')
    >>> format_value("longest_stretch", 9000.0), format_value("cost_per_contact", 4.567)
    ('2.50 h', '4.57')
    """
    if value is None:
        return "–"
    if key in _PERCENT:
        text = f"{100 * value:.1f}%"
        return text + (f" ±{100 * half:.1f}" if half else "")
    if key in _SECONDS:
        return f"{value:.1f} s" + (f" ±{half:.1f}" if half else "")
    if key in _HOURS:
        return f"{value / 3600:.2f} h" + (f" ±{half / 3600:.2f}" if half else "")
    if key in _TWO_DECIMALS:
        return f"{value:.2f}" + (f" ±{half:.2f}" if half else "")
    if key in _THREE_DECIMALS:
        return f"{value:.3f}" + (f" ±{half:.3f}" if half else "")
    text = f"{value:.0f}" if float(value).is_integer() or value >= 100 else f"{value:.1f}"
    return text + (f" ±{half:.0f}" if half and half >= 1 else "")


def format_difference(key: str, value: Any, half: Any = None) -> str:
    """A paired difference with its sign, formatted like :func:`format_value`. Cost: O(1).

    >>> format_difference("asa", -2.0, 0.5), format_difference("fcr", 0.05), format_difference("aht", None)
    ('−2.0 s ±0.5', '+5.0%', '–')
    """
    if value is None:
        return "–"
    return ("+" if value >= 0 else "−") + format_value(key, abs(value), half)


assert set(TABLE_KPIS) <= set(KPI_KEYS)


# -- HTML: one result -----------------------------------------------------------------------------
def write_html_report(result: Result, directory: str | Path) -> Path:
    """Write ``index.html`` and its PNG plots into ``directory``; return the page's path.

    Plots: service level and waiting contacts over the day, wait-time distribution per channel,
    agent occupancy over the day, and the abandon curve. Cost: O(n) plus plotting (~1 s).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    plots = plot_result(result, out)
    page = out / "index.html"
    page.write_text(_page(result, plots), encoding="utf-8")
    return page


def _page(result: Result, plots: Sequence[tuple[str, str]]) -> str:
    rule = result.rule
    sim = result.scenario.simulation
    context = "on" if result.context else "off"
    head = (
        f"<h1>{html.escape(result.scenario.name)}: policy {html.escape(result.policy)}</h1>"
        f"<p>Service level preset <b>{html.escape(rule.name)}</b>: {html.escape(rule.description)} "
        f"(short abandons &lt; {rule.short_abandon_seconds:g} s). {len(result.runs)} replication(s), "
        f"seed {sim.seed}, measured {sim.duration:g} s after a {sim.warmup:g} s warm-up, context "
        f"{context}. Values are means over replications ± 95% confidence half-widths.</p>"
    )
    changes = change_notes(result.scenario.queues)
    if changes:
        head += f"<p>Queues changed during the run: {html.escape('; '.join(changes))}.</p>"
    tables = [_table("Overall", {"all contacts": (result.kpis["overall"], result.ci95["overall"])})]
    for group, title in (("by_channel", "By channel"), ("by_queue", "By queue"), ("by_segment", "By segment")):  # fmt: skip
        rows = {k: (v, result.ci95[group][k]) for k, v in result.kpis[group].items()}
        tables.append(_table(title, rows))
    groups = result.kpis.get("by_group") or {}
    if groups:
        rows = {k: (v, result.ci95["by_group"].get(k, {})) for k, v in groups.items()}
        tables.append(_table("By agent group", rows, GROUP_KPI_KEYS))
    load = {"all agents": (result.kpis["overall"], result.ci95["overall"])}
    load.update({k: (v, result.ci95["by_group"].get(k, {})) for k, v in groups.items()})
    tables.append(_table("Agent load and cost", load, shown_load_kpis(v for v, _ in load.values())))
    if (result.kpis.get("estimated_wait") or {}).get("overall", {}).get("estimated"):
        columns = block_columns(result.kpis, result.ci95, "estimated_wait")
        tables.append(_table("Estimated wait accuracy", columns, ESTIMATED_WAIT_KPI_KEYS))
    if result.kpis.get("callbacks"):
        tables.append(
            _table(
                "Queued callbacks", callback_columns(result.kpis, result.ci95), CALLBACK_KPI_KEYS
            )
        )
    if result.kpis.get("self_service"):
        tables.append(
            _table(
                "Self-service",
                self_service_columns(result.kpis, result.ci95),
                SELF_SERVICE_KPI_KEYS,
            )
        )
    if result.kpis.get("consults"):
        tables.append(
            _table(
                "Consults and warm transfers",
                consult_columns(result.kpis, result.ci95),
                CONSULT_KPI_KEYS,
            )
        )
    images = "".join(_figure(name, alt) for name, alt in plots)
    head += result_sections_html(result)  # warnings, targets met or missed, staffing
    return _document(
        result.scenario.name,
        f"{head}{''.join(tables)}{images}<p>FCR (proxy) and effort are proxies (no repeat contact "
        "within the window; contacts and transfers per customer), not survey measures. See "
        "docs/kpis.md.</p>",
    )


def _table(
    title: str,
    rows: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    keys: Sequence[str] | None = None,
) -> str:
    """Blocks as rows, KPIs as columns (``keys``, default: :func:`shown_kpis` of the rows)."""
    shown = shown_kpis(kpis for kpis, _ in rows.values()) if keys is None else keys
    header = "".join(f"<th>{k}</th>" for k in shown)
    body = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{format_value(k, kpis.get(k), ci.get(k))}</td>" for k in shown)
        + "</tr>"
        for name, (kpis, ci) in rows.items()
    )
    return f"<h2>{title}</h2><table><tr><th></th>{header}</tr>{body}</table>"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
    "text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}"
)


def _document(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _figure(name: str, alt: str) -> str:
    return (
        f'<figure><img src="{name}" alt="{html.escape(alt)}"><figcaption>{html.escape(alt)}'
        "</figcaption></figure>"
    )


# -- HTML: a comparison ---------------------------------------------------------------------------
def write_comparison_report(comparison: Comparison, directory: str | Path) -> Path:
    """Write ``index.html`` (KPIs of every variant with paired differences against the first,
    overall and per queue) and ``frontier.png`` into ``directory``; return the page's path.

    The frontier plots one point per variant: mean wait of answered contacts (ASA) against first
    contact resolution (p_resolved when no variant has FCR), and ASA against contacts per issue,
    with 95% CI bars both ways. Cost: O(variants · KPIs) plus plotting (~1 s).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    plots = [plot_frontier(comparison, out)]
    page = out / "index.html"
    page.write_text(_comparison_page(comparison, plots), encoding="utf-8")
    return page


def _comparison_page(comparison: Comparison, plots: Sequence[tuple[str, str]]) -> str:
    base = comparison.baseline
    rule = base.rule
    variants = ", ".join(html.escape(r.label) for r in comparison.results)
    head = (
        f"<h1>{html.escape(base.scenario.name)}: {len(comparison.results)} variants</h1>"
        f"<p>{variants}. {len(base.runs)} replication(s) with common random numbers (seed "
        f"{base.scenario.simulation.seed}). Service level preset <b>{html.escape(rule.name)}</b>: "
        f"{html.escape(rule.description)}. Values are means ± 95% confidence half-widths; "
        f"differences are paired by replication: variant − {html.escape(base.label)}.</p>"
    )
    tables = [_comparison_table("Overall", comparison, "overall", None)]
    for queue in base.kpis["by_queue"]:
        tables.append(_comparison_table(f"Queue {queue}", comparison, "by_queue", queue))
    images = "".join(_figure(name, alt) for name, alt in plots)
    head += comparison_warnings_html(comparison)
    return _document(f"{base.scenario.name}: comparison", f"{head}{''.join(tables)}{images}")


def _comparison_table(title: str, comparison: Comparison, group: str, key: str | None) -> str:
    """KPIs as rows; each variant, then each difference against the baseline, as columns."""
    base, others = comparison.baseline, comparison.results[1:]

    def pick(blocks: Blocks) -> dict[str, Any]:
        return block_of(blocks, group, key)

    diffs = [comparison.differences[r.label] for r in others]
    blocks = [pick(r.kpis) for r in comparison.results]
    header = "".join(f"<th>{html.escape(r.label)}</th>" for r in comparison.results) + "".join(
        f"<th>{html.escape(r.label)} − {html.escape(base.label)}</th>" for r in others
    )
    rows = []
    for name in shown_kpis(blocks):
        cells = [
            format_value(name, kpis.get(name), pick(r.ci95).get(name))
            for kpis, r in zip(blocks, comparison.results, strict=True)
        ]
        cells += [format_difference(name, pick(m).get(name), pick(h).get(name)) for m, h in diffs]
        rows.append(f"<tr><td>{name}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<h2>{html.escape(title)}</h2><table><tr><th></th>{header}</tr>{''.join(rows)}</table>"
