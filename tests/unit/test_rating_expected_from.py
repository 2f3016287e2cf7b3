"""Timeliness counted from the triggering event where the scenario says so (`expected_from`)."""

from __future__ import annotations

import pytest

from sim.analysis.ratings import rate_decisions
from sim.scenario.loader import load_scenario_text
from sim.scenario.problems import ScenarioError
from sim.simulation import Simulation

ALARM = """
scenario: {id: a, title: A, start: "2027-04-05T06:00:00+09:00", horizon: 1d}
agencies:
  - {id: hq, name: HQ, kind: executive, handling: 10m, forwards: [field]}
  - {id: field, name: Field unit, kind: military, parent: hq, handling: 1h}
injects:
  - {id: alarm, at: 0m, to: [hq], synopsis: An alarm.}
decisions:
  - id: respond
    title: Respond
    owner: field
    delay: 30m
    requires: [{inject: alarm}]
    expected_within: 1h
    EXPECTED_FROM
    options: [{id: go, label: Go}]
"""


def _rating(expected_from: str) -> tuple[str, str, float]:
    scenario = load_scenario_text(ALARM.replace("EXPECTED_FROM", expected_from))
    result = Simulation(scenario, seed=1).run()
    outcome = rate_decisions(scenario, result.events)["respond"]
    return outcome.rating.value, outcome.rating.reason, outcome.waited


def test_by_default_the_clock_starts_when_the_decision_comes_up():
    value, reason, deliberation = _rating("")
    assert deliberation == pytest.approx(30.0)
    assert value == "P" and "counted from" not in reason


def test_expected_from_counts_the_time_the_chain_took_to_learn_of_the_alarm():
    """The alarm took over an hour to reach the field unit; answered 30 min after it came
    up, the unit is still late against one hour from the alarm itself."""
    value, reason, _ = _rating("expected_from: {inject: alarm}")
    assert value in ("S", "M")
    assert "counted from inject alarm" in reason


def test_expected_from_must_name_something_that_exists():
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(ALARM.replace("EXPECTED_FROM", "expected_from: {inject: alarn}"), "a.yaml")
    assert any(p.path.startswith("decisions.0.expected_from") for p in caught.value.problems)
