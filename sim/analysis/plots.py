"""Figures of a comparison or a sweep (matplotlib, PNG and SVG).

Imported only when a figure is asked for: matplotlib is the `analysis`
extra, and `require_matplotlib()` turns its absence into one clear sentence.
Every figure is drawn from the same numbers that are written beside it
(replications.csv, curves.csv, summary.json), never from anything else.

Figures:
* evacuation curves: people of a movement network still in danger over time (hours after T+0),
  median and 90% band (5%-95% of replications) per arm;
* completion: the scenario's metric of the movement's completion per arm (box plot, mean and 95% CI);
* seams: distributions of the scenario's own span metrics (its time metrics if it has no spans)
  that some run reached, legends under each panel; a note names the ones no run reached;
* distributions: the same for the headline metrics that are neither times nor 1-or-0 (a count
  of people, a state's value) and differ between the arms, when there are any;
* differences: paired difference from the baseline with its 95% CI for the headline metrics of
  every kind (`difference_metrics`: `--metric`, else the objectives' metrics and the compare
  headline list, then the scenario's own metrics that differ; at most `MOST_DIFFERENCE_METRICS`),
  a panel per scale (`difference_groups`: all times in minutes or hours, all 1-or-0 metrics in
  percentage points of the runs, each other metric on its own axis); a footnote counts the
  others, which summary.json/summary.txt hold;
* sweep: a metric's mean and 95% CI against a swept parameter;
* overview (`--plot`, and overview.png/.svg in `--out`): curves, completion, two distributions
  (`distribution_metrics`: the ones that differ between the arms first) and the paired
  differences on one page;

Times read as the compare table reads them (`sim.analysis.compare._shown_as`): minutes when
every arm's mean is under two hours, else hours; labels format them with `sim.text.duration_text`.
* sensitivity: Morris mu*-sigma and a ranked bar chart, or Sobol S1/ST bars.

Fit for a paper: labels and titles come from the scenario's own titles
(`Labels`: a reform's `title:`, a decision's question, a metric's `title:`),
never raw ids; every title names the scenario; lines that overlap stay
visible (a line style and a marker per arm, translucent bands); every figure
is written as PNG at 300 dpi and as SVG.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.replications import ReplicationSet
from sim.text import duration_text

EXTRA_HINT = "install the analysis extra, e.g. pip install 'ttxsim[analysis]'"

LABELS = {
    "movement.population": "People to move",
    "movement.moved": "People safe",
    "movement.exposed": "People caught by the danger",
    "movement.in_danger": "People still in danger at the end",
}
"""Labels of a movement network's own figures; a scenario's metrics are labelled by their `title:`."""


DPI = 300
"""PNG resolution: print quality for a journal column."""
LINE_STYLES = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


@dataclass(frozen=True)
class Labels:
    """Readable names for a figure, taken from the scenario (never raw ids where a title exists)."""

    scenario: str = ""
    """The scenario's title, put in every figure title."""
    arms: Mapping[str, str] = field(default_factory=dict)
    """Arm (reform id) -> the reform's title."""
    metrics: Mapping[str, str] = field(default_factory=dict)
    """Metric id -> label with its unit."""
    seams: Sequence[str] = ()
    """The scenario's span metrics (its time metrics if it has no spans), in declaration order: the
    distributions the seams figure draws."""
    headline: Sequence[str] = ()
    """The metrics the scenario's `objectives:` target, in declaration order: with the compare
    headline list, the rows the differences figure draws first."""
    hours: frozenset[str] = frozenset()
    """The scenario's metrics measured in hours (span, time and event-time kinds), whatever their id."""
    shares: frozenset[str] = frozenset()
    """Metrics that are 1 or 0 per run (indicators, `objectives.<id>` rows): drawn as shares of runs."""
    declared: Sequence[str] = ()
    """The scenario's own `metrics:`, in declaration order: after the objectives' metrics, those
    that differ between the arms are the next the differences figure draws."""
    completion: str | None = None
    """The scenario's metric of when its movement network completed (`completion_metric`): the
    completion figure and the overview's box plot; None draws neither."""

    def arm(self, name: str) -> str:
        """A reform arm's title; `a+b` joins both titles; unknown names stay as they are."""
        if name in self.arms:
            return self.arms[name]
        if "+" in name:
            return " + ".join(self.arms.get(part, part) for part in name.split("+"))
        return name

    def metric(self, name: str) -> str:
        return self.metrics.get(name) or LABELS.get(name) or name

    def title(self, text: str) -> str:
        return f"{self.scenario}: {text}" if self.scenario else text


def labels_for(scenario: Any) -> Labels:
    """Labels from a validated scenario: reform titles, decision questions and metric titles."""
    arms = {"baseline": "Baseline (as written)", "session": "Class session (recorded decisions)"}
    for reform in getattr(scenario, "reforms", None) or []:
        arms[reform.id] = reform.title or reform.id
    metrics: dict[str, str] = {}
    declared = getattr(scenario, "metrics", None) or []
    seams = [m.id for m in declared if str(getattr(m, "kind", "")) == "span"] or [
        m.id for m in declared if str(getattr(m, "kind", "")) == "time"
    ]
    for decision in getattr(scenario, "decisions", None) or []:
        question = decision.title.rstrip("?")
        metrics[f"decisions.{decision.id}.taken_hours"] = f"{question}: decided (h after T+0)"
        metrics[f"decisions.{decision.id}.came_up_hours"] = f"{question}: came up (h after T+0)"
    hours = frozenset(m.id for m in declared if str(getattr(m, "kind", "")) in HOUR_KINDS)
    for metric in declared:
        title = getattr(metric, "title", None)
        if title:
            metrics[metric.id] = with_hours(title) if metric.id in hours else title
    objectives = getattr(scenario, "objectives", None) or []
    for objective in objectives:
        metrics[f"objectives.{objective.id}"] = f"Objective met: {objective.title or objective.id}"
    headline = tuple(dict.fromkeys(o.metric for o in objectives))
    shares = frozenset(m.id for m in declared if str(getattr(m, "kind", "")) == "indicator")
    shares |= frozenset(f"objectives.{o.id}" for o in objectives)
    own = tuple(m.id for m in declared)
    completion = completion_metric(declared)
    return Labels(scenario.scenario.title, arms, metrics, tuple(seams), headline, hours, shares, own, completion)


def completion_metric(declared: Sequence[Any]) -> str | None:
    """The scenario's own metric timing `movement_completed`: one counted from the movement's start
    (`since: {event: movement_started}`) first, else one from T+0; None if it declares neither."""
    ends = [
        m
        for m in declared
        if str(getattr(m, "kind", "")) == "event_time" and getattr(m, "event", None) == "movement_completed"
    ]
    since = [m for m in ends if getattr(getattr(m, "since", None), "event", None) == "movement_started"]
    chosen = since or ends
    return chosen[0].id if chosen else None


HOUR_KINDS = ("span", "time", "event_time")
"""Metric kinds whose values are hours."""


def with_hours(title: str) -> str:
    """`title (h)`, unless the title already names its unit ("... (h)", "Hours from ...")."""
    if re.search(r"\(h\)|\bhours?\b", title, flags=re.IGNORECASE):
        return title
    return f"{title} (h)"


@dataclass(frozen=True)
class Scale:
    """How a metric's values read on an axis: times in minutes or hours (the compare table's rule,
    `sim.analysis.compare._shown_as`), 1-or-0 metrics as percent of runs, other values as they are."""

    kind: str
    """"time", "share" or "value"."""
    unit: str
    """The axis unit: "minutes", "hours", "% of runs" or "" (a count or a state's value)."""
    factor: float
    """Multiplies a stored value (hours, a 0-1 share) into the axis unit."""
    digits: int
    """Decimals of a value that is not a time."""

    def value(self, raw: float) -> str:
        """A value as a label reads it: `12 min`, `4.0 h`, `43%`, `5,180`, `0.494`."""
        if self.kind == "time":
            return duration_text(raw)
        if self.kind == "share":
            return f"{100 * raw:.0f}%"
        return f"{raw:,.0f}" if raw == int(raw) else f"{raw:,.{self.digits}f}"

    def difference(self, raw: float) -> str:
        """A signed difference: `-26.0 h`, `+0 min`, `+13 pp` (percentage points), `-537`, `+0.052`."""
        sign = "-" if raw < 0 else "+"
        if self.kind == "time":
            return sign + duration_text(abs(raw))
        if self.kind == "share":
            return f"{sign}{100 * abs(raw):.0f} pp"
        return f"{sign}{abs(raw):,.{self.digits}f}"


def is_time(metric: str, labels: Labels) -> bool:
    return metric.endswith("_hours") or metric in labels.hours


def is_share(metric: str, labels: Labels) -> bool:
    return metric in labels.shares or metric.startswith("objectives.")


def scale_of(metrics: Sequence[str], rows: Sequence[Mapping[str, Any]], labels: Labels) -> Scale:
    """The scale of one axis drawing `metrics` (all times, all shares, or one other metric) whose
    arm rows (`{"mean": ...}`) are `rows`: minutes when every mean is under two hours, as in the table."""
    from sim.analysis.compare import _shown_as

    means = {str(i): row for i, row in enumerate(rows)}
    if metrics and all(is_share(m, labels) for m in metrics):
        return Scale("share", "% of runs", 100.0, 0)
    time = bool(metrics) and all(is_time(m, labels) for m in metrics)
    unit, factor, digits = _shown_as(metrics[0] if metrics else "", means, in_hours=time)
    if time:
        return Scale("time", unit.strip(" ()"), factor, digits)
    return Scale("value", "", 1.0, digits)


class PlotError(RuntimeError):
    """Plots cannot be drawn (matplotlib is missing)."""


def require_matplotlib() -> None:
    """Raise PlotError with one sentence if matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotError(
            f"plots need matplotlib, which is not installed: {EXTRA_HINT} "
            "(or leave out --plot/--out, or add --no-plots)"
        ) from None


def _pyplot():
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from sim.analysis.fonts import use_figure_fonts

    use_figure_fonts()
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": DPI,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 9.5,
            "svg.hashsalt": "ttx",  # stable SVG ids: the same data give the same file
            "svg.fonttype": "none",  # text stays text in SVG: searchable and editable for a paper
        }
    )
    return plt


def metric_label(metric: str, labels: Labels | None = None) -> str:
    return (labels or Labels()).metric(metric)


def _colors(arms: Sequence[str]) -> dict[str, Any]:
    plt = _pyplot()
    cycle = plt.get_cmap("tab10")
    return {arm: cycle(i % 10) for i, arm in enumerate(arms)}


def _styles(arms: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """A (line style, marker) per arm, so arms stay apart where their lines overlap, also in grey print."""
    return {arm: (LINE_STYLES[i % len(LINE_STYLES)], MARKERS[i % len(MARKERS)]) for i, arm in enumerate(arms)}


def savefig_atomic(fig, path: Path, fmt: str) -> Path:
    """Render `fig` in memory, then write it atomically (a failed write keeps the old file)."""
    import io

    from sim.analysis.fonts import render
    from sim.files import write_atomic

    buffer = io.BytesIO()
    render(fig, buffer, format=fmt, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
    write_atomic(path, buffer.getvalue())
    return path


def save(fig, stem: Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write `stem.png` and `stem.svg` (or the given formats) and close the figure."""
    plt = _pyplot()
    try:
        return [savefig_atomic(fig, stem.with_suffix(f".{fmt}"), fmt) for fmt in formats]
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------
# Panels (each draws on a given Axes; figures combine them)
# ---------------------------------------------------------------------------


def draw_curves(ax, curves: dict[str, dict[str, Any]], colors: dict[str, Any], labels: Labels | None = None) -> bool:
    if not curves:
        _empty(ax, "no movement network in these runs")
        return False
    from matplotlib.ticker import MultipleLocator

    labels = labels or Labels()
    styles = _styles(list(colors))
    last = 0.0
    drawn: dict[str, tuple] = {}
    for arm, curve in curves.items():
        hours = curve["hours"]
        color = colors[arm]
        style, marker = styles[arm]
        key = (tuple(curve["median"]), tuple(curve["p05"]), tuple(curve["p95"]))
        twin = next((other for other, k in drawn.items() if k == key), None)
        drawn[arm] = key
        ax.fill_between(hours, curve["p05"], curve["p95"], color=color, alpha=0.08, linewidth=0, step="post")
        for edge in ("p05", "p95"):
            ax.step(hours, curve[edge], where="post", color=color, linewidth=0.6, alpha=0.6, linestyle=(0, (2, 2)))
        same = f", same as {labels.arm(twin)}" if twin else ""
        ax.step(
            hours,
            curve["median"],
            where="post",
            color=color,
            linewidth=1.8,
            alpha=0.9,
            linestyle=style,
            marker=marker,
            markevery=max(1, len(hours) // 12),
            markersize=4.5,
            markerfacecolor="white",
            label=_wrap(f"{labels.arm(arm)} (n={curve['n']}{same})", 48),
        )
        # where the slowest 5% reach zero bounds the interesting part of the x axis
        done = next((h for h, v in zip(hours, curve["p95"], strict=True) if v <= 0), hours[-1])
        last = max(last, done)
    right = min(hours[-1], last + min(12.0, 0.1 * hours[-1]))  # half a day after, or a tenth of a short play
    ax.set_xlim(0, right)
    step = next((s for s in (0.25, 0.5, 1, 2, 6, 12, 24) if right <= 12 * s), 48)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"hours after T+0 (grid lines every {step:g} h)")
    ax.set_ylabel("people still in danger")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title("People still in danger (median; dotted band: 5%-95% of replications)", loc="left")
    _legend_below(ax, fontsize=8)  # with several arms no corner is free of curves and bands
    return True


def draw_box(
    ax, rs: ReplicationSet, metric: str, colors: dict[str, Any], payload: dict[str, Any], labels: Labels | None = None
) -> bool:
    labels = labels or Labels()
    arms = rs.arm_names
    data = [[v for v in rs.values(arm, metric) if v is not None] for arm in arms]
    if not any(data):
        _empty(ax, f"no {labels.metric(metric)} in these runs")
        return False
    positions = list(range(len(arms)))[::-1]
    plotted = [(d if d else [float("nan")]) for d in data]
    box = ax.boxplot(
        plotted,
        positions=positions,
        vert=False,
        widths=0.5,
        patch_artist=True,
        showfliers=True,
        flierprops={"markersize": 2.5, "alpha": 0.4},
    )
    for patch, arm in zip(box["boxes"], arms, strict=True):
        patch.set_facecolor((*colors[arm][:3], 0.35))
        patch.set_edgecolor(colors[arm])
    for median in box["medians"]:
        median.set_color("black")
    entry = payload["metrics"].get(metric, {})
    for arm, y in zip(arms, positions, strict=True):
        row = entry.get(arm)
        if row and row["mean"] is not None:
            ax.plot(row["mean"], y + 0.36, marker="v", color=colors[arm], markersize=6)
            if row["ci95"]:
                ax.plot(row["ci95"], [y + 0.36] * 2, color=colors[arm], linewidth=2)
            missing = f", {row['missing']} missing" if row["missing"] else ""
            ax.annotate(
                f"mean {duration_text(row['mean'])}{missing}",
                (row["mean"], y + 0.36),
                xytext=(6, 2),
                textcoords="offset points",
                fontsize=8,
                va="bottom",
            )
    ax.set_yticks(positions, [_wrap(labels.arm(a), 28) for a in arms])
    ax.set_ylim(-0.6, len(arms) - 0.1)
    ax.set_xlabel("hours")
    ax.set_title(labels.metric(metric), loc="left")
    return True


def draw_histograms(
    ax, rs: ReplicationSet, metric: str, colors: dict[str, Any], labels: Labels | None = None, wrap: int = 48
) -> bool:
    """The distribution per arm as an empirical CDF: a curve further left is faster (or fewer).

    (Overlaid histograms of near-identical paired arms are unreadable; ECDFs stay clear,
    and a line style and marker per arm keep identical curves apart.) Times are drawn in minutes
    when every arm's mean is under two hours, as the compare table shows them; other metrics
    (a count, a state's value) on their own scale. `wrap`: characters a legend line holds.
    """
    labels = labels or Labels()
    arms = rs.arm_names
    styles = _styles(arms)
    data = {arm: sorted(v for v in rs.values(arm, metric) if v is not None) for arm in arms}
    if not any(data.values()):
        _empty(ax, f"no {labels.metric(metric)} in these runs")
        return False
    scale = scale_of([metric], [{"mean": sum(v) / len(v)} for v in data.values() if v], labels)
    seen: dict[str, list[float]] = {}
    for arm, vals in data.items():
        if not vals:
            continue
        twin = next((other for other, v in seen.items() if v == vals), None)
        seen[arm] = vals
        n = len(vals)
        xs = [scale.factor * v for v in (vals[0], *vals)]
        ys = [0.0, *[(i + 1) / n for i in range(n)]]
        missing = len(rs.values(arm, metric)) - n
        note = (f", {missing} never" if missing else "") + (f", same as {labels.arm(twin)}" if twin else "")
        style, marker = styles[arm]
        ax.step(
            xs,
            ys,
            where="post",
            color=colors[arm],
            linewidth=1.6,
            alpha=0.85,
            linestyle=style,
            marker=marker,
            markevery=max(1, len(xs) // 8),
            markersize=4.5,
            markerfacecolor="white",
            label=_wrap(f"{labels.arm(arm)} (median {scale.value(_median(vals))}, n={n}{note})", wrap),
        )
    ax.axhline(0.5, color="0.6", linewidth=0.7, linestyle=":")
    ax.set_ylim(0, 1.02)
    if scale.kind == "time":
        ax.set_xlabel(scale.unit)
        ax.set_ylabel("share of replications done")
    else:
        ax.set_xlabel("value per replication")
        ax.set_ylabel("share of replications at or below")
        if scale.digits == 1:
            ax.xaxis.set_major_formatter(_thousands())
    ax.set_title(_wrap(in_unit(labels.metric(metric), scale), 60), loc="left")
    _legend_below(ax, fontsize=7.5)  # the curves cross the whole box: no corner of it is free
    return True


def reached_seams(rs: ReplicationSet, labels: Labels) -> tuple[list[str], list[str]]:
    """The seams (`Labels.seams`) with a value in at least one run, and those no run reached
    (e.g. a typhoon only a variant brings): the latter are named in a note, not drawn empty."""
    drawn, skipped = [], []
    for metric in labels.seams:
        reached = any(v is not None for arm in rs.arm_names for v in rs.values(arm, metric))
        (drawn if reached else skipped).append(metric)
    return drawn, skipped


def draw_differences(
    ax,
    payload: dict[str, Any],
    metrics: Sequence[str],
    colors: dict[str, Any],
    labels: Labels | None = None,
    left_out: int = 0,
    title: bool = True,
    legend: bool = True,
    drawn: int | None = None,
) -> bool:
    """Paired difference from the baseline with its 95% CI, a row per metric and reform, on one
    scale (`scale_of`: the metrics are all times, all shares of runs, or a single other metric).

    Each metric is named once, beside the middle of its rows (the arms are told apart by colour,
    marker and the legend under the axis). `left_out`: how many further metrics have a difference
    but are not drawn; the axis label then says so and where the full table is. `title`/`legend`:
    off for the lower panels of a stack (`draw_difference_panels`), which share the first's title
    and the last's legend; `drawn`: how many metrics the whole stack draws (for the note).
    """
    labels = labels or Labels()
    rows = []
    for metric in metrics:
        for arm, row in payload["metrics"].get(metric, {}).items():
            diff = row.get("difference")
            if diff and diff["mean"] is not None:
                rows.append((metric, arm, diff))
    if not rows:
        _empty(ax, "no paired differences (no reform, or no values)")
        return False
    scale = scale_of(metrics, [row for m in metrics for row in payload["metrics"].get(m, {}).values()], labels)
    ys = list(range(len(rows)))[::-1]
    markers = _styles(list(colors))
    shown: set[str] = set()
    for y, (_metric, arm, diff) in zip(ys, rows, strict=True):
        ci = diff["ci95"] or [diff["mean"], diff["mean"]]
        color = colors.get(arm, "black")
        ax.plot([scale.factor * c for c in ci], [y, y], color=color, linewidth=2.5, alpha=0.85)
        marker = markers.get(arm, ("-", "o"))[1]
        label = None if arm in shown else labels.arm(arm)
        shown.add(arm)
        ax.plot(scale.factor * diff["mean"], y, marker, color=color, markersize=6, label=label)
        share = "" if diff["better_share"] is None else f"  better in {100 * diff['better_share']:.0f}%"
        text = f"{scale.difference(diff['mean'])}{share}"
        if diff["mean"] == 0 and ci[0] == ci[1] == 0:
            text = "equal in every pair"  # common random numbers: the reform does not touch it
        ax.annotate(
            text,
            (scale.factor * ci[1], y),
            xytext=(5, -3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    groups: dict[str, list[int]] = {}
    for y, (metric, _arm, _diff) in zip(ys, rows, strict=True):
        groups.setdefault(metric, []).append(y)
    centres = [sum(members) / len(members) for members in groups.values()]
    names = [_wrap(in_unit(labels.metric(metric), scale), 56) for metric in groups]
    ax.set_yticks(centres, names, fontsize=7.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(False, axis="y")
    for i in range(1, len(rows)):  # a faint rule between metrics
        if rows[i][0] != rows[i - 1][0]:
            ax.axhline(ys[i] + 0.5, color="0.85", linewidth=0.6)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    if scale.kind == "value" and scale.digits == 1:
        ax.xaxis.set_major_formatter(_thousands())
    _symmetric_room(ax)
    # a count's or a state's axis has no unit to name: only the last panel says what is drawn
    xlabel = difference_axis_label(scale) if scale.kind != "value" or legend else ""
    if left_out:
        xlabel = "\n".join(filter(None, [xlabel, left_out_note(drawn or len(groups), left_out)]))
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title("Paired differences (reform minus baseline, same seeds), 95% CI", loc="left")
    if legend:
        _legend_below(ax, fontsize=8, label_lines=xlabel.count("\n") + 1, columns=len(shown))
    return True


def difference_axis_label(scale: Scale) -> str:
    """What a differences axis measures, in its unit."""
    if scale.kind == "time":
        return f"difference, {scale.unit} (negative = reform faster)"
    if scale.kind == "share":
        return "difference in the share of runs, percentage points"
    return "difference per run, in the metric's own unit"


def in_unit(text: str, scale: Scale) -> str:
    """A time metric's label with its unit as the axis reads it: "(h)" becomes "(min)" on a minutes axis."""
    return re.sub(r"\(h\b", "(min", text) if scale.unit == "minutes" else text


def _symmetric_room(ax) -> None:
    """Zero always in view, with room on the right for the annotations."""
    low, high = ax.get_xlim()
    low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or 1.0
    ax.set_xlim(low - 0.02 * span, high + 0.18 * span)


def difference_groups(metrics: Sequence[str], labels: Labels) -> list[list[str]]:
    """The panels of a differences figure, each on its own scale: every time metric on one (they
    share a unit), every 1-or-0 metric on one (percentage points), each other metric on its own
    (a count of people and a share of the population have nothing in common); in the order their
    first metric comes in `metrics`."""
    panels: dict[str, list[str]] = {}
    for metric in metrics:
        key = "time" if is_time(metric, labels) else "share" if is_share(metric, labels) else metric
        panels.setdefault(key, []).append(metric)
    return list(panels.values())


def draw_difference_panels(
    fig, spec, payload: dict[str, Any], metrics: Sequence[str], colors: dict[str, Any], labels: Labels, left_out: int
) -> list:
    """`draw_differences` in a stack of panels (`difference_groups`) inside the grid cell `spec`:
    the title on the first, the note of what is left out and the legend under the last."""
    groups = difference_groups(metrics, labels)
    if not groups:
        ax = fig.add_subplot(spec)
        draw_differences(ax, payload, [], colors, labels)
        return [ax]
    reforms = max(1, len(colors) - 1)
    heights = [1.1 + len(group) * reforms for group in groups]
    cells = spec.subgridspec(len(groups), 1, height_ratios=heights)
    axes = []
    for index, group in enumerate(groups):
        ax = fig.add_subplot(cells[index, 0])
        last = index == len(groups) - 1
        note = left_out if last else 0
        draw_differences(ax, payload, group, colors, labels, note, index == 0, last, len(metrics))
        axes.append(ax)
    return axes


def differences_height(groups: Sequence[Sequence[str]], reforms: int) -> float:
    """Inches a stack of difference panels needs: a row per metric and reform, an axis per panel,
    the title, the note and the legend under the last (a line per reform where they do not fit one)."""
    return sum(0.75 + 0.32 * len(group) * max(1, reforms) for group in groups) + 1.1 + 0.2 * max(1, reforms)


def left_out_note(drawn: int, left_out: int) -> str:
    """The footnote of a differences panel that does not draw every metric."""
    return (
        f"{_count(drawn, 'metric')} drawn; {left_out} more with a paired difference in the compare table "
        "(summary.txt, summary.json)"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _legend_below(ax, fontsize: float, label_lines: int = 1, columns: int = 1) -> None:
    """The axes' legend under its x label, outside the plotting area (it never covers a line).

    The offset is in inches (tick labels plus `label_lines` lines of x label), so it holds
    whatever the height of the axes. `columns`: entries side by side when they fit the axes'
    width (a wide panel's legend is one line, not a tall block), else one a line."""
    from matplotlib.transforms import ScaledTranslation

    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        return
    size = plt_font_size()
    drop = (size + 6 + label_lines * size * 1.25 + 6) / 72
    anchor = ax.transAxes + ScaledTranslation(0, -drop, ax.figure.dpi_scale_trans)
    width = ax.get_position().width * ax.figure.get_figwidth() * 72  # points
    needed = sum(len(text) * fontsize * 0.55 + 3 * fontsize for text in texts)
    ax.legend(
        handles,
        texts,
        frameon=False,
        fontsize=fontsize,
        loc="upper left",
        bbox_to_anchor=(0, 0),
        bbox_transform=anchor,
        borderaxespad=0,
        ncols=len(texts) if columns > 1 and needed < width else 1,
    )


def plt_font_size() -> float:
    import matplotlib

    return float(matplotlib.rcParams["font.size"])


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


MOST_DIFFERENCE_METRICS = 8
"""At most this many metrics in a differences figure..."""
MOST_DIFFERENCE_ROWS = 24
"""...and at most about this many rows (metrics x reforms): beyond, a page is too tall to read."""


@dataclass(frozen=True)
class DifferenceChoice:
    """The metrics a differences figure draws, and how many it leaves to the tables."""

    drawn: list[str]
    left_out: int


def difference_metrics(
    payload: dict[str, Any],
    metrics: Sequence[str],
    labels: Labels | None = None,
    requested: Sequence[str] = (),
    reforms: int = 1,
) -> DifferenceChoice:
    """The headline metrics with a paired difference, of every kind (times, counts, state values,
    shares of runs): those asked for with --metric; else the metrics the scenario's objectives
    name and (for a scenario without metrics of its own) the movement network's figures that differ
    between the arms, then the scenario's own
    metrics and its objectives' rows that differ (those whose 95% CI leaves out zero first), then
    the named ones equal in every pair; without any of these, the other rows of the table that
    differ; else the first of `metrics` (the table's rows). Capped so the figure stays readable
    (`MOST_DIFFERENCE_METRICS`, and `MOST_DIFFERENCE_ROWS` over `reforms` arms); every other metric
    of the table or of summary.json with a difference counts as left out."""
    from sim.analysis.compare import HEADLINE_METRICS

    labels = labels or Labels()
    table = payload["metrics"]

    def differences(metric: str) -> list[dict[str, Any]]:
        rows = table.get(metric, {}).values()
        return [row["difference"] for row in rows if (row.get("difference") or {}).get("mean") is not None]

    def differs(metric: str) -> bool:
        return any(d["mean"] != 0 or (d["ci95"] and d["ci95"][0] != d["ci95"][1]) for d in differences(metric))

    def clearly(metric: str) -> bool:
        return any(d["ci95"] and (d["ci95"][0] > 0 or d["ci95"][1] < 0) for d in differences(metric))

    candidates = [m for m in dict.fromkeys([*metrics, *table]) if differences(m)]
    if requested:
        ordered = [m for m in dict.fromkeys(requested) if m in candidates]
    else:
        builtin = () if labels.declared else HEADLINE_METRICS  # a scenario's own metrics say it better
        named = [m for m in dict.fromkeys([*labels.headline, *builtin]) if m in candidates]
        rows = [m for m in candidates if m.startswith("objectives.")]
        own = [m for m in dict.fromkeys([*labels.declared, *rows]) if m in candidates and differs(m)]
        rest = [m for m in metrics if m in candidates and differs(m)]  # the table's rows, not the model's own
        same = [m for m in named if not differs(m)]  # named, but equal in every pair: last
        ordered = [*[m for m in named if m not in same], *[m for m in own if clearly(m)], *own, *same] or rest
        ordered = list(dict.fromkeys(ordered))
    ordered = ordered or candidates
    cap = max(1, min(MOST_DIFFERENCE_METRICS, MOST_DIFFERENCE_ROWS // max(1, reforms)))
    drawn = ordered[:cap]
    return DifferenceChoice(drawn, len(candidates) - len(drawn))


def comparison_figures(
    rs: ReplicationSet,
    payload: dict[str, Any],
    curves: dict[str, dict[str, Any]],
    out_dir: Path,
    metrics: Sequence[str],
    labels: Labels | None = None,
    requested: Sequence[str] = (),
) -> list[Path]:
    """Write every comparison figure (PNG at 300 dpi + SVG) into `out_dir`, the overview too; return the paths.

    `metrics`: the compare table's rows; `requested`: those given with --metric (drawn first
    in the differences panel)."""
    labels = labels or Labels()
    plt = _pyplot()
    colors = _colors(rs.arm_names)
    written: list[Path] = []
    subtitle = f"{rs.replications} paired replications, master seed {rs.master_seed}"

    fig, ax = plt.subplots(figsize=(8.5, 4.8 + 0.3 * len(rs.arm_names)), layout="constrained")
    if draw_curves(ax, curves, colors, labels):
        fig.suptitle(labels.title(subtitle), x=0.01, ha="left", fontsize=10.5)
        written += save(fig, out_dir / "evacuation_curves")
    else:
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(8.5, 1.6 + 0.9 * len(rs.arm_names)))
    if labels.completion is not None and draw_box(ax, rs, labels.completion, colors, payload, labels):
        fig.suptitle(labels.title(subtitle), x=0.01, ha="left", fontsize=10.5)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        written += save(fig, out_dir / "completion")
    else:
        plt.close(fig)

    written += seams_figure(rs, out_dir / "seams", colors, labels, subtitle)
    reforms = len(rs.arm_names) - 1
    choice = difference_metrics(payload, metrics, labels, requested, reforms)
    others = other_distributions(rs, labels, choice.drawn) if reforms else []
    written += distributions_figure(rs, out_dir / "distributions", colors, labels, subtitle, others)

    if reforms:
        height = differences_height(difference_groups(choice.drawn, labels), reforms) + 0.3 * len(rs.arm_names)
        fig = plt.figure(figsize=(9.5, height + 0.4), layout="constrained")
        spec = fig.add_gridspec(1, 1)[0, 0]
        if choice.drawn:
            draw_difference_panels(fig, spec, payload, choice.drawn, colors, labels, choice.left_out)
            fig.suptitle(labels.title(subtitle), x=0.01, ha="left", fontsize=10.5)
            written += save(fig, out_dir / "differences")
        else:
            plt.close(fig)
    written += overview_figure(
        rs, payload, curves, out_dir / "overview", labels, metrics, formats=("png", "svg"), requested=requested
    )
    return written


def seams_figure(rs: ReplicationSet, stem: Path, colors: dict[str, Any], labels: Labels, subtitle: str) -> list[Path]:
    """seams.png/.svg (`draw_seams`), or nothing if no run reached any seam."""
    fig = draw_seams(rs, colors, labels, subtitle)
    return save(fig, stem) if fig is not None else []


def other_distributions(rs: ReplicationSet, labels: Labels, headline: Sequence[str]) -> list[str]:
    """The headline metrics (`difference_metrics`) whose distributions no seams panel draws: neither
    times nor 1-or-0, reached in some run, and different between the arms (a tsunami's people caught
    by the wave and share safe)."""
    return [
        m
        for m in headline
        if m not in labels.seams
        and not is_time(m, labels)
        and not is_share(m, labels)
        and reached(rs, m)
        and differs(rs, m)
    ]


def distributions_figure(
    rs: ReplicationSet, stem: Path, colors: dict[str, Any], labels: Labels, subtitle: str, metrics: Sequence[str]
) -> list[Path]:
    """distributions.png/.svg: the ECDFs of `other_distributions`, or nothing when there are none."""
    if not metrics:
        return []
    title = labels.title(f"headline metrics that differ, distribution over {subtitle} (empirical CDF)")
    return save(draw_distributions(rs, metrics, colors, labels, title), stem)


def draw_seams(rs: ReplicationSet, colors: dict[str, Any], labels: Labels, subtitle: str):
    """The ECDF of each seam some run reached, two a row, each legend under its panel; a note
    names the seams no run reached (an empty panel would only say "nothing here")."""
    seams, skipped = reached_seams(rs, labels)
    if not seams:
        return None
    title = labels.title(f"seams, distribution over {subtitle} (empirical CDF)")
    return draw_distributions(rs, seams, colors, labels, title, skipped)


def draw_distributions(
    rs: ReplicationSet,
    metrics: Sequence[str],
    colors: dict[str, Any],
    labels: Labels,
    title: str,
    skipped: Sequence[str] = (),
):
    """The ECDF of each of `metrics`, two a row, each legend under its panel, and a note naming
    the `skipped` seams."""
    plt = _pyplot()
    seams = list(metrics)
    columns = min(2, len(seams))
    lines = math.ceil(len(seams) / columns)
    legend = 0.32 * len(rs.arm_names)  # room for the legend under each row
    size = (5.5 * columns, (4.0 + legend) * lines + 0.4)
    fig, axes = plt.subplots(lines, columns, figsize=size, squeeze=False, layout="constrained")
    panels = list(axes.flat)
    for ax, metric in zip(panels, seams, strict=False):
        draw_histograms(ax, rs, metric, colors, labels)
    for ax in panels[len(seams) :]:
        ax.remove()
    fig.suptitle(_wrap(title, int(13 * size[0])), x=0.01, ha="left")  # one panel: no page-wide title
    if skipped:
        fig.supxlabel(skipped_note(skipped, labels), x=0.01, ha="left", fontsize=8, color="0.3")
    return fig


def skipped_note(skipped: Sequence[str], labels: Labels) -> str:
    """The footnote naming the seams no run reached (not drawn: their panels would be empty)."""
    names = "; ".join(labels.metric(m) for m in skipped)
    return _wrap(f"Not drawn, no run reached it: {names}", 150)


def distribution_metrics(rs: ReplicationSet, labels: Labels, headline: Sequence[str], most: int = 2) -> list[str]:
    """The distributions worth a panel: the seams some run reached whose values differ between the
    arms, then the `headline` metrics (`difference_metrics`, then the table's rows) that differ and
    are not 1-or-0 (a share of runs has no distribution to draw), then the other seams and headline
    metrics some run reached; at most `most`."""
    seams, _skipped = reached_seams(rs, labels)
    drawable = [m for m in headline if not is_share(m, labels) and reached(rs, m)]
    ordered = [
        *[m for m in seams if differs(rs, m)],
        *[m for m in drawable if differs(rs, m)],
        *seams,
        *drawable,
    ]
    return list(dict.fromkeys(ordered))[:most]


def reached(rs: ReplicationSet, metric: str) -> bool:
    """Some run of some arm has a value of `metric`."""
    return any(v is not None for arm in rs.arm_names for v in rs.values(arm, metric))


def differs(rs: ReplicationSet, metric: str) -> bool:
    """Some arm's values of `metric` are not the reference arm's, replication by replication."""
    first, *others = (list(rs.values(arm, metric)) for arm in rs.arm_names)
    return any(other != first for other in others)


def overview_figure(
    rs: ReplicationSet,
    payload: dict[str, Any],
    curves: dict[str, dict[str, Any]],
    path: Path,
    labels: Labels | None = None,
    metrics: Sequence[str] = (),
    formats: Sequence[str] | None = None,
    requested: Sequence[str] = (),
) -> list[Path]:
    """`--plot PATH`: curves and completion (if the runs moved people), two distributions
    (`distribution_metrics`: seams or headline metrics that differ between the arms) and the
    paired differences of the headline metrics (`difference_metrics`), each kind of metric on its
    own scale, on one page.

    With `formats=None` the format comes from the suffix of `path`; otherwise
    `path` is a stem and each format is written.
    """
    from sim.analysis.compare import HEADLINE_METRICS

    labels = labels or Labels()
    plt = _pyplot()
    colors = _colors(rs.arm_names)
    reforms = len(rs.arm_names) - 1
    choice = difference_metrics(payload, metrics or HEADLINE_METRICS, labels, requested, reforms)
    legend = 0.3 * len(rs.arm_names)  # the legends under the distributions
    groups = difference_groups(choice.drawn, labels)
    diff_height = differences_height(groups, reforms) if reforms and choice.drawn else 0.0
    # a scenario without a movement network gets no empty evacuation row
    completion = labels.completion
    reached = completion is not None and any(v is not None for a in rs.arm_names for v in rs.values(a, completion))
    evacuation = bool(curves) or reached
    # the headline metrics first, then the table's other rows: a single arm or a --metric still fills the row
    shown = distribution_metrics(rs, labels, [*choice.drawn, *metrics])
    heights = [4 + legend] if evacuation else []
    heights += [4 + legend]
    heights += [diff_height] if diff_height else []
    fig = plt.figure(figsize=(13, 0.5 + sum(heights)), layout="constrained")
    grid = fig.add_gridspec(len(heights), 2, height_ratios=heights)
    if evacuation:
        if completion is not None:
            draw_curves(fig.add_subplot(grid[0, 0]), curves, colors, labels)
            draw_box(fig.add_subplot(grid[0, 1]), rs, completion, colors, payload, labels)
        else:  # no metric of the movement's completion to box: the curves take the whole row
            draw_curves(fig.add_subplot(grid[0, :]), curves, colors, labels)
    middle = 1 if evacuation else 0
    if len(shown) == 2:
        for column, metric in enumerate(shown):
            draw_histograms(fig.add_subplot(grid[middle, column]), rs, metric, colors, labels, wrap=100)
    elif shown:
        draw_histograms(fig.add_subplot(grid[middle, :]), rs, shown[0], colors, labels, wrap=160)
    else:
        _empty(fig.add_subplot(grid[middle, :]), "no metric with a distribution reached in these runs")
    if diff_height:
        draw_difference_panels(fig, grid[middle + 1, :], payload, choice.drawn, colors, labels, choice.left_out)
    fig.suptitle(
        labels.title(f"{rs.replications} paired replications, master seed {rs.master_seed}"), x=0.01, ha="left"
    )
    if formats is None:
        fmt = path.suffix.lstrip(".").lower() or "png"
        try:
            return [savefig_atomic(fig, path, fmt)]
        finally:
            plt.close(fig)
    return save(fig, path, formats)


def sweep_figure(
    points: list[dict[str, Any]],
    payload: dict[str, Any],
    metrics: Sequence[str],
    stem_or_path: Path,
    formats: Sequence[str] | None = ("png", "svg"),
    labels: Labels | None = None,
) -> list[Path]:
    """Mean and 95% CI of each metric against the first swept parameter.

    With several parameters, one line per combination of the others.
    """
    labels = labels or Labels()
    plt = _pyplot()
    present = [m for m in metrics if m in payload["metrics"]] or list(payload["metrics"])[:1]
    fig, axes = plt.subplots(len(present), 1, figsize=(8, 0.6 + 3.2 * len(present)), squeeze=False)
    first = points[0]["settings_text"][0][0]
    texts = list(dict.fromkeys(p["settings_text"][0][1] for p in points))
    numeric = all(_is_number(p["settings"][0][1]) for p in points)
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        rest = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in p["settings_text"][1:])
        groups.setdefault(rest, []).append(p)
    cycle = plt.get_cmap("tab10")
    positions = [p["settings"][0][1] for p in points] if numeric else list(range(len(texts)))
    span = (max(positions) - min(positions)) or 1.0
    for ax, metric in zip((a[0] for a in axes), present, strict=True):
        for g, (rest, members) in enumerate(groups.items()):
            dodge = (g - (len(groups) - 1) / 2) * 0.015 * span  # overlapping intervals stay apart
            xs, ys, lows, highs = [], [], [], []
            for p in members:
                row = payload["metrics"][metric].get(p["name"])
                if not row or row["mean"] is None:
                    continue
                x = p["settings"][0][1] if numeric else texts.index(p["settings_text"][0][1])
                xs.append(x + dodge)
                ys.append(row["mean"])
                ci = row["ci95"] or [row["mean"], row["mean"]]
                lows.append(row["mean"] - ci[0])
                highs.append(ci[1] - row["mean"])
            if xs:
                ax.errorbar(
                    xs,
                    ys,
                    yerr=[lows, highs],
                    marker=MARKERS[g % len(MARKERS)],
                    linestyle=LINE_STYLES[g % len(LINE_STYLES)],
                    capsize=4,
                    alpha=0.9,
                    color=cycle(g % 10),
                    label=rest or None,
                )
        if not numeric:
            ax.set_xticks(range(len(texts)), texts)
        ax.set_xlabel(first)
        ax.set_ylabel("mean and 95% CI")
        ax.set_title(_wrap(labels.metric(metric), 80), loc="left")
        if len(groups) > 1:
            ax.legend(frameon=False, fontsize=8)
    replications = payload.get("replications")
    fig.suptitle(
        labels.title(f"sweep of {first}, {replications} paired replications per point"),
        x=0.01,
        ha="left",
        fontsize=10.5,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    if formats is None:
        fmt = stem_or_path.suffix.lstrip(".").lower() or "png"
        try:
            return [savefig_atomic(fig, stem_or_path, fmt)]
        finally:
            plt.close(fig)
    return save(fig, stem_or_path, formats)


def sensitivity_figure(
    payload: dict[str, Any], metric: str, out_dir: Path, labels: Labels | None = None, top: int = 15
) -> list[Path]:
    """The ranking of one metric as PNG + SVG: `sensitivity_<metric>`.

    Morris: mu* with its 95% interval as ranked bars, beside the mu*-sigma plane
    (far right = strong effect; high sigma = non-linear or interacting).
    Sobol: S1 and ST bars with 95% intervals.
    """
    labels = labels or Labels()
    plt = _pyplot()
    ranking = payload["metrics"][metric]["ranking"][:top]
    names = [_wrap(r["path"], 48) for r in ranking][::-1]
    ys = list(range(len(ranking)))
    subtitle = (
        f"{payload['method'].capitalize()} sensitivity of {labels.metric(metric)}\n"
        f"{len(payload['parameters'])} assumptions, {payload['points']} design points x "
        f"{payload['replications']} replication(s), seed {payload['seed']}; top {len(ranking)}"
    )
    if payload["method"] == "morris":
        fig, (bars, plane) = plt.subplots(1, 2, figsize=(13, 1.8 + 0.36 * len(ranking)), width_ratios=[1.25, 1])
        values = [r["mu_star"] or 0.0 for r in ranking][::-1]
        errors = [r["mu_star_conf"] or 0.0 for r in ranking][::-1]
        bars.barh(ys, values, xerr=errors, color="#4c72b0", alpha=0.85, capsize=3, error_kw={"linewidth": 0.9})
        bars.set_yticks(ys, names, fontsize=7.5)
        bars.set_xlabel("mu*: mean |change of the metric| as the assumption crosses its range; bar: 95% interval")
        plane.scatter([r["mu_star"] or 0 for r in ranking], [r["sigma"] or 0 for r in ranking], color="#c44e52", s=18)
        for rank, r in enumerate(ranking[:8], 1):
            plane.annotate(str(rank), (r["mu_star"] or 0, r["sigma"] or 0), xytext=(4, 3), textcoords="offset points")
        limit = max([r["mu_star"] or 0 for r in ranking] + [r["sigma"] or 0 for r in ranking] + [1e-9])
        plane.plot([0, limit], [0, limit], color="0.6", linewidth=0.8, linestyle=":")
        plane.set_xlabel("mu*")
        plane.set_ylabel("sigma (spread of the effects)")
        plane.set_title("mu*-sigma plane (numbers: rank; dotted: sigma = mu*)", loc="left", fontsize=9)
    else:
        fig, bars = plt.subplots(figsize=(10, 1.8 + 0.4 * len(ranking)))
        height = 0.38
        s1 = [r["S1"] or 0.0 for r in ranking][::-1]
        s1e = [r["S1_conf"] or 0.0 for r in ranking][::-1]
        st = [r["ST"] or 0.0 for r in ranking][::-1]
        ste = [r["ST_conf"] or 0.0 for r in ranking][::-1]
        bars.barh([y + height / 2 for y in ys], st, height, xerr=ste, color="#4c72b0", label="ST (total)", capsize=3)
        bars.barh(
            [y - height / 2 for y in ys], s1, height, xerr=s1e, color="#dd8452", label="S1 (first order)", capsize=3
        )
        bars.set_yticks(ys, names, fontsize=7.5)
        bars.set_xlabel("share of the metric's variance; bar: 95% interval")
        bars.legend(frameon=False, loc="lower right")
    fig.suptitle(labels.title(subtitle), x=0.01, ha="left", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    slug = "".join(c if c.isalnum() else "_" for c in metric).strip("_")
    return save(fig, out_dir / f"sensitivity_{slug}")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}".replace("-", "\u2212"))  # the minus sign of the other axes


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
