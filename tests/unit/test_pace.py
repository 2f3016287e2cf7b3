"""A live session starts at the scenario's own pace: a two-hour tsunami is not over in two seconds."""

from __future__ import annotations

import pytest

from sim.scenario.bundled import resolve
from sim.scenario.loader import ScenarioError, load_scenario, load_scenario_text
from sim.session.door import Session
from sim.simulation import Simulation


def test_a_session_starts_at_the_scenario_pace():
    tsunami = Session(Simulation(load_scenario(resolve("tsunami")), seed=1))
    default = Session(Simulation(load_scenario(resolve("senkaku")), seed=1))
    assert (tsunami.minutes_per_second, default.minutes_per_second) == (1.0, 60.0)


def test_a_pace_no_clock_can_run_names_its_line():
    text = resolve("tsunami").read_text(encoding="utf-8").replace("  pace: 1m", "  pace: 3d", 1)
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(text, "t.yaml")
    (problem,) = error.value.problems
    assert (problem.file, problem.path) == ("t.yaml", "scenario.pace")
    assert problem.line == next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("  pace:"))
    assert "between 0.1m and 2d" in problem.message
