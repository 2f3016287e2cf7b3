"""The after-action report shows where the hours went: the critical-path chart and hours per seam,
with scenario text escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.report import build_aar, render_html, render_markdown
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import MINIMAL_SCENARIO

CALENDAR_SCENARIO = Path(__file__).resolve().parents[1] / "data" / "sakishima_calendar.yaml"
"""Sakishima as it stood when the regular Cabinet was a delay mixture (a Tuesday/Friday calendar
component): pinned here so the calendar attribution and the figures below do not move each
time the bundled scenario is revised."""


@pytest.fixture(scope="module")
def sakishima():
    from sim.scenario.loader import load_scenario

    return load_scenario(CALENDAR_SCENARIO)


def aar_of(sim: Simulation):
    return build_aar(sim.scenario, sim.events, sim.inputs, sim.metrics(), seed=sim.seed)


@pytest.fixture(scope="module")
def default_aar(sakishima):
    sim = Simulation(sakishima, seed=1)
    sim.run()
    return aar_of(sim)


def test_report_draws_the_critical_path_and_names_the_costliest_seams(default_aar):
    html = render_html(default_aar)
    assert "<h3>Where the hours went: T+0 to the last evacuee off the islands (h), 251.3 h</h3>" in html
    start = html.index('<figure id="critical_path">')
    figure = html[start : html.index("</figure>", start)]
    assert "<svg" in figure and "hours after T+0" in figure and "Cabinet" in figure
    table = html[html.index('<table id="seam-hours">') :]
    rows = table[: table.index("</table>")].split("<tr>")[2:]
    assert rows[0].startswith("<td>Shimojishima -&gt; Kagoshima, B737-800 (shimojishima_air)</td>")
    assert "<td>Cabinet (cabinet)</td><td>74.7 h</td><td>30 %</td>" in rows[1]


def test_markdown_report_has_the_chart_and_the_table(default_aar):
    text = render_markdown(default_aar)
    assert "### Where the hours went: T+0 to the last evacuee off the islands (h), 251.3 h" in text
    assert "![Where the hours went](data:image/png;base64," in text
    assert "| Cabinet (cabinet) | 74.7 h | 30 % |" in text


def test_scenario_text_in_the_chart_is_escaped():
    """A decision title with HTML in it reaches the heading escaped, and the SVG as text."""
    scenario = load_scenario(MINIMAL_SCENARIO)
    hostile = "<script>alert(1)</script> $x$"
    decisions = [*scenario.decisions[:-1], scenario.decisions[-1].model_copy(update={"title": hostile})]
    scenario = scenario.model_copy(update={"decisions": decisions})
    sim = Simulation(scenario, seed=1)
    sim.run()
    html = render_html(aar_of(sim))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x$ (taken, from T+0)" in html


def test_report_without_anything_to_explain_has_no_section(sakishima):
    sim = Simulation(sakishima, seed=1)
    sim.advance(60)  # nothing decided yet in the first hour
    html = render_html(aar_of(sim))
    assert "Where the hours went" not in html and 'id="critical_path"' not in html


def test_a_path_of_minutes_reads_in_minutes():
    """A tsunami's critical path is minutes long: the report says '11 min', not '0.2 h'."""
    from sim.analysis.explain import duration_text
    from sim.scenario.bundled import bundled_dir

    scenario = load_scenario(bundled_dir() / "tsunami.yaml")
    sim = Simulation(scenario, seed=1)
    sim.run()
    aar = aar_of(sim)
    html = render_html(aar)
    minutes = duration_text(aar.critical_path.value_hours)
    assert minutes.endswith(" min") and f"{minutes}</h3>" in html
    assert duration_text(268.56) == "268.6 h" and duration_text(0.5) == "30 min"
