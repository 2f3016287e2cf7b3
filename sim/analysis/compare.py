"""Baseline-versus-reform comparison: the `ttxsim compare --json` payload and its table.

Pure functions over a `ReplicationSet`. The payload shape is the contract of
design.md::

    {"replications": N,
     "metrics": {"clearance_hours": {
         "baseline": {"mean", "sd", "ci95": [lo, hi], "n", "missing"},
         "REFORM":   {..., "difference": {"mean", "sd", "ci95", "n",
                                          "better_share", "worse_share"}}}, ...}}

`difference` is REFORM minus baseline, paired replication by replication;
`better_share` is the share of pairs in which the reform did strictly better
(shorter for durations). Values that did not happen are counted in `missing`
and left out; a difference uses only pairs where both arms have the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.analysis.replications import ReplicationSet
from sim.analysis.stats import (
    lower_is_better,
    paired_difference,
    replications_for_half_width,
    summarize,
    t_quantile,
)
from sim.events import Kind
from sim.text import in_minutes

HEADLINE_METRICS = ("movement.moved", "movement.exposed", "movement.in_danger")
"""The figures every movement network reports (`metrics["movement"]`): first in the JSON, and on the
terminal for a scenario that declares no `metrics:` of its own (`sim.commands.analysis._table_metrics`)."""


def ordered_metrics(names: Sequence[str], first: Sequence[str] = HEADLINE_METRICS) -> list[str]:
    head = [m for m in first if m in names]
    return head + [m for m in names if m not in head]


@dataclass(frozen=True)
class MetricTraits:
    """What a scenario says about its metrics that the statistics need."""

    directions: Mapping[str, bool] = field(default_factory=dict)
    """Per metric, whether lower is better (see `objective_directions`); metrics not
    named here go by their name (`lower_is_better`)."""
    proportions: frozenset[str] = frozenset()
    """Metrics that are 1 or 0 per run (indicators, `objectives.<id>` rows): their
    intervals stay within [0, 1]."""

    @classmethod
    def of(cls, scenario: Any) -> MetricTraits:
        """The traits of a loaded scenario's metrics and objectives."""
        proportions = {m.id for m in scenario.metrics if m.kind == "indicator"}
        proportions |= {f"objectives.{o.id}" for o in scenario.objectives}
        directions = {**event_directions(scenario.metrics), **objective_directions(scenario.objectives)}
        return cls(directions, frozenset(proportions))


def compare(
    rs: ReplicationSet,
    metrics: Sequence[str] | None = None,
    digits: int | None = 4,
    traits: MetricTraits | None = None,
) -> dict[str, Any]:
    """The design.md payload for every metric (or the given ones), first arm = reference.

    `traits` (from `MetricTraits.of(scenario)`) give each metric its better direction
    and mark the 1-or-0 metrics whose intervals must stay within [0, 1]."""
    traits = traits or MetricTraits()
    names = ordered_metrics(rs.metric_names()) if metrics is None else list(metrics)
    reference, *others = rs.arm_names
    out: dict[str, Any] = {}
    for metric in names:
        share = metric in traits.proportions
        base_values = rs.values(reference, metric)
        entry: dict[str, Any] = {reference: summarize(base_values, proportion=share).as_dict(digits)}
        direction = traits.directions.get(metric, lower_is_better(metric))
        for arm in others:
            values = rs.values(arm, metric)
            row = summarize(values, proportion=share).as_dict(digits)
            difference = paired_difference(base_values, values, direction, proportion=share)
            row["difference"] = difference.as_dict(digits)
            entry[arm] = row
        out[metric] = entry
    return {"replications": rs.replications, "metrics": out}


COUNTED_EVENT_DIRECTIONS = {str(Kind.cohort_arrived): False, str(Kind.people_exposed): True}
"""Whether lower is better for a count of these movement events, whatever their filter: people who
reached a safe place are better many, people an area's deadline caught better few (as
`movement.moved` and `movement.exposed`)."""


def event_directions(metrics: Sequence[Any]) -> dict[str, bool]:
    """Which way is better for a scenario's `count` metrics of the movement's own events (a
    tsunami's `people_safe`), which no objective may target: without this their `better` was `-`
    beside a `97%` for the same people counted the other way (`exposed_people`, which has one)."""
    return {
        m.id: COUNTED_EVENT_DIRECTIONS[m.event]
        for m in metrics
        if m.kind == "count" and m.event in COUNTED_EVENT_DIRECTIONS
    }


def objective_directions(objectives: Sequence[Any]) -> dict[str, bool]:
    """Which way is better for the metrics a scenario's `objectives:` target: an `at_most`
    target means lower is better, an `at_least` target higher (a range says nothing);
    each objective's own row (`objectives.<id>`, 1 when met) is better high."""
    out: dict[str, bool] = {}
    for objective in objectives:
        out[f"objectives.{objective.id}"] = False
        if (objective.at_most is None) != (objective.at_least is None):
            out.setdefault(objective.metric, objective.at_most is not None)
    return out


def widest_half_width(rs: ReplicationSet, metric: str) -> float | None:
    """The widest 95% half-width among the arms' means and the paired differences.

    None while any of them is undefined (fewer than two values).
    """
    reference, *others = rs.arm_names
    base = rs.values(reference, metric)
    widths = [summarize(base).half_width]
    for arm in others:
        values = rs.values(arm, metric)
        widths.append(summarize(values).half_width)
        widths.append(paired_difference(base, values, None).half_width)
    if any(w is None for w in widths):
        return None
    return max(widths)


def next_batch(rs: ReplicationSet, metric: str, target: float, minimum: int, maximum_total: int) -> int:
    """How many replications to add to reach half-width `target` (0 when reached or capped).

    Estimates the need from the widest interval's sd, adds at least `minimum`
    (so a noisy early estimate cannot stall the loop) and never goes past
    `maximum_total`.
    """
    n = rs.replications
    room = maximum_total - n
    if room <= 0:
        return 0
    width = widest_half_width(rs, metric)
    if width is not None and width <= target:
        return 0
    if width is None:
        return min(room, max(minimum, n))
    sd = width * math.sqrt(n) / _t(n)
    needed = replications_for_half_width(sd, target, n) - n
    return min(room, max(minimum, math.ceil(needed * 1.1)))


def _t(n: int) -> float:
    return t_quantile(0.975, max(1, n - 1))


# ---------------------------------------------------------------------------
# Terminal table
# ---------------------------------------------------------------------------


def _fmt(value: float | None, width: int = 8, digits: int = 1) -> str:
    if value is None:
        return f"{'-':>{width}}"
    if abs(value) >= 10_000:
        return f"{value:>{width},.0f}"
    return f"{value:>{width}.{digits}f}"


def _interval(ci: Sequence[float] | None, digits: int = 1) -> str:
    if ci is None:
        return f"{'-':<20}"
    return f"[{_fmt(ci[0], 0, digits).strip()}, {_fmt(ci[1], 0, digits).strip()}]".ljust(20)


def _shown_as(metric: str, rows: dict[str, Any], in_hours: bool | None = None) -> tuple[str, float, int]:
    """How a metric's block reads: (unit label, factor, decimals). Times under two hours in minutes
    (a tsunami's order: 10.7, not 0.2 hours); values under 10 with two decimals and under 1 with
    three (a share of 0.522, not 0.5), so a difference the table reports is one a reader can see.
    `in_hours`: whether the values are hours (default: the metric's name ends in `_hours`); the
    figures pass it for a scenario's time metrics of any name and read their axes the same way."""
    means = [abs(row["mean"]) for row in rows.values() if row.get("mean") is not None]
    largest = max(means, default=0.0)
    if metric.endswith("_hours") if in_hours is None else in_hours:
        if in_minutes(largest):
            return " (minutes)", 60.0, 1
        return " (hours)", 1.0, 1
    return "", 1.0, 1 if largest >= 10 else 3 if largest < 1 else 2


def _scaled(row: dict[str, Any], factor: float) -> dict[str, Any]:
    """A table row with its figures times `factor` (counts, shares and `better` as they are)."""
    if factor == 1.0:
        return row

    def times(value):
        return None if value is None else value * factor

    def interval(ci):
        return None if ci is None else [ci[0] * factor, ci[1] * factor]

    scaled = {**row, "mean": times(row.get("mean")), "sd": times(row.get("sd")), "ci95": interval(row.get("ci95"))}
    diff = row.get("difference")
    if diff is not None:
        scaled["difference"] = {**diff, "mean": times(diff.get("mean")), "ci95": interval(diff.get("ci95"))}
    return scaled


BETTER_LEGEND = (
    "(better: share of pairs in which the arm did strictly better than the first; "
    "-: no known better direction, see docs/analyst-guide.md)"
)
"""The one line under a table with a `better` column: what its share is and why it may be `-`."""


def render_table(
    payload: dict[str, Any],
    metrics: Sequence[str] | None = None,
    title: str = "",
    label: Callable[[str], str] | None = None,
    requested: Sequence[str] = (),
) -> str:
    """The summary table for the terminal: one block per metric, one line per arm.

    `requested` metrics that are not in the payload are named in a last line.
    """
    table = payload["metrics"]
    candidates = [m for m in (metrics or HEADLINE_METRICS) if m in table]
    names = [m for m in candidates if any(row["n"] for row in table[m].values())]
    never = [m for m in candidates if m not in names]
    arms = {arm for m in names for arm in table[m]}
    width = max([len(label(a) if label else a) for a in arms] + [8]) + 2
    lines = []
    if title:
        lines += [title, ""]
    header = (
        f"  {'arm':<{width}}{'mean':>8}{'sd':>8}  {'95% CI':<20}{'n':>6}{'miss':>6}   "
        f"{'difference vs first arm [95% CI]':<34}{'better':>7}"
    )
    lines.append(header)
    for metric in names:
        unit, factor, digits = _shown_as(metric, table[metric])
        lines.append(f"{metric}{unit}")
        for arm, raw in table[metric].items():
            row = _scaled(raw, factor)
            name = label(arm) if label else arm
            text = (
                f"  {name:<{width}}{_fmt(row['mean'], digits=digits)}{_fmt(row['sd'], digits=digits)}  "
                f"{_interval(row['ci95'], digits)}{row['n']:>6}{row['missing']:>6}"
            )
            diff = row.get("difference")
            if diff is not None:
                if diff["mean"] is None:
                    shown = "-"
                else:
                    shown = f"{diff['mean']:+.{digits}f} " + (
                        _interval(diff["ci95"], digits).strip() if diff["ci95"] else ""
                    )
                share = "-" if diff["better_share"] is None else f"{100 * diff['better_share']:.0f}%"
                text += f"   {shown:<34}{share:>7}"
            lines.append(text.rstrip())
    if never:
        lines.append(f"(did not happen in any replication: {', '.join(never)})")
    if any(len(table[m]) > 1 for m in names):
        lines.append(BETTER_LEGEND)
    missing = [m for m in requested if m not in table]
    if missing:
        lines.append(f"(no such metric in the results: {', '.join(missing)})")
    return "\n".join(lines)
