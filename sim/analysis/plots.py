"""Figures of a comparison or a sweep (matplotlib, PNG and SVG).

Imported only when a figure is asked for: matplotlib is the `analysis`
extra, and `require_matplotlib()` turns its absence into one clear sentence.
Every figure is drawn from the same numbers that are written beside it
(replications.csv, curves.csv, summary.json), never from anything else.

Figures:
* evacuation curves: people still to move over time (hours after T+0),
  median and 90% band (5%-95% of replications) per arm;
* completion: evacuation completion time per arm (box plot, mean and 95% CI);
* seams: distributions of the JCG handover and the prior-consultation times;
* differences: paired difference from the baseline with its 95% CI;
* sweep: a metric's mean and 95% CI against a swept parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.analysis.replications import ReplicationSet

EXTRA_HINT = "install the analysis extra, e.g. pip install 'ttxsim[analysis]'"

LABELS = {
    "evacuation.completion_hours": "Evacuation completion (h after movement start)",
    "evacuation.start_hours": "Movement start (h after T+0)",
    "evacuation.arrival_hours": "Last host arrival (h after movement start)",
    "evacuation.finished_hours": "Islands cleared (h after T+0)",
    "evacuation.evacuated": "People evacuated",
    "handover.transfer_hours": "JCG under MoD control (h after defence-operation order)",
    "consultation.decision_hours": "Prior consultation (h from US request to answer)",
}


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

    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 130,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 9.5,
            "svg.hashsalt": "ttx",  # stable SVG ids: the same data give the same file
        }
    )
    return plt


def metric_label(metric: str) -> str:
    return LABELS.get(metric, metric)


def _colors(arms: Sequence[str]) -> dict[str, Any]:
    plt = _pyplot()
    cycle = plt.get_cmap("tab10")
    return {arm: cycle(i % 10) for i, arm in enumerate(arms)}


def savefig_atomic(fig, path: Path, fmt: str) -> Path:
    """Render `fig` in memory, then write it atomically (a failed write keeps the old file)."""
    import io

    from sim.files import write_atomic

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
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


def draw_curves(ax, curves: dict[str, dict[str, Any]], colors: dict[str, Any]) -> bool:
    if not curves:
        _empty(ax, "no evacuation in these runs")
        return False
    from matplotlib.ticker import MultipleLocator

    last = 0.0
    drawn: dict[str, tuple] = {}
    for arm, curve in curves.items():
        hours = curve["hours"]
        color = colors[arm]
        key = (tuple(curve["median"]), tuple(curve["p05"]), tuple(curve["p95"]))
        twin = next((other for other, k in drawn.items() if k == key), None)
        drawn[arm] = key
        ax.fill_between(hours, curve["p05"], curve["p95"], color=color, alpha=0.10, linewidth=0, step="post")
        for edge in ("p05", "p95"):
            ax.step(hours, curve[edge], where="post", color=color, linewidth=0.7, alpha=0.7, linestyle="--")
        same = f", same as {twin}" if twin else ""
        ax.step(
            hours,
            curve["median"],
            where="post",
            color=color,
            linewidth=2.0,
            linestyle=(0, (4, 3)) if twin else "-",
            label=f"{arm} (n={curve['n']}{same})",
        )
        # where the slowest 5% reach zero bounds the interesting part of the x axis
        done = next((h for h, v in zip(hours, curve["p95"], strict=True) if v <= 0), hours[-1])
        last = max(last, done)
    ax.set_xlim(0, min(hours[-1], last + 12))
    ax.xaxis.set_major_locator(MultipleLocator(24))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("hours after T+0 (grid lines every 24 h)")
    ax.set_ylabel("people still to move")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title("People still to move (median; dashed band: 5%-95% of replications)", loc="left")
    ax.legend(frameon=False, fontsize=8.5)
    return True


def draw_box(ax, rs: ReplicationSet, metric: str, colors: dict[str, Any], payload: dict[str, Any]) -> bool:
    arms = rs.arm_names
    data = [[v for v in rs.values(arm, metric) if v is not None] for arm in arms]
    if not any(data):
        _empty(ax, f"no {metric} in these runs")
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
                f"mean {row['mean']:.1f} h{missing}",
                (row["mean"], y + 0.36),
                xytext=(6, 2),
                textcoords="offset points",
                fontsize=8,
                va="bottom",
            )
    ax.set_yticks(positions, arms)
    ax.set_ylim(-0.6, len(arms) - 0.1)
    ax.set_xlabel("hours")
    ax.set_title(metric_label(metric), loc="left")
    return True


def draw_histograms(ax, rs: ReplicationSet, metric: str, colors: dict[str, Any]) -> bool:
    """The distribution per arm as an empirical CDF: a curve further left is faster.

    (Overlaid histograms of near-identical paired arms are unreadable; ECDFs stay clear.)
    """
    arms = rs.arm_names
    data = {arm: sorted(v for v in rs.values(arm, metric) if v is not None) for arm in arms}
    if not any(data.values()):
        _empty(ax, f"no {metric} in these runs")
        return False
    seen: dict[str, list[float]] = {}
    for arm, vals in data.items():
        if not vals:
            continue
        twin = next((other for other, v in seen.items() if v == vals), None)
        seen[arm] = vals
        n = len(vals)
        xs = [vals[0], *vals]
        ys = [0.0, *[(i + 1) / n for i in range(n)]]
        missing = len(rs.values(arm, metric)) - n
        note = (f", {missing} never" if missing else "") + (f", same as {twin}" if twin else "")
        ax.step(
            xs,
            ys,
            where="post",
            color=colors[arm],
            linewidth=1.6,
            linestyle=(0, (4, 3)) if twin else "-",
            label=f"{arm} (median {_median(vals):.1f} h, n={n}{note})",
        )
    ax.axhline(0.5, color="0.6", linewidth=0.7, linestyle=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("hours")
    ax.set_ylabel("share of replications done")
    ax.set_title(metric_label(metric), loc="left")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return True


def draw_differences(ax, payload: dict[str, Any], metrics: Sequence[str], colors: dict[str, Any]) -> bool:
    rows = []
    for metric in metrics:
        for arm, row in payload["metrics"].get(metric, {}).items():
            diff = row.get("difference")
            if diff and diff["mean"] is not None:
                rows.append((metric, arm, diff))
    if not rows:
        _empty(ax, "no paired differences (no reform, or no values)")
        return False
    ys = list(range(len(rows)))[::-1]
    for y, (_metric, arm, diff) in zip(ys, rows, strict=True):
        ci = diff["ci95"] or [diff["mean"], diff["mean"]]
        ax.plot(ci, [y, y], color=colors.get(arm, "black"), linewidth=2.5)
        ax.plot(diff["mean"], y, "o", color=colors.get(arm, "black"), markersize=5)
        share = "" if diff["better_share"] is None else f"  better in {100 * diff['better_share']:.0f}%"
        ax.annotate(f"{diff['mean']:+.1f} h{share}", (ci[1], y), xytext=(5, -3), textcoords="offset points", fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ys, [f"{arm}\n{metric}" for metric, arm, _ in rows], fontsize=8)
    ax.set_xlabel("difference from baseline, hours (negative = reform faster); 95% CI")
    ax.set_title("Paired differences (reform minus baseline)", loc="left")
    return True


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def comparison_figures(
    rs: ReplicationSet,
    payload: dict[str, Any],
    curves: dict[str, dict[str, Any]],
    out_dir: Path,
    metrics: Sequence[str],
) -> list[Path]:
    """Write every comparison figure (PNG + SVG) into `out_dir`; return the paths."""
    plt = _pyplot()
    colors = _colors(rs.arm_names)
    written: list[Path] = []

    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    if draw_curves(ax, curves, colors):
        written += save(fig, out_dir / "evacuation_curves")
    else:
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.9 * len(rs.arm_names)))
    if draw_box(ax, rs, "evacuation.completion_hours", colors, payload):
        written += save(fig, out_dir / "completion")
    else:
        plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    drawn = [
        draw_histograms(axes[0], rs, "handover.transfer_hours", colors),
        draw_histograms(axes[1], rs, "consultation.decision_hours", colors),
    ]
    if any(drawn):
        fig.suptitle("Seams: distribution over replications (empirical CDF)", x=0.01, ha="left", fontsize=10.5)
        fig.tight_layout()
        written += save(fig, out_dir / "seams")
    else:
        plt.close(fig)

    if len(rs.arm_names) > 1:
        present = [m for m in metrics if m in payload["metrics"] and m.endswith("_hours")]
        fig, ax = plt.subplots(figsize=(8.5, 1.0 + 0.55 * len(present) * (len(rs.arm_names) - 1)))
        if draw_differences(ax, payload, present, colors):
            written += save(fig, out_dir / "differences")
        else:
            plt.close(fig)
    return written


def overview_figure(rs: ReplicationSet, payload: dict[str, Any], curves: dict[str, dict[str, Any]], path: Path) -> Path:
    """`--plot PATH`: curves, completion and both seams on one page (format from the suffix)."""
    plt = _pyplot()
    colors = _colors(rs.arm_names)
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    draw_curves(axes[0][0], curves, colors)
    draw_box(axes[0][1], rs, "evacuation.completion_hours", colors, payload)
    draw_histograms(axes[1][0], rs, "handover.transfer_hours", colors)
    draw_histograms(axes[1][1], rs, "consultation.decision_hours", colors)
    fig.suptitle(f"{rs.replications} paired replications, master seed {rs.master_seed}", x=0.01, ha="left")
    fig.tight_layout()
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        return savefig_atomic(fig, path, fmt)
    finally:
        plt.close(fig)


def sweep_figure(
    points: list[dict[str, Any]],
    payload: dict[str, Any],
    metrics: Sequence[str],
    stem_or_path: Path,
    formats: Sequence[str] | None = ("png", "svg"),
) -> list[Path]:
    """Mean and 95% CI of each metric against the first swept parameter.

    With several parameters, one line per combination of the others.
    """
    plt = _pyplot()
    present = [m for m in metrics if m in payload["metrics"]] or list(payload["metrics"])[:1]
    fig, axes = plt.subplots(len(present), 1, figsize=(8, 3.2 * len(present)), squeeze=False)
    first = points[0]["settings_text"][0][0]
    texts = list(dict.fromkeys(p["settings_text"][0][1] for p in points))
    numeric = all(_is_number(p["settings"][0][1]) for p in points)
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        rest = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in p["settings_text"][1:])
        groups.setdefault(rest, []).append(p)
    cycle = plt.get_cmap("tab10")
    for ax, metric in zip((a[0] for a in axes), present, strict=True):
        for g, (rest, members) in enumerate(groups.items()):
            xs, ys, lows, highs = [], [], [], []
            for p in members:
                row = payload["metrics"][metric].get(p["name"])
                if not row or row["mean"] is None:
                    continue
                x = p["settings"][0][1] if numeric else texts.index(p["settings_text"][0][1])
                xs.append(x)
                ys.append(row["mean"])
                ci = row["ci95"] or [row["mean"], row["mean"]]
                lows.append(row["mean"] - ci[0])
                highs.append(ci[1] - row["mean"])
            if xs:
                ax.errorbar(xs, ys, yerr=[lows, highs], marker="o", capsize=4, color=cycle(g % 10), label=rest or None)
        if not numeric:
            ax.set_xticks(range(len(texts)), texts)
        ax.set_xlabel(first)
        ax.set_ylabel("mean, 95% CI")
        ax.set_title(metric_label(metric), loc="left")
        if len(groups) > 1:
            ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    if formats is None:
        fmt = stem_or_path.suffix.lstrip(".").lower() or "png"
        try:
            return [savefig_atomic(fig, stem_or_path, fmt)]
        finally:
            plt.close(fig)
    return save(fig, stem_or_path, formats)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
