"""What `compare --plot` draws for the bundled scenarios (issue 11: each scenario "runs, compares,
plays and reports with its own metrics"). The tsunami's page showed only time metrics equal in every
arm ("+0.0 h better in 0%"), on an hours axis for minutes-long times, while the people caught by the
wave and the share safe, where the drills do differ, were missing; the right half of its top row was
empty and its legends wrapped into tall blocks.

Each test runs a real small comparison through the command line and looks at the figure it saved.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")

from sim.analysis import plots
from sim.analysis.compare import compare
from sim.analysis.replications import Arm, Record, ReplicationSet
from sim.cli import main
from sim.text import duration_text


def _overview(monkeypatch, tmp_path: Path, argv: list[str]):
    """Run `ttxsim compare ... --plot` and return (the figure it saved, what it was drawn from)."""
    seen: dict = {}
    original_save, original_overview = plots.savefig_atomic, plots.overview_figure

    def keep_figure(fig, path, fmt):
        seen["fig"] = fig
        return original_save(fig, path, fmt)

    def keep_inputs(rs, payload, curves, path, labels=None, metrics=(), formats=None, requested=()):
        seen.update(rs=rs, payload=payload, labels=labels)
        return original_overview(rs, payload, curves, path, labels, metrics, formats, requested)

    monkeypatch.setattr(plots, "savefig_atomic", keep_figure)
    monkeypatch.setattr(plots, "overview_figure", keep_inputs)
    assert main([*argv, "-j", "1", "-q", "--plot", str(tmp_path / "page.png")]) == 0
    assert (tmp_path / "page.png").stat().st_size > 0
    return seen["fig"], seen


def _differences(fig) -> list:
    """The difference panels of a page, top to bottom (each one scale): the axes with a row name
    per metric and an annotated difference per row (a box plot's annotations read "mean ...")."""
    return [
        ax
        for ax in fig.axes
        if ax.texts and not ax.get_ylabel() and not any(t.get_text().startswith("mean") for t in ax.texts)
    ]


def _names(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


@pytest.fixture(scope="module")
def tsunami(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:  # the drawing functions are restored at once: later runs must not write into this page's record
        argv = ["compare", "tsunami", "--reform", "school_always_open", "--reform", "drilled_town", "-n", "8"]
        return _overview(mp, tmp_path_factory.mktemp("tsunami"), argv)
    finally:
        mp.undo()


@pytest.mark.slow
def test_the_tsunami_page_draws_its_own_metrics_that_differ_each_on_its_own_axis(tsunami):
    fig, seen = tsunami
    panels = _differences(fig)
    drawn = [name for ax in panels for name in _names(ax)]
    labels, payload = seen["labels"], seen["payload"]["metrics"]
    # the objectives' metrics and the scenario's own metrics where the drills change something
    assert drawn[:2] == [labels.metric("exposed_people"), labels.metric("share_safe")]
    assert labels.metric("people_safe") in drawn
    # the order comes at the same minute in every arm: a row of zeros says nothing
    assert all(d["difference"]["mean"] == 0 for arm, d in payload["order_hours"].items() if arm != "baseline")
    assert labels.metric("order_hours") not in drawn
    # a count of people and a share of the population each get their own axis, none in hours
    assert len(panels) == 3 and not [ax for ax in panels if "hours" in ax.get_xlabel()]
    exposed = payload["exposed_people"]["drilled_town"]["difference"]
    written = [t.get_text() for t in panels[0].texts]
    assert any(t.startswith(f"{exposed['mean']:+,.1f}") for t in written), written
    share = payload["share_safe"]["drilled_town"]["difference"]
    assert any(t.startswith(f"{share['mean']:+.3f}") for t in (t.get_text() for t in panels[1].texts))
    low, high = panels[1].get_xlim()
    assert high - low < 1  # a share's difference, not a count's


def test_the_tsunami_page_fills_its_top_row_with_two_distributions_and_one_line_legends(tsunami):
    fig, seen = tsunami
    labels = seen["labels"]
    top = [ax for ax in fig.axes if ax.get_ylabel().startswith("share of replications")]
    assert [ax.get_title(loc="left") for ax in top] == [labels.metric("exposed_people"), labels.metric("share_safe")]
    left, right = (ax.get_position() for ax in top)
    assert right.x0 > left.x1 > 0.4  # side by side, half the row each: no empty right half
    for ax in [*top, _differences(fig)[-1]]:
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert len(texts) == (3 if ax in top else 2)
        assert not [t for t in texts if "\n" in t], texts


def test_minutes_long_times_are_drawn_in_minutes(tsunami):
    """The tsunami's order read "0.150 ... 0.325 h, median 0.2 h"."""
    _fig, seen = tsunami
    rs, labels = seen["rs"], seen["labels"]
    plt = plots._pyplot()
    fig, ax = plt.subplots()
    plots.draw_histograms(ax, rs, "order_hours", plots._colors(rs.arm_names), labels)
    values = sorted(v for v in rs.values("baseline", "order_hours") if v is not None)
    assert max(values) < 2 and ax.get_xlabel() == "minutes"
    assert max(max(line.get_xdata()) for line in ax.lines) == pytest.approx(60 * max(values))
    legend = ax.get_legend().get_texts()[0].get_text()
    assert f"median {duration_text(plots._median(values))}" in legend and legend.count(" min") == 1
    assert ax.get_title(loc="left") == labels.metric("order_hours").replace("(h)", "(min)")
    plt.close(fig)
    # and on a differences axis
    fig, ax = plt.subplots()
    plots.draw_differences(ax, seen["payload"], ["order_hours"], plots._colors(rs.arm_names), labels)
    assert ax.get_xlabel().startswith("difference, minutes")
    # the order comes at the same minute in every pair: said in words, not "+0 min better in 0%"
    assert seen["payload"]["metrics"]["order_hours"]["drilled_town"]["difference"]["ci95"] == [0, 0]
    assert [t.get_text() for t in ax.texts] == ["equal in every pair"] * 2
    plt.close(fig)


def test_one_or_zero_metrics_are_drawn_as_shares_of_runs_in_percentage_points():
    """Indicators and objectives' rows: a difference of 0.25 is 25 points of the runs."""
    arms = ("baseline", "drill")
    rs = ReplicationSet(arms=tuple(Arm(name=a, scenario_text="") for a in arms), master_seed=1)
    rng = random.Random(3)
    records = []
    for index in range(20):
        cleared = rng.random() < 0.3
        people = 5000 + 500 * rng.random()
        records.append(Record("baseline", index, index, {"zone_cleared": float(cleared), "exposed": people}))
        better = cleared or index % 4 == 0
        records.append(Record("drill", index, index, {"zone_cleared": float(better), "exposed": people - 400}))
    rs.add(records)
    payload = compare(rs)
    labels = plots.Labels(
        metrics={"zone_cleared": "Everyone safe", "exposed": "People caught"},
        shares=frozenset({"zone_cleared"}),
        declared=("exposed", "zone_cleared"),
    )
    choice = plots.difference_metrics(payload, ["exposed", "zone_cleared"], labels)
    assert choice.drawn == ["exposed", "zone_cleared"]
    assert plots.difference_groups(choice.drawn, labels) == [["exposed"], ["zone_cleared"]]
    plt = plots._pyplot()
    fig, ax = plt.subplots()
    plots.draw_differences(ax, payload, ["zone_cleared"], plots._colors(arms), labels)
    points = 100 * payload["metrics"]["zone_cleared"]["drill"]["difference"]["mean"]
    assert ax.get_xlabel() == "difference in the share of runs, percentage points"
    assert ax.texts[0].get_text().startswith(f"+{points:.0f} pp")
    assert max(ax.lines[0].get_xdata()) == pytest.approx(
        100 * payload["metrics"]["zone_cleared"]["drill"]["difference"]["ci95"][1]
    )
    plt.close(fig)


@pytest.mark.slow
def test_the_default_scenario_keeps_its_time_metrics_on_one_hours_axis(monkeypatch, tmp_path):
    """The evacuation scenario's page was good: its objectives' times, on one axis in hours,
    under the curves of people still in danger and two seams."""
    fig, seen = _overview(monkeypatch, tmp_path, ["compare", "--reform", "integrated_authority", "-n", "4"])
    labels, table = seen["labels"], seen["payload"]["metrics"]
    hours = [ax for ax in _differences(fig) if ax.get_xlabel().startswith("difference, hours")]
    assert len(hours) == 1  # every time metric on one axis, as before
    differing = [
        labels.metric(m)
        for m in labels.headline
        if plots.is_time(m, labels)
        and m in table
        and any((row.get("difference") or {}).get("mean") for row in table[m].values())
    ]
    assert differing and set(differing) <= {name.replace("\n", " ") for name in _names(hours[0])}
    assert any(ax.get_ylabel() == "people still in danger" for ax in fig.axes)


@pytest.mark.slow
def test_out_draws_the_distributions_of_the_metrics_that_differ_beside_the_seams(tmp_path, tsunami):
    """`--out` drew the tsunami's distributions only for its seams (the order time, equal in every
    arm); the counts and the share that the drills change had no distribution anywhere."""
    _fig, seen = tsunami
    labels = seen["labels"]
    out = tmp_path / "out"
    argv = ["compare", "tsunami", "--reform", "drilled_town", "-n", "4", "-j", "1", "-q", "--out", str(out)]
    assert main(argv) == 0
    distributions = (out / "distributions.svg").read_text(encoding="utf-8")
    seams = (out / "seams.svg").read_text(encoding="utf-8")
    for metric in ("exposed_people", "share_safe", "people_safe"):
        assert labels.metric(metric) in distributions and labels.metric(metric) not in seams
    assert labels.metric("order_hours").replace("(h)", "(min)") in seams
    assert "value per replication" in distributions and "minutes" in seams
