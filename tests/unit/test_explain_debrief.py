"""The console debrief shows where the hours went: a text Gantt of the critical path by seam."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from sim.analysis.explain import explain, gantt_cells, gantt_rows
from sim.simulation import Simulation
from tests.tui.helpers import drawn

CALENDAR_SCENARIO = Path(__file__).resolve().parents[1] / "data" / "sakishima_calendar.yaml"
"""Sakishima as it stood when the regular Cabinet was a delay mixture (a Tuesday/Friday calendar
component): pinned here so the calendar attribution and the figures below do not move each
time the bundled scenario is revised."""


@pytest.fixture(scope="module")
def sakishima():
    from sim.scenario.loader import load_scenario

    return load_scenario(CALENDAR_SCENARIO)


pytestmark = pytest.mark.tui
SIZE = (160, 60)


async def debrief_after(app, pilot, minutes: float):
    from tui.screens.debrief import DebriefScreen

    for _ in range(250):
        await pilot.pause(0.02)
        if type(app.screen).__name__ == "ExerciseScreen":
            break
    app.session.advance_to(minutes)
    await pilot.press("b")
    for _ in range(250):
        if isinstance(app.screen, DebriefScreen) and app.screen.query("#critical-path-headline"):
            return app.screen
        await pilot.pause(0.02)
    raise AssertionError("the debrief did not open")


@pytest.mark.slow
async def test_debrief_shows_the_critical_path_by_seam(sakishima):
    from tui.app import TabletopApp

    app = TabletopApp(sakishima, show_wall_clock=False, skip_briefing=True, pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await debrief_after(app, pilot, sakishima.scenario.horizon)
        expected = explain(sakishima, app.sim.events)
        headline = drawn(screen.query_one("#critical-path-headline"))
        assert f"{expected.title}: {expected.value_hours:.1f} h" in headline
        chart = drawn(screen.query_one("#critical-path"))
        rows = {line.split()[0]: line for line in chart.splitlines()[1:] if line.strip()}
        assert "Cabinet" in rows and "\u2588" in rows["Cabinet"]  # the seam's name, not its id
        assert "calendar" in drawn(screen.query_one("#critical-path-legend"))


async def test_debrief_early_says_there_is_nothing_to_explain_yet(sakishima):
    from tui.app import TabletopApp

    app = TabletopApp(sakishima, show_wall_clock=False, skip_briefing=True, pause_on_decision=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await debrief_after(app, pilot, 30)
        assert drawn(screen.query_one("#critical-path-headline")).startswith("Nothing to explain yet")
        assert not screen.query("#critical-path")


def test_gantt_cells_of_the_debrief_match_the_explanation(sakishima):
    """The cells are the explanation's: the cabinet row is calendar for about 74 of 251 hours."""
    from tui.format import leg_name
    from tui.screens.debrief import CHART_WIDTH, critical_path

    sim = Simulation(sakishima, seed=1)
    sim.run()
    headline, table, _legend = critical_path(sim)
    worst = leg_name(sakishima, "shimojishima_air")
    assert worst != "shimojishima_air"
    assert headline.endswith(f"the costliest seam is {worst} (135.2 h)")
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    cabinet = next(line for line in console.export_text().splitlines() if line.strip().startswith("Cabinet "))
    explanation = explain(sakishima, sim.events)
    row = next(r for r in gantt_rows(explanation) if r.seam == "cabinet")
    cells = gantt_cells(row, explanation.start_hours, explanation.value_hours, CHART_WIDTH)
    assert cabinet.count("\u2588") == sum(c is not None for c in cells)
    assert cells.count("calendar") == pytest.approx(CHART_WIDTH * 74.2 / 251.3, abs=2)  # edge cells round up
