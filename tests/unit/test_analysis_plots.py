"""What the stock comparison figures show (sim/analysis/plots.py): units written once, a
differences page of readable height that says what it leaves out, legends off the data, and no
empty panel for a seam no run reached (issue 14, item 5)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")

from sim.analysis.compare import compare
from sim.analysis.plots import (
    Labels,
    _colors,
    _pyplot,
    comparison_figures,
    draw_curves,
    draw_differences,
    draw_histograms,
    draw_seams,
    labels_for,
    with_hours,
)
from sim.analysis.replications import Arm, Record, ReplicationSet
from sim.api import load_scenario

ROOT = Path(__file__).resolve().parents[2]
ARMS = ("baseline", "reform_a", "reform_b", "reform_c")
SPANS = [f"seam_{i}_hours" for i in range(30)]
"""Thirty time metrics, as on Sakishima (which has about thirty, plus per-decision and per-island ones)."""


def _set(metrics=SPANS, arms=ARMS, replications=8, never=()) -> ReplicationSet:
    """Paired replications with made-up hours (the reforms a little faster); `never`: metrics no run reached."""
    rng = random.Random(7)
    rs = ReplicationSet(arms=tuple(Arm(name=a, scenario_text="") for a in arms), master_seed=1)
    records = []
    for index in range(replications):
        base = {m: 10 + 5 * rng.random() for m in metrics}
        for shift, arm in enumerate(arms):
            values = {m: (None if m in never else v - shift * rng.random()) for m, v in base.items()}
            records.append(Record(arm, index, 100 + index, values))
    rs.add(records)
    return rs


def _labels(**kw) -> Labels:
    titles = {m: f"Span number {i} (h)" for i, m in enumerate(SPANS)}
    return Labels(scenario="Test scenario", arms={a: a.replace("_", " ").title() for a in ARMS}, metrics=titles, **kw)


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# 1. units once ------------------------------------------------------------------------------


def test_sakishima_labels_name_the_unit_once():
    """Sakishima's metric titles end in "(h)"; the figures read "... (h) (h)" before."""
    labels = labels_for(load_scenario(str(ROOT / "scenarios" / "sakishima.yaml")))
    assert labels.metric("consultation.decision_hours") == "US request to Japan's answer received (h)"
    assert not [text for text in labels.metrics.values() if "(h) (h)" in text]
    plt = _pyplot()
    fig, ax = plt.subplots()
    rs = _set(["consultation.decision_hours"], arms=("baseline",))
    draw_histograms(ax, rs, "consultation.decision_hours", _colors(rs.arm_names), labels)
    assert ax.get_title(loc="left") == "US request to Japan's answer received (h)"
    plt.close(fig)


def test_a_title_without_its_unit_gets_it_and_one_that_says_hours_does_not():
    assert with_hours("Typhoon to the disaster HQ") == "Typhoon to the disaster HQ (h)"
    assert with_hours("Typhoon to the disaster HQ (h)") == "Typhoon to the disaster HQ (h)"
    assert with_hours("Hours until 90 % were safe") == "Hours until 90 % were safe"


# 2. the differences page --------------------------------------------------------------------


@pytest.mark.slow
def test_the_differences_figure_draws_the_headline_metrics_and_says_what_it_left_out(tmp_path):
    """30 time metrics x 3 reforms made a 90-row differences figure (over 9,000 px tall at 300 dpi)."""
    from PIL import Image

    rs = _set()
    payload = compare(rs)
    labels = _labels(seams=(), headline=("seam_3_hours", "seam_7_hours"))
    comparison_figures(rs, payload, {}, tmp_path, SPANS, labels)
    for name, most in (("differences", 2400), ("overview", 4800)):
        with Image.open(tmp_path / f"{name}.png") as image:
            assert image.size[1] < most, (name, image.size)
        svg = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        assert "Span number 3 (h)" in svg and "Span number 7 (h)" in svg  # the objectives' metrics
        assert "Span number 12 (h)" not in svg  # not a headline metric: in the table only
        assert "28 more with a paired difference" in svg and "summary.json" in svg


def test_metrics_given_with_metric_come_first_and_the_rows_are_capped(tmp_path):
    plt = _pyplot()
    from sim.analysis.plots import MOST_DIFFERENCE_ROWS, difference_metrics

    rs = _set()
    payload = compare(rs)
    choice = difference_metrics(payload, SPANS, _labels(), requested=["seam_29_hours"], reforms=3)
    assert choice.drawn == ["seam_29_hours"] and choice.left_out == 29
    # nothing asked for and no headline metric: the first of the table, at most ~24 rows
    choice = difference_metrics(payload, SPANS, _labels(), reforms=3)
    assert choice.drawn == SPANS[: MOST_DIFFERENCE_ROWS // 3]
    fig, ax = plt.subplots()
    draw_differences(ax, payload, choice.drawn, _colors(rs.arm_names), _labels(), choice.left_out)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"Span number {i} (h)" for i in range(8)]
    assert "22 more with a paired difference" in ax.get_xlabel()
    plt.close(fig)


# 3. legends off the data --------------------------------------------------------------------


def test_legends_sit_outside_the_plotting_area():
    """The ECDF legend used to sit in the upper left corner, on top of the curves; the evacuation
    curves' legend in the lower left, on the slowest arm's band."""
    plt = _pyplot()
    rs = _set(SPANS[:2])
    payload = compare(rs)
    colors = _colors(rs.arm_names)
    hours = [float(h) for h in range(48)]
    curves = {
        arm: {"hours": hours, "median": [max(0.0, 1000 - 30 * h) for h in hours], "n": 8}
        | {"p05": [max(0.0, 1000 - 40 * h) for h in hours], "p95": [max(0.0, 1000 - 25 * h) for h in hours]}
        for arm in ARMS
    }
    fig, (evacuation, ecdf, diffs) = plt.subplots(3, 1, figsize=(8, 15), layout="constrained")
    draw_curves(evacuation, curves, colors, _labels())
    draw_histograms(ecdf, rs, SPANS[0], colors, _labels())
    draw_differences(diffs, payload, SPANS[:2], colors, _labels())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in (evacuation, ecdf, diffs):
        legend = ax.get_legend()
        assert legend is not None and len(legend.get_texts()) >= 3
        assert not _overlaps(legend.get_window_extent(renderer), ax.get_window_extent(renderer))
        assert not _overlaps(legend.get_window_extent(renderer), ax.xaxis.label.get_window_extent(renderer))
    plt.close(fig)


# 4. no empty seam panels --------------------------------------------------------------------


def test_a_seam_no_run_reached_is_named_in_a_note_not_drawn_empty():
    plt = _pyplot()
    seams = ("seam_0_hours", "seam_1_hours", "seam_2_hours")
    rs = _set(seams, never=("seam_1_hours",))
    fig = draw_seams(rs, _colors(rs.arm_names), _labels(seams=seams), "8 paired replications")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert titles == ["Span number 0 (h)", "Span number 2 (h)"]
    assert fig._supxlabel.get_text() == "Not drawn, no run reached it: Span number 1 (h)"
    plt.close(fig)
    assert draw_seams(_set(seams[:1], never=seams[:1]), {}, _labels(seams=seams[:1]), "") is None
