"""The debrief of the two-hour tsunami words its metrics, objectives and decision times as the
after-action report does: `4,891` people, `no`, `0.522`, `3.7 min` against `3 min`, never `0.1 h`.

The expected texts are computed from the app's own run, never typed in."""

from __future__ import annotations

import pytest
from helpers import drawn, until
from textual.widgets import Static

from sim.scenario.bundled import bundled_dir
from sim.text import sentence_title
from tui.screens.debrief import DebriefScreen
from tui.screens.exercise import ExerciseScreen

pytestmark = pytest.mark.tui
SIZE = (200, 60)


def minutes(value: float) -> str:
    """Minutes as the debrief should word them (one decimal below ten, whole above)."""
    return (f"{value:.1f}".removesuffix(".0") if value < 9.95 else f"{value:.0f}") + " min"


async def test_tsunami_debrief_reads_in_minutes_and_words_metrics_by_kind():
    from sim.scenario.loader import load_scenario
    from tui.app import TabletopApp

    scenario = load_scenario(bundled_dir() / "tsunami.yaml")
    app = TabletopApp(scenario, show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        app.session.advance_to(scenario.scenario.horizon)
        if not isinstance(app.screen, DebriefScreen):  # it opens by itself at the end
            await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#expected"))
        key = "\n".join(drawn(widget) for widget in app.screen.query(Static))  # everything the debrief shows
        expected = drawn(app.screen.query_one("#expected"))
        sim = app.sim
    metrics = sim.metrics()
    lines = {" ".join(line.split()) for line in key.splitlines()}
    by_kind = {m.kind: m for m in scenario.metrics}
    state, indicator = by_kind["state"], by_kind["indicator"]
    named = {m.id: m for m in scenario.metrics}
    exposed = next(o for o in scenario.objectives if named[o.metric].kind == "count")
    count = named[exposed.metric]
    assert f"{count.title} {metrics[count.id]:,}" in lines
    assert f"{state.title} {metrics[state.id]:.3g}" in lines
    assert f"{indicator.title} {'yes' if metrics[indicator.id] else 'no'}" in lines
    flat = " ".join(key.split())
    verdict = {1: "met", 0: "not met"}[metrics["objectives"][exposed.id]]
    worded = (
        f"{verdict}: {sentence_title(count.title)} — {metrics[count.id]:,} (target: at most {exposed.at_most:,.0f})"
    )
    assert worded in flat
    # decision times: the MSEL's standard and the wait, in minutes
    taken = {e.target: float(e.data["waited"]) for e in sim.events if str(e.kind) == "decision_taken"}
    rows = " ".join(expected.split())
    timed = [d for d in scenario.decisions if d.expected_within is not None and d.id in taken]
    assert timed
    for decision in timed:
        assert f"(within {minutes(decision.expected_within)})" in rows
        assert minutes(taken[decision.id]) in rows
    assert " 0.1 h" not in rows and " 0.1 h" not in flat
    # the movement network's ledger and times, as the report's key metrics word them
    movement = metrics["movement"]
    assert f"Safe {movement['moved']:,} of {movement['population']:,}" in lines
    assert f"Caught by the danger {movement['exposed']:,}" in lines
    done = next(e for e in sim.events if str(e.kind) == "movement_completed")
    assert f"Movement complete (after movement start) {minutes(done.data['hours'] * 60)}" in lines


def test_a_critical_path_of_minutes_has_a_chart_in_minutes():
    """The debrief's text Gantt of the tsunami spans minutes: its header says so, not '0 .. 0 h'."""
    from sim.scenario.loader import load_scenario
    from sim.simulation import Simulation
    from tui.screens.debrief import critical_path

    sim = Simulation(load_scenario(bundled_dir() / "tsunami.yaml"), seed=1)
    sim.run()
    headline, table, _ = critical_path(sim)
    assert table is not None
    header = str(table.columns[2].header)
    assert header.endswith(" min after T+0") and " h " not in header
    assert headline.split(": ")[-1].split(";")[0].endswith(" min")


async def test_sakishima_debrief_shows_a_movement_time_its_own_metric_measures_once():
    """Sakishima's own metrics time the movement's start and completion: the debrief lists them under
    the scenario's titles and not again as the movement's built-in rows (as the report does)."""
    from sim.analysis.report import MOVEMENT_COMPLETE, MOVEMENT_START, spans_measured
    from sim.scenario.loader import load_scenario
    from tui.app import TabletopApp

    scenario = load_scenario(bundled_dir() / "sakishima.yaml")
    assert {MOVEMENT_START, MOVEMENT_COMPLETE} <= spans_measured(scenario)
    app = TabletopApp(scenario, show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, DebriefScreen) and app.screen.query("#key-metrics"))
        key = drawn(app.screen.query_one("#key-metrics"))
    assert "Safe " in key
    assert "Movement start (after T+0)" not in key and "Movement complete (after movement start)" not in key
