"""The after-action report reads well for a two-hour tsunami as for a three-week airlift: durations in
minutes or hours as they come, metrics worded by their kind, movement rows by area title.

Every expected figure is computed here from the run's own event stream and scenario, never typed in."""

from __future__ import annotations

import re

import pytest

from sim.analysis.report import build_aar, render_html, render_markdown
from sim.scenario.bundled import bundled_dir
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from sim.text import count_text, duration_text, metric_text, number_text, sentence_title


def _aar(sim: Simulation):
    return build_aar(sim.scenario, sim.events, sim.inputs, sim.metrics(), seed=sim.seed)


@pytest.fixture(scope="module")
def tsunami():
    sim = Simulation(load_scenario(bundled_dir() / "tsunami.yaml"), seed=1)
    sim.run()
    aar = _aar(sim)
    return sim, aar, render_html(aar)


def _minutes(value: float) -> str:
    """Minutes as this test expects them worded (one decimal below ten, whole above), independent of sim.text."""
    return (f"{value:.1f}".removesuffix(".0") if value < 9.95 else f"{value:.0f}") + " min"


@pytest.mark.parametrize(
    "hours, text",
    [
        (None, "-"),
        (0.0, "0 min"),
        (20 / 3600, "20 s"),
        (3.7 / 60, "3.7 min"),
        (5 / 60, "5 min"),
        (0.5, "30 min"),
        (59.8 / 60, "1.0 h"),
        (1.5, "1.5 h"),
        (30.5, "30.5 h"),
        (268.56, "268.6 h"),
    ],
)
def test_one_duration_formatter_reads_minutes_and_hours(hours, text):
    assert duration_text(hours) == text


def test_the_formatters_have_one_home():
    """`sim.analysis.explain.duration_text` and the status panel's `number_text` are the ones in sim.text."""
    from sim.analysis import explain
    from tui.widgets import status_panel

    assert explain.duration_text is duration_text
    assert status_panel.number_text is number_text
    assert (number_text(0.462891), number_text(4740.0), count_text(4891), count_text(12.25)) == (
        "0.463",
        "4,740",
        "4,891",
        "12.2",
    )


def test_a_tsunami_decision_is_timed_in_minutes_everywhere(tsunami):
    """Actual, Why, the improvement plan and the latency bars say '3.7 min against 3 min', never '0.1 h'."""
    sim, aar, html = tsunami
    taken = {e.target: float(e.data["waited"]) for e in sim.events if str(e.kind) == "decision_taken"}
    late = [r for r in aar.rows if r.kind == "decision" and r.rating in ("S", "M")]
    assert late, "the tsunami's modelled HQ is late on its decisions with seed 1"
    plan = " ".join(p.issue + " " + p.corrective_action for p in aar.plan)
    for row in late:
        waited, within = _minutes(taken[row.id]), _minutes(row.expected_within)
        assert f"took {waited} against an expected {within}." in plan
        assert f"below {within}:" in plan
        assert row.reason.startswith(f"late ({waited} > {within})") or row.reason.startswith(f"very late ({waited} >")
        assert f"{waited} after it came up" in row.actual
        assert f"(within {within})" in row.expected
        assert f" {waited} {row.rating}</text>" in html  # the latency bar's label
    assert not re.search(r"\b\d+\.\d h\b", " ".join([html.split("<svg")[0], plan])), "no hours for minutes"


def test_short_play_has_decision_axes_in_minutes(tsunami):
    _, aar, html = tsunami
    assert aar.end < 180
    for name in ("decision_timeline", "decision_latencies", "critical_path"):
        start = html.index(f'<figure id="{name}">')
        figure = html[start : html.index("</figure>", start)]
        assert "minutes" in figure and "hours after T+0" not in figure and "hours from" not in figure, name


def test_metrics_are_worded_by_their_kind(tsunami):
    """Counts grouped, indicators yes/no, a state share to three digits, a time as minutes."""
    sim, aar, html = tsunami
    metrics = sim.metrics()
    rows = dict(aar.scenario_rows)
    by_kind = {m.kind: m for m in sim.scenario.metrics}
    count, state, indicator = by_kind["count"], by_kind["state"], by_kind["indicator"]
    assert rows[count.title] == f"{metrics[count.id]:,}"
    assert rows[state.title] == f"{metrics[state.id]:.3g}"
    assert rows[indicator.title] == ("yes" if metrics[indicator.id] else "no")
    timed = next(m for m in sim.scenario.metrics if m.kind == "time" and metrics.get(m.id) is not None)
    assert rows[timed.title] == _minutes(metrics[timed.id] * 60)
    assert f"<tr><th>{count.title}</th><td>{metrics[count.id]:,}</td></tr>" in html
    assert f"| {count.title} | {metrics[count.id]:,} |" in render_markdown(aar, plots={})


def test_objectives_name_their_metric_value_and_target(tsunami):
    sim, aar, _ = tsunami
    metrics, rows = sim.metrics(), dict(aar.scenario_rows)
    titles = {m.id: m.title for m in sim.scenario.metrics}
    for objective in sim.scenario.objectives:
        verdict = {1: "met", 0: "not met"}[metrics["objectives"][objective.id]]
        value = metrics[objective.metric]
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.3g}"
        bound = objective.at_most if objective.at_most is not None else objective.at_least
        word = "at most" if objective.at_most is not None else "at least"
        target = f"{bound:,.0f}" if bound == int(bound) else f"{bound:.3g}"
        expected = f"{verdict}: {sentence_title(titles[objective.metric])} — {shown} (target: {word} {target})"
        assert rows[f"Objective: {objective.title}"] == expected


def test_movement_rows_name_the_area_and_merge_its_populations(tsunami):
    """An area's populations told to move together are one movement_started (its people added up): the
    tsunami's areas each start twice (those who go at once at T+0, those who wait for the order), one
    row each; the report would still merge two starts of an area in the same minute."""
    sim, aar, _ = tsunami
    titles = {a.id: a.title for a in sim.scenario.movement.areas}
    expected: dict[tuple[str, str], int] = {}
    for event in sim.events:
        if str(event.kind) == "movement_started":
            key = (aar.label(event.time), titles[event.source])
            expected[key] = expected.get(key, 0) + int(event.data["people"])
    rows = [(aar.label(t), what) for t, kind, what, _ in aar.timeline if kind == "movement"]
    assert len(expected) == sum(1 for e in sim.events if str(e.kind) == "movement_started")  # one row each
    starts = [(when, f"{area}: {people:,} people start to move") for (when, area), people in expected.items()]
    movement = sim.metrics()["movement"]
    done = next(e for e in sim.events if str(e.kind) == "movement_completed")
    completed = (
        f"Movement complete: {movement['moved']:,} of {movement['population']:,} people safe, "
        f"{movement['exposed']:,} caught, {metric_text('span', done.data['hours'])} after movement started"
    )
    assert rows == [*starts, (aar.label(done.time), completed)]
    first_inject = next(i for i, row in enumerate(aar.timeline) if row[1] == "inject")
    assert aar.timeline[first_inject][0] <= min(t for t, kind, _, _ in aar.timeline if kind == "movement")
    assert all(kind != "movement" for _, kind, _, _ in aar.timeline[: first_inject + 1])  # the quake reads first


def test_sakishima_keeps_its_hours_and_names_its_municipalities(sakishima):
    """The three-week airlift still reads in hours ('30.5 h'); its municipalities keep their names."""
    sim = Simulation(sakishima, seed=1)
    sim.run()
    aar = _aar(sim)
    metrics, rows = sim.metrics(), dict(aar.scenario_rows)
    spans = [m for m in sakishima.metrics if m.kind in ("span", "time") and metrics.get(m.id) is not None]
    assert spans
    for metric in spans:
        assert rows[metric.title or metric.id] == f"{metrics[metric.id]:.1f} h"
    names = {a.id: a.title for a in sakishima.movement.areas}
    expected: dict[tuple[float, str], int] = {}  # each area's populations start together: one row
    for event in sim.events:
        if str(event.kind) == "movement_started":
            key = (event.time, names[event.source])
            expected[key] = expected.get(key, 0) + int(event.data["people"])
    movement = [what for _, kind, what, _ in aar.timeline if kind == "movement"]
    assert expected
    for (_, name), people in expected.items():
        assert f"{name}: {people:,} people start to move" in movement
    assert movement[-1] == (
        f"Movement complete: 120,212 of 120,212 people safe, none caught, "
        f"{metrics['evacuation.completion_hours']:.1f} h after movement started"
    )
    assert metric_text("time", 30.5) == "30.5 h"


def test_the_danger_reaching_an_area_is_on_the_timeline_and_in_the_area_table(tsunami):
    """When the wave reaches an area the timeline says how many it caught (one row per area), and
    section 6 tallies each area: people, safe, caught, still in danger, as the event stream says."""
    sim, aar, html = tsunami
    titles = {a.id: a.title for a in sim.scenario.movement.areas}
    caught: dict[str, int] = {}
    home: dict[str, int] = {}
    safe: dict[str, int] = {}
    area_of = {p.id: p.area for p in sim.scenario.movement.populations}
    for event in sim.events:
        if str(event.kind) == "people_exposed":
            caught[event.target] = caught.get(event.target, 0) + int(event.data["people"])
            home[event.target] = home.get(event.target, 0) + int(event.data["at_home"])
        elif str(event.kind) == "cohort_arrived":
            area = event.data.get("area") or area_of[event.source]
            safe[area] = safe.get(area, 0) + int(event.data["people"])
    danger = [what for _, kind, what, _ in aar.timeline if kind == "danger"]
    assert danger == [
        f"{titles[a]}: the danger arrives; {n:,} people caught ({home[a]:,} still at home)" for a, n in caught.items()
    ]
    people = {a: sum(p.people for p in sim.scenario.movement.populations if p.area == a) for a in titles}
    table = html[html.index('<table id="areas">') :]
    table = table[: table.index("</table>")]
    for area, title in titles.items():
        left = people[area] - safe.get(area, 0) - caught.get(area, 0)
        cells = [title, f"{people[area]:,}", f"{safe.get(area, 0):,}", f"{caught.get(area, 0):,}", f"{left:,}"]
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in cells) in table


@pytest.mark.parametrize(
    "waited, within, reason",
    [
        (3.7, 3.0, "late (3.7 min > 3 min)"),
        (2.5, 3.0, "done on time (2.5 min <= 3 min)"),
        (588.0, 360.0, "late (9.8 h > 6.0 h)"),
        (30.0, 120.0, "done on time (30 min <= 2.0 h)"),
        (362.0, 360.0, "late by 2 min (6.0 h > 6.0 h)"),
        (50.0, 20.0, "very late (50 min > 2 x 20 min)"),
    ],
)
def test_rating_reasons_word_times_at_their_scale(waited, within, reason):
    """Minutes for minutes, hours for hours; two times that read the same say by how much it was late."""
    from sim.analysis.ratings import rate_decision

    assert rate_decision("taken", waited, within).reason == reason


def test_a_plain_install_writes_the_report_without_figures_and_says_why(monkeypatch, tmp_path):
    """Without matplotlib (no analysis extra) `report` used to fail 'unexpectedly'; it now writes the
    report's tables, says in it and on the terminal why there are no figures, and exits 0."""
    import sys

    from sim.cli import main

    journal = tmp_path / "run.ttxj"
    assert main(["run", "tsunami", "--journal", str(journal)]) == 0
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    out = tmp_path / "aar.html"
    assert main(["report", str(journal), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "they need matplotlib, which is not installed" in html and "<svg" not in html
    assert "People by area" in html or "<table" in html
