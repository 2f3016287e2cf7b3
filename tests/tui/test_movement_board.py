"""The movement board: each danger area's people safe, caught and still in danger, and when the danger comes."""

from __future__ import annotations

import pytest
from helpers import drawn, until

from sim.analysis.areas import area_progress
from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tui.screens.exercise import ExerciseScreen
from tui.widgets.movement_board import MovementBoard, MovementChart

pytestmark = pytest.mark.tui
SIZE = (160, 48)


def test_each_area_adds_up_and_the_areas_add_up_to_the_run():
    """Per area safe + caught + in danger = its people; summed, the run's own movement totals."""
    scenario = load_scenario(resolve("tsunami"))
    result = Simulation(scenario, seed=1).run()
    areas = area_progress(scenario, result.events)
    people = {a.id: sum(p.people for p in scenario.movement.populations if p.area == a.id) for a in areas}
    assert [a.safe + a.exposed + a.in_danger for a in areas] == [people[a.id] for a in areas]
    movement = result.metrics["movement"]
    assert sum(a.safe for a in areas) == movement["moved"]
    assert sum(a.exposed for a in areas) == movement["exposed"] > 0
    assert all(a.reached for a in areas)


async def test_the_board_counts_down_to_the_wave_then_shows_who_it_caught():
    from tui.app import TabletopApp

    scenario = load_scenario(resolve("tsunami"))
    app = TabletopApp(scenario, show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExerciseScreen))
        board = app.screen.query_one(MovementBoard)
        assert board.display and app.screen.query_one(MovementChart).display
        assert not app.screen.query_one("#no-movement").display
        first = min(a.deadline for a in scenario.movement.areas)
        shown = drawn(board, 80)
        assert f"in {first - app.sim.now:.0f} min" in shown
        outcome = app.session.advance_by(first + 1 - app.sim.now, budget=10.0)
        app.screen._refresh(outcome.events)
        shown = drawn(board, 80)
        caught = area_progress(scenario, app.sim.events)
        hit = next(a for a in caught if a.deadline == first)
        assert f"arrived {app.sim.clock.label(first)}" in shown
        assert f"{hit.exposed:,}" in shown and hit.exposed > 0


async def test_a_scenario_without_a_movement_network_has_no_movement_board():
    """Senkaku moves nobody: no board and no chart, a line saying so instead."""
    from tui.app import TabletopApp

    app = TabletopApp(load_scenario(resolve("senkaku")), show_wall_clock=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen))
        screen = pilot.app.screen
        assert not screen.query_one(MovementBoard).display and not screen.query_one(MovementChart).display
        assert "moves nobody" in drawn(screen.query_one("#no-movement"))


def test_the_event_log_tells_movement_in_words_with_the_scenario_titles():
    """Cohorts read `saga_prompt: 126 people leave Saga harbour ... on foot for Shiroyama hill ...`,
    not `cohort_departed saga_prompt -> saga_hill cohort=2, link=..., mode=walk`."""
    from tui.format import describe

    scenario = load_scenario(resolve("tsunami"))
    events = Simulation(scenario, seed=1).run().events
    titles = {p.id: p.title for p in scenario.movement.places}
    kinds = ("cohort_departed", "cohort_arrived", "people_exposed", "movement_completed")
    lines = {kind: [describe(e, scenario) for e in events if str(e.kind) == kind] for kind in kinds}
    assert all(lines.values()), {k: len(v) for k, v in lines.items()}
    departed = next(e for e in events if str(e.kind) == "cohort_departed" and e.data["mode"] == "walk")
    assert describe(departed, scenario) == (
        f"{departed.source}: {departed.data['people']:,} people leave {titles[departed.data['origin']]} "
        f"on foot for {titles[departed.target]}"
    )
    assert not any("=" in line for kind in kinds for line in lines[kind])
    assert lines["people_exposed"][0].startswith("CAUGHT in ")


def test_hazards_and_area_starts_read_with_their_titles():
    from tui.format import describe

    scenario = load_scenario(resolve("tsunami"))
    events = Simulation(scenario, seed=1).run().events
    hazard = next(e for e in events if str(e.kind) == "hazard_occurred")
    assert describe(hazard, scenario) == f"HAZARD: {hazard.data['title']} (occurrence {hazard.data['occurrence']})"
    started = next(e for e in events if str(e.kind) == "movement_started")
    area = next(a for a in scenario.movement.areas if a.id == started.source)
    assert describe(started, scenario).startswith(f"MOVEMENT STARTS: {area.title}, ")
